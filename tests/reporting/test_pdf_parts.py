"""A committee report laid out in two processes at once (the sections, and the
appendices) must be the same document as the report laid out whole: pages, numbering,
running headers, outline and PDF/UA structure. And a part that fails must fail the
render with its reason, leaving no process behind."""

import datetime as dt
import os
import time
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone
from pypdf import PdfReader

from reporting import services
from reporting.pdf import (
    PdfPartError,
    PdfRenderError,
    join_tagged_pdfs,
    render_pdf,
    render_pdf_in_two,
)
from reporting.pdf import parts as pdf_parts
from tests.reporting.builders import build_reported_plan

pytestmark = pytest.mark.django_db

GENERATED = dt.datetime(2024, 11, 1, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def static(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    (root / "style.css").write_text(
        "@page { @bottom-right { content: 'Page ' counter(page) ' of ' counter(pages) }"
        " @top-left { content: string(who) } }"
        " .who { string-set: who content(text) } .part { break-before: page }"
    )
    return root


def doc(body: str, *, lang: str = "en-GB") -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><title>Parts</title></head>'
        f"<body>{body}</body></html>"
    )


def in_two(static: Path, *, front: str | None = None, back: str | None = None, **options):
    """``render_pdf_in_two`` of two small documents (one paragraph each unless given),
    with ``static`` as base and the one allowed root."""
    return render_pdf_in_two(
        front or doc("<p>Front</p>"),
        back or doc("<p>Back</p>"),
        base_url=static,
        allowed_roots=[static],
        **options,
    )


def page_texts(data: bytes) -> list[str]:
    return [
        " ".join((page.extract_text() or "").split()) for page in PdfReader(BytesIO(data)).pages
    ]


def outline(data: bytes) -> list:
    """The outline as nested (title, [children]) pairs, and each entry's page index."""
    with pikepdf.open(BytesIO(data)) as pdf:
        pages = {page.objgen: index for index, page in enumerate(pdf.pages)}

        def items(entries):
            return [
                (item.title, pages[item.destination[0].objgen], items(item.children))
                for item in entries
            ]

        with pdf.open_outline() as tree:
            return items(tree.root)


def structure(data: bytes) -> list[str]:
    """The structure elements' types, depth first from the Document element."""
    with pikepdf.open(BytesIO(data)) as pdf:
        found = []

        def walk(element):
            found.append(str(element.S))
            kids = element.get("/K", ())
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    walk(kid)

        (document,) = pdf.Root.StructTreeRoot.K
        walk(document)
        return found


def assert_marked_content_is_mapped(data: bytes) -> None:
    """Every marked-content id drawn on a page resolves, through the page's
    StructParents entry of the parent tree, to a structure element that names this
    page and this id: what a screen reader follows from text to its tag."""
    with pikepdf.open(BytesIO(data)) as pdf:
        nums = pdf.Root.StructTreeRoot.ParentTree.Nums
        parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        assert len(parents) == len(nums) // 2, "parent tree keys repeat"
        for index, page in enumerate(pdf.pages):
            ids = [
                int(operands[1].MCID)
                for operands, operator in pikepdf.parse_content_stream(page)
                if operator == pikepdf.Operator("BDC") and "/MCID" in operands[1]
            ]
            assert ids, f"page {index + 1} has no tagged content"
            elements = parents[int(page.obj.StructParents)]
            for mcid in ids:
                element = elements[mcid]
                kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
                marked = [
                    kid
                    for kid in kids
                    if kid == mcid
                    or (isinstance(kid, pikepdf.Dictionary) and kid.get("/MCID") == mcid)
                ]
                assert marked, f"page {index + 1}: MCID {mcid} is not in its element"
                assert element.Pg.objgen == page.objgen or any(
                    isinstance(kid, pikepdf.Dictionary) and kid.Pg.objgen == page.objgen
                    for kid in marked
                )


def children_of_this_process() -> set[str]:
    pid = os.getpid()
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= set((task / "children").read_text().split())
    return found


@pytest.fixture
def earlier_children() -> set[str]:
    """This process's children before the test: ones that other tests' fixtures
    started (a browser, a worker) are not the render's."""
    return children_of_this_process()


def report_both_ways(report, settings) -> tuple[bytes, bytes]:
    settings.REPORT_PDF_PROCESSES = 1
    whole = services.report_pdf(report, generated_at=GENERATED)
    settings.REPORT_PDF_PROCESSES = 2
    parts = services.report_pdf(report, generated_at=GENERATED)
    assert whole.page_count == parts.page_count
    return whole.data, parts.data


@pytest.fixture
def both_ways(settings):
    """One report with an appendix of several pages, rendered whole and in two parts."""
    built = build_reported_plan(areas=3, actions_per_area=14)
    return report_both_ways(built.report, settings)


def test_the_report_in_two_parts_has_the_whole_reports_pages_word_for_word(both_ways):
    whole, parts = both_ways
    whole_pages, part_pages = page_texts(whole), page_texts(parts)
    assert len(whole_pages) >= 6
    assert part_pages == whole_pages


def test_every_page_of_the_report_in_two_parts_is_numbered_in_the_whole(both_ways):
    _, parts = both_ways
    pages = page_texts(parts)
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
    appendix = next(
        i for i, text in enumerate(pages) if "APPENDIX A: THE ACTION PLAN" in text.upper()
    )
    # The appendix pages, laid out in the other process, carry the cover's running
    # header (committee and meeting), as in the whole report; the cover has none.
    header = "Children and Education Scrutiny Committee, 11 November 2024"
    assert header in pages[appendix]
    assert header in pages[appendix - 1]
    assert header not in pages[0]
    assert "Agenda item No. 6" in pages[appendix]


def test_the_report_in_two_parts_has_the_whole_reports_outline_and_structure(both_ways):
    whole, parts = both_ways
    assert outline(parts) == outline(whole)
    titles = [title for title, _, _ in outline(parts)]
    assert titles[1:] == [
        "Appendix A: the action plan, position as of Q2 2024/25",
        "Appendix B: RAG criteria",
    ]
    assert structure(parts) == structure(whole)
    assert_marked_content_is_mapped(parts)
    with pikepdf.open(BytesIO(parts)) as pdf:
        assert str(pdf.Root.Lang) == "en-GB"
        assert pdf.Root.MarkInfo.Marked
        assert (
            pdf.docinfo.Title
            == "Children's Services Improvement: Action Plan & Progress Monitoring"
        )
        assert pdf.check_pdf_syntax() == []


@pytest.mark.parametrize("processes, can_fork", [(1, True), (2, False)])
def test_one_process_renders_the_report_whole_without_forking(
    settings, monkeypatch, processes, can_fork
):
    """With REPORT_PDF_PROCESSES=1, or where parts cannot be rendered (not Linux)."""
    built = build_reported_plan(areas=1, actions_per_area=2)
    settings.REPORT_PDF_PROCESSES = processes
    monkeypatch.setattr(services, "CAN_RENDER_IN_PARTS", can_fork)

    def no_fork():
        raise AssertionError("forked")

    monkeypatch.setattr(os, "fork", no_fork)
    rendered = services.report_pdf(built.report, generated_at=timezone.now())
    assert "APPENDIX A" in " ".join(page_texts(rendered.data)).upper()


def test_pages_and_running_strings_continue_from_one_part_into_the_next(static, earlier_children):
    front = doc('<p class="who">Scrutiny</p><h1>Front</h1>' + "<p>Line</p>" * 120)
    back = doc('<section class="part"><h1>Back</h1>' + "<p>Row</p>" * 120 + "</section>")
    rendered = in_two(
        static,
        front=front,
        back=back,
        front_stylesheets=[static / "style.css"],
        back_stylesheets=[static / "style.css"],
    )
    pages = page_texts(rendered.data)
    assert rendered.page_count == len(pages) >= 4
    for number, text in enumerate(pages, start=1):
        assert "Scrutiny" in text  # a running string set in the front part only
        assert f"Page {number} of {len(pages)}" in text
    assert [title for title, _, _ in outline(rendered.data)] == ["Front", "Back"]
    assert children_of_this_process() <= earlier_children


def test_a_part_that_fails_fails_the_render_with_its_reason(static, earlier_children):
    with pytest.raises(PdfPartError, match="ValueError: A PDF/UA report needs a language"):
        in_two(static, back=doc("<p>Back</p>", lang=""))
    assert children_of_this_process() <= earlier_children


def test_a_stylesheet_a_part_cannot_load_fails_the_render(static, earlier_children):
    missing = static / "missing.css"
    with pytest.raises(PdfRenderError, match="Stylesheet not loaded"):
        in_two(static, back_stylesheets=[missing])
    assert children_of_this_process() <= earlier_children


def make_the_back_part(monkeypatch, misbehave) -> None:
    """Have the process rendering the back part (its HTML says "Back") call
    ``misbehave`` first: the forked child inherits the patched module."""
    real_render = pdf_parts._render

    def render(html, **kwargs):
        if "Back" in html:
            misbehave()
        return real_render(html, **kwargs)

    monkeypatch.setattr(pdf_parts, "_render", render)


def test_a_part_whose_process_dies_fails_the_render_and_stops_the_other(
    static, monkeypatch, earlier_children
):
    make_the_back_part(monkeypatch, lambda: os._exit(3))
    with pytest.raises(PdfPartError, match="stopped without a word"):
        in_two(static)
    assert children_of_this_process() <= earlier_children


def test_an_interrupted_render_kills_its_parts(static, monkeypatch, earlier_children):
    """A Celery soft time limit raises in the waiting parent: both children go."""
    started = []

    def interrupted(reports, **kwargs):
        started.extend(reports.values())
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(pdf_parts, "_await_parts", interrupted)
    with pytest.raises(SoftTimeLimitExceeded):
        in_two(static, front=doc("<p>Front</p>" * 2000))
    assert len(started) == 2
    assert children_of_this_process() <= earlier_children
    for pid in started:
        assert not Path(f"/proc/{pid}").exists()


def test_joining_keeps_both_outlines_destinations_and_structure(static):
    first = render_pdf(
        doc('<h1 id="one">One</h1><h2 id="one-a">One A</h2><p>Text</p>'),
        base_url=static,
        allowed_roots=[static],
    )
    second = render_pdf(
        doc('<h1 id="two">Two</h1><p>More</p><p style="break-before: page">Last</p>'),
        base_url=static,
        allowed_roots=[static],
    )
    joined = join_tagged_pdfs(first.data, second.data)
    assert joined.page_count == 3 == first.page_count + second.page_count
    assert outline(joined.data) == [("One", 0, [("One A", 0, [])]), ("Two", 1, [])]
    assert structure(joined.data) == [
        "/Document",
        *structure(first.data)[1:],
        *structure(second.data)[1:],
    ]
    assert_marked_content_is_mapped(joined.data)
    with pikepdf.open(BytesIO(joined.data)) as pdf:
        names = pdf.Root.Names.Dests.Names
        destinations = {str(names[i]): names[i + 1] for i in range(0, len(names), 2)}
        assert list(destinations) == ["one", "one-a", "two"]
        assert destinations["two"][0].objgen == pdf.pages[1].objgen
        keys = [int(key) for key in pdf.Root.StructTreeRoot.ParentTree.Nums[::2]]
        assert keys == sorted(set(keys))
        # Both parts subset the same fonts, which WeasyPrint tags alike, by the font:
        # here each part's subsets have names of their own.
        names = []
        for page in pdf.pages:
            found = set()
            for font in page.Resources.Font.values():
                for each in (font, *font.get("/DescendantFonts", ())):
                    found.add(str(each.BaseFont))
                    if "/FontDescriptor" in each:
                        assert each.FontDescriptor.FontName == each.BaseFont
            names.append(found)
        assert names[1] == names[2] and len(names[0]) == 2
        assert not names[0] & names[1]
        assert {name.split("+")[1] for name in names[0]} == {
            name.split("+")[1] for name in names[1]
        }


def test_parts_not_done_in_time_fail_the_render_and_are_stopped(
    static, monkeypatch, earlier_children
):
    """A child stuck for good (on a lock another thread held at the fork, say) fails the
    render at the timeout instead of holding it up for ever."""
    make_the_back_part(monkeypatch, lambda: time.sleep(600))
    started = time.monotonic()
    with pytest.raises(PdfPartError, match="not rendered within 2 seconds"):
        in_two(static, timeout=2)
    assert time.monotonic() - started < 30
    assert children_of_this_process() <= earlier_children

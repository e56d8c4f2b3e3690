"""Rendering a committee report: claimed once, written atomically, failures recorded."""

import datetime as dt
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

import pytest
from django.db import OperationalError
from django.utils import timezone
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from reporting import services
from reporting.models import ReportRender, render_path
from reporting.pdf import pdf_page_count, pdf_text
from tests.reporting.builders import COVER, build_reported_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def built():
    return build_reported_plan(areas=2, actions_per_area=3)


def queued(report, number=1, **fields):
    return ReportRender.objects.create(report=report, number=number, **fields)


def rendered_words(report) -> str:
    """The report rendered as the job renders it: its PDF's text, words single-spaced."""
    render = queued(report)
    services.render_run(render_id=render.pk)
    render.refresh_from_db()
    return " ".join(pdf_text(render.pdf.read()).split())


def test_a_queued_render_becomes_a_ready_pdf(built, settings):
    render = queued(built.report)

    assert services.render_run(render_id=render.pk) is True

    render.refresh_from_db()
    assert render.state == "ready" and render.attempts == 1 and render.error == ""
    data = render.pdf.read()
    assert render.checksum == hashlib.sha256(data).hexdigest()
    assert render.page_count >= 4
    assert render.started_at <= render.finished_at
    text = pdf_text(data)
    for value in ("Children and Education Scrutiny Committee", "Agenda item No. 6", "Page 1 of"):
        assert value in text
    folder = Path(render.pdf.path).parent
    # The PDF and its Word version, nothing half-written beside them.
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        Path(f.name).name for f in (render.docx, render.pdf)
    )


def test_a_second_delivery_of_the_same_job_does_nothing(built):
    render = queued(built.report)
    services.render_run(render_id=render.pk)
    render.refresh_from_db()
    finished = render.finished_at

    assert services.render_run(render_id=render.pk) is False

    render.refresh_from_db()
    assert (render.state, render.attempts, render.finished_at) == ("ready", 1, finished)


def test_a_render_running_elsewhere_is_not_claimed_twice(built):
    render = queued(built.report, state="rendering", attempts=1, started_at=timezone.now())

    assert services.render_run(render_id=render.pk) is False

    render.refresh_from_db()
    assert render.state == "rendering" and render.attempts == 1


def test_a_render_whose_worker_died_is_claimed_again_after_the_time_limit(built, settings):
    long_ago = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    render = queued(built.report, state="rendering", attempts=1, started_at=long_ago)

    assert services.render_run(render_id=render.pk) is True

    render.refresh_from_db()
    assert render.state == "ready" and render.attempts == 2


def test_a_render_run_again_replaces_its_half_written_file_whole(built, settings):
    # Its worker died while the file was being written: what it left is replaced, under
    # the same name, and no temporary file stays behind.
    long_ago = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    render = queued(built.report, state="rendering", attempts=1, started_at=long_ago)
    stem = services.download_filename(built.report).removesuffix(".pdf")
    target = Path(settings.MEDIA_ROOT) / render_path(render, f"{stem}-render-1.pdf")
    target.parent.mkdir(parents=True)
    target.write_bytes(b"%PDF-1.7 half a fi")

    assert services.render_run(render_id=render.pk) is True

    render.refresh_from_db()
    assert Path(render.pdf.path) == target
    data = target.read_bytes()
    assert hashlib.sha256(data).hexdigest() == render.checksum
    assert pdf_page_count(data) == render.page_count > 1
    assert sorted(path.name for path in target.parent.iterdir()) == sorted(
        [target.name, Path(render.docx.name).name]
    )


def test_a_write_that_fails_leaves_the_previous_file_and_no_partial_one(tmp_path, monkeypatch):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"the previous render")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(services.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        services.write_atomically(target, b"the new render")

    assert target.read_bytes() == b"the previous render"
    assert [path.name for path in tmp_path.iterdir()] == ["report.pdf"]


def test_a_render_that_keeps_killing_its_worker_is_given_up(built, settings):
    long_ago = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    render = queued(
        built.report, state="rendering", attempts=services.MAX_ATTEMPTS, started_at=long_ago
    )

    assert services.render_run(render_id=render.pk) is False

    render.refresh_from_db()
    assert render.state == "failed"
    assert f"Gave up after {services.MAX_ATTEMPTS} attempts" in render.error


def test_a_missing_stylesheet_fails_the_render_with_the_reason(built, monkeypatch, tmp_path):
    missing = tmp_path / "gone.css"
    monkeypatch.setattr(services, "REPORT_STYLESHEETS", (missing,))
    monkeypatch.setattr(services, "ALLOWED_ROOTS", (*services.ALLOWED_ROOTS, tmp_path))
    render = queued(built.report)

    assert services.render_run(render_id=render.pk) is False

    render.refresh_from_db()
    assert render.state == "failed" and not render.pdf
    assert "stylesheet" in render.error and "gone.css" in render.error


def test_a_stylesheet_outside_the_allowed_folders_fails_the_render(built, monkeypatch, tmp_path):
    outside = tmp_path / "other.css"
    outside.write_text("body { color: red }")
    monkeypatch.setattr(services, "REPORT_STYLESHEETS", (outside,))
    render = queued(built.report)

    services.render_run(render_id=render.pk)

    render.refresh_from_db()
    assert render.state == "failed" and "outside the allowed directories" in render.error


def test_a_failed_render_can_be_tried_again(
    built, monkeypatch, tmp_path, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "REPORT_STYLESHEETS", (tmp_path / "gone.css",))
    with django_capture_on_commit_callbacks(execute=True):
        first = services.render_request(report=built.report, user=None)
    first.refresh_from_db()
    assert first.state == "failed"
    monkeypatch.undo()

    with django_capture_on_commit_callbacks(execute=True):
        second = services.render_request(report=built.report, user=None)

    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.number, second.state) == (2, "ready")
    assert first.state == "failed" and first.error  # kept, with its reason


def test_any_other_error_fails_the_render_with_the_reason(built, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("the template could not be read")

    monkeypatch.setattr(services, "report_html", broken)
    render = queued(built.report)

    services.render_run(render_id=render.pk)

    render.refresh_from_db()
    assert render.state == "failed"
    assert render.error == "ValueError: the template could not be read"


def test_a_lost_database_connection_puts_the_render_back_for_a_retry(built, monkeypatch):
    def lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "report_html", lost)
    render = queued(built.report)

    with pytest.raises(OperationalError):
        services.render_run(render_id=render.pk)

    render.refresh_from_db()
    assert render.state == "queued" and render.attempts == 1
    monkeypatch.undo()
    assert services.render_run(render_id=render.pk) is True


def test_requesting_a_render_enqueues_it_only_once_committed(
    built, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        render = services.render_request(report=built.report, user=None)
    assert render.state == "queued" and len(callbacks) == 1

    callbacks[0]()

    render.refresh_from_db()
    assert render.state == "ready"


def test_a_second_click_while_queued_returns_the_same_render(
    built, clerk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        first = services.render_request(report=built.report, user=clerk)
        second = services.render_request(report=built.report, user=clerk)

    assert first.pk == second.pk
    assert ReportRender.objects.filter(report=built.report).count() == 1


def test_a_broker_that_cannot_be_reached_leaves_the_render_queued_with_the_reason(
    built, monkeypatch, django_capture_on_commit_callbacks
):
    from reporting import tasks

    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError("Connection refused")

    monkeypatch.setattr(tasks.render_report, "delay", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        render = services.render_request(report=built.report, user=None)

    render.refresh_from_db()
    assert render.state == "queued" and "job queue could not be reached" in render.error


def test_the_download_filename_names_plan_period_committee_and_date(built):
    assert services.download_filename(built.report) == (
        f"{built.plan.slug}-q2-202425-children-and-education-scrutiny-committee-2024-11-11.pdf"
    )


class _Counter(BaseHTTPRequestHandler):
    requests: list

    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def counting_server():
    handler = type("Handler", (_Counter,), {"requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", handler.requests
    finally:
        server.shutdown()
        server.server_close()


def test_a_narrative_with_urls_fetches_nothing_and_the_report_still_renders(built, counting_server):
    base, requests = counting_server
    report = built.report
    report.background = (
        f'<img src="{base}/narrative.png"> and <link rel="stylesheet" href="{base}/x.css">\n\n'
        '<img src="http://127.0.0.1:1/"> <img src="file:///etc/passwd"> '
        "<script>alert(1)</script>"
    )
    report.save()
    render = queued(report)

    services.render_run(render_id=render.pk)

    render.refresh_from_db()
    assert render.state == "ready"
    assert requests == []
    text = pdf_text(render.pdf.read())
    assert f'<img src="{base}/narrative.png">' in text  # shown as the text it is
    assert "root:" not in text


def test_markup_reaching_the_pdf_renderer_is_still_not_fetched(built, counting_server, monkeypatch):
    """Defence in depth: were a template ever to let markup through unescaped, the
    renderer's URL fetcher would still refuse everything but our static files."""
    base, requests = counting_server
    real_html = services.report_html

    def with_injected_markup(report, **kwargs):
        html = real_html(report, **kwargs)
        return html.replace(
            "</body>",
            f'<img src="{base}/injected.png"><img src="file:///etc/passwd">'
            f'<link rel="icon" href="{base}/favicon.ico"></body>',
        )

    monkeypatch.setattr(services, "report_html", with_injected_markup)
    render = queued(built.report)

    services.render_run(render_id=render.pk)

    render.refresh_from_db()
    assert render.state == "ready" and requests == []


def test_the_cover_fields_are_in_the_pdf(built):
    text = rendered_words(built.report)

    for field in ("committee", "report_of", "cabinet_member", "recommendations"):
        assert " ".join(COVER[field].split()) in text, field
    assert "11 November 2024" in text and "Q2 2024/25" in text


def test_every_page_has_the_header_and_footer(built):
    generated_at = dt.datetime(2024, 11, 1, 9, 30, tzinfo=dt.UTC)
    render = queued(built.report)
    services.render_run(render_id=render.pk, now=generated_at)
    render.refresh_from_db()

    pages = [" ".join(p.extract_text().split()) for p in PdfReader(render.pdf.open("rb")).pages]

    assert len(pages) == render.page_count > 2
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text, number
        assert "Position as of Q2 2024/25 · generated 1 Nov 2024" in text, number
        if number > 1:  # the cover names the committee and date in full instead
            assert "Children and Education Scrutiny Committee, 11 November 2024" in text, number


def test_the_report_is_a_pdf_ua_document_in_british_english_titled_as_the_report(built):
    render = queued(built.report)
    services.render_run(render_id=render.pk)
    render.refresh_from_db()

    reader = PdfReader(render.pdf.open("rb"))
    catalog = reader.trailer["/Root"]

    assert catalog["/Lang"] == "en-GB"
    assert "/StructTreeRoot" in catalog and catalog["/MarkInfo"]["/Marked"].value is True
    assert 'pdfuaid:part="1"' in catalog["/Metadata"].get_object().get_data().decode()
    assert reader.metadata.title == COVER["title"]


def test_no_text_runs_off_the_page(built):
    """The appendix table's eight columns (with their padding) fit the landscape page:
    every piece of text on it starts inside the margins. Before they did, the last
    column, Outcome Measure RAG, began beyond the page's edge and was cut off. (Text in
    the charts is left out: pypdf does not place SVG text reliably.)"""
    render = queued(built.report)
    services.render_run(render_id=render.pk)
    render.refresh_from_db()

    margin_pt = 12 * 72 / 25.4  # the smallest page margin is 12 mm
    outside, landscape_columns = [], set()
    for number, page in enumerate(PdfReader(render.pdf.open("rb")).pages, start=1):
        width = float(page.mediabox.width)
        if width < 800:
            continue  # portrait pages

        def visit(text, cm, tm, font_dict, font_size, number=number, width=width):
            if text.strip():
                x = tm[4] * cm[0] + cm[4]  # where the text starts, in points
                if x > width - margin_pt:
                    outside.append((number, round(x), text.strip()))
                if text.strip() == "Outcome":
                    landscape_columns.add(number)

        page.extract_text(visitor_text=visit)

    assert landscape_columns, "the appendix should be on landscape pages"
    assert outside == []


def test_each_exception_names_its_rating_and_says_what_is_being_done(built):
    """The exceptions carry their rating as a word in the item's label (the bar beside
    it has the rating's colour), then the commentary, remedial action, accountability and
    revised date, as words a reader finds in the PDF's text."""
    first, second = built.actions[:2]
    text = rendered_words(built.report)
    exceptions = text[text.index("Exceptions: red, amber") : text.index("Not updated this period")]

    assert (
        f"{first.ref} Red · Action: {first.text} "
        "Commentary: Recruitment of personal advisers is behind plan. "
        "Remedial action: Agency personal advisers engaged until recruitment completes. "
        "(Head of Service, by 31 Jan 2025) · Accountability: Service Director – Practice · "
        "Revised date: not revised; due 31 Dec 2024"
    ) in exceptions
    assert f"{second.ref} Amber · Action · due date revised: {second.text}" in exceptions
    assert "Revised date: 28 Feb 2025 (first agreed 31 Dec 2024)" in exceptions
    assert f"{first.ref} Red · Outcome measure: {built.measures[0].text}" in exceptions
    assert "Commentary: Dip sample 6 of 10 compliant." in exceptions
    html = services.report_html(built.report, generated_at=timezone.now())
    assert html.count('<div class="exception bar-red">') == 2
    assert html.count('<div class="exception bar-amber">') == 1


def figure_alternative_texts(data: bytes) -> list[str]:
    """The alternative text of every figure in a tagged PDF's structure tree."""
    reader = PdfReader(BytesIO(data))
    found, stack = [], [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop().get_object()
        if isinstance(node, ArrayObject):
            stack.extend(node)
        elif isinstance(node, DictionaryObject):
            if node.get("/S") == "/Figure" and "/Alt" in node:
                found.append(str(node["/Alt"]))
            if "/K" in node:
                stack.append(node["/K"])
    return found


def test_the_charts_are_figures_whose_alternative_text_gives_their_figures(built):
    measure = built.measures[0]  # one dip sample: 6 of 10 on 15 September 2024
    render = queued(built.report)
    services.render_run(render_id=render.pk)
    render.refresh_from_db()

    alts = figure_alternative_texts(render.pdf.read())

    chart = next(alt for alt in alts if alt.startswith(f"{measure.action.ref}: {measure.text}"))
    assert "Results: Sep 24 60%." in chart
    assert "Target 90%" in chart
    # The progress summary's charts too: the counts by area, in words.
    by_area = next(alt for alt in alts if alt.startswith("Action RAG by area "))
    assert f"{built.recommendations[0].ref}. " in by_area and "1 Red" in by_area


def test_each_outcome_measure_gives_its_rating_and_figures_above_its_chart(built):
    """One card per measure with a result or a comparator: the measure, its rating as a
    word, the latest result with its date against the target and tolerance, the
    comparators where recorded, then the chart of its results."""
    sampled, performance = built.measures[0], built.measures[-1]
    text = rendered_words(built.report)
    section = text[text.index("Outcome measures and performance") : text.index("APPENDIX A")]

    assert (
        f"{sampled.action.ref} M1 {sampled.text} "
        "Red Latest result: 60% (15 Sep 2024) · Target: 90%, tolerance 10"
    ) in section
    assert (
        f"{performance.action.ref} M1 {performance.text} "
        "Green Latest result: 46.3% (30 Sep 2024) · Target: 90%, tolerance 10 · "
        "National: 56% · Statistical neighbours: 52%"
    ) in section
    # The measures with nothing recorded against them have no card: they are counted.
    html = services.report_html(built.report, generated_at=timezone.now())
    assert html.count('<div class="measure-card">') == 2
    assert "4 other measures have a target but no result recorded yet" in html
    cards = html[html.index('<div class="measure-cards">') :]
    assert cards.count('<img class="chart-image"') == 2


def test_long_area_titles_are_printed_whole_and_long_tables_repeat_their_headers():
    """An area's title is never cut ("…to ensu…") and the action plan's table, running
    over several landscape pages, has its column headings at the top of each."""
    built = build_reported_plan(areas=3, actions_per_area=9)
    long_title = (
        "The quality of support, advice, and guidance for care leavers, including those "
        "with additional vulnerabilities, to ensure that this is timely, consistent, and "
        "responsive to levels of need"
    )
    type(built.recommendations[0]).objects.filter(pk=built.recommendations[0].pk).update(
        title=long_title
    )
    render = queued(built.report)
    services.render_run(render_id=render.pk)
    render.refresh_from_db()
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(render.pdf.open("rb")).pages]
    text = " ".join(pages)

    assert f"1. {long_title}" in text
    start = next(i for i, page in enumerate(pages) if "THE ACTION PLAN, POSITION AS OF" in page)
    appendix = [page for page in pages[start:] if "RAG CRITERIA" not in page]
    assert len(appendix) >= 2, "the action plan should run over more than one page"
    for page in appendix:
        assert "Ref Outcome Actions Outcome measure Timescale" in page

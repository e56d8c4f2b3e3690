"""A committee report's appendices: listed in section 12, uploaded PDFs checked and
merged into the pack in order, the merged pack still tagged and page-numbered."""

import io

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from reporting import appendices, services
from reporting.content import report_sections
from reporting.models import ReportAppendix, ReportRender
from tests.reporting.builders import build_reported_plan

pytestmark = pytest.mark.django_db


def pdf_of(pages: int, *, landscape: bool = False) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(842, 595) if landscape else (595, 842))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "letter.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


@pytest.fixture
def built():
    return build_reported_plan(areas=1, actions_per_area=2)


def test_a_new_report_lists_the_generated_appendices_in_section_12(built):
    report = services.report_create(
        plan=built.plan, period=built.q2, user=None, committee="C", meeting_date=built.q2.end
    )
    listed = [(a.label, a.kind) for a in report.appendix_entries.all()]
    section = next(s for s in report_sections(report) if s.number == 12)

    assert listed == [("A", "plan"), ("B", "criteria")]
    assert [(p.number, p.text) for p in section.paragraphs] == [
        ("12.1", f"Appendix A – {appendices.PLAN_TITLE}"),
        ("12.2", f"Appendix B – {appendices.CRITERIA_TITLE}"),
    ]


@pytest.mark.parametrize("processes", [1, 2])
def test_uploaded_appendices_are_merged_in_order_and_numbered_with_the_report(
    built, settings, processes
):
    settings.REPORT_PDF_PROCESSES = processes  # the report laid out whole, or in two parts
    report = built.report
    appendices.appendix_add(
        report=report, label="C", title="Ofsted letter", upload=upload(pdf_of(2))
    )
    appendices.appendix_add(
        report=report,
        label="D",
        title="Programme overview",
        upload=upload(pdf_of(1, landscape=True)),
    )
    appendices.appendix_add(report=report, label="E", title="Listed only", upload=None)
    render = ReportRender.objects.create(report=report, number=1)

    assert services.render_run(render_id=render.pk)

    render.refresh_from_db()
    data = render.pdf.read()
    reader = PdfReader(io.BytesIO(data))
    total = len(reader.pages)
    assert render.page_count == total
    texts = [" ".join(page.extract_text().split()) for page in reader.pages]
    # Every page, the report's own and the appended ones, counts all of them.
    assert all(f"of {total}" in text for text in texts)
    assert [f"Page {n} of {total}" in texts[n - 1] for n in (total - 2, total - 1, total)] == [
        True
    ] * 3
    assert reader.pages[-1].mediabox.width > reader.pages[-1].mediabox.height  # as uploaded
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert "/StructTreeRoot" in pdf.Root  # the report's tags are kept
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
    assert titles[-2:] == ["Appendix C: Ofsted letter", "Appendix D: Programme overview"]
    section = next(s for s in report_sections(report) if s.number == 12)
    assert [p.text for p in section.paragraphs][2:] == [
        "Appendix C – Ofsted letter",
        "Appendix D – Programme overview",
        "Appendix E – Listed only",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a not a pdf", "Only PDF files"),
        (b"%PDF-1.7 garbage", "cannot be read|has no pages"),
    ],
)
def test_an_upload_that_is_not_a_readable_pdf_is_refused(built, data, message):
    with pytest.raises(ValidationError, match=message):
        appendices.appendix_add(report=built.report, label="C", title="x", upload=upload(data))

    assert not built.report.appendix_entries.filter(label="C").exists()


def test_an_upload_over_the_size_limit_or_with_a_password_is_refused(built, settings):
    settings.REPORT_APPENDIX_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="larger than"):
        appendices.appendix_add(report=built.report, label="C", title="x", upload=upload(pdf_of(3)))

    settings.REPORT_APPENDIX_MAX_BYTES = 10 * 1024 * 1024
    locked = io.BytesIO()
    pdf = pikepdf.open(io.BytesIO(pdf_of(1)))
    pdf.save(locked, encryption=pikepdf.Encryption(owner="o", user="u"))
    with pytest.raises(ValidationError, match="password"):
        appendices.appendix_add(
            report=built.report, label="C", title="x", upload=upload(locked.getvalue())
        )


def test_a_label_is_used_once_and_generated_appendices_cannot_be_removed(built):
    appendices.appendices_set_up(report=built.report)
    with pytest.raises(ValidationError, match="already has an Appendix A"):
        appendices.appendix_add(report=built.report, label="a", title="x", upload=None)
    with pytest.raises(ValidationError, match="generated appendices"):
        appendices.appendix_delete(appendix=built.report.appendix_entries.get(label="A"))


def test_the_clerk_adds_and_removes_an_appendix_on_the_report_page(client, built, clerk):
    client.force_login(clerk)

    response = client.post(
        reverse("reporting:appendix_add", args=[built.report.pk]),
        {"label": "C", "title": "Ofsted letter", "file": upload(pdf_of(1))},
    )
    added = ReportAppendix.objects.get(report=built.report, label="C")
    refused = client.post(
        reverse("reporting:appendix_add", args=[built.report.pk]),
        {"label": "D", "title": "Photo", "file": upload(b"\x89PNG....", "photo.png")},
    )
    removed = client.post(reverse("reporting:appendix_delete", args=[added.pk]))

    assert response.status_code == 302 and added.pages == 1
    assert refused.status_code == 400
    assert "Only PDF files can be appended" in refused.content.decode()
    assert removed.status_code == 302
    assert not ReportAppendix.objects.filter(pk=added.pk).exists()


def test_a_reader_cannot_add_appendices(client, built, board_member):
    client.force_login(board_member)

    response = client.post(
        reverse("reporting:appendix_add", args=[built.report.pk]),
        {"label": "C", "title": "x"},
    )

    assert response.status_code == 403
    assert not built.report.appendix_entries.filter(label="C").exists()

"""The committee report as a Word document: the same content as the PDF, read back."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from docx import Document

from reporting.models import ReportRender
from reporting.services import render_run
from reporting.template import COUNCIL_TEMPLATE
from reporting.word import docx_text
from tests.reporting.builders import build_reported_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def rendered():
    built = build_reported_plan(areas=2, actions_per_area=3)
    built.plan.example_data = True
    built.plan.save()
    built.report.financial_implications = "Investment.\n\nMore investment."
    built.report.not_applicable = ["background_documents"]
    built.report.save()
    render = ReportRender.objects.create(report=built.report, number=1)
    assert render_run(render_id=render.pk)
    render.refresh_from_db()
    return built, render


def test_a_render_makes_a_word_version_with_the_councils_sections_as_headings(rendered):
    _, render = rendered

    rows = docx_text(render.docx.read())

    headings = [(style, text) for style, text in rows if style.startswith("Heading")]
    numbered = [text for style, text in headings if style == "Heading 2" and text[0].isdigit()]
    assert numbered == [f"{s.number}. {s.heading}" for s in COUNCIL_TEMPLATE]
    assert ("Heading 3", "Progress against the action plan") in headings
    assert ("Heading 3", "Financial Implications") in headings
    assert headings[0][0] == "Heading 1"
    texts = [text for _, text in rows]
    assert "10.1\tInvestment." in texts and "10.2\tMore investment." in texts
    assert "11.1\tN/A" in texts


def test_the_word_versions_tables_are_word_tables_and_charts_have_alt_text(rendered):
    _, render = rendered
    data = render.docx.read()
    document = Document(io.BytesIO(data))

    rows = docx_text(data)
    assert (
        "Table",
        "Is this a Major Policy Item/Statutory Plan? | NO | If yes, date for Cabinet meeting | N/A",
    ) in rows
    summary = next(t for t in document.tables if t.cell(0, 0).text == "Area for improvement")
    assert summary.style.name == "Table Grid"
    assert summary.rows[0]._tr.trPr is not None  # the header row repeats on each page
    pictures = document.inline_shapes
    assert len(pictures) >= 3
    alts = [shape._inline.docPr.get("descr") for shape in pictures]
    assert all(alts) and any(alt.startswith("Action RAG by area") for alt in alts)


def test_the_word_version_says_example_data_in_its_footer_and_on_its_cover(rendered):
    _, render = rendered
    document = Document(io.BytesIO(render.docx.read()))

    footer = document.sections[0].footer.paragraphs[0].text
    assert footer.startswith("Example data: ratings are illustrative, not the council's")
    assert any(
        p.text.startswith("Example data: ratings are illustrative") for p in document.paragraphs
    )


def test_the_word_version_downloads_beside_the_pdf(client, rendered, clerk):
    built, render = rendered
    client.force_login(clerk)

    page = client.get(built.report.get_absolute_url()).content.decode()
    response = client.get(reverse("reporting:render_download_docx", args=[render.pk]))

    assert reverse("reporting:render_download_docx", args=[render.pk]) in page
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert response["Content-Disposition"].endswith('.docx"')
    assert b"".join(response.streaming_content).startswith(b"PK")


def test_render_report_writes_the_word_version_too(tmp_path):
    built = build_reported_plan(areas=1, actions_per_area=2)
    out, word = tmp_path / "r.pdf", tmp_path / "r.docx"

    call_command("render_report", "--plan", built.plan.slug, "-o", str(out), "--docx", str(word))

    assert ("Heading 2", "1. Origin of report") in docx_text(word.read_bytes())

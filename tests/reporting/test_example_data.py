"""An example plan's illustrative ratings never pass for real: every page that shows the
plan, the report's PDF (cover and every page's footer) and every export say so."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from plans.models import EXAMPLE_DATA_NOTE
from reporting.models import ReportRender
from reporting.pdf import pdf_page_count
from reporting.services import render_run
from tests.reporting.builders import build_reported_plan

pytestmark = pytest.mark.django_db

NOTE = "Example data: ratings are illustrative, not the council&#x27;s"


@pytest.fixture
def example():
    built = build_reported_plan(areas=1, actions_per_area=3)
    built.plan.example_data = True
    built.plan.save()
    return built


def _pages(built) -> dict[str, str]:
    action = built.plan.actions.order_by("pk").first()
    return {
        "plan": reverse("plans:plan", args=[built.plan.slug]),
        "action": reverse("plans:action", args=[action.pk]),
        "recommendation": reverse("plans:recommendation", args=[action.recommendation_id]),
        "periods": reverse("plans:plan_periods", args=[built.plan.slug]),
        "dashboard": reverse("board:dashboard") + f"?plan={built.plan.slug}",
        "dashboard recommendation": reverse(
            "board:recommendation", args=[action.recommendation_id]
        ),
        "report": built.report.get_absolute_url(),
        "report preview": reverse("reporting:report_preview", args=[built.report.pk]),
        "report edit": reverse("reporting:report_edit", args=[built.report.pk]),
        "plan list": reverse("plans:plan_list"),
    }


def test_every_page_showing_an_example_plan_carries_the_banner(client, example, plan_admin):
    client.force_login(plan_admin)

    missing = [
        name
        for name, url in _pages(example).items()
        if NOTE not in client.get(url).content.decode()
    ]

    assert missing == []


def test_a_real_plans_pages_carry_no_banner(client, plan_admin):
    built = build_reported_plan(areas=1, actions_per_area=2)
    client.force_login(plan_admin)

    shown = [
        name
        for name, url in _pages(built).items()
        if "Example data" in client.get(url).content.decode()
    ]

    assert shown == []


def test_the_pdf_says_so_on_its_cover_and_in_every_pages_footer(example):
    from pypdf import PdfReader

    render = ReportRender.objects.create(report=example.report, number=1)
    render_run(render_id=render.pk)
    render.refresh_from_db()

    data = render.pdf.read()
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    assert len(pages) == pdf_page_count(data) > 2
    assert all(EXAMPLE_DATA_NOTE in " ".join(text.split()) for text in pages)
    cover = " ".join(pages[0].split())
    assert "not the council's position" in cover


def test_every_export_of_an_example_plan_says_so(client, example, plan_admin):
    client.force_login(plan_admin)
    slug = example.plan.slug

    plan_csv = client.get(reverse("plans:plan_export", args=[slug]) + "?format=csv")
    rows = list(csv.reader(io.StringIO(plan_csv.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "Example data"
    assert {row[-1] for row in rows[1:] if row[1:] != [""] * (len(row) - 1)} == {EXAMPLE_DATA_NOTE}

    plan_xlsx = client.get(reverse("plans:plan_export", args=[slug]) + "?format=xlsx")
    sheet = load_workbook(io.BytesIO(plan_xlsx.content)).active
    assert sheet.cell(row=1, column=sheet.max_column).value == "Example data"

    positions = client.get(reverse("plans:plan_positions_xlsx", args=[slug]))
    sheet = load_workbook(io.BytesIO(positions.content)).active
    assert sheet.cell(row=3, column=1).value == f"{EXAMPLE_DATA_NOTE}."

    for fmt in ("csv", "xlsx"):
        response = client.get(
            reverse("board:export"),
            {"plan": slug, "table": "actions", "format": fmt},
        )
        if fmt == "csv":
            table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        else:
            table = [list(r) for r in load_workbook(io.BytesIO(response.content)).active.values]
        assert table[0][-1] == "Example data" and len(table) > 1
        assert {row[-1] for row in table[1:]} == {EXAMPLE_DATA_NOTE}


def test_a_real_plans_exports_have_no_example_column(client, plan_admin):
    built = build_reported_plan(areas=1, actions_per_area=2)
    client.force_login(plan_admin)

    plan_csv = client.get(reverse("plans:plan_export", args=[built.plan.slug]) + "?format=csv")
    dashboard = client.get(
        reverse("board:export"),
        {"plan": built.plan.slug, "table": "actions", "format": "csv"},
    )

    assert "Example data" not in plan_csv.content.decode("utf-8-sig")
    assert "Example data" not in dashboard.content.decode("utf-8-sig")

"""python manage.py render_report: the same PDF without a worker."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from reporting.models import ReportRender
from reporting.pdf import pdf_page_count, pdf_text
from tests import factories
from tests.reporting.builders import build_reported_plan

pytestmark = pytest.mark.django_db


def test_it_renders_the_latest_closed_periods_report_to_a_file(tmp_path, capsys):
    built = build_reported_plan(areas=1, actions_per_area=3)
    out = tmp_path / "report.pdf"

    call_command("render_report", "--plan", built.plan.slug, "-o", str(out))

    data = out.read_bytes()
    text = pdf_text(data)
    assert "Q2 2024/25" in text and "Recruitment of personal advisers" in text
    assert f"{pdf_page_count(data)} pages" in capsys.readouterr().out
    assert not ReportRender.objects.exists()  # nothing recorded: it is a one-off
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_it_renders_a_named_period(tmp_path):
    built = build_reported_plan(areas=1, actions_per_area=3)
    factories.CommitteeReportFactory(plan=built.plan, period=built.q1, agenda_item="12")
    out = tmp_path / "q1.pdf"

    call_command(
        "render_report", "--plan", built.plan.slug, "--period", "Q1 2024/25", "-o", str(out)
    )

    text = pdf_text(out.read_bytes())
    assert "Q1 2024/25" in text and "Agenda item No. 12" in text


def test_without_a_report_for_the_period_it_starts_from_the_plans_previous_one(tmp_path):
    built = build_reported_plan(areas=1, actions_per_area=3)
    out = tmp_path / "q1.pdf"

    with pytest.raises(CommandError, match="give --meeting-date"):
        call_command(
            "render_report", "--plan", built.plan.slug, "--period", "Q1 2024/25", "-o", str(out)
        )
    call_command(
        "render_report",
        *("--plan", built.plan.slug, "--period", "Q1 2024/25", "-o", str(out)),
        *("--meeting-date", "2024-08-01"),
    )

    text = pdf_text(out.read_bytes())
    assert "Q1 2024/25" in text and "1 August 2024" in text
    assert "Children and Education Scrutiny Committee" in text


def test_a_plan_with_no_report_needs_a_committee_and_date(tmp_path):
    built = build_reported_plan(areas=1, actions_per_area=1)
    built.report.delete()
    out = tmp_path / "x.pdf"

    with pytest.raises(CommandError, match="give --committee and --meeting-date"):
        call_command("render_report", "--plan", built.plan.slug, "-o", str(out))

    call_command(
        "render_report",
        "--plan",
        built.plan.slug,
        "-o",
        str(out),
        "--committee",
        "Corporate Parenting Committee",
        "--meeting-date",
        "2025-01-20",
    )
    assert "20 January 2025" in pdf_text(out.read_bytes())


def test_unknown_plans_and_periods_are_refused(tmp_path):
    built = build_reported_plan(areas=1, actions_per_area=1)

    with pytest.raises(CommandError, match="No plan"):
        call_command("render_report", "--plan", "nope", "-o", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match="Q1 2024/25, Q2 2024/25, Q3 2024/25"):
        call_command("render_report", "--plan", built.plan.slug, "--period", "Q9", "-o", "x.pdf")


def test_a_plan_with_no_closed_period_needs_one_named(tmp_path):
    plan = factories.PlanFactory()
    factories.PeriodFactory(plan=plan, start=dt.date(2024, 4, 1), end=dt.date(2024, 6, 30))

    with pytest.raises(CommandError, match="no closed period"):
        call_command("render_report", "--plan", plan.slug, "-o", str(tmp_path / "x.pdf"))

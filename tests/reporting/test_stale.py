"""Narrative copied from the previous report that still names the period before the
report's own is flagged on the report page, naming the section and the words."""

import pytest
from django.urls import reverse

from reporting.stale import stale_references
from tests.reporting.builders import build_reported_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def built():
    """The report is as of Q2 2024/25 (July to September 2024); Q1 is the period before."""
    return build_reported_plan(areas=1, actions_per_area=3)


def flagged(report, **texts) -> list[tuple[str, str]]:
    for field, text in texts.items():
        setattr(report, field, text)
    report.save()
    return [(ref.section, ref.text) for ref in stale_references(report)]


@pytest.mark.parametrize(
    "words",
    [
        "Q1 2024/25",
        "q1 2024-25",
        "2024/25 Q1",
        "Quarter 1 2024/25",
        "Q1 of 2024/25",
        "Q1 24/25",
        "Q1 FY2024/25",
        "June 2024",
        "Jun 2024",
        "April 2024",
    ],
)
def test_each_way_of_naming_the_period_before_is_flagged(built, words):
    text = f"Supervision compliance stood at 71% at the end of {words}, below target."
    assert flagged(built.report, background=text) == [("4. Background and key issues", words)]


@pytest.mark.parametrize(
    "words",
    [
        "Q2 2024/25",  # the report's own period
        "September 2024",
        "Q1 2025/26",  # a year later
        "June 2025",
        "2024/25",
        "Q12 2024/25",
        "the first quarter",
    ],
)
def test_other_periods_are_not_flagged(built, words):
    assert flagged(built.report, background=f"Compliance at the end of {words} was 80%.") == []


def test_every_section_is_checked_and_named(built):
    found = flagged(
        built.report,
        recommendations="Note progress since Q1 2024/25.",
        financial_implications="Spend to June 2024 was within budget.",
    )
    assert ("Recommendations", "Q1 2024/25") in found
    assert ("10. Implications: Financial implications", "June 2024") in found


def test_a_section_marked_not_applicable_is_not_checked(built):
    built.report.not_applicable = ["consultation"]
    assert flagged(built.report, consultation="As reported in Q1 2024/25.") == []


def test_a_plans_first_period_has_nothing_to_compare(built):
    built.report.period = built.plan.periods.get(label="Q1 2024/25")
    assert flagged(built.report, background="Q1 2024/25 and March 2024.") == []


def test_the_report_page_lists_them_before_rendering(client, built, clerk):
    built.report.background = "At the end of Q1 2024/25 the service had 41 advisers."
    built.report.save()
    client.force_login(clerk)

    page = client.get(built.report.get_absolute_url()).content.decode()

    assert "Check 1 mention of Q1 2024/25" in page
    assert "<strong>4. Background and key issues</strong>: “Q1 2024/25”" in page
    assert "At the end of Q1 2024/25 the service had 41 advisers." in page
    assert page.index("stale-references") < page.index("<h2>PDF and Word</h2>")
    assert reverse("reporting:report_edit", args=[built.report.pk]) in page

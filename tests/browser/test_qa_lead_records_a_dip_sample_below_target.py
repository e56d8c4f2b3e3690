"""Journey 3: a QA lead records a dip sample below target with mitigation, sees the measure
turn Amber, and the chart gain the new result."""

import datetime as dt

import pytest

from audits import services as audit_services
from audits.models import DipSample
from plans import roles, services
from plans.models import Measure
from tests import factories
from tests.browser.conftest import (
    PLAYWRIGHT_MISSING,
    axe_violations,
    fill_date,
    follow_nav,
    open_quarter,
    sign_in,
)

# Without playwright this module is skipped, with the reason, rather than failing to import.
expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect

TODAY = services.local_today()
SAMPLED = TODAY - dt.timedelta(days=7)


def _audited_measure(qa_lead) -> Measure:
    plan = factories.PlanFactory(slug="children-2024", title="Children's services improvement plan")
    open_quarter(plan)
    post = factories.OwnerFactory(post="Head of Service – Assessment")
    rec = factories.RecommendationFactory(
        plan=plan, ref="2", title="Management oversight of assessments"
    )
    action = factories.ActionFactory(
        recommendation=rec,
        ref="2.1",
        text="Team managers record a rationale on every assessment",
        due_date=TODAY + dt.timedelta(days=120),
        owners=[post],
    )
    measure = factories.MeasureFactory(
        action=action,
        text="3 x monthly dip sample of assessments, then review. Target 90% with a "
        "recorded management rationale.",
        target=90,
        tolerance=10,
    )
    first_round = TODAY - dt.timedelta(days=23)
    factories.AuditScheduleFactory(measure=measure, rounds=3, first_due=first_round)
    audit_services.dip_sample_record(
        measure=measure, user=qa_lead, sampled_on=TODAY - dt.timedelta(days=34), sample_size=12,
        compliant=11, findings="Rationale recorded on all but one assessment.",
    )  # fmt: skip
    return measure


def test_a_qa_lead_records_a_dip_sample_below_target_with_mitigation_and_the_measure_turns_amber(
    page, screenshot
):
    qa_lead = factories.UserFactory(
        username="qa", first_name="Priya", last_name="Shah", role=roles.QA_LEAD
    )
    measure = _audited_measure(qa_lead)

    sign_in(page, "qa")
    follow_nav(page, "Audits")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audits and outcome measures")
    row = page.get_by_role("row").filter(has_text="dip sample of assessments")
    expect(row.locator(".rag")).to_have_text("Green")
    expect(row).to_contain_text("91.7%")
    assert axe_violations(page) == []
    screenshot(page, "qa-overview")

    row.get_by_role("link", name="2.1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("2.1 outcome measure")
    position = page.get_by_role("region", name="Current RAG")
    expect(position.locator(".rag").first).to_have_text("Green")
    chart = page.locator("figure.measure-chart svg")
    expect(chart.locator("circle.point")).to_have_count(1)
    assert axe_violations(page) == []

    page.get_by_role("link", name="Record a dip sample").click()
    fill_date(page, "Date sampled", SAMPLED)
    page.get_by_label("Case files sampled").fill("10")
    page.get_by_label("Of which compliant").fill("7")
    page.get_by_label("Findings").fill(
        "Three assessments closed without a manager's rationale, all in the same team."
    )
    page.get_by_label("Mitigation").fill(
        "Weekly oversight clinic in that team; the practice lead reviews each closure."
    )
    page.get_by_role("button", name="Work out the result").click()
    expect(page.locator("#sample-result")).to_have_text("70.0%")
    expect(page.locator(".result-field .rag")).to_have_text("Amber")
    assert axe_violations(page) == []
    screenshot(page, "dip-sample-form")
    page.get_by_role("button", name="Save dip sample").click()
    page.wait_for_load_state()

    expect(page.get_by_role("heading", level=1)).to_have_text("2.1 outcome measure")
    expect(page.get_by_role("status").first).to_contain_text("7 of 10 compliant (70.0%)")
    expect(position.locator(".rag").first).to_have_text("Amber")
    expect(chart.locator("circle.point")).to_have_count(2)
    expect(chart.locator("desc")).to_contain_text("70")
    samples = page.get_by_role("table").filter(has_text="Findings and mitigation")
    expect(samples.get_by_role("row").nth(1)).to_contain_text("Weekly oversight clinic")
    assert axe_violations(page) == []
    screenshot(page, "measure-page")

    follow_nav(page, "Audits")
    expect(row.locator(".rag")).to_have_text("Amber")
    expect(row).to_contain_text("70.0%")
    assert axe_violations(page) == []

    sample = DipSample.objects.get(measure=measure, sampled_on=SAMPLED)
    assert (sample.auditor, sample.compliant) == (qa_lead, 7)

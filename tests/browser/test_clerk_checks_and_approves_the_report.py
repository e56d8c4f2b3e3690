"""A committee clerk opens a report whose narrative was copied from the previous one, is
shown the mention of the earlier quarter in its section, corrects it, and approves the
report, which then says who approved it and when and can no longer be edited; on a
desktop and on a phone."""

import pytest

from plans import roles
from tests import factories
from tests.browser.conftest import PLAYWRIGHT_MISSING, axe_violations, page_overflow, sign_in
from tests.reporting.builders import build_reported_plan

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect


@pytest.mark.parametrize("width", [1280, 390])
def test_a_clerk_corrects_a_stale_quarter_and_approves_the_report(page, screenshot, width):
    page.set_viewport_size({"width": width, "height": 900})
    built = build_reported_plan(areas=1, actions_per_area=3)
    report = built.report
    report.background = (
        "At the end of Q1 2024/25, 41 of 48 care leavers had a named personal adviser.\n\n"
        "Recruitment of two more advisers continues."
    )
    report.save()
    factories.UserFactory(
        username="clerk", first_name="Alex", last_name="Morgan", role=roles.COMMITTEE_CLERK
    )

    sign_in(page, "clerk")
    page.goto(report.get_absolute_url())
    flags = page.locator("#stale-references")
    expect(flags.get_by_role("heading")).to_have_text("Check 1 mention of Q1 2024/25")
    expect(flags).to_contain_text("4. Background and key issues: “Q1 2024/25”")
    expect(page.locator("#report-status")).to_contain_text("Draft")
    assert page_overflow(page) <= 0
    assert axe_violations(page) == []
    screenshot(page, f"clerk-report-stale-{width}")

    flags.get_by_role("link", name="the cover and sections").click()
    page.get_by_label("Background and key issues", exact=True).fill(
        "At the end of Q2 2024/25, 44 of 48 care leavers had a named personal adviser.\n\n"
        "Recruitment of two more advisers continues."
    )
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state()
    expect(page.locator("#stale-references")).to_have_count(0)

    page.get_by_role("button", name="Approve the report").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Report approved.")).to_be_visible()
    expect(page.locator("#report-status")).to_contain_text("Approved by Alex Morgan")
    expect(page.get_by_role("link", name="Edit cover and sections")).to_have_count(0)
    expect(page.get_by_role("button", name="Move back to draft")).to_be_visible()
    expect(page.get_by_role("button", name="Add appendix")).to_have_count(0)
    assert page_overflow(page) <= 0
    assert axe_violations(page) == []
    screenshot(page, f"clerk-report-approved-{width}")

    report.refresh_from_db()
    assert report.is_approved and report.approved_by.username == "clerk"

"""The plan administrator edits a plan's structure in the admin, restyled to the
product's look: a short, sectioned plan page whose recommendations link to their own
pages, on a desktop (1280 px) and a phone (390 px), never wider than the screen."""

import pytest
from django.core.management import call_command

from plans.models import Plan
from tests.browser.conftest import PLAYWRIGHT_MISSING, page_overflow, sign_in

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect

PASSWORD = "pw-for-tests-1"  # noqa: S105
# The 2024 plan's edit page was 9,098 px long at 1280 px with every recommendation inline.
LONGEST_PLAN_PAGE = 3_000


@pytest.mark.parametrize(("width", "suffix"), [(1280, ""), (390, "-phone")])
def test_a_plan_administrator_goes_from_a_plan_to_a_recommendation_and_an_action(
    page, monkeypatch, roles_present, screenshot, width, suffix
):
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    quiet = open("/dev/null", "w")  # noqa: SIM115
    call_command("load_examples", stdout=quiet)
    call_command("create_demo_users", stdout=quiet)
    plan = Plan.objects.get(slug="ilacs-2024")
    rec = plan.recommendations.get(ref="1")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "admin", PASSWORD)

    page.goto(f"/admin/plans/plan/{plan.pk}/change/")
    for section in ("Inspection", "Ratings", "Recommendations", "Reporting periods"):
        expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()
    height = page.evaluate("document.documentElement.scrollHeight")
    if width == 1280:
        assert height < LONGEST_PLAN_PAGE, height
    assert page_overflow(page) == 0
    screenshot(page, f"admin-plan{suffix}")

    page.locator("table.linked-rows").get_by_role("link", name="1", exact=True).click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Actions", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Add an action")).to_be_visible()
    assert page_overflow(page) == 0
    screenshot(page, f"admin-recommendation{suffix}")

    action = rec.actions.order_by("position", "pk").first()
    page.locator("table.linked-rows").get_by_role("link", name=action.ref, exact=True).click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Change action", exact=True)).to_be_visible()

"""Journey 5, at council scale: a board member opens the plan page of a plan with
hundreds of actions and pages through its position grid, a page of recommendations at a
time, with the periods they chose kept from page to page."""

import re

import pytest
from django.core.management import call_command

from plans import roles
from plans.models import Plan
from tests import factories
from tests.browser.conftest import PLAYWRIGHT_MISSING, axe_violations, sign_in

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect


def test_a_board_member_pages_through_the_grid_of_a_large_plan(page, screenshot):
    # Three recommendations of about 85 actions each: too many for one page of the grid.
    call_command(
        "make_synthetic",
        plans=1,
        actions=250,
        periods=4,
        seed=3,
        stdout=open("/dev/null", "w"),  # noqa: SIM115
    )
    plan = Plan.objects.get()
    recs = list(plan.recommendations.order_by("position"))
    factories.UserFactory(username="board", role=roles.BOARD_MEMBER, organisation=plan.organisation)

    sign_in(page, "board")
    page.goto(plan.get_absolute_url())
    main = page.get_by_role("main")
    expect(main).to_contain_text("(page 1 of 3)")
    grid = page.locator("table.position-grid")
    expect(grid.get_by_role("rowheader", name=re.compile(rf"^{recs[0].ref}\. "))).to_have_count(1)
    expect(grid.get_by_role("rowheader", name=re.compile(rf"^{recs[1].ref}\. "))).to_have_count(0)
    assert axe_violations(page) == []

    # Choose two periods, then page on: the choice stays.
    boxes = page.get_by_role("group", name="Show positions as of").get_by_role("checkbox")
    for index in range(boxes.count()):
        boxes.nth(index).set_checked(index >= boxes.count() - 2)
    page.get_by_role("button", name="Show").click()
    expect(grid.locator("thead th.position-col")).to_have_count(2)
    above = page.get_by_role("navigation", name="Pages of the grid (above it)")
    above.get_by_role("link", name="Next page").click()
    expect(main).to_contain_text("(page 2 of 3)")
    expect(grid.locator("thead th.position-col")).to_have_count(2)
    expect(grid.get_by_role("rowheader", name=re.compile(rf"^{recs[1].ref}\. "))).to_have_count(1)
    rows = grid.locator("tbody tr.grid-action")
    assert rows.count() == plan.actions.filter(recommendation=recs[1]).count()
    assert "page=2" in page.url and "period=" in page.url
    assert axe_violations(page) == []
    screenshot(page, "plan-page-paged")

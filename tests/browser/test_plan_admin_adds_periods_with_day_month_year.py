"""A plan administrator adds a year of quarters, typing the dates as day, month and year:
a missing month is named, the typed parts are kept, and the corrected dates make the
four quarters; on a desktop and on a phone."""

import pytest

from plans import roles
from tests import factories
from tests.browser.conftest import PLAYWRIGHT_MISSING, axe_violations, page_overflow, sign_in

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect


@pytest.mark.parametrize("width", [1280, 390])
def test_an_administrator_adds_quarters_typing_day_month_and_year(page, screenshot, width):
    page.set_viewport_size({"width": width, "height": 900})
    plan = factories.PlanFactory(slug="children-2025", title="Children's services plan 2025")
    factories.UserFactory(
        username="admin", first_name="Sam", last_name="Ellis", role=roles.PLAN_ADMINISTRATOR
    )

    sign_in(page, "admin")
    page.goto(f"/plans/{plan.slug}/periods/")
    page.get_by_label("Financial quarters").check()
    start = page.get_by_role("group", name="From")
    start.get_by_label("Day").fill("1")
    start.get_by_label("Year").fill("2025")
    end = page.get_by_role("group", name="To")
    end.get_by_label("Day").fill("31")
    end.get_by_label("Month").fill("3")
    end.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Add periods").click()

    expect(page.get_by_role("alert")).to_contain_text("The first day must include a month")
    expect(start.get_by_label("Day")).to_have_value("1")
    expect(start.get_by_label("Year")).to_have_value("2025")
    assert page_overflow(page) <= 0
    assert axe_violations(page) == []
    screenshot(page, f"plan-periods-date-error-{width}")

    start.get_by_label("Month").fill("4")
    page.get_by_role("button", name="Add periods").click()
    expect(page.get_by_text("4 period(s) created.")).to_be_visible()
    labels = list(plan.periods.order_by("start").values_list("label", flat=True))
    assert labels == ["Q1 2025/26", "Q2 2025/26", "Q3 2025/26", "Q4 2025/26"]

"""In the embedded default there is no Celery beat: the first page anyone opens after a
quarter has ended closes it and opens the next, so the plan administrator finds the
periods as the calendar says they are."""

import datetime as dt

import pytest

from plans import roles, services
from plans.models import ReportingPeriod
from tests import factories
from tests.browser.conftest import PLAYWRIGHT_MISSING, axe_violations, page_overflow, sign_in

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect


@pytest.mark.parametrize("width", [1280, 390])
def test_the_first_page_after_a_quarter_ends_closes_it(page, screenshot, settings, width):
    settings.SCHEDULE_IN_WEB = True
    today = services.local_today()
    plan = factories.PlanFactory(slug="children-2024", title="Children's services plan")
    ended = factories.PeriodFactory(
        plan=plan,
        label="Ended quarter",
        start=today - dt.timedelta(days=120),
        end=today - dt.timedelta(days=30),
    )
    current = factories.PeriodFactory(
        plan=plan,
        label="Current quarter",
        start=today - dt.timedelta(days=29),
        end=today + dt.timedelta(days=60),
        state=ReportingPeriod.State.UPCOMING,
    )
    factories.UserFactory(username="admin", role=roles.PLAN_ADMINISTRATOR)
    page.set_viewport_size({"width": width, "height": 900})

    sign_in(page, "admin")
    page.goto(f"/plans/{plan.slug}/periods/")

    ended.refresh_from_db()
    current.refresh_from_db()
    assert (ended.state, current.state) == ("closed", "open")
    expect(page.get_by_text("Current quarter").first).to_be_visible()
    assert page_overflow(page) == 0
    assert axe_violations(page) == []
    screenshot(page, f"periods-closed-by-first-request-{width}")

"""A QA lead finds "Ratings to confirm (2)" in the navigation, reads each proposal with
its recovery plan and evidence, is told a send-back needs a reason, then confirms one
and sends the other back, ending on the queue each time (issue 24: the 405 after a
failed send-back)."""

import datetime as dt

import pytest

from plans import roles, services
from plans.models import Evidence, Rating, RemedialAction
from tests import factories
from tests.browser.conftest import (
    PLAYWRIGHT_MISSING,
    axe_violations,
    open_quarter,
    page_overflow,
    sign_in,
)

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect


def two_proposals():
    director = factories.UserFactory(username="director", role=roles.SERVICE_DIRECTOR)
    plan = factories.PlanFactory(slug="children-2024", title="Children's services plan")
    plan.requires_signoff = True
    plan.save()
    open_quarter(plan)
    post = factories.OwnerFactory(post="Service Director – Practice", user=director)
    rec = factories.RecommendationFactory(plan=plan, ref="1", title="Care leavers")
    late = factories.ActionFactory(
        recommendation=rec, ref="1.1", text="Allocate a personal adviser", owners=[post]
    )
    done = factories.ActionFactory(
        recommendation=rec, ref="1.2", text="Recruit two more advisers", owners=[post]
    )
    red = services.rating_record(
        item=late, rag="red", user=director, commentary="Two advisers left in the quarter"
    )
    RemedialAction.objects.create(
        plan=plan,
        action=late,
        text="Agency advisers cover the caseloads until recruitment ends",
        due_date=services.local_today() + dt.timedelta(days=60),
    )
    Evidence.objects.create(
        action=late, rating=red, title="Caseload report", link="https://example.org/caseloads"
    )
    green = services.rating_record(
        item=done, rag="green", user=director, commentary="Both advisers started"
    )
    return red, green


@pytest.mark.parametrize("width", [1280, 390])
def test_a_qa_lead_confirms_one_rating_and_sends_one_back(page, screenshot, width):
    factories.UserFactory(username="qa", role=roles.QA_LEAD)
    red, green = two_proposals()
    page.set_viewport_size({"width": width, "height": 900})

    sign_in(page, "qa")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="My actions")).to_have_count(0)
    nav.get_by_role("link", name="Ratings to confirm (2)").click()
    page.wait_for_load_state()
    item = page.locator(f"#rating-{red.pk}")
    expect(item.get_by_text("Agency advisers cover the caseloads")).to_be_visible()
    expect(item.get_by_role("link", name="Caseload report")).to_be_visible()
    assert page_overflow(page) == 0
    assert axe_violations(page) == []
    screenshot(page, f"ratings-to-confirm-{width}")

    item.get_by_role("button", name="Send back").click()
    page.wait_for_load_state()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    assert axe_violations(page) == []

    page.locator(f"#rating-{green.pk}").get_by_role("button", name="Confirm Green").click()
    page.wait_for_load_state()
    assert page.url.split("?")[0].endswith("/plans/to-confirm/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ratings to confirm")
    expect(page.get_by_role("link", name="Ratings to confirm (1)")).to_be_visible()

    item = page.locator(f"#rating-{red.pk}")
    item.get_by_label("Why send it back?").fill("The caseload report is for the previous quarter.")
    item.get_by_role("button", name="Send back").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ratings to confirm")
    expect(page.get_by_role("link", name="Ratings to confirm (0)")).to_be_visible()
    assert page_overflow(page) == 0

    red.refresh_from_db()
    green.refresh_from_db()
    assert green.status == Rating.Status.CONFIRMED
    assert red.status == Rating.Status.RETURNED

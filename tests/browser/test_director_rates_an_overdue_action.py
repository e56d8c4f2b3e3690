"""Journey 1: a service director signs in, finds an overdue action on My actions, rates it
Amber with commentary and a revised due date, and sees it in the timeline and the history."""

import datetime as dt

import pytest
from django.utils.dateformat import format as date_format

from plans import roles, services
from plans.models import Action, Rating
from tests import factories
from tests.browser.conftest import (
    PLAYWRIGHT_MISSING,
    axe_violations,
    fill_date,
    open_quarter,
    page_overflow,
    sign_in,
)

# Without playwright this module is skipped, with the reason, rather than failing to import.
expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect

TODAY = services.local_today()
DUE = TODAY - dt.timedelta(days=54)
NEW_DUE = TODAY + dt.timedelta(days=69)


def _overdue_action_of(director) -> Action:
    plan = factories.PlanFactory(slug="children-2024", title="Children's services improvement plan")
    open_quarter(plan)
    post = factories.OwnerFactory(post="Service Director – Practice", user=director)
    rec = factories.RecommendationFactory(
        plan=plan, ref="1", title="Care leavers have a personal adviser"
    )
    factories.ActionFactory(
        recommendation=rec,
        ref="1.2",
        text="Recruit two more personal advisers",
        due_date=TODAY + dt.timedelta(days=128),
        owners=[post],
    )
    return factories.ActionFactory(
        recommendation=rec,
        ref="1.1",
        text="Allocate a personal adviser to every care leaver aged 18 to 25",
        timescale_text=f"{DUE:%b %y}",
        due_date=DUE,
        owners=[post],
    )


def test_a_director_rates_an_overdue_action_amber_and_sees_it_in_the_timeline_and_history(
    page, screenshot
):
    director = factories.UserFactory(
        username="director", first_name="Dana", last_name="Reid", role=roles.SERVICE_DIRECTOR
    )
    action = _overdue_action_of(director)

    sign_in(page, "director")
    page.get_by_role("link", name="My actions").click()
    row = page.locator(f"#action-{action.pk}")
    expect(row.get_by_text("54 days overdue")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "my-actions")

    row.get_by_role("link", name="Update 1.1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Update 1.1")
    page.get_by_label("Amber").check()
    page.get_by_label("Commentary").fill(
        "Eleven of fourteen care leavers now have a named adviser; two posts are out to advert."
    )
    page.get_by_label("What will bring it back on track?").fill(
        "Agency advisers cover the three cases until the new posts start."
    )
    page.get_by_label("Why is it better than the dates suggest?").fill(
        "Most care leavers are allocated; the gap is three cases with agency cover."
    )
    page.get_by_text("Propose a new due date").click()
    fill_date(page, "New due date", NEW_DUE)
    page.get_by_label("Why is the due date changing?").fill(
        "Recruitment round closed without an appointment; re-advertised in October."
    )
    assert axe_violations(page) == []
    screenshot(page, "rating-form")

    page.get_by_role("button", name="Save update").click()
    page.wait_for_load_state()
    expect(page.get_by_role("status").first).to_contain_text("Update saved: 1.1 is Amber")
    assert axe_violations(page) == []
    # Saving returns to My actions (the form was opened from there); the action page has
    # the timeline and the history.
    page.locator(f"#action-{action.pk}").get_by_role("link", name="1.1", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Action 1.1")

    timeline = page.locator("ol.timeline.ratings > li").first
    expect(timeline.locator(".rag")).to_have_text("Amber")
    expect(timeline).to_contain_text("Eleven of fourteen care leavers")
    expect(timeline).to_contain_text("Dana Reid")
    due = page.locator("#due-date + p")
    expect(due).to_contain_text(f"Due {date_format(NEW_DUE, 'j M Y')}")
    revisions = page.get_by_role("table", name="Due date revisions")
    expect(revisions).to_contain_text(date_format(DUE, "j M Y"))
    expect(revisions).to_contain_text("Recruitment round closed")
    history = page.locator("ol.timeline.changes")
    expect(history).to_contain_text("Dana Reid")
    expect(history).to_contain_text("re-advertised in October")
    assert axe_violations(page) == []
    screenshot(page, "action-page")

    rating = Rating.objects.get(action=action)
    assert (rating.rag, rating.created_by) == ("amber", director)
    action.refresh_from_db()
    assert action.due_date == NEW_DUE


@pytest.mark.parametrize("width", [1280, 390])
def test_a_new_due_date_in_the_past_is_refused_then_a_later_one_is_saved(page, screenshot, width):
    director = factories.UserFactory(
        username="director", first_name="Dana", last_name="Reid", role=roles.SERVICE_DIRECTOR
    )
    action = _overdue_action_of(director)
    page.set_viewport_size({"width": width, "height": 900})

    sign_in(page, "director")
    page.goto(f"/plans/actions/{action.pk}/update/")
    page.get_by_label("Red").check()
    page.get_by_label("Commentary").fill("Both advisers left; the posts are re-advertised.")
    page.get_by_label("What will bring it back on track?").fill("Agency cover from next month.")
    page.get_by_text("Propose a new due date").click()
    fill_date(page, "New due date", TODAY - dt.timedelta(days=3))
    page.get_by_label("Why is the due date changing?").fill("Recruitment failed.")
    page.get_by_role("button", name="Save update").click()
    page.wait_for_load_state()

    expect(page.get_by_role("alert")).to_contain_text("The new due date is in the past")
    assert page_overflow(page) == 0
    assert axe_violations(page) == []
    screenshot(page, f"rating-form-past-due-date-{width}")
    assert not Rating.objects.filter(action=action).exists()

    fill_date(page, "New due date", NEW_DUE)
    page.get_by_role("button", name="Save update").click()
    page.wait_for_load_state()
    expect(page.get_by_role("status").first).to_contain_text("Update saved: 1.1 is Red")
    action.refresh_from_db()
    assert action.due_date == NEW_DUE

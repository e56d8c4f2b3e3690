"""Journey 2: a second director cannot open the edit form of another director's action
(the 403 page), and the action page does not offer the edit control."""

import datetime as dt

import pytest

from plans import roles, services
from plans.models import Rating
from tests import factories
from tests.browser.conftest import PLAYWRIGHT_MISSING, axe_violations, open_quarter, sign_in

# Without playwright this module is skipped, with the reason, rather than failing to import.
expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect


def test_a_second_director_sees_no_edit_control_and_is_refused_the_edit_form(page, screenshot):
    owner = factories.UserFactory(username="director", role=roles.SERVICE_DIRECTOR)
    factories.UserFactory(
        username="director2", first_name="Sam", last_name="Okafor", role=roles.SERVICE_DIRECTOR
    )
    plan = factories.PlanFactory(slug="children-2024", title="Children's services improvement plan")
    open_quarter(plan)
    post = factories.OwnerFactory(post="Service Director – Practice", user=owner)
    rec = factories.RecommendationFactory(plan=plan, ref="1", title="Care leavers")
    action = factories.ActionFactory(
        recommendation=rec,
        ref="1.1",
        text="Allocate a personal adviser to every care leaver",
        due_date=services.local_today() + dt.timedelta(days=120),
        owners=[post],
    )
    services.rating_record(
        item=action, rag="green", user=owner, commentary="All care leavers allocated."
    )

    sign_in(page, "director2")
    page.goto(action.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Action 1.1")
    expect(page.get_by_text("Only its accountable owners and plan administrators")).to_be_visible()
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name="Update this action")).to_have_count(0)
    expect(main.get_by_role("link", name="Update")).to_have_count(0)
    expect(main.locator("form[method=post]")).to_have_count(0)
    assert axe_violations(page) == []

    response = page.goto(f"/plans/actions/{action.pk}/update/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do that")
    expect(page.get_by_role("main")).to_contain_text("Nothing was changed")
    expect(page.get_by_role("button", name="Save update")).to_have_count(0)
    assert axe_violations(page) == []
    screenshot(page, "forbidden")

    assert Rating.objects.filter(action=action).count() == 1

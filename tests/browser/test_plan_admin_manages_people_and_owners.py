"""A plan administrator manages people and owners in the app, on a desktop and on a
phone: invites a user, gives them a role, links a post to them, and merges a post that
was typed twice. Every page passes the accessibility check and fits the screen."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from plans import roles
from plans.models import Action, Owner
from tests import factories
from tests.browser.conftest import (
    PLAYWRIGHT_MISSING,
    axe_violations,
    follow_nav,
    page_overflow,
    sign_in,
)

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect

User = get_user_model()


def _checked(page) -> None:
    assert axe_violations(page) == []
    assert page_overflow(page) <= 0, f"{page.url} is {page_overflow(page)} px too wide"


@pytest.fixture
def people_world(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    admin = factories.UserFactory(
        username="planadmin", first_name="Chris", last_name="Lowe", role=roles.PLAN_ADMINISTRATOR
    )
    plan = factories.PlanFactory(title="Children's services improvement plan 2026")
    rec = factories.RecommendationFactory(plan=plan, ref="1", title="Care leavers")
    dar = factories.OwnerFactory(post="Arif Dar")
    darr = factories.OwnerFactory(post="Arif Darr", person_name="Arif Darr")
    factories.OwnerFactory(post="Head of Service – Corporate Parenting and Care Leavers")
    first = factories.ActionFactory(recommendation=rec, ref="1.1", owners=[dar])
    second = factories.ActionFactory(recommendation=rec, ref="1.2", owners=[darr])
    return admin, dar, darr, first, second


@pytest.mark.parametrize(("width", "shot"), [(1280, "people"), (390, "people-phone")])
def test_a_plan_administrator_invites_gives_a_role_links_and_merges(
    page, screenshot, people_world, width, shot
):
    admin, dar, darr, first, second = people_world
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "planadmin")

    # Invite: a duplicate address is refused first, with the error summary.
    follow_nav(page, "People")
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    _checked(page)
    page.get_by_role("main").get_by_role("link", name="Invite someone").first.click()
    page.get_by_label("Full name").fill("Someone Else")
    page.get_by_label("E-mail address").fill(admin.email.upper())
    page.get_by_label("QA lead").check()
    page.get_by_role("button", name="Send invitation").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Chris Lowe already has an account")
    _checked(page)
    page.get_by_label("Full name").fill("Priya Shah")
    page.get_by_label("E-mail address").fill("priya.shah@example.org")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Priya Shah is invited.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Priya Shah")
    _checked(page)
    (message,) = mail.outbox
    assert message.to == ["priya.shah@example.org"] and "/accounts/welcome/" in message.body

    # Give a role.
    page.get_by_label("Service director").check()
    page.get_by_label("Why").fill("Leads the care leavers service")
    page.get_by_role("button", name="Save roles").click()
    expect(page.get_by_role("status")).to_contain_text("Priya Shah: given Service director.")
    expect(page.get_by_role("main")).to_contain_text("Why: Leads the care leavers service")
    _checked(page)
    priya = User.objects.get(username="priya.shah@example.org")
    assert set(priya.groups.values_list("name", flat=True)) == {
        roles.QA_LEAD,
        roles.SERVICE_DIRECTOR,
    }

    # Link a post.
    page.get_by_role("navigation", name="People and owners").get_by_role(
        "link", name="Owners (posts)"
    ).click()
    _checked(page)
    page.get_by_role("link", name="Link to a person: Arif Darr").click()
    page.get_by_label("Who holds this post?").select_option(
        label="Priya Shah (priya.shah@example.org)"
    )
    page.get_by_role("button", name="Link").click()
    expect(page.get_by_role("status")).to_contain_text("Arif Darr is linked to Priya Shah.")
    darr.refresh_from_db()
    assert darr.user == priya

    # Merge the post typed twice: the confirmation first, nothing changed until then.
    page.get_by_role("link", name="Merge into another: Arif Dar", exact=True).click()
    page.get_by_label("Owner to keep").select_option(label="Arif Darr (Arif Darr)")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Merge Arif Dar into Arif Darr?")
    expect(page.get_by_role("main")).to_contain_text("Actions moving")
    _checked(page)
    assert set(Action.objects.get(pk=first.pk).owners.all()) == {dar}
    page.get_by_role("button", name="Merge").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Merged Arif Dar into Arif Darr: 1 action moved."
    )
    _checked(page)
    assert set(Action.objects.get(pk=first.pk).owners.all()) == {darr}
    assert Owner.objects.get(pk=dar.pk).merged_into == darr

    # The People page now shows Priya with both roles and her post.
    follow_nav(page, "People")
    row = page.get_by_role("row").filter(has_text="Priya Shah")
    expect(row).to_contain_text("QA lead, Service director")
    expect(row).to_contain_text("Arif Darr")
    _checked(page)
    screenshot(page, shot)

    # Priya follows the invitation's link, chooses her password and signs in.
    page.get_by_role("button", name="Sign out").click()
    link = re.search(r"http://\S+(/accounts/welcome/\S+/)", message.body)[1]
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
    _checked(page)
    page.get_by_label("New password", exact=True).fill("Kettle-orchard-91")
    page.get_by_label("New password confirmation").fill("Kettle-orchard-91")
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is set.")
    sign_in(page, "priya.shah@example.org", "Kettle-orchard-91")
    expect(page.locator(".who")).to_have_text("Priya Shah")

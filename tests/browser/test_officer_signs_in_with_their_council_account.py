"""A council officer signs in through the council's identity provider (the local one of
tests/sso), on a desktop and on a phone; and sees a page, not an error, when the
provider's answer is refused."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from plans import roles
from sso.models import GroupMapping
from tests import factories
from tests.browser.conftest import axe_violations
from tests.sso.conftest import (  # noqa: F401 - fixtures
    PASSWORD,
    TEST_REDIRECT_URI,
    identity_provider,
    sso_settings,
)

DIRECTORS = "0b5e3f6a-1111-4c2d-8e9f-directors000"


@pytest.fixture
def council_sign_in(identity_provider, sso_settings, live_server, roles_present):  # noqa: F811
    """Single sign-on set up for the live server, its redirect URI registered."""
    identity_provider.register(TEST_REDIRECT_URI, f"{live_server.url}/oidc/callback/")
    council = factories.OrganisationFactory(name="Northshire Council")
    factories.PlanFactory(title="Children's services improvement plan", organisation=council)
    GroupMapping.objects.create(
        group_id=DIRECTORS,
        description="Children's services directors",
        role=Group.objects.get(name=roles.SERVICE_DIRECTOR),
        organisation=council,
    )
    return identity_provider


def through_the_provider(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with your council account").click()
    page.wait_for_load_state()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in to the council").click()
    page.wait_for_load_state()


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_an_officer_signs_in_with_their_council_account(
    page, screenshot, council_sign_in, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    username = f"aisha-{width}"
    council_sign_in.add_person(username, groups=[DIRECTORS], first_name="Aisha", last_name="Khan")
    page.goto("/accounts/login/")
    assert axe_violations(page) == []
    screenshot(page, f"sign-in-council-account-{width}")

    through_the_provider(page, username)

    assert page.get_by_role("button", name="Sign out").is_visible()
    assert page.get_by_text("Aisha Khan").first.is_visible()
    page.goto("/plans/")
    assert page.get_by_role("link", name="Children's services improvement plan").is_visible()
    screenshot(page, f"signed-in-council-account-{width}")


def test_a_refused_answer_is_a_page_that_says_why(page, screenshot, council_sign_in):
    council_sign_in.add_person("mallory", groups=["mischief:forged"])

    through_the_provider(page, "mallory")

    assert page.get_by_role("heading", name="You are not signed in").is_visible()
    assert page.get_by_text("was not signed with its published key").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "sign-in-council-account-refused")

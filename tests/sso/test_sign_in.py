"""Signing in through a real OpenID Connect provider (tests/sso/conftest.py): the user
made and matched by the provider's stable ids, roles from groups at every sign-in, the
session checked with the provider again, and every bad answer refused with a page."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from plans import access, roles
from plans.models import AccountChange, Membership
from sso import services
from sso.models import ExternalIdentity, GroupMapping
from tests import factories
from tests.sso.conftest import ProviderBrowser, product_path, sign_in

pytestmark = pytest.mark.django_db

DIRECTORS = "0b5e3f6a-1111-4c2d-8e9f-directors000"
CLERKS = "7c4d2e1f-2222-4b3a-9d8e-clerks000000"
HEALTH_BOARD = "5d6e7f80-3333-4a1b-8c2d-icb000000000"
_numbers = itertools.count(1)


@pytest.fixture
def person(identity_provider):
    """A new person at the provider, with a user name no other test uses (the provider
    lives for the whole session)."""

    def make(*, groups=(), **options) -> str:
        username = f"person{next(_numbers)}"
        identity_provider.add_person(username, groups=list(groups), **options)
        return username

    return make


@pytest.fixture
def council(db):
    return factories.OrganisationFactory(name="Northshire Council")


@pytest.fixture
def health_board(db):
    return factories.OrganisationFactory(name="Northshire Health Board")


@pytest.fixture
def mappings(council, health_board):
    """Entra group ids to roles and organisations, as a plan administrator sets them in
    the admin."""
    for group_id, role, organisation in (
        (DIRECTORS, roles.SERVICE_DIRECTOR, council),
        (CLERKS, roles.COMMITTEE_CLERK, council),
        (HEALTH_BOARD, roles.BOARD_MEMBER, health_board),
    ):
        GroupMapping.objects.create(
            group_id=group_id, role=Group.objects.get(name=role), organisation=organisation
        )


def organisation_of(user) -> str | None:
    return Membership.objects.filter(user=user).values_list("organisation__name", flat=True).first()


def role_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def expire_session(client) -> None:
    """The interval since the last check with the provider has passed."""
    session = client.session
    session["oidc_id_token_expiration"] = 0
    session.save()


def test_first_sign_in_makes_the_user_with_their_groups_role_and_organisation(
    client, sso_settings, identity_provider, person, mappings, council
):
    childrens = factories.PlanFactory(title="Children's services plan", organisation=council)
    factories.PlanFactory(
        title="Adults' plan of another council",
        organisation=factories.OrganisationFactory(name="Southshire Council"),
    )
    username = person(
        groups=[DIRECTORS], email="a.khan@council.example", first_name="Aisha", last_name="Khan"
    )

    response, _ = sign_in(client, ProviderBrowser(), username)

    assert response.status_code == 302
    assert response["Location"] == "/"
    identity = ExternalIdentity.objects.select_related("user").get()
    assert identity.issuer == identity_provider.issuer
    assert identity.tid == identity_provider.tenant
    assert identity.oid and identity.subject and identity.last_login
    user = identity.user
    assert (user.first_name, user.last_name, user.email) == (
        "Aisha",
        "Khan",
        "a.khan@council.example",
    )
    assert not user.has_usable_password()
    assert role_names(user) == {roles.SERVICE_DIRECTOR}
    assert organisation_of(user) == "Northshire Council"
    assert list(access.visible_plans(user)) == [childrens]
    assert client.get("/plans/").status_code == 200


def test_a_changed_group_changes_the_role_at_the_next_sign_in(
    client, sso_settings, identity_provider, person, mappings
):
    username = person(groups=[DIRECTORS])
    browser = ProviderBrowser()
    sign_in(client, browser, username)
    user = User.objects.get()
    identity_provider.person(username, groups=[CLERKS])
    client.post("/accounts/logout/")

    # Still signed in at the provider: no password asked this time.
    response, _ = sign_in(client, browser, None)

    assert response.status_code == 302
    assert User.objects.get().pk == user.pk
    assert role_names(user) == {roles.COMMITTEE_CLERK}
    history = AccountChange.objects.filter(person=user).order_by("pk")
    assert [(change.kind, change.detail, change.created_by) for change in history] == [
        (AccountChange.Kind.ROLE_GIVEN, roles.SERVICE_DIRECTOR, None),
        (AccountChange.Kind.ROLE_GIVEN, roles.COMMITTEE_CLERK, None),
        (AccountChange.Kind.ROLE_REMOVED, roles.SERVICE_DIRECTOR, None),
    ]
    assert {change.reason for change in history} == {services.BY_GROUPS}


def test_a_person_moved_to_a_partner_group_moves_organisation_at_the_next_sign_in(
    client, sso_settings, identity_provider, person, mappings
):
    username = person(groups=[DIRECTORS])
    browser = ProviderBrowser()
    sign_in(client, browser, username)
    identity_provider.person(username, groups=[HEALTH_BOARD])
    client.post("/accounts/logout/")

    sign_in(client, browser, None)

    user = User.objects.get()
    assert role_names(user) == {roles.BOARD_MEMBER}
    assert organisation_of(user) == "Northshire Health Board"


def test_someone_whose_groups_leave_every_organisation_loses_their_membership(
    client, sso_settings, identity_provider, person, mappings
):
    username = person(groups=[DIRECTORS])
    browser = ProviderBrowser()
    sign_in(client, browser, username)
    identity_provider.person(username, groups=[])
    client.post("/accounts/logout/")

    sign_in(client, browser, None)

    user = User.objects.get()
    assert role_names(user) == set()
    assert organisation_of(user) is None


def test_groups_that_give_two_organisations_are_refused_with_a_page(
    client, sso_settings, person, mappings
):
    username = person(groups=[DIRECTORS, HEALTH_BOARD])

    response, _ = sign_in(client, ProviderBrowser(), username)

    assert response.status_code == 403
    assert "more than one organisation" in response.text
    assert not User.objects.exists()


def test_the_refresh_applies_a_changed_group_without_signing_out(
    client, sso_settings, identity_provider, person, mappings
):
    username = person(groups=[DIRECTORS, CLERKS])
    browser = ProviderBrowser()
    sign_in(client, browser, username)
    identity_provider.person(username, groups=[CLERKS])
    expire_session(client)

    to_provider = client.get("/plans/")
    assert to_provider.status_code == 302
    assert "prompt=none" in to_provider["Location"]
    back = client.get(product_path(browser.follow(to_provider["Location"])))

    assert back.status_code == 302
    assert back["Location"] == "/plans/"
    assert role_names(User.objects.get()) == {roles.COMMITTEE_CLERK}


def test_an_htmx_request_after_the_interval_reloads_its_page_to_go_to_the_provider(
    client, sso_settings, person
):
    sign_in(client, ProviderBrowser(), person())
    expire_session(client)

    fragment = client.get(
        "/plans/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/plans/"}
    )
    elsewhere = client.get(
        "/plans/", headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/"}
    )

    assert fragment.status_code == 200
    assert fragment["HX-Redirect"] == "http://testserver/plans/"
    assert elsewhere["HX-Redirect"] == "/"


def test_someone_in_no_mapped_group_gets_the_default_role(client, sso_settings, person, mappings):
    sso_settings.OIDC_DEFAULT_ROLE = roles.BOARD_MEMBER
    username = person(groups=["an-unmapped-group"])

    sign_in(client, ProviderBrowser(), username)

    assert role_names(User.objects.get()) == {roles.BOARD_MEMBER}


def test_an_account_disabled_at_the_provider_is_refused_at_the_refresh(
    client, sso_settings, identity_provider, person, mappings
):
    username = person(groups=[DIRECTORS])
    browser = ProviderBrowser()
    sign_in(client, browser, username)
    assert client.get("/plans/").status_code == 200
    identity_provider.person(username, inactive=True)
    expire_session(client)

    to_provider = client.get("/plans/")
    refused = client.get(product_path(browser.follow(to_provider["Location"])))

    assert refused.status_code == 403
    assert "Your session with the council&#x27;s sign-in service has ended." in refused.text
    assert client.get("/plans/")["Location"].startswith("/accounts/login/")


def test_a_user_switched_off_here_loses_their_session_at_once(client, sso_settings, person):
    sign_in(client, ProviderBrowser(), person())
    User.objects.update(is_active=False)

    assert client.get("/plans/")["Location"].startswith("/accounts/login/")


def test_a_user_switched_off_here_cannot_sign_in_through_the_provider(client, sso_settings, person):
    username = person()
    browser = ProviderBrowser()
    sign_in(client, browser, username)
    client.post("/accounts/logout/")
    User.objects.update(is_active=False)

    response, _ = sign_in(client, browser, None)

    assert response.status_code == 403
    assert "Your account here is switched off" in response.text


def test_a_renamed_person_keeps_their_user(client, sso_settings, identity_provider, person):
    username = person(email="j.smith@council.example", last_name="Smith")
    browser = ProviderBrowser()
    sign_in(client, browser, username)
    identity_provider.person(
        username, rename=f"{username}-renamed", email="j.jones@council.example", last_name="Jones"
    )
    client.post("/accounts/logout/")

    sign_in(client, browser, None)

    user = User.objects.get()
    assert (user.email, user.last_name) == ("j.jones@council.example", "Jones")
    assert ExternalIdentity.objects.count() == 1


def test_a_new_person_given_a_leavers_address_is_a_new_user(client, sso_settings, person):
    leaver = person(email="clerk@council.example")
    sign_in(client, ProviderBrowser(), leaver)
    client.post("/accounts/logout/")
    newcomer = person(email="clerk@council.example")

    sign_in(client, ProviderBrowser(), newcomer)

    users = list(User.objects.order_by("pk"))
    assert len(users) == 2
    assert {user.email for user in users} == {"clerk@council.example"}
    assert users[0].username != users[1].username
    assert ExternalIdentity.objects.filter(user=users[1]).exists()


@pytest.mark.parametrize(
    ("mischief", "reason"),
    [
        ("mischief:expired", "The sign-in service&#x27;s answer had expired."),
        ("mischief:wrong-audience", "was meant for another application."),
        ("mischief:wrong-issuer", "came from another issuer."),
        ("mischief:forged", "was not signed with its published key."),
    ],
)
def test_a_bad_token_is_refused_with_a_page(client, sso_settings, person, mischief, reason):
    username = person(groups=[mischief])

    response, _ = sign_in(client, ProviderBrowser(), username)

    assert response.status_code == 403
    assert reason in response.text
    assert "You are not signed in" in response.text
    assert not User.objects.exists()
    assert client.get("/plans/").status_code == 302


def test_a_replayed_answer_is_refused_with_a_page(client, sso_settings, person):
    username = person()
    first, callback = sign_in(client, ProviderBrowser(), username)
    assert first.status_code == 302

    replayed = client.get(product_path(callback))

    assert replayed.status_code == 403
    assert "already been used" in replayed.text


def test_an_answer_from_another_browser_is_refused_with_a_page(client, sso_settings, person):
    username = person()
    start = client.get("/oidc/authenticate/")
    callback = ProviderBrowser().follow(start["Location"], username)

    stolen = Client().get(product_path(callback))

    assert stolen.status_code == 403
    assert "already been used or did not start here" in stolen.text
    assert not User.objects.exists()


def test_the_account_page_sends_a_provider_user_to_their_council_for_passwords(
    client, sso_settings, person
):
    sign_in(client, ProviderBrowser(), person())

    page = client.get("/accounts/two-step/").text

    assert "You sign in with your council account" in page
    assert "Set up two-step verification" not in page
    assert "Change your password" not in page


def test_a_provider_sign_in_is_not_asked_for_a_second_factor_here(client, sso_settings, person):
    sso_settings.MFA_REQUIRED = True
    GroupMapping.objects.create(
        group_id="admins", role=Group.objects.get(name=roles.PLAN_ADMINISTRATOR)
    )
    username = person(groups=["admins"])

    sign_in(client, ProviderBrowser(), username)

    assert client.get("/plans/").status_code == 200


def test_a_provider_user_costs_a_page_no_more_queries_than_a_password_user(
    client, sso_settings, person, mappings, council
):
    factories.PlanFactory(organisation=council)
    sign_in(client, ProviderBrowser(), person(groups=[DIRECTORS]))
    local = factories.UserFactory(role=roles.SERVICE_DIRECTOR, organisation=council)
    password_client = Client()
    password_client.force_login(local, backend="improvement.accounts.ModelBackend")
    for each in (client, password_client):
        each.get("/plans/")  # sessions settled

    with CaptureQueriesContext(connection) as provider_user:
        assert client.get("/plans/").status_code == 200
    with CaptureQueriesContext(connection) as password_user:
        assert password_client.get("/plans/").status_code == 200

    assert len(provider_user) == len(password_user)

"""Single-sign-on-only mode: local passwords refused except for the named emergency
administrator accounts, which must use two-step verification; and the sign-in page with
and without single sign-on."""

from __future__ import annotations

import pytest

from improvement import mfa
from plans import roles
from tests import factories
from tests.test_mfa import PASSWORD, code_for, set_up_app
from tests.test_settings import _manage

pytestmark = pytest.mark.django_db


@pytest.fixture
def sso_only(sso_settings):
    sso_settings.SSO_ONLY = True
    sso_settings.SSO_EMERGENCY_ACCOUNTS = ["break-glass"]
    sso_settings.MFA_REQUIRED = False
    return sso_settings


def sign_in(client, username: str):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD})


def test_without_single_sign_on_the_page_offers_passwords_only(client):
    page = client.get("/accounts/login/").text

    assert "Sign in with your council account" not in page
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


def test_with_single_sign_on_the_page_offers_the_council_account(client, sso_settings):
    page = client.get("/accounts/login/?next=/plans/").text

    assert 'href="/oidc/authenticate/?next=/plans/"' in page
    assert "Sign in with your council account" in page
    assert "Or with a username and password" in page


def test_the_sign_in_page_with_single_sign_on_makes_no_query(
    client, sso_settings, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert client.get("/accounts/login/").status_code == 200


def test_the_council_account_sign_in_starts_with_a_pkce_challenge(client, sso_settings):
    response = client.get("/oidc/authenticate/")

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{sso_settings.OIDC_ISSUER}/authorize?")
    assert "code_challenge_method=S256" in location and "code_challenge=" in location
    assert "redirect_uri=http%3A%2F%2Ftestserver%2Foidc%2Fcallback%2F" in location


def test_single_sign_on_only_refuses_a_local_password(client, sso_only):
    factories.UserFactory(username="officer", role=roles.SERVICE_DIRECTOR)

    response = sign_in(client, "officer")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    page = response.text
    assert "passwords are only for the emergency administrator accounts" in page
    assert client.get("/plans/").status_code == 302


def test_single_sign_on_only_ends_a_password_session_made_before(client, settings):
    officer = factories.UserFactory(username="officer", role=roles.SERVICE_DIRECTOR)
    client.force_login(officer, backend="improvement.accounts.ModelBackend")
    assert client.get("/plans/").status_code == 200
    settings.SSO_ONLY = True

    assert client.get("/plans/")["Location"].startswith("/accounts/login/")


def test_single_sign_on_only_refuses_a_password_at_the_admin(client, sso_only, admin_user):
    client.post("/admin/login/", {"username": admin_user.username, "password": "password"})

    assert "_auth_user_id" not in client.session


def test_the_emergency_account_signs_in_and_must_set_up_two_step_verification(client, sso_only):
    factories.UserFactory(username="break-glass", role=roles.PLAN_ADMINISTRATOR, is_staff=True)

    sign_in(client, "break-glass")

    assert client.session[mfa.SESSION_KEY] == mfa.SET_UP
    assert client.get("/plans/")["Location"].startswith("/accounts/two-step/set-up/")
    set_up_app(client)
    assert client.get("/plans/").status_code == 200


def test_the_emergency_account_gives_its_code_at_every_sign_in(client, sso_only):
    factories.UserFactory(username="break-glass", role=roles.PLAN_ADMINISTRATOR)
    sign_in(client, "break-glass")
    key, _ = set_up_app(client)
    client.post("/accounts/logout/")

    sign_in(client, "break-glass")

    assert client.get("/plans/")["Location"].startswith("/accounts/two-step/code/")
    client.post("/accounts/two-step/code/", {"code": code_for(key, steps_ahead=1)})
    assert client.get("/plans/").status_code == 200


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"OIDC_ISSUER": "https://login.microsoftonline.com/t/v2.0"},
            "needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together",
        ),
        ({"SSO_ONLY": "true"}, "SSO_ONLY=true needs single sign-on set up"),
    ],
)
def test_half_configured_single_sign_on_stops_start_up(tmp_path, env, message):
    result = _manage("check", env={"DEBUG": "true", "VAR_DIR": str(tmp_path), **env})

    assert result.returncode != 0
    assert message in result.stderr


def test_a_provider_that_does_not_answer_is_a_page_not_an_error(client, sso_settings):
    sso_settings.OIDC_ISSUER = "http://127.0.0.1:9/nobody-listens/v2.0"
    sso_settings.OIDC_TIMEOUT = 2

    response = client.get("/oidc/authenticate/")

    assert response.status_code == 503
    assert "sign-in service is not answering" in response.text

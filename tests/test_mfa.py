"""Two-step verification for local accounts: TOTP and recovery codes (improvement/mfa.py)."""

import re
from binascii import unhexlify

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from improvement import mfa
from improvement.mfa_views import SETUP_KEY
from plans import roles
from tests import factories

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-1"  # noqa: S105 - the factories' password


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED = True


def sign_in(client, username: str):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD})


def code_for(key: str, *, steps_ahead: int = 0) -> str:
    totp = TOTP(unhexlify(key), drift=steps_ahead)
    return f"{totp.token():06d}"


def set_up_app(client) -> tuple[str, list[str]]:
    """Go through setting up an app as its user; return the secret and recovery codes."""
    client.get("/accounts/two-step/set-up/")
    key = client.session[SETUP_KEY]
    response = client.post("/accounts/two-step/set-up/", {"code": code_for(key)})
    assert response.status_code == 200
    codes = re.findall(
        r"<code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code>", response.content.decode()
    )
    return key, codes


def test_a_plan_administrator_must_set_up_an_app_before_any_page(client, required):
    factories.UserFactory(username="admin1", role=roles.PLAN_ADMINISTRATOR)
    sign_in(client, "admin1")

    for url in ("/plans/", "/reports/dashboard/", "/plans/people/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/two-step/set-up/?next=")
    page = client.get("/accounts/two-step/set-up/").content.decode()
    assert "Plan administrators and staff must use two-step verification" in page
    assert "<svg" in page and "QR code" in page
    # The accessibility statement and signing out stay open.
    assert client.get("/accessibility/").status_code == 200


def test_staff_are_held_at_the_admin_too(client, required, admin_user):
    client.post("/admin/login/", {"username": admin_user.username, "password": "password"})
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-step/set-up/")


def test_setting_up_shows_ten_recovery_codes_once_and_stores_none_of_them(client, required):
    user = factories.UserFactory(username="admin1", role=roles.PLAN_ADMINISTRATOR)
    sign_in(client, "admin1")

    key, codes = set_up_app(client)

    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=user).confirmed
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(stored) == 10
    assert not stored & {code.replace("-", "") for code in codes}
    assert client.get("/plans/").status_code == 200
    # The secret is gone from the session, and the codes are not shown again.
    assert SETUP_KEY not in client.session
    assert codes[0] not in client.get("/accounts/two-step/").content.decode()


def test_a_wrong_code_while_setting_up_saves_nothing(client, required):
    user = factories.UserFactory(username="admin1", role=roles.PLAN_ADMINISTRATOR)
    sign_in(client, "admin1")
    client.get("/accounts/two-step/set-up/")
    key = client.session[SETUP_KEY]

    response = client.post("/accounts/two-step/set-up/", {"code": code_for(key, steps_ahead=5)})

    assert "That code does not match" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get("/plans/").status_code == 302


def test_five_wrong_codes_while_setting_up_make_a_new_secret(client, required):
    factories.UserFactory(username="admin1", role=roles.PLAN_ADMINISTRATOR)
    sign_in(client, "admin1")
    client.get("/accounts/two-step/set-up/")
    first = client.session[SETUP_KEY]

    for _ in range(5):
        response = client.post("/accounts/two-step/set-up/", {"code": "000000"})

    assert "there is a new QR code below" in response.content.decode()
    assert client.session[SETUP_KEY] != first


def test_the_next_sign_in_asks_for_a_code_and_refuses_one_used_already(client, required, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the refusal is not followed by a wait here
    factories.UserFactory(username="admin1", role=roles.PLAN_ADMINISTRATOR)
    sign_in(client, "admin1")
    key, _ = set_up_app(client)
    client.post("/accounts/logout/")

    sign_in(client, "admin1")
    response = client.get("/plans/")
    assert response["Location"].startswith("/accounts/two-step/code/?next=")
    # The code that set the app up has been used: the app's next one is needed.
    used = client.post("/accounts/two-step/code/", {"code": code_for(key), "next": "/plans/"})
    assert "used already" in used.content.decode()
    assert client.get("/plans/").status_code == 302

    fresh = client.post(
        "/accounts/two-step/code/", {"code": code_for(key, steps_ahead=1), "next": "/plans/"}
    )
    assert fresh.status_code == 302 and fresh["Location"] == "/plans/"
    assert client.get("/plans/").status_code == 200


def test_a_recovery_code_works_once(client, required):
    user = factories.UserFactory(username="admin1", role=roles.PLAN_ADMINISTRATOR)
    sign_in(client, "admin1")
    _, codes = set_up_app(client)

    for attempt in range(2):
        client.post("/accounts/logout/")
        sign_in(client, "admin1")
        response = client.post(
            "/accounts/two-step/code/", {"code": codes[3].upper().replace("-", " ")}
        )
        if attempt == 0:
            assert response.status_code == 302
            assert mfa.recovery_codes_left(user) == 9
            assert "You have 9 left" in client.get("/plans/").content.decode()
        else:
            assert "used already" in response.content.decode()
            assert client.get("/plans/").status_code == 302


def test_wrong_codes_are_throttled(client, required):
    factories.UserFactory(username="admin1", role=roles.PLAN_ADMINISTRATOR)
    sign_in(client, "admin1")
    key, _ = set_up_app(client)
    client.post("/accounts/logout/")
    sign_in(client, "admin1")

    client.post("/accounts/two-step/code/", {"code": "000000"})
    right_away = client.post("/accounts/two-step/code/", {"code": code_for(key, steps_ahead=1)})

    assert "Too many wrong codes" in right_away.content.decode()
    assert client.get("/plans/").status_code == 302


def test_a_wrong_password_is_still_counted_by_axes(client, required, settings):
    factories.UserFactory(username="admin1", role=roles.PLAN_ADMINISTRATOR)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "admin1", "password": "wrong"})

    response = sign_in(client, "admin1")

    assert response.status_code == settings.AXES_HTTP_RESPONSE_CODE
    assert client.get("/plans/").status_code == 302  # not signed in


def test_others_may_turn_it_on_and_off_and_are_asked_only_while_it_is_on(client, required):
    factories.UserFactory(username="dir1", role=roles.SERVICE_DIRECTOR)
    sign_in(client, "dir1")
    assert client.get("/plans/").status_code == 200
    assert "is <strong>off</strong>" in client.get("/accounts/two-step/").content.decode()

    key, _ = set_up_app(client)
    client.post("/accounts/logout/")
    sign_in(client, "dir1")
    assert client.get("/plans/").status_code == 302
    client.post("/accounts/two-step/code/", {"code": code_for(key, steps_ahead=1)})

    client.post("/accounts/two-step/", {"action": "turn-off"})
    client.post("/accounts/logout/")
    sign_in(client, "dir1")
    assert client.get("/plans/").status_code == 200


def test_those_who_must_use_it_cannot_turn_it_off(client, required):
    user = factories.UserFactory(username="admin1", role=roles.PLAN_ADMINISTRATOR)
    sign_in(client, "admin1")
    set_up_app(client)

    page = client.get("/accounts/two-step/").content.decode()
    client.post("/accounts/two-step/", {"action": "turn-off"})

    assert "cannot be turned off for your account" in page
    assert TOTPDevice.objects.filter(user=user).exists()


def test_new_recovery_codes_replace_the_old_ones(client, required, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    user = factories.UserFactory(username="admin1", role=roles.PLAN_ADMINISTRATOR)
    sign_in(client, "admin1")
    _, old = set_up_app(client)

    response = client.post("/accounts/two-step/", {"action": "new-codes"})

    new = re.findall(r"<code>([a-z2-7-]{14})</code>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert "no-store" in response["Cache-Control"]
    assert mfa.check_code(user, old[0])[0] is None
    assert mfa.check_code(user, new[0])[0] is not None


def test_htmx_requests_are_sent_to_the_code_page_whole(client, required):
    factories.UserFactory(username="admin1", role=roles.PLAN_ADMINISTRATOR)
    sign_in(client, "admin1")

    response = client.get("/plans/", headers={"HX-Request": "true"})

    assert response["HX-Redirect"].startswith("/accounts/two-step/set-up/")


def test_off_in_development_by_default_so_the_demo_signs_in_with_passwords(client, settings):
    settings.MFA_REQUIRED = False
    factories.UserFactory(username="admin1", role=roles.PLAN_ADMINISTRATOR)
    sign_in(client, "admin1")

    assert client.get("/plans/").status_code == 200

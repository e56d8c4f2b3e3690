"""A plan administrator, who must use two-step verification, sets up an authenticator
app at their first sign-in and gives a code at the next."""

from base64 import b32decode

import pytest
from django_otp.oath import TOTP

from plans import roles
from tests import factories
from tests.browser.conftest import axe_violations, page_overflow, sign_in


def app_code(secret_shown: str, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app given the typed secret would show."""
    key = b32decode(secret_shown.replace(" ", "") + "=" * (-len(secret_shown.replace(" ", "")) % 8))
    return f"{TOTP(key, drift=steps_ahead).token():06d}"


@pytest.mark.parametrize("width", [1280, 390])
def test_set_up_at_first_sign_in_then_a_code_at_the_next(page, screenshot, settings, width):
    settings.MFA_REQUIRED = True
    factories.UserFactory(username="admin1", role=roles.PLAN_ADMINISTRATOR)
    page.set_viewport_size({"width": width, "height": 900})

    sign_in(page, "admin1")
    page.goto("/plans/")
    assert "/accounts/two-step/set-up/" in page.url
    assert page.get_by_role("img", name="QR code for adding Improvement plans").is_visible()
    assert page_overflow(page) == 0
    assert axe_violations(page) == []
    screenshot(page, f"two-step-set-up-{width}")

    secret = page.locator(".secret-key code").inner_text()
    wrong = "123 456" if app_code(secret) != "123456" else "654321"
    page.get_by_role("textbox", name="Code").fill(wrong)
    page.get_by_role("button", name="Turn on two-step verification").click()
    assert page.get_by_role("alert").inner_text().startswith("There is a problem")
    assert axe_violations(page) == []

    page.get_by_role("textbox", name="Code").fill(app_code(secret))
    page.get_by_role("button", name="Turn on two-step verification").click()
    page.wait_for_load_state()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    assert codes.count() == 10
    assert page_overflow(page) == 0
    assert axe_violations(page) == []
    screenshot(page, f"two-step-recovery-codes-{width}")
    page.get_by_role("link", name="I have saved my recovery codes").click()
    page.wait_for_load_state()
    assert page.url.endswith("/plans/")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    sign_in(page, "admin1")
    assert "/accounts/two-step/code/" in page.url
    assert page_overflow(page) == 0
    assert axe_violations(page) == []
    screenshot(page, f"two-step-code-{width}")
    page.get_by_role("textbox", name="Code").fill(app_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert "/accounts/two-step/" not in page.url
    assert page.get_by_role("button", name="Sign out").is_visible()

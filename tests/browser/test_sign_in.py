"""Signing in and out in a real browser."""

from plans import roles
from tests import factories
from tests.browser.conftest import axe_violations, sign_in


def test_a_user_signs_in_and_out(page, screenshot):
    factories.UserFactory(username="board", role=roles.BOARD_MEMBER)
    page.goto("/")
    assert "/accounts/login/" in page.url
    assert axe_violations(page) == []
    screenshot(page, "sign-in")
    sign_in(page, "board")
    assert page.get_by_role("button", name="Sign out").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert "/accounts/login/" in page.url or page.get_by_text("Signed out").count()


def test_a_wrong_password_is_explained_without_saying_which_part_was_wrong(page):
    factories.UserFactory(username="board", role=roles.BOARD_MEMBER)
    sign_in(page, "board", password="not-the-password")
    assert page.get_by_role("alert").inner_text().startswith("There is a problem")

"""Anyone, signed in or not, reaches the accessibility statement from the sign-in page."""

import pytest

from tests.browser.conftest import axe_violations, page_overflow


@pytest.mark.parametrize("width", [1280, 390])
def test_the_statement_is_one_link_from_the_sign_in_page(page, screenshot, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    assert "/accounts/login/" in page.url

    page.get_by_role("link", name="Accessibility statement").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", level=1).inner_text() == (
        "Accessibility statement for Improvement plans"
    )
    assert page.get_by_role("heading", name="How accessible this service is").is_visible()
    assert page_overflow(page) == 0
    assert axe_violations(page) == []
    screenshot(page, f"accessibility-statement-{width}")

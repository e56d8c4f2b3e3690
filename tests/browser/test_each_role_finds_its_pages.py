"""The navigation offers each role what it uses, on a desktop and a phone: the board and
the clerk no "My actions", only administrators the embedded-mode note."""

import pytest

from plans import roles
from tests import factories
from tests.browser.conftest import PLAYWRIGHT_MISSING, axe_violations, page_overflow, sign_in

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect

NAV = {
    "board": ["Plans", "Audits", "Dashboard", "Committee reports"],
    "clerk": ["Plans", "Audits", "Dashboard", "Committee reports"],
    "admin": [
        "My actions",
        "Plans",
        "Ratings to confirm (0)",
        "Audits",
        "Dashboard",
        "Committee reports",
        "People",
    ],
}
ROLE = {
    "board": roles.BOARD_MEMBER,
    "clerk": roles.COMMITTEE_CLERK,
    "admin": roles.PLAN_ADMINISTRATOR,
}


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("who", sorted(NAV))
def test_each_role_sees_its_own_navigation(page, screenshot, settings, who, width):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded default
    factories.UserFactory(username=who, role=ROLE[who])
    page.set_viewport_size({"width": width, "height": 900})

    sign_in(page, who)
    page.goto("/plans/")

    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    assert links.all_inner_texts() == NAV[who]
    expect(page.get_by_text("Embedded mode")).to_have_count(1 if who == "admin" else 0)
    assert page_overflow(page) == 0
    assert axe_violations(page) == []
    if who == "board":
        screenshot(page, f"navigation-board-{width}")

"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

No browser is downloaded (the machines reach only package registries): Chromium comes
from the system package at /usr/bin/chromium, and the tests skip with the reason where
it is not installed, so `make test` still passes on a machine without it.
"""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOT_MAX_BYTES = 600_000
PLAYWRIGHT_MISSING = "the playwright package is not installed (pip install playwright)"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Date inputs show dates in the browser's own language (day first in en-GB): that
    # needs --lang, LANG (see `browser`) and Debian's chromium-l10n.
    "--lang=en-GB",
]

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(config, items):
    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            reason = PLAYWRIGHT_MISSING
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread; Django would then
    # refuse ORM calls from the test itself. Only these tests need the escape hatch, and
    # only while the browser runs (subprocesses started by other tests must not see it).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                env={**os.environ, "LANG": "en_GB.UTF-8"},
            )
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def roles_present(transactional_db):
    """Role groups come from a data migration, which the live server's flush removes:
    recreate them with the migration's own function."""
    from django.apps import apps

    importlib.import_module("plans.migrations.0002_roles").create_roles(apps, None)


@pytest.fixture
def page(browser, live_server, roles_present):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="en-GB",
        timezone_id="Europe/London",
        base_url=live_server.url,
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def screenshot(request):
    """Save a full-page screenshot: into docs/screenshots with --screenshots (make
    screenshots), else into the test's temporary folder."""
    target = SCREENSHOTS if request.config.getoption("--screenshots") else None

    def take(page, name: str) -> Path:
        folder = target or Path(request.getfixturevalue("tmp_path"))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        # A very long page makes a picture nobody reads and bloats the repository: keep
        # the first screenful, which is what a person sees on arrival.
        if path.stat().st_size > SCREENSHOT_MAX_BYTES:
            page.screenshot(path=str(path), full_page=False)
        return path

    return take


def sign_in(page, username: str, password: str = "pw-for-tests-1") -> None:  # noqa: S107
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def open_quarter(plan):
    """The plan's reporting period for the financial quarter that contains today, made
    and opened by the service the plan page uses, so the journeys do not depend on when
    they run."""
    from plans import periods, services

    today = services.local_today()
    (period,) = periods.periods_create(plan=plan, rule="quarters", start=today, end=today)
    period.refresh_from_db()
    return period


def follow_nav(page, name: str) -> None:
    """Click a link in the site's main navigation, as a person moves between pages."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
    page.wait_for_load_state()


def axe_violations(page, *, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core in the page (from the axe-playwright-python wheel, no network) and
    return the violations of the given impacts."""
    import axe_playwright_python

    script = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text()
    page.evaluate(script)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in impacts]


def has_chromium() -> bool:
    return Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is not None


def page_overflow(page) -> int:
    """How many pixels the page is wider than the viewport (0 if it fits): a page wider
    than a phone's screen scrolls sideways, and what is off to the side is missed."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def fill_date(page, legend: str, day) -> None:
    """Type a date into a day, month and year group, as a person would."""
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))

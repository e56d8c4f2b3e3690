"""Every role's pages fit a phone (390 px) and a desktop (1280 px): nothing is wider than
the screen, form controls included, and the row's action stays in reach. Wide tables
scroll inside their own box, which says so and takes keyboard focus."""

import re

import pytest
from django.core.management import call_command

from plans.models import Action, Measure, Plan
from tests.browser.conftest import PLAYWRIGHT_MISSING, axe_violations, sign_in

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect

PASSWORD = "pw-for-tests-1"  # noqa: S105


@pytest.fixture
def examples(monkeypatch, roles_present):
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    quiet = open("/dev/null", "w")  # noqa: SIM115
    call_command("load_examples", stdout=quiet)
    call_command("create_demo_users", stdout=quiet)
    plan = Plan.objects.get(slug="ilacs-2024")
    return {
        "plan": plan,
        "action": Action.objects.filter(plan=plan, owners__user__username="director").first(),
        "measure": Measure.objects.filter(plan=plan).first(),
        # Its Accountability cell reads otherwise than its owner's post (issue 22).
        "written": Action.objects.get(plan=plan, ref="4.2"),
    }


def pages(examples) -> dict[str, list[str]]:
    plan, action, measure = examples["plan"], examples["action"], examples["measure"]
    rec = plan.recommendations.order_by("position").first()
    return {
        "director": [
            "/plans/mine/",
            f"/plans/actions/{action.pk}/",
            f"/plans/actions/{action.pk}/update/",
            f"/plans/{plan.slug}/",
            f"/plans/recommendations/{rec.pk}/",
            "/plans/",
        ],
        "qa": [
            "/audits/",
            f"/audits/measures/{measure.pk}/",
            f"/audits/measures/{measure.pk}/samples/new/",
            f"/audits/measures/{measure.pk}/values/new/",
            "/plans/to-confirm/",
        ],
        "board": [
            "/reports/dashboard/",
            f"/reports/dashboard/?plan={plan.slug}",
            f"/reports/dashboard/recommendations/{rec.pk}/?plan={plan.slug}",
            "/plans/ofsted-2015/",
            f"/plans/actions/{examples['written'].pk}/",
        ],
        "clerk": ["/reports/", f"/reports/new/{plan.slug}/"],
    }


@pytest.fixture
def page(page):
    """The journeys' page, the size of a phone (390 × 844)."""
    page.set_viewport_size({"width": 390, "height": 844})
    return page


def overflow(page) -> dict:
    """How far the page reaches past the screen, and what sticks out (outside the
    tables' own scrolling boxes)."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const out = [];
            for (const el of document.querySelectorAll("body *")) {
                if (el.closest(".table-scroll")) continue;
                const box = el.getBoundingClientRect();
                if (box.width > 0 && box.right > width + 1) {
                    out.push(el.tagName.toLowerCase() + "." + el.className);
                }
            }
            return {scroll: document.documentElement.scrollWidth, width: width,
                    wide: out.slice(0, 5)};
        }"""
    )


@pytest.mark.parametrize("width", [390, 1280])
def test_no_page_is_wider_than_the_screen(browser, live_server, examples, width, screenshot):
    context = browser.new_context(
        viewport={"width": width, "height": 800}, locale="en-GB", base_url=live_server.url
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = {}
    try:
        for user, paths in pages(examples).items():
            page.context.clear_cookies()
            sign_in(page, user, PASSWORD)
            for path in paths:
                response = page.goto(path)
                assert response.status == 200, path
                found = overflow(page)
                if found["scroll"] > found["width"] or found["wide"]:
                    problems[f"{user} {path}"] = found
    finally:
        context.close()
    assert problems == {}


def test_on_a_phone_a_director_reaches_update_without_scrolling_sideways(
    page, examples, screenshot
):
    sign_in(page, "director", PASSWORD)
    page.goto("/plans/mine/")
    update = page.get_by_role("link", name=f"Update {examples['action'].ref}", exact=True)
    box = update.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    # Each row is a card that names its cells, the position among them.
    row = page.locator(f"#action-{examples['action'].pk}")
    for label in ("Due", "Position", "Last update"):
        cell = row.get_by_role("cell", name=re.compile(f"^{label} "))
        expect(cell).to_be_visible()
        assert cell.bounding_box()["x"] + cell.bounding_box()["width"] <= 390
    assert axe_violations(page) == []
    screenshot(page, "my-actions-phone")

    update.click()
    page.wait_for_load_state()
    assert overflow(page)["scroll"] <= 390
    screenshot(page, "rating-form-phone")


def test_a_wide_table_says_it_scrolls_and_can_be_scrolled_from_the_keyboard(
    page, examples, screenshot
):
    sign_in(page, "board", PASSWORD)
    page.goto(f"/reports/dashboard/?plan={examples['plan'].slug}")
    boxes = page.locator(".table-scroll.is-scrollable")
    assert boxes.count() > 0
    first = boxes.first
    assert first.get_attribute("tabindex") == "0"
    assert "scroll sideways" in first.get_attribute("aria-label")
    cue = first.evaluate("el => getComputedStyle(el, '::before').content")
    assert "Scroll sideways" in cue
    assert axe_violations(page) == []
    screenshot(page, "dashboard-phone")

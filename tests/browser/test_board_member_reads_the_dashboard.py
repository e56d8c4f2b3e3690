"""Journey 5: a board member opens the dashboard, drills into a recommendation and back,
and finds no edit controls on any page they visit."""

import re

import pytest
from django.core.management import call_command

from plans import roles
from plans.models import Plan
from tests import factories
from tests.browser.conftest import PLAYWRIGHT_MISSING, axe_violations, follow_nav, sign_in

# Without playwright this module is skipped, with the reason, rather than failing to import.
expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect

# The words a control that changes something starts with ("Update 1.1", "Edit cover and
# narrative", "Record a dip sample"); reading links such as "Change history" do not.
EDIT_WORDS = re.compile(
    r"^(update|edit|record|save|delete|remove|confirm|send back|close|reopen|override|"
    r"render|set up|import|add|change target)\b",
    re.IGNORECASE,
)


def edit_controls(page) -> list[str]:
    """What on the page could change something: forms that post (other than signing
    out), and buttons or links whose words offer a change."""
    found = page.evaluate(
        """() => {
            const out = [];
            for (const form of document.querySelectorAll("form")) {
                const method = (form.getAttribute("method") || "get").toLowerCase();
                const action = form.getAttribute("action") || "";
                if (method === "post" && !action.endsWith("/accounts/logout/")) {
                    out.push("form posting to " + (action || location.pathname));
                }
                if (form.hasAttribute("hx-post") || form.querySelector("[hx-post]")) {
                    out.push("htmx post in form " + action);
                }
            }
            for (const el of document.querySelectorAll("[hx-post], [hx-put], [hx-delete]")) {
                out.push("htmx write: " + el.outerHTML.slice(0, 80));
            }
            const controls = "main button, main a, main input[type=submit]";
            for (const el of document.querySelectorAll(controls)) {
                out.push("control: " + (el.innerText || el.value || "").trim());
            }
            return out;
        }"""
    )
    return [
        item
        for item in found
        if not item.startswith("control: ") or EDIT_WORDS.match(item.removeprefix("control: "))
    ]


def test_a_board_member_drills_into_a_recommendation_and_back_and_finds_nothing_to_edit(
    page, screenshot
):
    call_command("load_examples", stdout=open("/dev/null", "w"))  # noqa: SIM115
    plan = Plan.objects.get(slug="ilacs-2024")
    rec = plan.recommendations.order_by("position").first()
    factories.UserFactory(
        username="board",
        first_name="Jo",
        last_name="Bennett",
        role=roles.BOARD_MEMBER,
        organisation=plan.organisation,
    )

    sign_in(page, "board")
    follow_nav(page, "Dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Improvement Board dashboard")
    plans_table = page.get_by_role("table", name="Plans side by side")
    expect(plans_table.get_by_role("row")).to_have_count(3)
    assert edit_controls(page) == []
    assert axe_violations(page) == []
    screenshot(page, "dashboard-plans")

    plans_table.get_by_role("link", name=plan.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(plan.title)
    expect(page.get_by_role("main")).to_contain_text("Position as of Q2 2024/25")
    by_rec = page.get_by_role("table", name="by RAG, per recommendation")
    assert edit_controls(page) == []
    assert axe_violations(page) == []
    screenshot(page, "dashboard")
    dashboard_url = page.url

    by_rec.get_by_role("link", name=re.compile(rf"^{re.escape(rec.ref)}\. ")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{rec.ref}. {rec.title}")
    expect(page.get_by_role("heading", name=re.compile(r"^Outcomes and actions"))).to_be_visible()
    assert edit_controls(page) == []
    assert axe_violations(page) == []
    screenshot(page, "dashboard-recommendation")

    page.get_by_role("link", name=f"← Dashboard: {plan.title}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(plan.title)
    expect(page.get_by_role("main")).to_contain_text("Position as of Q2 2024/25")
    assert page.url.startswith(dashboard_url)

    # The drill-down reaches an action's own page: still nothing to change there.
    action = plan.actions.filter(recommendation=rec).order_by("position").first()
    page.goto(action.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Action {action.ref}")
    assert edit_controls(page) == []
    assert axe_violations(page) == []

    page.goto(plan.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_contain_text(plan.title)
    assert edit_controls(page) == []
    assert axe_violations(page) == []
    screenshot(page, "plan-page")

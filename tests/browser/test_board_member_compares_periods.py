"""The dashboard as the board reads it, on a desktop (1280 px) and a phone (390 px): it
opens on the latest closed quarter, compares it with any earlier one, says what it
judges overdue on, lists each owner once, tells a reader when a link names nothing, and
keeps a recommendation's page short. No page is wider than the screen."""

import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from plans.models import Plan
from tests.browser.conftest import PLAYWRIGHT_MISSING, axe_violations, page_overflow, sign_in

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect

PASSWORD = "pw-for-tests-1"  # noqa: S105
# Recommendation 1 of the 2024 plan was 9,903 px long at 1280 px, mostly empty charts.
LONGEST_RECOMMENDATION_PAGE = 5_000


@pytest.fixture
def examples(monkeypatch, roles_present):
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    quiet = open("/dev/null", "w")  # noqa: SIM115
    call_command("load_examples", stdout=quiet)
    call_command("create_demo_users", stdout=quiet)
    return Plan.objects.get(slug="ilacs-2024")


def _fits(page, width: int) -> None:
    assert page_overflow(page) == 0, f"{page.url} is wider than {width} px"


@pytest.mark.parametrize(("width", "suffix"), [(1280, ""), (390, "-phone")])
def test_the_board_compares_the_latest_closed_quarter_with_an_earlier_one(
    page, examples, screenshot, width, suffix
):
    page.set_viewport_size({"width": width, "height": 900})
    plan = examples
    q1, q2, q3 = (plan.periods.get(label=f"Q{n} 2024/25") for n in (1, 2, 3))
    sign_in(page, "board", PASSWORD)
    page.goto(f"/reports/dashboard/?plan={plan.slug}")
    main = page.get_by_role("main")
    # Q3 is open (and mostly not updated yet): the board reads Q2, the last closed.
    expect(main).to_contain_text("Position as of Q2 2024/25")
    expect(main).to_contain_text("Movement compared with Q1 2024/25")
    expect(page.locator("#overdue")).to_contain_text("as of 30 Sep 2024")
    # Each owner once: the plan's "CLT" is its "Corporate Leadership Team (CLT)".
    owners = page.get_by_label("Accountable").locator("option").all_inner_texts()
    assert "CLT" not in owners and "CSLT" not in owners
    assert owners.count("Corporate Leadership Team (CLT)") == 1
    assert len(owners) == len(set(owners))
    _fits(page, width)
    assert axe_violations(page) == []

    page.get_by_label("Position as of").select_option(str(q3.pk))
    page.get_by_label("Compare with").select_option(str(q1.pk))
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    expect(main).to_contain_text("Position as of Q3 2024/25")
    expect(main).to_contain_text("Movement compared with Q1 2024/25")
    expect(page.get_by_role("heading", name="Movement since Q1 2024/25")).to_be_visible()
    # Q3 ended on 31 Dec 2024, open or not: judged on its end, as the page says.
    expect(page.locator("#overdue")).to_contain_text("as of 31 Dec 2024")
    _fits(page, width)
    screenshot(page, f"dashboard-compare{suffix}")

    # A link that names a period the plan does not have: said plainly, not an error.
    response = page.goto(f"/reports/dashboard/?plan={plan.slug}&period=abc&compare={q3.pk}")
    assert response.status == 200
    expect(main).to_contain_text("The period in the link is not one of this plan's")
    expect(main).to_contain_text("“Compare with” must be a period before the one shown")
    expect(main).to_contain_text("Position as of Q2 2024/25")
    _fits(page, width)
    screenshot(page, f"dashboard-bad-link{suffix}")

    rec = plan.recommendations.get(ref="1")
    page.goto(f"/reports/dashboard/recommendations/{rec.pk}/?plan={plan.slug}&period={q2.pk}")
    expect(main).to_contain_text("No results yet for:")
    expect(main).to_contain_text("Not rated yet, with no results or commentary:")
    expect(main.locator(".tag-overdue").first).to_contain_text("days overdue")
    expect(main.locator(".overdue-as-of").first).to_have_text("as of 30 Sep 2024")
    height = page.evaluate("document.documentElement.scrollHeight")
    if width == 1280:
        assert height < LONGEST_RECOMMENDATION_PAGE, height
    _fits(page, width)
    assert axe_violations(page) == []
    screenshot(page, f"dashboard-recommendation{suffix}")


@pytest.mark.parametrize(("width", "suffix"), [(1280, ""), (390, "-phone")])
def test_a_director_reads_days_overdue_as_of_today_on_my_actions_and_the_action(
    page, examples, screenshot, width, suffix
):
    page.set_viewport_size({"width": width, "height": 900})
    today = timezone.localdate()
    as_of = f"as of {today.day} {today:%b %Y}"
    sign_in(page, "director", PASSWORD)
    page.goto("/plans/mine/?overdue=1")
    first = page.locator(".tag-overdue").first
    expect(first).to_contain_text(re.compile(r"^\d+ days? overdue$"))
    days = first.inner_text()
    expect(page.locator(".overdue-as-of").first).to_have_text(as_of)
    _fits(page, width)
    screenshot(page, f"my-actions-overdue{suffix}")
    page.locator("tr.is-overdue td.ref a").first.click()
    page.wait_for_load_state()
    expect(page.locator(".status-strip .tag-overdue")).to_have_text(days)
    expect(page.locator(".status-strip .overdue-as-of")).to_have_text(as_of)
    _fits(page, width)
    screenshot(page, f"action-overdue{suffix}")


@pytest.mark.parametrize(("width", "suffix"), [(1280, ""), (390, "-phone")])
def test_each_figure_under_needs_attention_opens_its_full_list(
    page, examples, screenshot, width, suffix
):
    page.set_viewport_size({"width": width, "height": 900})
    plan = examples
    sign_in(page, "board", PASSWORD)
    page.goto(f"/reports/dashboard/?plan={plan.slug}")
    main = page.get_by_role("main")
    overdue = page.locator("#overdue").get_by_role("link", name=re.compile(r"overdue action"))
    count = int(overdue.locator("strong").inner_text())
    assert count > 0  # the 2024 plan has overdue actions as of Q2: the list is not empty
    overdue.click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overdue actions")
    expect(main).to_contain_text("Position as of Q2 2024/25")
    expect(main).to_contain_text("Overdue as of 30 Sep 2024")
    # As many rows as the figure said, each linking to its action.
    expect(main.locator("table tbody tr")).to_have_count(count)
    expect(main.get_by_role("link", name="CSV")).to_be_visible()
    _fits(page, width)
    assert axe_violations(page) == []
    screenshot(page, f"dashboard-list-overdue{suffix}")

    main.locator("table tbody tr").first.get_by_role("link").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Action")
    page.go_back()
    page.get_by_role("link", name=f"← Dashboard: {plan.title}").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text(plan.title)
    expect(main).to_contain_text("Position as of Q2 2024/25")

"""Journey 6: a plan administrator imports a workbook in the admin, previews it, confirms,
and sees the new actions; a broken workbook shows its row errors and imports nothing."""

from pathlib import Path

import pytest
from openpyxl import Workbook

from plans import roles
from plans.models import Action, Plan, Recommendation
from tests import factories
from tests.browser.conftest import PLAYWRIGHT_MISSING, axe_violations, sign_in

# Without playwright this module is skipped, with the reason, rather than failing to import.
expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect

HEADER = [
    "Ref",
    "Outcome",
    "Actions",
    "Outcome measure",
    "Timescale",
    "Action RAG",
    "Accountability",
    "Outcome Measure RAG",
]
GOOD_ROWS = [
    ["What needs to improve? 1 Help for families is offered early and stepped down safely"],
    [
        "1.1",
        "Families get help from the right service first time.",
        "Introduce a single front door for early help requests, with a daily triage meeting.",
        "Dip sample of 10 requests a month: 90% sent to the right service first time.",
        "Jan 27",
        "Green",
        "Head of Early Help",
        "",
    ],
    [
        "1.2",
        "",
        "Step-down plans agreed with the family before a social work case closes.",
        "Audit of closures: 90% have a step-down plan. Target 90%.",
        "Mar 27",
        "Amber",
        "Service Director – Practice",
        "",
    ],
    ["What needs to improve? 2 Supervision records show reflective discussion"],
    [
        "2.1",
        "Supervision is regular and reflective.",
        "Roll out the supervision template and train every team manager.",
        "3 x monthly dip sample then review. Target 85%.",
        "Feb 27",
        "",
        "Principal Social Worker",
        "",
    ],
]


def _workbook(path: Path, rows: list[list[str]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Action plan"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _open_import(page, workbook: Path, *, new_plan: str) -> None:
    page.goto("/admin/plans/plan/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Import")
    assert axe_violations(page) == []
    page.get_by_label("File to import").set_input_files(str(workbook))
    page.get_by_label("Format").select_option(label="xlsx")
    page.get_by_label("Or a new plan called").fill(new_plan)
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_load_state()


def _plan_admin():
    user = factories.UserFactory(
        username="planadmin", first_name="Chris", last_name="Lowe", role=roles.PLAN_ADMINISTRATOR
    )
    user.is_staff = True
    user.save()
    return user


def test_a_plan_administrator_previews_and_confirms_a_workbook_then_sees_the_new_actions(
    page, screenshot, tmp_path
):
    _plan_admin()
    workbook = _workbook(tmp_path / "early-help-plan.xlsx", GOOD_ROWS)

    sign_in(page, "planadmin")
    _open_import(page, workbook, new_plan="Early help improvement plan 2026")
    expect(page.get_by_role("heading", name="Preview: a new plan")).to_be_visible()
    expect(page.get_by_text("Introduce a single front door")).to_be_visible()
    assert not Plan.objects.filter(title="Early help improvement plan 2026").exists()
    assert axe_violations(page) == []
    screenshot(page, "admin-import-preview")

    page.get_by_role("button", name="Confirm import").click()
    page.wait_for_load_state()
    expect(page.locator(".messagelist")).to_contain_text(
        "Imported into Early help improvement plan 2026: recommendations: 2 created"
    )
    plan = Plan.objects.get(title="Early help improvement plan 2026")
    assert sorted(plan.actions.values_list("ref", flat=True)) == ["1.1", "1.2", "2.1"]
    assert axe_violations(page) == []

    page.locator("a.viewsitelink").click()  # the plan's own, not an inline row's
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_contain_text(plan.title)
    main = page.get_by_role("main")
    for text in ("single front door", "Step-down plans agreed", "supervision template"):
        expect(main.get_by_text(text, exact=False).first).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "admin-import-plan")


def test_a_broken_workbook_shows_its_row_errors_and_imports_nothing(page, screenshot, tmp_path):
    _plan_admin()
    broken = [list(row) for row in GOOD_ROWS]
    broken[1][5] = "Purple"  # no such RAG
    broken[2][0] = ""  # an action with no Ref
    workbook = _workbook(tmp_path / "early-help-plan-broken.xlsx", broken)

    sign_in(page, "planadmin")
    _open_import(page, workbook, new_plan="Early help improvement plan 2026")
    expect(page.get_by_role("heading", name="Some rows cannot be imported")).to_be_visible()
    errors = page.locator("table.import-preview")
    rows = errors.get_by_role("row")
    expect(rows.filter(has_text="Action RAG")).to_contain_text("3")
    expect(rows.filter(has_text="This row has an action but no Ref")).to_contain_text("4")
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)
    assert axe_violations(page) == []
    screenshot(page, "admin-import-errors")

    assert not Plan.objects.exists()
    assert not Recommendation.objects.exists()
    assert not Action.objects.exists()

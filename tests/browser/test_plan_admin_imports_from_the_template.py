"""A plan administrator downloads the import template from the import page, imports a
plan written in it, and finds the plan in the council's financial quarters (the current
one open for ratings), not a one-day period; at 1280 px and on a phone."""

import pytest
from openpyxl import load_workbook

from core.dates import quarter_of
from plans import services
from plans.models import Plan
from tests.browser.conftest import PLAYWRIGHT_MISSING, axe_violations, page_overflow, sign_in
from tests.browser.test_plan_admin_imports_a_workbook import (
    GOOD_ROWS,
    _open_import,
    _plan_admin,
    _workbook,
)

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect


@pytest.mark.parametrize("width", [1280, 390])
def test_the_template_downloads_and_an_imported_plan_gets_the_councils_quarters(
    page, screenshot, tmp_path, width
):
    _plan_admin()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "planadmin")
    page.goto("/admin/plans/plan/import/")
    assert page_overflow(page) == 0

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the template to fill in").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    book = load_workbook(saved)
    assert book.active["A1"].value == "Ref"
    assert len(book.sheetnames) >= 2  # the plan's sheet and the guide to its columns

    _open_import(page, _workbook(tmp_path / "plan.xlsx", GOOD_ROWS), new_plan="Early help 2026")
    page.get_by_role("button", name="Confirm import").click()
    page.wait_for_load_state()

    plan = Plan.objects.get(title="Early help 2026")
    today = services.local_today()
    label, first, _ = quarter_of(today)
    opened = plan.periods.get(state="open")
    assert (opened.label, opened.start) == (label, first)
    assert all(period.end > period.start for period in plan.periods.all())
    page.goto(f"/plans/{plan.slug}/periods/")
    expect(page.get_by_role("cell", name=label)).to_be_visible()
    assert page_overflow(page) == 0
    assert axe_violations(page) == []
    screenshot(page, f"imported-plan-quarters-{width}")

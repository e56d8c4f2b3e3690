"""Journey 4: a committee clerk sets up the quarterly report for the 2024 example plan,
renders it, waits until it is ready and downloads the PDF and its Word version.

With no broker configured (the test default) the render job runs in the web process, as
in the embedded demo; the page shows the state the job reached either way."""

import datetime as dt
from pathlib import Path

import pytest

from demo import examples
from plans import roles
from plans.models import Plan
from reporting.models import ReportRender
from reporting.pdf import pdf_text
from tests import factories
from tests.browser.conftest import (
    PLAYWRIGHT_MISSING,
    axe_violations,
    fill_date,
    follow_nav,
    sign_in,
)

# Without playwright this module is skipped, with the reason, rather than failing to import.
expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect

COMMITTEE = "Children and Young People Scrutiny Committee"


def test_a_clerk_sets_up_renders_and_downloads_the_quarterly_report(page, screenshot, tmp_path):
    examples.load_ilacs_2024()
    plan = Plan.objects.get(slug="ilacs-2024")
    factories.UserFactory(
        username="clerk",
        first_name="Alex",
        last_name="Morgan",
        role=roles.COMMITTEE_CLERK,
        organisation=plan.organisation,
    )

    sign_in(page, "clerk")
    follow_nav(page, "Committee reports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Committee reports")
    assert axe_violations(page) == []
    page.get_by_role("link", name=f"Set up a new report for {plan.title}").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a committee report")
    expect(page.get_by_label("Position as of")).to_have_value(
        str(plan.periods.get(label="Q2 2024/25").pk)
    )
    page.get_by_label("Committee", exact=True).fill(COMMITTEE)
    fill_date(page, "Meeting date", dt.date(2024, 11, 11))
    page.get_by_label("Agenda item number").fill("6")
    page.get_by_label("Report of").fill("Executive Director for Children and Young People")
    page.get_by_label("Recommendations to the committee").fill(
        "The committee notes the progress made against the action plan in Q2 2024/25."
    )
    page.get_by_label("Purpose and reason for report", exact=True).fill(
        "To update the committee on progress against the plan written after the ILACS "
        "inspection of 2024."
    )
    # The form is grouped as the council numbers its sections; one is not applicable.
    group = page.locator("fieldset.report-group").filter(has_text="11. Background documents")
    group.get_by_label("Background documents: not applicable").check()
    assert axe_violations(page) == []
    screenshot(page, "report-form")
    page.get_by_role("button", name="Set up report").click()
    page.wait_for_load_state()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"{COMMITTEE}, 11 November 2024")
    status = page.locator("#render-status")
    expect(status).to_contain_text("has not been rendered yet")
    assert axe_violations(page) == []
    status.get_by_role("button", name="Render PDF").click()
    # The embedded job lays out the whole plan before the page answers.
    expect(status.locator(".render-ready")).to_have_text("Ready", timeout=120_000)
    expect(status).to_contain_text("Render 1")
    # The renders table below follows the panel without a reload.
    history = page.locator("#render-history")
    expect(history.get_by_role("row").nth(1)).to_contain_text("Ready")
    assert axe_violations(page) == []
    screenshot(page, "report-ready")

    with page.expect_download() as waiting:
        status.get_by_role("link", name="Download the Word version").click()
    assert waiting.value.suggested_filename.endswith(".docx")

    with page.expect_download() as waiting:
        status.get_by_role("link", name="Download the PDF").click()
    download = waiting.value
    assert download.suggested_filename.endswith(".pdf")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = Path(saved).read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    text = " ".join(pdf_text(data).split())
    assert plan.title in text
    assert COMMITTEE in text

    follow_nav(page, "Committee reports")
    row = page.get_by_role("row").filter(has_text=COMMITTEE)
    expect(row.locator(".render-ready")).to_have_text("Ready")
    assert axe_violations(page) == []
    screenshot(page, "report-list")

    render = ReportRender.objects.get(report__plan=plan)
    assert render.state == ReportRender.State.READY
    assert render.page_count > 1

"""A committee clerk approves the quarter's report and publishes it; a visitor who is not
signed in finds it among the published reports, reads it as a web page and downloads
its PDF; the clerk unpublishes it and the visitor's page is gone. On a desktop and on a
phone."""

from pathlib import Path

import pytest

from plans import roles
from reporting.models import CommitteeReport
from tests import factories
from tests.browser.conftest import PLAYWRIGHT_MISSING, axe_violations, page_overflow, sign_in
from tests.reporting.builders import build_reported_plan

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect


@pytest.mark.parametrize("width", [1280, 390])
def test_the_public_reads_a_published_report_until_it_is_unpublished(
    page, browser, live_server, screenshot, tmp_path, width
):
    page.set_viewport_size({"width": width, "height": 900})
    built = build_reported_plan(areas=2, actions_per_area=3, slug="children-2024")
    report = built.report
    factories.UserFactory(
        username="clerk", first_name="Alex", last_name="Morgan", role=roles.COMMITTEE_CLERK
    )

    sign_in(page, "clerk")
    page.goto(report.get_absolute_url())
    page.get_by_role("button", name="Approve the report").click()
    page.wait_for_load_state()
    # The embedded job renders the approved report before the page answers.
    expect(page.locator("#render-status .render-ready")).to_have_text("Ready", timeout=120_000)
    page.reload()
    panel = page.locator("#publication")
    panel.get_by_label("Why publish it now?").fill("Sent to the committee for 11 November")
    panel.get_by_label("I confirm that this report contains no exempt information").check()
    assert axe_violations(page) == []
    panel.get_by_role("button", name="Publish the report").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Published: anyone can now read the report")).to_be_visible()
    expect(page.locator("#publication")).to_contain_text(
        "Published: Sent to the committee for 11 November (Alex Morgan)"
    )
    assert page_overflow(page) <= 0
    screenshot(page, f"clerk-report-published-{width}")

    visitor_context = browser.new_context(
        viewport={"width": width, "height": 900},
        locale="en-GB",
        timezone_id="Europe/London",
        base_url=live_server.url,
        accept_downloads=True,
    )
    visitor = visitor_context.new_page()
    visitor.goto("/published/")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Published committee reports")
    assert page_overflow(visitor) <= 0
    assert axe_violations(visitor) == []
    listed = "Q2 2024/25: Children and Education Scrutiny Committee, 11 November 2024"
    visitor.get_by_role("link", name=listed).click()
    visitor.wait_for_load_state()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(report.title)
    expect(visitor.get_by_role("heading", name="Recommendations")).to_be_visible()
    expect(visitor.get_by_role("heading", name="Appendix B: RAG criteria")).to_be_visible()
    expect(visitor.get_by_text("Alex Morgan")).to_have_count(0)
    assert visitor_context.cookies() == []
    assert page_overflow(visitor) <= 0
    assert axe_violations(visitor) == []
    levels = visitor.evaluate(
        "() => [...document.querySelectorAll('main h1, main h2, main h3, main h4')]"
        ".map(h => Number(h.tagName[1]))"
    )
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    screenshot(visitor, f"public-report-{width}")

    with visitor.expect_download() as waiting:
        visitor.get_by_role("link", name="Download the report as a PDF").click()
    saved = tmp_path / waiting.value.suggested_filename
    waiting.value.save_as(saved)
    report = CommitteeReport.objects.get(pk=report.pk)
    assert Path(saved).read_bytes() == report.published_render.pdf.open().read()

    address = visitor.url
    assert address.endswith("/published/children-2024/q2-202425/")
    panel = page.locator("#publication")
    panel.get_by_label("Why take it off the public pages?").fill("Withdrawn at the chair's request")
    panel.get_by_role("button", name="Unpublish the report").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Unpublished: the public page and its PDF are gone.")).to_be_visible()

    # A reload asks the server again (the page may otherwise be kept for PUBLIC_MAX_AGE).
    assert visitor.url == address
    answer = visitor.reload()
    assert answer.status == 410
    expect(visitor.get_by_role("heading", level=1)).to_have_text(
        "This report is no longer published"
    )
    visitor_context.close()

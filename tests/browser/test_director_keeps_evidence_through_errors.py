"""A director attaches evidence, types a date with a part missing and forgets the recovery
plan: the page comes back with the errors, names the file it kept and the part of the date
that is missing, and saving after the corrections keeps the file, on a desktop and a phone."""

import datetime as dt

import pytest

from plans import roles, services
from plans.models import Evidence
from tests import factories
from tests.browser.conftest import (
    PLAYWRIGHT_MISSING,
    axe_violations,
    open_quarter,
    page_overflow,
    sign_in,
)

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect

TODAY = services.local_today()
NEW_DUE = TODAY + dt.timedelta(days=90)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_chosen_file_survives_the_errors_and_is_saved_with_the_update(
    page, screenshot, tmp_path, width
):
    page.set_viewport_size({"width": width, "height": 900})
    director = factories.UserFactory(
        username="director", first_name="Dana", last_name="Reid", role=roles.SERVICE_DIRECTOR
    )
    plan = factories.PlanFactory(slug="children-2024", title="Children's services improvement plan")
    open_quarter(plan)
    post = factories.OwnerFactory(post="Service Director – Practice", user=director)
    rec = factories.RecommendationFactory(plan=plan, ref="3", title="Supervision is regular")
    action = factories.ActionFactory(
        recommendation=rec,
        ref="3.1",
        text="Monthly supervision for every social worker, recorded on the case file",
        due_date=TODAY + dt.timedelta(days=40),
        owners=[post],
    )
    audit = tmp_path / "Supervision audit October.pdf"
    audit.write_bytes(b"%PDF-1.7\n% supervision audit\n")

    sign_in(page, "director")
    page.goto(f"/plans/actions/{action.pk}/update/")
    page.get_by_label("Red").check()
    page.get_by_label("Commentary").fill("Supervision recorded for 41 of 48 social workers.")
    page.get_by_label("Attach a file").set_input_files(str(audit))
    page.get_by_text("Propose a new due date").click()
    due = page.get_by_role("group", name="New due date")
    due.get_by_label("Day").fill(str(NEW_DUE.day))
    due.get_by_label("Year").fill(str(NEW_DUE.year))
    page.get_by_label("Why is the due date changing?").fill("Two team managers on leave.")
    page.get_by_role("button", name="Save update").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The new due date must include a month")
    kept = page.locator("#kept-file")
    expect(kept).to_contain_text("Supervision_audit_October.pdf is attached")
    expect(kept).to_contain_text("you do not need to choose it again")
    expect(due.get_by_label("Day")).to_have_value(str(NEW_DUE.day))
    assert page_overflow(page) <= 0
    assert axe_violations(page) == []
    screenshot(page, f"action-update-file-kept-{width}")

    # The month given, but Red still has no recovery plan: the file stays kept.
    due.get_by_label("Month").fill(str(NEW_DUE.month))
    page.get_by_role("button", name="Save update").click()
    expect(page.get_by_role("alert")).to_contain_text("Say what will bring it back on track")
    expect(page.locator("#kept-file")).to_contain_text("Supervision_audit_October.pdf")

    page.get_by_label("What will bring it back on track?").fill(
        "Senior practitioners cover the supervision until the managers return."
    )
    page.get_by_role("button", name="Save update").click()
    expect(page.get_by_text("Update saved: 3.1 is Red")).to_be_visible()
    item = Evidence.objects.get(action=action)
    assert item.file.name.endswith("Supervision_audit_October.pdf")
    assert item.file.read() == audit.read_bytes()
    action.refresh_from_db()
    assert action.due_date == NEW_DUE

"""The audit trail: every model people edit keeps history, and every write through the
services records who made it and why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from simple_history.models import HistoricalChanges

from audits import services as audit_services
from plans import periods, services
from plans.io.importing import import_file
from plans.models import Plan, Rating, ReportingPeriod
from reporting import services as report_services
from tests import factories
from tests.plans.test_importing import as_xlsx, row, table
from tests.security.world import minimal_pdf

APPS = ("plans", "audits", "reporting")
# Records the system writes, not people: each says why it needs no history of its own.
SYSTEM_RECORDS = {
    "plans.AccountChange": "it is the history of accounts (invitations, roles, posts "
    "linked), written by plans.people with who and why; nobody edits a row of it",
    "plans.Reminder": "the reminder task's claim row, so that each email is sent once; "
    "nobody edits it, and it records when it was sent",
    "plans.Position": "each item's position as of each period, derived from the ratings "
    "(which keep history) and rewritten from them by the services and rebuild_positions",
    "reporting.ReportRender": "a render job's state, written by the worker; what it renders "
    "(the committee report) has history, and every render is kept with who asked and when",
}
TODAY = dt.date(2024, 8, 1)


def editable_models():
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            if not issubclass(model, HistoricalChanges):
                yield model


def test_every_model_people_edit_keeps_history():
    models = list(editable_models())
    assert len(models) >= 15
    without = [
        model._meta.label
        for model in models
        if not hasattr(model, "history") and model._meta.label not in SYSTEM_RECORDS
    ]
    assert without == [], "add HistoricalRecords() to these models, or list them with a reason"


def test_the_exclusions_are_real_models_that_still_have_no_history():
    labels = {model._meta.label: model for model in editable_models()}
    for label in SYSTEM_RECORDS:
        assert label in labels, f"{label} no longer exists: remove it from SYSTEM_RECORDS"
        assert not hasattr(labels[label], "history"), f"{label} has history now: remove it"


def last_change(obj):
    return obj.history.order_by("-history_date", "-history_id").first()


def assert_recorded(obj, user, reason: str = "") -> None:
    entry = last_change(obj)
    assert entry is not None, f"{obj!r} has no history"
    assert entry.history_user == user, f"{obj!r}: {entry.history_user} instead of {user}"
    assert entry.history_change_reason, f"{obj!r} has no reason"
    assert reason in entry.history_change_reason, entry.history_change_reason


@pytest.fixture
def measure(action):
    return factories.MeasureFactory(action=action)


def test_a_directors_update_records_who_and_why_on_everything_it_changes(action, director):
    rating = services.action_update(
        action=action,
        user=director,
        expected_version=action.version,
        rag="red",
        commentary="Recruitment is behind.",
        recovery="Agency advisers until April.",
        evidence_file=SimpleUploadedFile("minutes.pdf", minimal_pdf()),
        new_due_date=dt.date(2025, 6, 30),
        due_date_reason="Panel moved to June.",
        today=TODAY,
    )

    action.refresh_from_db()
    assert_recorded(action, director, "due date revised: Panel moved to June.")
    assert_recorded(rating, director, "Rated Red")
    assert_recorded(action.remedial_actions.get(), director, "Recovery given")
    assert_recorded(action.evidence.get(), director, "Evidence for the")
    assert_recorded(action.revisions.get(), director, "Panel moved to June.")


def test_ratings_and_their_review_record_who_and_why(action, director, qa_lead, plan):
    plan.requires_signoff = True
    plan.save()
    rating = services.rating_record(item=action, rag="green", user=director, commentary="Done.")
    assert_recorded(rating, director)

    periods.rating_confirm(rating=rating, user=qa_lead, comment="Seen the minutes.")
    assert_recorded(rating, qa_lead, "confirmed: Seen the minutes.")

    other = services.rating_record(item=action, rag="red", user=director, commentary="Late.")
    periods.rating_return(rating=other, user=qa_lead, comment="Say what is late.")
    assert_recorded(other, qa_lead, "sent back: Say what is late.")


def test_periods_record_who_created_closed_and_reopened_them(plan, period, action, plan_admin):
    created = periods.periods_create(
        plan=plan,
        rule="quarters",
        start=dt.date(2024, 10, 1),
        end=dt.date(2024, 12, 31),
        user=plan_admin,
    )
    assert_recorded(created[0], plan_admin)

    services.period_close(period=period, user=plan_admin)
    period.refresh_from_db()
    assert_recorded(period, plan_admin, "period closed")
    carried = Rating.objects.get(period=period, action=action)
    assert_recorded(carried, plan_admin, "carried forward")

    periods.period_reopen(period=period, user=plan_admin, reason="A rating was missed.")
    assert_recorded(ReportingPeriod.objects.get(pk=period.pk), plan_admin, "A rating was missed.")


def test_audit_records_record_who_and_why(measure, qa_lead):
    schedule = audit_services.schedule_confirm(
        measure=measure, user=qa_lead, cadence="monthly", rounds=3, first_due=dt.date(2024, 7, 31)
    )
    assert_recorded(schedule, qa_lead)

    sample = audit_services.dip_sample_record(
        measure=measure,
        user=qa_lead,
        sampled_on=dt.date(2024, 7, 20),
        sample_size=10,
        compliant=7,
        findings="Plans late.",
    )
    assert_recorded(sample, qa_lead, "dip sample recorded")
    assert_recorded(measure.ratings.latest("created"), qa_lead)

    sample.refresh_from_db()
    audit_services.dip_sample_update(
        sample=sample,
        user=qa_lead,
        expected_version=sample.version,
        sampled_on=sample.sampled_on,
        sample_size=10,
        compliant=8,
        reason="Miscounted one file.",
    )
    assert_recorded(sample, qa_lead, "Miscounted one file.")

    value = audit_services.measure_value_record(
        measure=measure, user=qa_lead, as_of=dt.date(2024, 8, 31), value=Decimal("81.5")
    )
    assert_recorded(value, qa_lead)

    measure.refresh_from_db()
    audit_services.measure_targets_update(
        measure=measure,
        user=qa_lead,
        expected_version=measure.version,
        target=Decimal("85"),
        tolerance=Decimal("5"),
        reason="Agreed with the board.",
    )
    measure.refresh_from_db()
    assert_recorded(measure, qa_lead, "Agreed with the board.")

    override = audit_services.measure_rag_override(
        measure=measure, user=qa_lead, rag="green", reason="The July sample was atypical."
    )
    assert_recorded(override, qa_lead)


def test_committee_reports_record_who_and_why(plan, period, clerk):
    report = report_services.report_create(
        plan=plan,
        period=period,
        user=clerk,
        committee="Children and Education Scrutiny Committee",
        meeting_date=dt.date(2024, 11, 11),
    )
    assert_recorded(report, clerk, "report created")

    report_services.report_update(
        report=report,
        expected_version=report.version,
        user=clerk,
        reason="Added the background.",
        background="The inspection found weaknesses.",
    )
    assert_recorded(report, clerk, "Added the background.")


def test_an_import_records_who_imported_each_record(plan_admin):
    import_file(
        as_xlsx(table(row(ref="1.1"), row(ref="1.2", action="Audit case files"))),
        "plan.xlsx",
        plan_name="Imported plan",
        user=plan_admin,
    )

    plan = Plan.objects.get(title="Imported plan")
    assert_recorded(plan, plan_admin)
    for record in [*plan.recommendations.all(), *plan.actions.all(), *plan.measures.all()]:
        assert_recorded(record, plan_admin)

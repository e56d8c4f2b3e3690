"""Recording and correcting dip samples: the rules, the rating they write, and history."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audits import services
from audits.models import DipSample
from core.models import ConflictError
from plans import services as plan_services
from plans.models import Rating
from tests import factories


@pytest.fixture
def measure(action):
    return factories.MeasureFactory(action=action, target=90, tolerance=10)


def record(measure, user, **overrides):
    fields = {
        "sampled_on": dt.date(2024, 10, 15),
        "sample_size": 10,
        "compliant": 9,
        "findings": "",
        "mitigation": "",
        "case_codes": "",
    }
    return services.dip_sample_record(measure=measure, user=user, **(fields | overrides))


def test_recording_a_sample_rates_the_measure_in_the_open_period(measure, qa_lead, period):
    sample = record(measure, qa_lead)
    rating = Rating.objects.get(measure=measure)
    assert sample.result == 90.0
    assert sample.period == period
    assert sample.auditor == qa_lead
    assert rating.period == period
    assert (rating.rag, rating.suggested_rag) == ("green", "green")
    assert rating.commentary == "Dip sample 15 Oct 2024: 9 of 10 compliant (90.0%)"
    assert rating.status == Rating.Status.CONFIRMED
    assert rating.created_by == qa_lead


def test_the_commentary_names_the_mitigation_that_made_it_amber(measure, qa_lead):
    record(measure, qa_lead, compliant=5, mitigation="Weekly case reviews by team manager")
    rating = Rating.objects.get(measure=measure)
    assert rating.rag == "amber"
    assert rating.commentary == (
        "Dip sample 15 Oct 2024: 5 of 10 compliant (50.0%). "
        "Mitigation in place: Weekly case reviews by team manager"
    )


def test_a_sample_keeps_history_with_who_and_why(measure, qa_lead):
    sample = record(measure, qa_lead)
    entry = sample.history.get()
    assert entry.history_user == qa_lead
    assert entry.history_change_reason == "dip sample recorded"


def test_a_backdated_sample_does_not_displace_the_latest_result(measure, qa_lead):
    record(measure, qa_lead, sampled_on=dt.date(2024, 10, 15), compliant=10)
    record(measure, qa_lead, sampled_on=dt.date(2024, 9, 15), compliant=2)
    latest = Rating.objects.filter(measure=measure).order_by("-created", "-pk").first()
    assert latest.rag == "green"
    assert "The latest result stands: Dip sample 15 Oct 2024: 10 of 10" in latest.commentary


def test_a_measure_without_a_target_keeps_the_sample_but_records_no_rating(action, qa_lead):
    measure = factories.MeasureFactory(action=action, target=None, tolerance=None)
    record(measure, qa_lead)
    assert DipSample.objects.filter(measure=measure).count() == 1
    assert not Rating.objects.filter(measure=measure).exists()


def test_with_no_open_period_nothing_is_saved(measure, qa_lead, period, plan_admin):
    plan_services.period_close(period=period, user=plan_admin)
    with pytest.raises(ValidationError, match="No reporting period is open"):
        record(measure, qa_lead)
    assert not DipSample.objects.exists()


def test_case_codes_are_stored_in_capitals(measure, qa_lead):
    sample = record(measure, qa_lead, case_codes=" c-1042 ,ab12")
    assert sample.case_codes == "C-1042, AB12"


def test_a_sample_counts_towards_the_measures_schedule(measure, qa_lead):
    schedule = factories.AuditScheduleFactory(measure=measure, first_due=dt.date(2024, 10, 31))
    sample = record(measure, qa_lead, sampled_on=dt.date(2024, 10, 15))
    assert sample.schedule == schedule


# Bad input: each rule gives a field error and saves nothing.


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"sample_size": 0}, "sample_size", "at least 1"),
        ({"sample_size": -3}, "sample_size", "at least 1"),
        ({"compliant": -1}, "compliant", "cannot be negative"),
        ({"compliant": 11}, "compliant", "cannot be more than the sample size (10)"),
        ({"sampled_on": dt.date(2099, 1, 1)}, "sampled_on", "cannot be in the future"),
        ({"case_codes": "Jane Smith"}, "case_codes", "anonymised case codes"),
        ({"case_codes": "SMITH"}, "case_codes", "at least one digit"),
        ({"case_codes": "C-1042; DROP TABLE"}, "case_codes", "anonymised case codes"),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_saved(
    measure, qa_lead, overrides, field, message
):
    with pytest.raises(ValidationError) as error:
        record(measure, qa_lead, **overrides)
    assert list(error.value.message_dict) == [field]
    assert message in " ".join(error.value.message_dict[field])
    assert not DipSample.objects.exists()
    assert not Rating.objects.exists()


def test_tomorrow_in_london_is_the_future_even_while_it_is_still_today_in_utc(
    measure, qa_lead, monkeypatch
):
    # 23:30 UTC on 31 March 2025 is 00:30 on 1 April in London (BST).
    fixed = dt.datetime(2025, 3, 31, 23, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    record(measure, qa_lead, sampled_on=dt.date(2025, 4, 1))
    with pytest.raises(ValidationError) as error:
        record(measure, qa_lead, sampled_on=dt.date(2025, 4, 2))
    assert "1 Apr 2025" in error.value.message_dict["sampled_on"][0]


def test_the_database_refuses_more_compliant_than_sampled(measure, period):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        DipSample.objects.create(
            measure=measure, sampled_on=dt.date(2024, 10, 1), sample_size=5, compliant=6
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        DipSample.objects.create(
            measure=measure, sampled_on=dt.date(2024, 10, 1), sample_size=0, compliant=0
        )


@pytest.mark.parametrize("role", ["director", "board_member", "clerk"])
def test_only_qa_leads_and_administrators_record_samples(measure, role, request):
    user = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        record(measure, user)
    assert not DipSample.objects.exists()


def test_a_plan_administrator_records_samples(measure, plan_admin):
    record(measure, plan_admin)
    assert DipSample.objects.get().auditor == plan_admin


# Corrections.


def update(sample, user, **overrides):
    fields = {
        "sampled_on": sample.sampled_on,
        "sample_size": sample.sample_size,
        "compliant": sample.compliant,
        "findings": sample.findings,
        "mitigation": sample.mitigation,
        "case_codes": sample.case_codes,
    }
    return services.dip_sample_update(
        sample=sample,
        user=user,
        expected_version=sample.version,
        reason="miscounted",
        **(fields | overrides),
    )


def test_correcting_the_latest_sample_re_rates_the_measure(measure, qa_lead):
    sample = record(measure, qa_lead)
    update(sample, qa_lead, compliant=6)
    sample.refresh_from_db()
    latest = Rating.objects.filter(measure=measure).order_by("-created", "-pk").first()
    assert sample.result == 60.0
    assert sample.version == 2
    assert latest.rag == "red"
    assert latest.commentary.startswith("Corrected: Dip sample 15 Oct 2024: 6 of 10")
    assert sample.history.first().history_change_reason == "miscounted"


def test_correcting_only_the_findings_writes_no_new_rating(measure, qa_lead):
    sample = record(measure, qa_lead)
    update(sample, qa_lead, findings="Chronologies up to date")
    assert Rating.objects.filter(measure=measure).count() == 1


def test_a_correction_with_bad_input_changes_nothing(measure, qa_lead):
    sample = record(measure, qa_lead)
    with pytest.raises(ValidationError) as error:
        update(sample, qa_lead, compliant=12)
    assert "compliant" in error.value.message_dict
    sample.refresh_from_db()
    assert (sample.compliant, sample.version) == (9, 1)


def test_a_sample_cannot_be_corrected_once_its_period_has_closed(
    measure, qa_lead, period, plan_admin
):
    sample = record(measure, qa_lead)
    factories.PeriodFactory(
        plan=measure.plan,
        label="Q3 2024/25",
        start=dt.date(2024, 10, 1),
        end=dt.date(2024, 12, 31),
        state="upcoming",
    )
    plan_services.period_close(period=period, user=plan_admin)
    sample.refresh_from_db()
    ratings_before = list(Rating.objects.filter(period=period).values_list("pk", "rag"))
    with pytest.raises(ValidationError, match="Q2 2024/25 is closed"):
        update(sample, qa_lead, compliant=1)
    sample.refresh_from_db()
    assert sample.compliant == 9
    assert list(Rating.objects.filter(period=period).values_list("pk", "rag")) == ratings_before


def test_a_stale_correction_is_refused(measure, qa_lead, plan_admin):
    sample = record(measure, qa_lead)
    stale = DipSample.objects.get(pk=sample.pk)
    update(sample, plan_admin, compliant=8)
    with pytest.raises(ConflictError):
        update(stale, qa_lead, compliant=7)
    sample.refresh_from_db()
    assert sample.compliant == 8

"""Audit schedules: proposed from the measure's words, confirmed by a QA lead, and
watched for overdue rounds."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audits import selectors, services
from audits.models import AuditSchedule
from tests import factories

TODAY = dt.date(2024, 9, 10)


def d(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d %b %Y").date()


def measure_saying(action, text):
    return factories.MeasureFactory(action=action, text=text)


# Proposals from each sentence form in the plan.


@pytest.mark.parametrize(
    ("text", "cadence", "interval", "rounds", "due", "review"),
    [
        (
            "Training delivered. 3 x monthly dip samples then review. Target 90%.",
            "monthly",
            1,
            3,
            ["31 Oct 2024", "30 Nov 2024", "31 Dec 2024"],
            "31 Jan 2025",
        ),
        (
            "Team workshops delivered. Two monthly dip sample x 3 then review and re plan if "
            "required.",
            "two_monthly",
            2,
            3,
            ["30 Nov 2024", "31 Jan 2025", "31 Mar 2025"],
            "31 May 2025",
        ),
        (
            "Impact measured via 6 x dip sampling then review. Target 100% - tolerance 10%.",
            "monthly",
            1,
            6,
            [
                "31 Oct 2024",
                "30 Nov 2024",
                "31 Dec 2024",
                "31 Jan 2025",
                "28 Feb 2025",
                "31 Mar 2025",
            ],
            "30 Apr 2025",
        ),
        (
            "Comms to staff and amended guidance issued. Quarterly dip samples x 3 then review.",
            "quarterly",
            3,
            3,
            ["31 Dec 2024", "31 Mar 2025", "30 Jun 2025"],
            "30 Sep 2025",
        ),
        (
            "Dip Sampling to test impact 3 x monthly.",
            "monthly",
            1,
            3,
            ["31 Oct 2024", "30 Nov 2024", "31 Dec 2024"],
            None,
        ),
    ],
)
def test_each_sentence_form_in_the_plan_proposes_its_schedule(
    action, text, cadence, interval, rounds, due, review
):
    draft = services.schedule_propose(measure=measure_saying(action, text), today=TODAY)
    assert (draft.cadence, draft.interval_months, draft.rounds) == (cadence, interval, rounds)
    assert draft.round_dates == [d(day) for day in due]
    assert draft.review_date == (d(review) if review else None)
    assert draft.source_text == text


def test_the_proposal_carries_the_target_and_tolerance_the_words_give(action):
    draft = services.schedule_propose(
        measure=measure_saying(
            action, "Impact measured via 6 x dip sampling then review. Target 100% - tolerance 10%."
        ),
        today=TODAY,
    )
    assert (draft.target, draft.tolerance) == (100, 10)


def test_rounds_start_after_the_action_starts_when_that_is_later(action):
    action.start_date = dt.date(2025, 1, 6)
    action.save()
    draft = services.schedule_propose(
        measure=measure_saying(action, "3 x monthly dip sample"), today=TODAY
    )
    assert draft.first_due == dt.date(2025, 2, 28)


@pytest.mark.parametrize(
    "text", ["Training delivered and slide decks distributed.", "Audit of all new cases."]
)
def test_words_that_describe_no_repeated_sampling_propose_nothing(action, text):
    assert services.schedule_propose(measure=measure_saying(action, text), today=TODAY) is None


# Round dates.


@pytest.mark.parametrize(
    ("first", "interval", "expected"),
    [
        ("31 Jan 2025", 1, ["31 Jan 2025", "28 Feb 2025", "31 Mar 2025"]),
        ("30 Jan 2025", 1, ["30 Jan 2025", "28 Feb 2025", "30 Mar 2025"]),
        ("15 Nov 2024", 2, ["15 Nov 2024", "15 Jan 2025", "15 Mar 2025"]),
        ("30 Nov 2024", 3, ["30 Nov 2024", "28 Feb 2025", "31 May 2025"]),
    ],
)
def test_rounds_fall_on_the_same_day_or_the_month_end(first, interval, expected):
    dates = selectors.round_dates(first_due=d(first), interval_months=interval, rounds=3)
    assert dates == [d(day) for day in expected]


# Overdue detection.


@pytest.fixture
def schedule(action):
    measure = factories.MeasureFactory(action=action)
    return factories.AuditScheduleFactory(
        measure=measure, first_due=dt.date(2024, 10, 31), rounds=3, review_date=dt.date(2025, 1, 31)
    )


def next_due(schedule, today):
    annotated = selectors.schedules_with_progress().get(pk=schedule.pk)
    return selectors.schedule_next_due(annotated, done=annotated.done, today=today)


def add_sample(schedule, day):
    return factories.DipSampleFactory(measure=schedule.measure, schedule=schedule, sampled_on=day)


def test_a_round_whose_date_passed_with_no_sample_is_overdue(schedule):
    due = next_due(schedule, dt.date(2024, 11, 5))
    assert (due.on, due.round, due.overdue, due.days_overdue) == (d("31 Oct 2024"), 1, True, 5)


def test_a_round_due_today_is_not_yet_overdue(schedule):
    assert next_due(schedule, dt.date(2024, 10, 31)).overdue is False


def test_a_sampled_round_moves_on_to_the_next(schedule):
    add_sample(schedule, dt.date(2024, 10, 28))
    due = next_due(schedule, dt.date(2024, 11, 5))
    assert (due.on, due.round, due.overdue) == (d("30 Nov 2024"), 2, False)


def test_after_the_last_round_the_review_is_due_and_is_not_an_overdue_audit(schedule):
    for day in (dt.date(2024, 10, 28), dt.date(2024, 11, 28), dt.date(2024, 12, 20)):
        add_sample(schedule, day)
    due = next_due(schedule, dt.date(2025, 3, 1))
    assert due.is_review and due.on == d("31 Jan 2025") and not due.overdue


def test_the_overview_flags_and_filters_overdue_measures(schedule, action):
    on_time = factories.AuditScheduleFactory(
        measure=factories.MeasureFactory(action=action), first_due=dt.date(2024, 12, 31)
    )
    rows = selectors.qa_overview(today=dt.date(2024, 11, 5))
    flags = {row.measure.pk: row.overdue for row in rows}
    assert flags == {schedule.measure.pk: True, on_time.measure.pk: False}
    overdue = selectors.qa_overview(today=dt.date(2024, 11, 5), overdue_only=True)
    assert [row.measure.pk for row in overdue] == [schedule.measure.pk]


# Confirming a schedule.


def confirm(measure, user, **overrides):
    fields = {
        "cadence": "monthly",
        "interval_months": None,
        "rounds": 3,
        "first_due": dt.date(2024, 10, 31),
        "review_date": dt.date(2025, 1, 31),
        "source_text": measure.text,
    }
    return services.schedule_confirm(measure=measure, user=user, **(fields | overrides))


def test_a_confirmed_schedule_records_who_confirmed_it_with_history(action, qa_lead):
    schedule = confirm(factories.MeasureFactory(action=action), qa_lead)
    assert schedule.confirmed_by == qa_lead
    entry = schedule.history.get()
    assert (entry.history_user, entry.history_change_reason) == (qa_lead, "schedule confirmed")


def test_a_named_cadence_sets_its_own_interval(action, qa_lead):
    schedule = confirm(
        factories.MeasureFactory(action=action),
        qa_lead,
        cadence="quarterly",
        interval_months=1,
        review_date=None,
    )
    assert schedule.interval_months == 3


def test_samples_already_taken_in_the_window_count_towards_a_new_schedule(action, qa_lead):
    measure = factories.MeasureFactory(action=action)
    early = factories.DipSampleFactory(measure=measure, sampled_on=dt.date(2024, 10, 20))
    before = factories.DipSampleFactory(measure=measure, sampled_on=dt.date(2024, 8, 1))
    schedule = confirm(measure, qa_lead)
    early.refresh_from_db()
    before.refresh_from_db()
    assert early.schedule == schedule
    assert before.schedule is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"cadence": "weekly"}, "cadence"),
        ({"cadence": "custom", "interval_months": None}, "interval_months"),
        ({"cadence": "custom", "interval_months": 0}, "interval_months"),
        ({"rounds": 0}, "rounds"),
        ({"rounds": 37}, "rounds"),
        ({"first_due": None}, "first_due"),
        ({"review_date": dt.date(2024, 12, 1)}, "review_date"),
    ],
)
def test_a_bad_schedule_is_refused_by_field_and_nothing_is_saved(action, qa_lead, overrides, field):
    with pytest.raises(ValidationError) as error:
        confirm(factories.MeasureFactory(action=action), qa_lead, **overrides)
    assert field in error.value.message_dict
    assert not AuditSchedule.objects.exists()


@pytest.mark.parametrize("role", ["director", "board_member", "clerk"])
def test_only_qa_leads_and_administrators_confirm_schedules(action, role, request):
    with pytest.raises(PermissionDenied):
        confirm(factories.MeasureFactory(action=action), request.getfixturevalue(role))
    assert not AuditSchedule.objects.exists()

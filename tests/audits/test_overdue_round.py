"""`overdue_round`, the dashboard's form of the overdue-audit rule on plain rows, agrees
with `measure_next_due` (the QA overview's) and with the schedule's every round date."""

import datetime as dt
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from audits import selectors

# Month ends, a leap day and ordinary days, so that `add_months` keeps and clamps days.
DAYS = st.sampled_from(
    [
        dt.date(2024, 1, 31),
        dt.date(2024, 2, 29),
        dt.date(2024, 3, 15),
        dt.date(2024, 4, 30),
        dt.date(2024, 8, 31),
        dt.date(2024, 9, 30),
        dt.date(2024, 11, 30),
        dt.date(2024, 12, 31),
        dt.date(2025, 2, 28),
    ]
)

SCHEDULES = st.lists(
    st.builds(
        SimpleNamespace,
        first_due=DAYS,
        interval_months=st.integers(min_value=0, max_value=12),
        rounds=st.integers(min_value=-1, max_value=6),
        review_date=st.none() | DAYS,
        done=st.integers(min_value=0, max_value=7),
    ),
    max_size=4,
)


def as_rows(schedules):
    return [
        (s.pk, s.first_due, s.interval_months, s.rounds, s.review_date, s.done) for s in schedules
    ]


@settings(max_examples=300, deadline=None)
@given(schedules=SCHEDULES, today=DAYS)
def test_it_finds_the_overdue_round_measure_next_due_finds(schedules, today):
    for pk, schedule in enumerate(schedules, start=1):
        schedule.pk = pk
    due = selectors.measure_next_due(schedules, today=today)
    expected = (
        (due.schedule.pk, due.round, due.rounds, due.on, due.days_overdue)
        if due is not None and due.overdue
        else None
    )
    got = selectors.overdue_round(as_rows(schedules), today=today)
    assert (tuple(got) if got else None) == expected
    if got is not None:
        schedule = schedules[got.schedule_id - 1]
        assert got.on == selectors.schedule_round_dates(schedule)[got.round - 1] < today


def test_a_review_due_first_hides_an_overdue_round():
    rows = [
        (1, dt.date(2024, 9, 30), 1, 3, None, 0),
        (2, dt.date(2024, 1, 31), 1, 1, dt.date(2024, 8, 1), 1),
    ]
    assert selectors.overdue_round(rows, today=dt.date(2024, 12, 31)) is None


def test_the_first_of_two_rounds_due_the_same_day_is_given():
    rows = [
        (7, dt.date(2024, 9, 30), 1, 3, None, 0),
        (3, dt.date(2024, 9, 30), 1, 3, None, 0),
    ]
    got = selectors.overdue_round(rows, today=dt.date(2024, 10, 2))
    assert got == selectors.OverdueRound(7, 1, 3, dt.date(2024, 9, 30), 2)

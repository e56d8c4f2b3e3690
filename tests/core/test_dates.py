"""Dates as councils count them: financial quarters, months, month ends."""

import datetime as dt

import pytest

from core import dates


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (dt.date(2024, 4, 1), "Q1 2024/25"),
        (dt.date(2024, 6, 30), "Q1 2024/25"),
        (dt.date(2024, 7, 1), "Q2 2024/25"),
        (dt.date(2024, 12, 31), "Q3 2024/25"),
        (dt.date(2025, 1, 1), "Q4 2024/25"),
        (dt.date(2025, 3, 31), "Q4 2024/25"),
        (dt.date(1999, 4, 1), "Q1 1999/00"),
    ],
)
def test_financial_quarters_run_april_to_march(day, label):
    assert dates.financial_quarter_label(day) == label


def test_quarters_widen_to_whole_quarters():
    spans = list(dates.quarters(dt.date(2024, 5, 15), dt.date(2024, 10, 2)))
    assert spans == [
        ("Q1 2024/25", dt.date(2024, 4, 1), dt.date(2024, 6, 30)),
        ("Q2 2024/25", dt.date(2024, 7, 1), dt.date(2024, 9, 30)),
        ("Q3 2024/25", dt.date(2024, 10, 1), dt.date(2024, 12, 31)),
    ]


def test_the_quarter_and_year_end_of_a_day_in_january():
    day = dt.date(2025, 1, 15)
    assert dates.quarter_of(day) == ("Q4 2024/25", dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    assert dates.year_end_of(day) == dt.date(2025, 3, 31)
    assert dates.year_end_of(dt.date(2025, 4, 1)) == dt.date(2026, 3, 31)


def test_months_end_on_their_last_day_in_a_leap_year():
    spans = list(dates.months(dt.date(2024, 1, 31), dt.date(2024, 2, 1)))
    assert spans == [
        ("January 2024", dt.date(2024, 1, 1), dt.date(2024, 1, 31)),
        ("February 2024", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
    ]


def test_as_of_dates_follow_one_another():
    spans = list(dates.as_of([dt.date(2016, 3, 1), dt.date(2015, 11, 1)], None))
    assert spans == [
        ("As of 1 November 2015", dt.date(2015, 11, 1), dt.date(2015, 11, 1)),
        ("As of 1 March 2016", dt.date(2015, 11, 2), dt.date(2016, 3, 1)),
    ]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2024, 10, 31), 1, dt.date(2024, 11, 30)),
        (dt.date(2024, 11, 30), 1, dt.date(2024, 12, 31)),
        (dt.date(2025, 1, 30), 1, dt.date(2025, 2, 28)),
        (dt.date(2024, 3, 31), -1, dt.date(2024, 2, 29)),
        (dt.date(9999, 12, 1), 1, dt.date.max),
        (dt.date(1, 1, 15), -1, dt.date.min),
    ],
)
def test_a_day_months_on_keeps_to_the_month_end(day, months, expected):
    assert dates.add_months(day, months) == expected

"""Dates as councils count them: financial quarters (April to March), calendar months,
month ends, and a day some months on.

Pure functions of dates: nothing here reads the database or knows the project's apps, so
periods, schedules and reports share one calendar.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator, Sequence

# (label, first day, last day) of a reporting period.
Span = tuple[str, dt.date, dt.date]


def long_day(day: dt.date) -> str:
    """A date in words, as periods and emails write it: "7 March 2024"."""
    return f"{day.day} {day:%B %Y}"


_SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_day(day: dt.date) -> str:
    """A date as tables, tags and lists write it: "7 Mar 2024" (English month names
    whatever the locale, without `strftime`'s cost: long tables write hundreds)."""
    return f"{day.day} {_SHORT_MONTHS[day.month - 1]} {day.year}"


def financial_quarter_label(day: dt.date) -> str:
    """UK local-government financial quarters: Q1 is April to June, so 15 January 2025
    is in "Q4 2024/25"."""
    year = day.year if day.month >= 4 else day.year - 1
    quarter = (day.month - 4) % 12 // 3 + 1
    return f"Q{quarter} {year}/{(year + 1) % 100:02d}"


def quarters(start: dt.date, end: dt.date) -> Iterator[Span]:
    """The financial quarters covering `start` to `end`, widened to whole quarters."""
    # Financial quarters start in April, July, October and January.
    month = start.month - (start.month - 1) % 3
    first = dt.date(start.year, month, 1)
    while first <= end:
        last = month_end(first.replace(month=first.month + 2))
        yield financial_quarter_label(first), first, last
        first = last + dt.timedelta(days=1)


def quarter_of(day: dt.date) -> Span:
    """The financial quarter holding `day`: its label, first and last day."""
    return next(quarters(day, day))


def year_end_of(day: dt.date) -> dt.date:
    """The last day of the financial year holding `day` (31 March)."""
    return dt.date(day.year + (day.month >= 4), 3, 31)


def months(start: dt.date, end: dt.date) -> Iterator[Span]:
    """The calendar months covering `start` to `end`, labelled "April 2024"."""
    first = dt.date(start.year, start.month, 1)
    while first <= end:
        last = month_end(first)
        yield f"{first:%B %Y}", first, last
        first = last + dt.timedelta(days=1)


def as_of(dates: Sequence[dt.date], start: dt.date | None) -> Iterator[Span]:
    """One span per date, labelled "As of 1 March 2016", each starting the day after the
    one before (the first on `start`, or on its own date)."""
    ordered = sorted(set(dates))
    first = start or ordered[0]
    for day in ordered:
        yield f"As of {long_day(day)}", first, day
        first = day + dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; a month's last day stays the last day ("31 Oct",
    "30 Nov", "31 Dec"), and a day the month lacks becomes its last day. Past the dates
    Python holds it stops at the first or last of them: forms keep dates within
    `plans.bounds`, but a schedule saved before they did must not break every page."""
    if not months:
        return day
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if year > dt.MAXYEAR:
        return dt.date.max
    if year < dt.MINYEAR:
        return dt.date.min
    last = _days_in(year, month)
    if day.day == _days_in(day.year, day.month):
        return dt.date(year, month, last)
    return dt.date(year, month, min(day.day, last))


def _days_in(year: int, month: int) -> int:
    """The month's length (`calendar.monthrange` also works out its first weekday, which
    the dashboard would do for thousands of schedules at every request)."""
    return calendar.mdays[month] + (month == 2 and calendar.isleap(year))


def month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month."""
    return day.replace(day=_days_in(day.year, day.month))

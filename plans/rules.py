"""The rules that need no database: pure functions of values already loaded.

- The RAG scale, and an action's two states, which models and rules share.
- Dates: when an action is overdue or has slipped, how far behind it is, and the RAG its
  dates suggest (`plans.positions` turns the same rules into query conditions).
- Outcome measures: a result (`Result`), its RAG by the plan's criteria
  (`measure_rag_derive`), and the result in words (`result_describe`).

Nothing here reads or writes the database: the import-linter contract in
pyproject.toml keeps models, selectors and services out of this module, so the rules can
be read, and tested, without them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import TextChoices
from django.utils import dateformat, timezone


class RAG(TextChoices):
    """The RAG scale. Blue means complete. Some plans label Amber as Yellow."""

    BLUE = "blue", "Blue"
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"
    NOT_RATED = "", "Not rated"


# Better first. Used to say whether a position improved or worsened.
RAG_ORDER = {RAG.BLUE: 4, RAG.GREEN: 3, RAG.AMBER: 2, RAG.RED: 1}


class ActionStatus(TextChoices):
    """`plans.Action.Status`."""

    OPEN = "open", "Open"
    COMPLETE = "complete", "Complete"


# --- Dates: overdue, slipped, behind, what they suggest ------------------------------


def local_today() -> dt.date:
    return timezone.localdate()


def overdue_as_of(period=None, *, today: dt.date) -> dt.date:
    """The date "overdue" is judged on, on every page that shows it: today, or, for a
    page about a period that has ended (the dashboard or a report as of a closed
    quarter), that period's end. The pages say "overdue as of <this date>" beside the
    figure, so 304 days as of 31 Dec 2024 and 705 as of today are read as what they are.
    Pages about the work now (My actions, an action and its update) pass no period."""
    return today if period is None else min(period.end, today)


def is_overdue(action, *, today: dt.date) -> bool:
    """An open action whose due date has passed."""
    return (
        action.status == ActionStatus.OPEN
        and action.due_date is not None
        and action.due_date < today
    )


def days_past(due: dt.date | None, as_of: dt.date) -> int:
    """How many days `due` is before `as_of` (an `overdue_as_of` date); 0 if not before."""
    return (as_of - due).days if due is not None and due < as_of else 0


def days_overdue(action, *, today: dt.date) -> int:
    """Days an open action is past its due date as of `today` (an `overdue_as_of` date)."""
    return days_past(action.due_date, today) if is_overdue(action, today=today) else 0


def is_slipped(action) -> bool:
    """The due date has moved beyond the baseline, the first date the plan committed to."""
    return bool(
        action.due_date and action.baseline_due_date and action.due_date > action.baseline_due_date
    )


def days_behind(action, *, today: dt.date) -> int:
    """How far behind an open action is: days past its due date, or days its due date
    has slipped beyond the baseline, whichever is more."""
    if action.status == ActionStatus.COMPLETE or action.due_date is None:
        return 0
    late = (today - action.due_date).days if action.due_date < today else 0
    slipped = (action.due_date - action.baseline_due_date).days if is_slipped(action) else 0
    return max(late, slipped)


def suggested_rag(action, *, today: dt.date) -> str:
    """The RAG the dates suggest, by the plan's settings; "" when dates say nothing."""
    behind = days_behind(action, today=today)
    if behind <= action.plan.suggest_amber_after_days:
        return RAG.NOT_RATED
    if behind > action.plan.suggest_red_after_days:
        return RAG.RED
    return RAG.AMBER


# --- Outcome measures: results and their RAG -----------------------------------------

SAMPLE = "sample"
VALUE = "value"


@dataclass(frozen=True)
class Result:
    """One result of a measure: a dip sample's percentage or a performance value."""

    on: dt.date
    value: Decimal
    kind: str
    pk: int
    sample_size: int | None = None
    compliant: int | None = None
    mitigation: str = ""
    national_average: Decimal | None = None
    statistical_neighbours: Decimal | None = None

    @property
    def mitigation_in_place(self) -> bool:
        return bool(self.mitigation.strip())

    @property
    def is_sample(self) -> bool:
        return self.kind == SAMPLE

    @property
    def order_key(self) -> tuple:
        # On the same day a dip sample outranks a performance figure: it is the audit
        # the QA lead has just done.
        return (self.on, self.kind == SAMPLE, self.pk)


def decimal_or_none(value) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def measure_rag_derive(
    *,
    result,
    target,
    tolerance=None,
    higher_is_better: bool = True,
    mitigation_in_place: bool = False,
) -> str:
    """The outcome-measure RAG by the plan's criteria.

    Green: the result is in line with the target (at or beyond it).
    Amber: not in line, but within the tolerance, or mitigation is in place.
    Red: not in line, outside the tolerance, and no mitigation.
    Not rated when there is no result or no target to judge it by.
    """
    if result is None or target is None:
        return RAG.NOT_RATED
    result, target = _decimal(result), _decimal(target)
    shortfall = target - result if higher_is_better else result - target
    if shortfall <= 0:
        return RAG.GREEN
    if tolerance is not None and shortfall <= _decimal(tolerance):
        return RAG.AMBER
    if mitigation_in_place:
        return RAG.AMBER
    return RAG.RED


def measure_result_rag(measure, result: Result | None) -> str:
    """The RAG a result gives a measure (its target, tolerance and direction)."""
    if result is None:
        return RAG.NOT_RATED
    return measure_rag_derive(
        result=result.value,
        target=measure.target,
        tolerance=measure.tolerance,
        higher_is_better=measure.higher_is_better,
        mitigation_in_place=result.mitigation_in_place,
    )


def format_day(day: dt.date) -> str:
    return dateformat.format(day, "j M Y")


def format_number(value) -> str:
    """A target or comparator as people write it: "90", "92.5", "46.3"."""
    return format(_decimal(value).normalize(), "f")


def format_quantity(value, unit: str) -> str:
    return f"{format_number(value)}{unit}"


def result_describe(result: Result, *, unit: str = "%") -> str:
    """The result in words, for commentary and pages:
    "Dip sample 15 Oct 2024: 9 of 10 compliant (90.0%)"."""
    if result.is_sample:
        return (
            f"Dip sample {format_day(result.on)}: {result.compliant} of {result.sample_size} "
            f"compliant ({result.value:.1f}%)"
        )
    text = f"Performance as of {format_day(result.on)}: {format_quantity(result.value, unit)}"
    comparators = []
    if result.national_average is not None:
        comparators.append(f"national average {format_quantity(result.national_average, unit)}")
    if result.statistical_neighbours is not None:
        comparators.append(
            f"statistical neighbours {format_quantity(result.statistical_neighbours, unit)}"
        )
    return f"{text} ({', '.join(comparators)})" if comparators else text

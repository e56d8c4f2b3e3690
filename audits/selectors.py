"""Reads for audits: a measure's results, when its next audit round is due, the QA
overview and the measure page.

The overview and the measure page are each built with a fixed number of queries,
however many measures, samples, values, schedules or ratings there are.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, Exists, F, OuterRef, Prefetch, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from audits.models import AuditSchedule, DipSample, MeasureValue
from core.dates import add_months
from plans.models import Action, Measure, Owner, Plan, RagCriterion, Rating, Recommendation
from plans.models import ReportingPeriod as Period
from plans.rules import (
    SAMPLE,
    VALUE,
    Result,
    decimal_or_none,
    measure_result_rag,
)
from plans.selectors import NEWEST_POSITION_FIRST, POSITION_COLUMNS, position_rows

# How many results the overview's trend shows.
RECENT_RESULTS = 6


def result_of_sample(sample: DipSample) -> Result:
    return Result(
        on=sample.sampled_on,
        value=decimal_or_none(sample.result),
        kind=SAMPLE,
        pk=sample.pk,
        sample_size=sample.sample_size,
        compliant=sample.compliant,
        mitigation=sample.mitigation,
    )


def result_of_value(value: MeasureValue) -> Result:
    return Result(
        on=value.as_of,
        value=decimal_or_none(value.value),
        kind=VALUE,
        pk=value.pk,
        national_average=value.national_average,
        statistical_neighbours=value.statistical_neighbours,
    )


def measure_latest_result(measure: Measure) -> Result | None:
    """The result a measure's RAG follows: its latest dip sample or performance value."""
    sample = measure.dip_samples.order_by("-sampled_on", "-pk").first()
    value = measure.values.order_by("-as_of", "-pk").first()
    results = [result_of_sample(sample)] if sample else []
    results += [result_of_value(value)] if value else []
    return max(results, key=lambda r: r.order_key, default=None)


def measure_derived_rag(measure: Measure, result: Result | None = None) -> str:
    """The RAG the evidence gives a measure now (its latest result unless given)."""
    if result is None:
        result = measure_latest_result(measure)
    return measure_result_rag(measure, result)


# Schedules ---------------------------------------------------------------------------


def round_dates(*, first_due: dt.date, interval_months: int, rounds: int) -> list[dt.date]:
    """When each round of an audit schedule is due."""
    return [add_months(first_due, interval_months * index) for index in range(rounds)]


def schedule_round_dates(schedule: AuditSchedule) -> list[dt.date]:
    return round_dates(
        first_due=schedule.first_due,
        interval_months=schedule.interval_months,
        rounds=schedule.rounds,
    )


def schedule_window_start(schedule: AuditSchedule) -> dt.date:
    """The earliest date a sample counts towards the schedule's first round: one interval
    before it is due, so a round done early still counts."""
    return add_months(schedule.first_due, -schedule.interval_months)


@dataclass(frozen=True)
class NextDue:
    """What a schedule needs next: a round (1-based ``round``) or, after the last round,
    its review."""

    schedule: AuditSchedule
    on: dt.date
    round: int | None
    rounds: int
    overdue: bool
    days_overdue: int

    @property
    def is_review(self) -> bool:
        return self.round is None


def _next_due_on(
    first_due: dt.date, interval_months: int, rounds: int, review_date: dt.date | None, done: int
) -> tuple[dt.date, int | None] | None:
    """When a schedule with ``done`` rounds sampled needs something next, and which round
    (1-based; None for its review once every round is done); None when nothing is left.
    The one rule behind `schedule_next_due`, `measure_next_due` and `overdue_round`."""
    if done < max(rounds, 0):
        # The date of round `done + 1` (`round_dates`), without working out every round's:
        # the dashboard asks this of thousands of schedules at each request.
        return add_months(first_due, interval_months * done), done + 1
    if review_date:
        return review_date, None
    return None


def _earliest(dues):
    """The first of ``dues`` ((date, round, ...) tuples, None skipped) that comes first:
    the earliest date, a round before a review on the same day."""
    best = None
    for due in dues:
        if due is not None and (
            best is None
            or due[0] < best[0]
            or (due[0] == best[0] and best[1] is None and due[1] is not None)
        ):
            best = due
    return best


def _next_due(on: dt.date, round_: int | None, schedule, today: dt.date) -> NextDue:
    late = (today - on).days if round_ is not None and on < today else 0
    return NextDue(schedule, on, round_, max(schedule.rounds, 0), late > 0, late)


def schedule_next_due(schedule: AuditSchedule, *, done: int, today: dt.date) -> NextDue | None:
    """The next round not yet sampled (``done`` samples count towards the schedule), or
    the review once every round is done; None when nothing is left.

    A round is overdue when its date has passed with no sample for it; a review that
    has come due is shown but is not an overdue audit.
    """
    due = _schedule_due(schedule, done)
    return _next_due(*due, today) if due else None


def _schedule_due(schedule, done: int):
    """(date, round, schedule) of what the schedule needs next (`_next_due_on`), or None."""
    due = _next_due_on(
        schedule.first_due, schedule.interval_months, schedule.rounds, schedule.review_date, done
    )
    return (*due, schedule) if due else None


def measure_next_due(schedules, *, today: dt.date) -> NextDue | None:
    """The earliest thing due across a measure's schedules (each annotated with ``done``)."""
    best = _earliest(_schedule_due(schedule, schedule.done) for schedule in schedules)
    return _next_due(*best, today) if best else None


class OverdueRound(NamedTuple):
    """An overdue audit round: the schedule, its round (1-based) of ``rounds``, the date
    it was due and how many days ago."""

    schedule_id: int
    round: int
    rounds: int
    on: dt.date
    days_overdue: int


# What `overdue_round` reads of a schedule, in this order: (id, first_due,
# interval_months, rounds, review_date, done), ``done`` being the rounds sampled.
ScheduleRow = tuple[int, dt.date, int, int, dt.date | None, int]


def overdue_round(schedules: Iterable[ScheduleRow], *, today: dt.date) -> OverdueRound | None:
    """`measure_next_due(...).overdue` for a measure's schedules given as plain rows
    (`ScheduleRow`, in the order `measure_next_due` would read them), and only what the
    dashboard shows of it: the overdue round, or None when the measure's next thing due
    is not an overdue round. No object per schedule: the dashboard asks this of
    thousands of measures at each request."""
    best = _earliest(
        (due[0], due[1], row[0], row[3])
        for row in schedules
        if (due := _next_due_on(row[1], row[2], row[3], row[4], row[5])) is not None
    )
    if best is None or best[1] is None or best[0] >= today:
        return None
    on, round_, schedule_id, rounds = best
    return OverdueRound(schedule_id, round_, max(rounds, 0), on, (today - on).days)


def schedules_with_progress() -> QuerySet[AuditSchedule]:
    """Schedules annotated with ``done``: how many dip samples count towards them."""
    return AuditSchedule.objects.annotate(done=Count("dip_samples")).order_by("first_due", "pk")


# The QA overview ---------------------------------------------------------------------


@dataclass
class OverviewRow:
    """One measure on the QA overview."""

    measure: Measure
    latest: Result | None
    derived_rag: str
    rag: str
    rated: bool
    override_reason: str
    recent: list[Result] = field(default_factory=list)
    next_due: NextDue | None = None

    @property
    def overdue(self) -> bool:
        return bool(self.next_due and self.next_due.overdue)


def audited_measures() -> QuerySet[Measure]:
    """Measures tested by audit or performance data: with a schedule, samples or values."""
    return Measure.objects.filter(
        Exists(AuditSchedule.objects.filter(measure=OuterRef("pk")))
        | Exists(DipSample.objects.filter(measure=OuterRef("pk")))
        | Exists(MeasureValue.objects.filter(measure=OuterRef("pk")))
    )


def _annotate_latest(queryset: QuerySet[Measure]) -> QuerySet[Measure]:
    sample = DipSample.objects.filter(measure=OuterRef("pk")).order_by("-sampled_on", "-pk")
    value = MeasureValue.objects.filter(measure=OuterRef("pk")).order_by("-as_of", "-pk")
    rating = position_rows("measure")
    annotations = {
        f"ls_{name}": Subquery(sample.values(name)[:1])
        for name in ("pk", "sampled_on", "result", "sample_size", "compliant", "mitigation")
    }
    annotations |= {
        f"lv_{name}": Subquery(value.values(name)[:1])
        for name in ("pk", "as_of", "value", "national_average", "statistical_neighbours")
    }
    annotations |= {
        f"rating_{name}": Subquery(rating.values(POSITION_COLUMNS[False][name])[:1])
        for name in ("pk", "rag", "override_reason")
    }
    return queryset.annotate(**annotations)


def _latest_from_annotations(measure: Measure) -> Result | None:
    results = []
    if measure.ls_pk is not None:
        results.append(
            Result(
                on=measure.ls_sampled_on,
                value=decimal_or_none(measure.ls_result),
                kind=SAMPLE,
                pk=measure.ls_pk,
                sample_size=measure.ls_sample_size,
                compliant=measure.ls_compliant,
                mitigation=measure.ls_mitigation or "",
            )
        )
    if measure.lv_pk is not None:
        results.append(
            Result(
                on=measure.lv_as_of,
                value=decimal_or_none(measure.lv_value),
                kind=VALUE,
                pk=measure.lv_pk,
                national_average=decimal_or_none(measure.lv_national_average),
                statistical_neighbours=decimal_or_none(measure.lv_statistical_neighbours),
            )
        )
    return max(results, key=lambda r: r.order_key, default=None)


def recent_results(measure_ids: list[int], *, count: int) -> dict[int, list[Result]]:
    """The last ``count`` results of each measure, oldest first, in two queries."""
    by_measure: dict[int, list[Result]] = defaultdict(list)
    if not measure_ids:
        return by_measure
    samples = (
        DipSample.objects.filter(measure_id__in=measure_ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("measure_id")],
                order_by=[F("sampled_on").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=count)
    )
    values = (
        MeasureValue.objects.filter(measure_id__in=measure_ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("measure_id")],
                order_by=[F("as_of").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=count)
    )
    for sample in samples:
        by_measure[sample.measure_id].append(result_of_sample(sample))
    for value in values:
        by_measure[value.measure_id].append(result_of_value(value))
    for measure_id, results in by_measure.items():
        results.sort(key=lambda r: r.order_key)
        by_measure[measure_id] = results[-count:]
    return by_measure


def latest_results(measure_ids: list[int]) -> dict[int, Result]:
    """{measure id: its latest result} for the measures that have one; the action page's
    (`plans.selectors.latest_results`), read as `recent_results` reads them."""
    return {pk: rows[-1] for pk, rows in recent_results(measure_ids, count=1).items() if rows}


def qa_overview(
    *,
    plans: QuerySet[Plan] | None = None,
    plan: Plan | None = None,
    recommendation: Recommendation | None = None,
    owner: Owner | None = None,
    overdue_only: bool = False,
    today: dt.date | None = None,
    recent: int = RECENT_RESULTS,
) -> list[OverviewRow]:
    """Every audited measure (of `plans`, the plans the reader sees, if given), filtered,
    with its latest result, derived and current RAG, recent results for the trend, and
    what is due next. Five queries."""
    today = today or timezone.localdate()
    measures = audited_measures()
    if plans is not None:
        measures = measures.filter(plan__in=plans)
    if plan is not None:
        measures = measures.filter(plan=plan)
    if recommendation is not None:
        measures = measures.filter(action__recommendation=recommendation)
    if owner is not None:
        measures = measures.filter(
            Exists(
                Action.owners.through.objects.filter(
                    action_id=OuterRef("action_id"), owner_id=owner.pk
                )
            )
        )
    measures = (
        _annotate_latest(measures)
        .select_related("plan", "action__recommendation")
        .prefetch_related(
            "action__owners", Prefetch("schedules", queryset=schedules_with_progress())
        )
        .order_by(
            "plan__title", "action__recommendation__position", "action__position", "position", "pk"
        )
    )
    measures = list(measures)
    history = recent_results([m.pk for m in measures], count=recent)
    rows = []
    for measure in measures:
        latest = _latest_from_annotations(measure)
        derived = measure_result_rag(measure, latest)
        rated = measure.rating_pk is not None
        row = OverviewRow(
            measure=measure,
            latest=latest,
            derived_rag=derived,
            rag=(measure.rating_rag or "") if rated else derived,
            rated=rated,
            override_reason=measure.rating_override_reason or "",
            recent=history.get(measure.pk, []),
            next_due=measure_next_due(measure.schedules.all(), today=today),
        )
        if overdue_only and not row.overdue:
            continue
        rows.append(row)
    return rows


def overview_filter_choices(plans: QuerySet[Plan] | None = None) -> dict[str, QuerySet]:
    """What the overview can be filtered by: plans, recommendations and owners that have
    audited measures (in `plans`, the plans the reader sees, if given)."""
    measures = audited_measures()
    if plans is not None:
        measures = measures.filter(plan__in=plans)
    return {
        "plans": Plan.objects.filter(Exists(measures.filter(plan=OuterRef("pk")))),
        "recommendations": Recommendation.objects.filter(
            Exists(measures.filter(action__recommendation=OuterRef("pk")))
        ).select_related("plan"),
        "owners": Owner.objects.filter(
            Exists(measures.filter(action__owners=OuterRef("pk")))
        ).order_by("post"),
    }


# The measure page --------------------------------------------------------------------


@dataclass
class MeasurePage:
    """Everything the measure page shows, read in a fixed number of queries."""

    measure: Measure
    samples: list[DipSample]
    values: list[MeasureValue]
    results: list[Result]
    schedules: list[AuditSchedule]
    next_due: NextDue | None
    latest: Result | None
    derived_rag: str
    ratings: list[Rating]
    current: Rating | None
    criteria: dict[str, str]
    open_period: Period | None


def measure_page(pk: int, *, today: dt.date | None = None) -> MeasurePage:
    """A measure with all its results, schedules and ratings. Raises
    ``Measure.DoesNotExist``. Eight queries."""
    today = today or timezone.localdate()
    measure = (
        Measure.objects.select_related("plan", "action__recommendation")
        .prefetch_related("action__owners")
        .get(pk=pk)
    )
    samples = list(
        measure.dip_samples.select_related("auditor", "period", "schedule").order_by(
            "sampled_on", "pk"
        )
    )
    values = list(measure.values.select_related("recorded_by").order_by("as_of", "pk"))
    results = sorted(
        [result_of_sample(s) for s in samples] + [result_of_value(v) for v in values],
        key=lambda r: r.order_key,
    )
    schedules = list(
        schedules_with_progress().filter(measure=measure).select_related("confirmed_by")
    )
    for schedule in schedules:
        schedule.round_dates = schedule_round_dates(schedule)
        schedule.next = schedule_next_due(schedule, done=schedule.done, today=today)
    ratings = list(
        measure.ratings.select_related("period", "created_by").order_by(*NEWEST_POSITION_FIRST)
    )
    current = next((r for r in ratings if r.status != Rating.Status.RETURNED), None)
    criteria = dict(
        RagCriterion.objects.filter(
            plan_id=measure.plan_id, kind=RagCriterion.Kind.OUTCOME
        ).values_list("rag", "criteria")
    )
    latest = results[-1] if results else None
    return MeasurePage(
        measure=measure,
        samples=samples,
        values=values,
        results=results,
        schedules=schedules,
        next_due=measure_next_due(schedules, today=today),
        latest=latest,
        derived_rag=measure_result_rag(measure, latest),
        ratings=ratings,
        current=current,
        criteria=criteria,
        open_period=Period.objects.filter(plan_id=measure.plan_id, state=Period.State.OPEN).first(),
    )

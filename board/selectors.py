"""Reads for the Improvement Board dashboard: every figure computed in the database.

The board looks at a plan *as of a period*: the confirmed position of each action and
outcome measure, what moved since the period before, and the items that need attention
(overdue, slipped, below target, not updated, audits overdue, ratings awaiting
confirmation). Several plans can be looked at side by side, each as of its own period.

Positions are rows of `plans.Position` (the rule is `plans.positions`'): the confirmed
position of each item as of each plan's period is one lookup on the (period, item) key,
and the number of queries is the same whatever the size of the plan. A period's
`window` (the periods back to the latest closed one, which gave every item a rating
when it closed) still says which periods' ratings count as "since" a period.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import NamedTuple

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from audits import selectors as audit_selectors
from audits.models import AuditSchedule, DipSample, MeasureValue
from plans import movement as plan_movement
from plans import periods as plan_periods
from plans import positions, rules
from plans import selectors as plan_selectors
from plans.models import (
    RAG,
    Action,
    DueDateRevision,
    Measure,
    Owner,
    Plan,
    Position,
    Rating,
    Recommendation,
    ReportingPeriod,
)

# The order figures and charts list RAG values in: better first, "not rated" last.
RAG_KEYS: tuple[str, ...] = (RAG.BLUE, RAG.GREEN, RAG.AMBER, RAG.RED, RAG.NOT_RATED)
FACETS = (Rating.Subject.OUTCOME, Rating.Subject.IMPACT, Rating.Subject.PROGRESS)
Direction = plan_movement.Direction


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(RAG_KEYS, 0)


# --- Which plan, as of which period ---------------------------------------------------


@dataclass(frozen=True)
class PlanAt:
    """A plan as of one of its periods, and the facts every figure needs about it.

    `window` holds the periods whose ratings can decide a position as of `period` (see
    the module docstring); `as_of` is the date the date-based flags are judged on: the
    period's end, or today while the period is still running.
    """

    plan: Plan
    period: ReportingPeriod
    periods: tuple[ReportingPeriod, ...]  # the plan's started periods, oldest first
    previous: ReportingPeriod | None
    window: tuple[int, ...]
    previous_window: tuple[int, ...]
    as_of: dt.date
    today: dt.date

    @property
    def is_historic(self) -> bool:
        """Judged on a past date, so later due-date revisions must be undone."""
        return self.as_of < self.today

    @property
    def since_previous(self) -> tuple[int, ...]:
        """Ids of the periods after `previous` up to `period`, newest first (as a
        window): a rating of its own in one of them is what can move an item's position
        between the two."""
        after = self.previous.end if self.previous else dt.date.min
        return tuple(p.pk for p in reversed(self.periods) if after < p.end <= self.period.end)

    @property
    def cutoff(self) -> dt.datetime:
        """The end of the as-of day, London time: anything recorded later is not seen."""
        day_after = self.as_of + dt.timedelta(days=1)
        return timezone.make_aware(dt.datetime.combine(day_after, dt.time.min))


def _window(periods: Sequence[ReportingPeriod], index: int) -> tuple[int, ...]:
    """Ids of the periods up to `periods[index]` that can hold its position: back to and
    including the latest closed one."""
    ids = []
    for period in reversed(periods[: index + 1]):
        ids.append(period.pk)
        if period.is_closed:
            break
    return tuple(ids)


def started_periods(periods: Iterable[ReportingPeriod]) -> list[ReportingPeriod]:
    """Periods that have positions to show (open or closed), oldest first."""
    return sorted(
        (p for p in periods if p.state != ReportingPeriod.State.UPCOMING), key=lambda p: p.end
    )


def default_period(periods: Sequence[ReportingPeriod]) -> ReportingPeriod | None:
    """The period the board looks at unless told otherwise: the latest closed one (an
    open period is still being updated, so its figures are mostly "not updated"), else
    the open one while the plan has no closed period yet."""
    closed = [p for p in periods if p.is_closed]
    if closed:
        return closed[-1]
    return periods[-1] if periods else None


def earlier_periods(
    periods: Sequence[ReportingPeriod], period: ReportingPeriod
) -> list[ReportingPeriod]:
    """The started periods before `period` (oldest first): what it can be compared with."""
    return [p for p in started_periods(periods) if p.end < period.end]


def plan_at(
    plan: Plan,
    periods: Iterable[ReportingPeriod],
    period: ReportingPeriod | None = None,
    *,
    compare: ReportingPeriod | None = None,
    today: dt.date | None = None,
) -> PlanAt | None:
    """The plan as of `period` (by default its latest closed period, see
    `default_period`), compared with `compare` (by default the period before; it must be
    an earlier started period); None when the plan has no started period. `periods` are
    the plan's periods, loaded once by the caller."""
    today = today or timezone.localdate()
    started = started_periods(periods)
    period = period or default_period(started)
    if period is None or period.pk not in {p.pk for p in started}:
        return None
    index = next(i for i, p in enumerate(started) if p.pk == period.pk)
    before = index - 1
    if compare is not None and compare.pk in {p.pk for p in started[:index]}:
        before = next(i for i, p in enumerate(started) if p.pk == compare.pk)
    previous = started[before] if before >= 0 else None
    return PlanAt(
        plan=plan,
        period=period,
        periods=tuple(started),
        previous=previous,
        window=_window(started, index),
        previous_window=_window(started, before) if previous else (),
        as_of=rules.overdue_as_of(period, today=today),
        today=today,
    )


def plans_at(plans: Sequence[Plan], *, today: dt.date | None = None) -> list[PlanAt]:
    """Each plan at its default period, with one query for all their periods."""
    by_plan: dict[int, list[ReportingPeriod]] = defaultdict(list)
    for period in ReportingPeriod.objects.filter(plan__in=plans).order_by("end"):
        by_plan[period.plan_id].append(period)
    return [
        at for plan in plans if (at := plan_at(plan, by_plan[plan.pk], today=today)) is not None
    ]


@dataclass(frozen=True)
class Scope:
    """What the dashboard looks at: one or more plans, each as of a period, optionally
    narrowed to one recommendation and/or one owner's actions."""

    ats: tuple[PlanAt, ...]
    recommendation: Recommendation | None = None
    owner: Owner | None = None

    @property
    def plan_ids(self) -> list[int]:
        return [at.plan.pk for at in self.ats]

    @property
    def single(self) -> PlanAt:
        return self.ats[0]

    def windows(self, previous: bool = False) -> dict[int, tuple[int, ...]]:
        """Each plan's window (see `PlanAt`), or the window of its previous period."""
        return {at.plan.pk: at.previous_window if previous else at.window for at in self.ats}

    @property
    def period_ids(self) -> list[int]:
        return [at.period.pk for at in self.ats]

    def actions(self) -> QuerySet[Action]:
        actions = Action.objects.filter(plan_id__in=self.plan_ids)
        if self.recommendation is not None:
            actions = actions.filter(recommendation=self.recommendation)
        if self.owner is not None:
            actions = actions.filter(
                Exists(
                    Action.owners.through.objects.filter(
                        action_id=OuterRef("pk"), owner_id=self.owner.pk
                    )
                )
            )
        return actions

    def measures(self) -> QuerySet[Measure]:
        measures = Measure.objects.filter(plan_id__in=self.plan_ids)
        if self.recommendation is not None:
            measures = measures.filter(action__recommendation=self.recommendation)
        if self.owner is not None:
            measures = measures.filter(
                Exists(
                    Action.owners.through.objects.filter(
                        action_id=OuterRef("action_id"), owner_id=self.owner.pk
                    )
                )
            )
        return measures


# --- Positions --------------------------------------------------------------------------


# The Position columns that give each part of a confirmed position.
_CONFIRMED = {
    "rag": "confirmed_rag",
    "carried_forward": "confirmed_carried_forward",
    "commentary": "confirmed_rating__commentary",
    "created": "confirmed_rating__created",
    "suggested_rag": "confirmed_rating__suggested_rag",
    "override_reason": "confirmed_rating__override_reason",
}

# The names under which an item's `plans.Position` rows are joined: as of its plan's
# period, and as of the period before.
NOW, THEN = "pos_now", "pos_then"
# ...and as of the plan's open period, when the trend needs it (`summary`'s `live`).
LIVE = "pos_live"

# Measures in plan order (by plan, recommendation and action).
MEASURE_ORDER = ("plan__title", "action__recommendation__position", "action__position", "pk")


def join_positions(
    queryset: QuerySet, windows: dict[int, Sequence[int]], alias: str = NOW
) -> QuerySet:
    """Join each item (action or measure) to its `plans.Position` row as of its plan's
    period (the newest of its window), under `alias`: one LEFT JOIN on the (period,
    item) key, so the database reads the positions of those periods as one set rather
    than looking each item's up in turn. At most one row per item, so counts are not
    multiplied. Joining twice under one alias joins once."""
    if alias in queryset.query._filtered_relations:
        return queryset
    periods = sorted({window[0] for window in windows.values() if window})
    if not periods:  # no period before: nothing to join, and `_held` reads NULL
        return queryset
    return queryset.alias(
        **{alias: FilteredRelation("positions", condition=Q(positions__period_id__in=periods))}
    )


def _held(windows: dict[int, Sequence[int]], name: str, alias: str = NOW):
    """`name` of the confirmed position in the joined row `alias` (`join_positions`
    with the same windows), NULL where the item has none, or where the rating that
    gives it is in none of the window's periods."""
    allowed = sorted({pk for window in windows.values() for pk in window})
    if not allowed:
        return Value(None)
    return Case(
        When(
            **{f"{alias}__confirmed_period_id__in": allowed},
            then=F(f"{alias}__{_CONFIRMED[name]}"),
        )
    )


def _position(windows: dict[int, Sequence[int]], name: str = "rag", alias: str = NOW):
    """What `_held` gives, a RAG or an override read as "" where there is none (no
    rating and a "not rated" rating read the same)."""
    value = _held(windows, name, alias)
    if name in ("rag", "suggested_rag"):
        return Coalesce(value, Value(""), output_field=CharField())
    if name == "override_reason":
        return Coalesce(value, Value(""), output_field=TextField())
    return value


def _updated() -> Coalesce:
    """A rating of its own in the period, from the joined row as of it (proposed
    counts: the owner did update it)."""
    return Coalesce(F(f"{NOW}__rated_in_period"), Value(False), output_field=BooleanField())


def with_positions(
    queryset: QuerySet, scope: Scope, *, detail: bool = False, override: bool = False
):
    """Annotate actions or measures with `pos_rag` as of each plan's period; with
    `detail`, also `pos_commentary`, `pos_rated_at`, `pos_carried` and `updated_in_period`;
    with `override`, what `with_override` adds."""
    window = scope.windows()
    queryset = join_positions(queryset, window).annotate(pos_rag=_position(window))
    if detail:
        queryset = queryset.annotate(
            pos_commentary=_held(window, "commentary"),
            pos_rated_at=_held(window, "created"),
            pos_carried=_held(window, "carried_forward"),
            updated_in_period=_updated(),
        )
    if override:
        queryset = with_override(queryset, scope)
    return queryset


def with_override(queryset: QuerySet, scope: Scope) -> QuerySet:
    """Annotate actions or measures with the override their position carries:
    `pos_suggested_rag` (what the dates or the evidence gave) and `pos_override_reason`
    (why the RAG given differs), both "" where the RAG was not overridden."""
    window = scope.windows()
    return join_positions(queryset, window).annotate(
        pos_suggested_rag=_position(window, "suggested_rag"),
        pos_override_reason=_position(window, "override_reason"),
    )


# --- RAG distribution ----------------------------------------------------------------


@dataclass
class Distribution:
    """Counts per RAG value of actions and of measures, for a plan and per
    recommendation (every RAG key present, zero where none)."""

    actions: dict[str, int] = field(default_factory=empty_counts)
    measures: dict[str, int] = field(default_factory=empty_counts)
    by_recommendation: dict[int, dict[str, dict[str, int]]] = field(default_factory=dict)

    def add(self, kind: str, rec_id: int | None, rag: str, count: int) -> None:
        getattr(self, kind)[rag] += count
        if rec_id is None:  # counted for the plan only
            return
        rec = self.by_recommendation.get(rec_id)
        if rec is None:
            rec = self.by_recommendation[rec_id] = {
                "actions": empty_counts(),
                "measures": empty_counts(),
            }
        rec[kind][rag] += count

    @property
    def action_total(self) -> int:
        return sum(self.actions.values())

    @property
    def measure_total(self) -> int:
        return sum(self.measures.values())


def distributions(scope: Scope) -> dict[int, Distribution]:
    """RAG counts per plan and recommendation, as of each plan's period. Two queries."""
    return summary(scope).distributions


# --- Movement since the previous period ------------------------------------------------


def _newer(scope: Scope) -> dict[int, tuple[int, ...]]:
    """Each plan's periods after the one compared with, up to its period
    (`PlanAt.since_previous`; see `_rated_since_previous`).

    The period compared with is closed (periods close in order), and closing gave every
    item a confirmed rating in it. The position as of the period is therefore the
    latest confirmed rating in these newer periods or, failing one, the position then:
    `_since` is NULL exactly where the position has not moved. (A rating that closing
    carried forward repeats the position before it.)"""
    return {at.plan.pk: at.since_previous for at in scope.ats}


def _since(scope: Scope):
    """The RAG of the item's confirmed position as of its plan's period where the
    rating that gives it is newer than the previous period, NULL otherwise (see
    `_newer`). Reads the row `join_positions` joins as of the period."""
    return _held(_newer(scope), "rag")


def _with_then_and_now(items: QuerySet, scope: Scope) -> QuerySet:
    """Items joined to their positions as of their plan's period and the one before."""
    items = join_positions(items, scope.windows())
    return join_positions(items, scope.windows(previous=True), THEN)


@dataclass
class MovementCounts:
    """How many actions and measures moved each way, per plan and recommendation."""

    actions: dict[Direction, int] = field(default_factory=lambda: dict.fromkeys(Direction, 0))
    measures: dict[Direction, int] = field(default_factory=lambda: dict.fromkeys(Direction, 0))
    by_recommendation: dict[int, dict[Direction, int]] = field(default_factory=dict)

    def add(self, kind: str, rec_id: int | None, direction: Direction, count: int) -> None:
        getattr(self, kind)[direction] += count
        if rec_id is None:  # counted for the plan only
            return
        rec = self.by_recommendation.get(rec_id)
        if rec is None:
            rec = self.by_recommendation[rec_id] = dict.fromkeys(Direction, 0)
        rec[direction] += count


def movement_counts(scope: Scope) -> dict[int, MovementCounts | None]:
    """Per plan (None where its period has no previous one): counts per direction of
    actions and measures. Two queries (see `summary`)."""
    return summary(scope).movements


@dataclass
class Summary:
    """The counts that follow from each item's position, per plan: the RAG distribution
    (`distributions`), the movement since the previous period (`movement_counts`; None
    where the plan's period has no previous one) and how many actions and measures were
    not updated in the period; and, counted in the same pass over the actions, how many
    were overdue and how many had slipped (`overdue_actions`, `slipped_actions`)."""

    distributions: dict[int, Distribution]
    movements: dict[int, MovementCounts | None]
    actions_not_updated: dict[int, int]
    measures_not_updated: dict[int, int]
    overdue: dict[int, int]
    slipped: dict[int, int]
    # With `live`: {period id: {"actions": counts, "measures": counts}} of the open period.
    live: dict[int, dict[str, dict[str, int]]] = field(default_factory=dict)


def _live_period(scope: Scope) -> tuple[ReportingPeriod, tuple[int, ...]] | None:
    """The one plan's open period when it is not the period looked at, and its window:
    the trend shows it (see `trend`)."""
    if len(scope.ats) != 1:
        return None
    periods = list(scope.single.periods)
    for index, period in enumerate(periods):
        if not period.is_closed and period.pk != scope.single.period.pk:
            return period, _window(periods, index)
    return None


def summary(scope: Scope, *, by_recommendation: bool = True, live: bool = False) -> Summary:
    """Every count that follows from positions, from one query per kind: each item's
    position then and now and whether it was updated in the period, grouped in the
    database by plan, recommendation, both positions and the update, so each position
    is looked up once per item however many figures use it. Without
    `by_recommendation` (plans side by side) the rows are grouped by plan only, and
    the counts per recommendation are left empty. With `live`, one plan's counts as of
    its open period (when it is not the period looked at) come from the same queries,
    for `trend`.

    Directions are `plans.movement.direction`'s, so the dashboard agrees with the plan
    page and the committee report on what "improved" means.
    """
    result = Summary(
        distributions={pk: Distribution() for pk in scope.plan_ids},
        movements={at.plan.pk: (MovementCounts() if at.previous else None) for at in scope.ats},
        actions_not_updated=dict.fromkeys(scope.plan_ids, 0),
        measures_not_updated=dict.fromkeys(scope.plan_ids, 0),
        overdue=dict.fromkeys(scope.plan_ids, 0),
        slipped=dict.fromkeys(scope.plan_ids, 0),
    )
    measures = scope.measures()
    if by_recommendation:
        measures = measures.annotate(rec_id=plan_selectors.measure_recommendation_id())
    queries = (
        ("actions", _with_due_as_of(scope.actions(), scope), "recommendation_id"),
        ("measures", measures, "rec_id"),
    )
    then = _position(scope.windows(previous=True), alias=THEN)
    open_period = _live_period(scope) if live else None
    for kind, queryset, rec_field in queries:
        not_updated = getattr(result, f"{kind}_not_updated")
        grouped = ("plan_id", rec_field) if by_recommendation else ("plan_id",)
        counted = {"n": Count("pk")}
        if kind == "actions":
            counted |= _date_flags()
        queryset = _with_then_and_now(queryset, scope)
        if open_period is not None:
            period, window = open_period
            windows = {scope.single.plan.pk: window}
            queryset = join_positions(queryset, windows, LIVE).annotate(
                live_rag=_position(windows, alias=LIVE)
            )
            grouped = (*grouped, "live_rag")
            counts = result.live.setdefault(period.pk, {}).setdefault(kind, empty_counts())
        rows = (
            queryset.annotate(then_rag=then, since_rag=_since(scope), was_updated=_updated())
            .values(*grouped, "then_rag", "since_rag", "was_updated")
            .annotate(**counted)
            .order_by()
        )
        for row in rows:
            if open_period is not None:
                counts[row["live_rag"]] += row["n"]
            if kind == "actions":
                result.overdue[row["plan_id"]] += row["overdue"]
                result.slipped[row["plan_id"]] += row["slipped"]
            plan_id, rec_id, n = row["plan_id"], row.get(rec_field), row["n"]
            since = row["since_rag"]
            now = row["then_rag"] if since is None else since
            result.distributions[plan_id].add(kind, rec_id, now, n)
            movement = result.movements[plan_id]
            if movement is not None:
                direction = plan_movement.direction(row["then_rag"], now)
                movement.add(kind, rec_id, direction, n)
            if not row["was_updated"]:
                not_updated[plan_id] += n
    return result


def moved(
    scope: Scope, kind: str, directions: Iterable[Direction], *, limit: int | None = None
) -> list:
    """Actions (`kind` "action") or measures ("measure") that moved in one of
    `directions`, in plan order, each with `then_rag`, `now_rag` and `direction`. One
    query.

    The direction rule (`plans.movement.direction`) is turned into the (then, now) pairs
    it gives those directions for, so the database picks, orders and limits the items:
    each item's two positions are looked up once to choose it, and again only for the
    items returned.
    """
    wanted = set(directions)
    pairs = [
        f"{then}>{now}"
        for then in RAG_KEYS
        for now in RAG_KEYS
        if then != now and plan_movement.direction(then, now) in wanted
    ]
    if not pairs:
        return []
    if kind == "action":
        items, order = scope.actions(), ("plan__title", "recommendation__position", "position")
        related = ("recommendation",)
    else:
        items = scope.measures()
        order = ("plan__title", "action__recommendation__position", "action__position", "position")
        related = ("action__recommendation",)
    # Only items whose confirmed position is newer than the previous period can have
    # moved (`_newer`), and for them the position now is that one.
    then = _position(scope.windows(previous=True), alias=THEN)
    now = Coalesce(_since(scope), Value(""), output_field=CharField())
    newer = sorted({pk for window in _newer(scope).values() for pk in window})
    queryset = (
        _with_then_and_now(items, scope)
        .filter(**{f"{NOW}__confirmed_period_id__in": newer})
        .annotate(then_rag=then, now_rag=now)
        .alias(pair=Concat(then, Value(">"), now, output_field=CharField()))
        .filter(pair__in=pairs)
        .select_related(*related)
        .order_by(*order, "pk")
    )
    queryset = with_override(queryset, scope)
    result = list(queryset[:limit] if limit is not None else queryset)
    for item in result:
        item.direction = plan_movement.direction(item.then_rag, item.now_rag)
    return result


# --- Date-based flags on actions ------------------------------------------------------


def _with_due_as_of(actions: QuerySet[Action], scope: Scope) -> QuerySet[Action]:
    """Annotate `as_of` (each plan's judging date) and `due_as_of`: the due date as it
    stood then. A revision recorded after the as-of day is undone, as the committee
    report does, so a past period shows the slippage known at the time."""
    actions = actions.annotate(
        as_of=plan_selectors.per_plan({at.plan.pk: at.as_of for at in scope.ats}, DateField())
    )
    historic = [at for at in scope.ats if at.is_historic]
    if not historic:
        return actions.annotate(due_as_of=F("due_date"))
    cutoff = plan_selectors.per_plan({at.plan.pk: at.cutoff for at in scope.ats}, DateTimeField())
    later = DueDateRevision.objects.filter(
        action_id=OuterRef("pk"), created__gt=OuterRef("cutoff")
    ).order_by("created", "pk")
    return actions.annotate(cutoff=cutoff).annotate(
        due_as_of=Case(
            When(
                Q(plan_id__in=[at.plan.pk for at in historic]) & Exists(later),
                then=Subquery(later.values("old_date")[:1]),
            ),
            default=F("due_date"),
            output_field=DateField(),
        )
    )


def _open_as_of() -> Q:
    """Open on the as-of date: still open, or completed only after it."""
    return positions.open_q(as_of=F("as_of"))


# The rules of `plans.positions`, on the due date as it stood on the as-of date.
OVERDUE = positions.overdue_q(F("as_of"), due="due_as_of")
SLIPPED = positions.slipped_q(due="due_as_of")


def _date_flags() -> dict[str, Count]:
    """How many actions were overdue and how many had slipped, as aggregates over
    actions annotated by `_with_due_as_of`: the filters of `overdue_actions` and
    `slipped_actions`, counted."""
    open_ = _open_as_of()
    return {
        "overdue": Count("pk", filter=open_ & OVERDUE),
        "slipped": Count("pk", filter=open_ & SLIPPED),
    }


def flagged_actions(scope: Scope) -> QuerySet[Action]:
    """Actions in scope annotated with `as_of`, `due_as_of` and `is_open`."""
    return _with_due_as_of(scope.actions(), scope).annotate(
        is_open=Case(When(_open_as_of(), then=Value(True)), default=Value(False))
    )


def overdue_actions(scope: Scope) -> QuerySet[Action]:
    """Open actions whose due date (as it stood) had passed on the as-of date."""
    return (
        _with_due_as_of(scope.actions(), scope)
        .filter(_open_as_of(), OVERDUE)
        .select_related("recommendation")
        .order_by("due_as_of", "ref", "pk")
    )


def slipped_actions(scope: Scope) -> QuerySet[Action]:
    """Open actions whose due date (as it stood) is later than the baseline, annotated
    with `revision_count` and `latest_reason`."""
    revisions = DueDateRevision.objects.filter(action_id=OuterRef("pk"))
    if any(at.is_historic for at in scope.ats):
        revisions = revisions.filter(created__lte=OuterRef("cutoff"))
    latest_reason = revisions.order_by("-created", "-pk").values("reason")[:1]
    counted = revisions.order_by().values("action_id").annotate(n=Count("pk")).values("n")
    return (
        _with_due_as_of(scope.actions(), scope)
        .filter(_open_as_of(), SLIPPED)
        .annotate(
            revision_count=Coalesce(Subquery(counted), Value(0)),
            latest_reason=Subquery(latest_reason),
        )
        .select_related("recommendation")
        .order_by("baseline_due_date", "ref", "pk")
    )


def not_updated_actions(scope: Scope) -> QuerySet[Action]:
    """Actions with no rating of their own in the period (their position carried
    forward, or nothing yet)."""
    return (
        with_positions(scope.actions(), scope, override=True)
        .alias(was_updated=_updated())
        .filter(was_updated=False)
        .select_related("recommendation")
        .order_by("plan__title", "recommendation__position", "position", "pk")
    )


def not_updated_measures(scope: Scope) -> QuerySet[Measure]:
    return (
        with_positions(scope.measures(), scope, override=True)
        .alias(was_updated=_updated())
        .filter(was_updated=False)
        .select_related("action__recommendation")
        .order_by(*MEASURE_ORDER)
    )


@dataclass
class Flags:
    """Counts of what needs attention, for one plan."""

    overdue: int = 0
    slipped: int = 0
    actions_not_updated: int = 0
    measures_not_updated: int = 0
    below_target: int = 0
    audits_overdue: int = 0
    awaiting_confirmation: int = 0

    @property
    def not_updated(self) -> int:
        return self.actions_not_updated + self.measures_not_updated


def flag_counts(
    scope: Scope,
    *,
    audits: dict[int, list] | None = None,
    below: dict[int, int] | None = None,
    counts: Summary | None = None,
) -> dict[int, Flags]:
    """The attention counts per plan. `audits` (from `overdue_audits`), `below`
    (from `below_target_counts`) and `counts` (from `summary`, for the items not
    updated) are used when the caller has them already."""
    result = {pk: Flags() for pk in scope.plan_ids}
    if counts is None:
        actions = join_positions(_with_due_as_of(scope.actions(), scope), scope.windows())
        counted = {**_date_flags(), "not_updated": Count("pk", filter=Q(was_updated=False))}
        actions = actions.alias(was_updated=_updated())
        for row in actions.values("plan_id").annotate(**counted).order_by():
            flags = result[row["plan_id"]]
            flags.overdue, flags.slipped = row["overdue"], row["slipped"]
            flags.actions_not_updated = row["not_updated"]
    if counts is None:
        measures = (
            join_positions(scope.measures(), scope.windows())
            .alias(was_updated=_updated())
            .values("plan_id")
            .annotate(not_updated=Count("pk", filter=Q(was_updated=False)))
            .order_by()
        )
        for row in measures:
            result[row["plan_id"]].measures_not_updated = row["not_updated"]
    else:
        for plan_id, flags in result.items():
            flags.overdue, flags.slipped = counts.overdue[plan_id], counts.slipped[plan_id]
            flags.actions_not_updated = counts.actions_not_updated[plan_id]
            flags.measures_not_updated = counts.measures_not_updated[plan_id]
    for plan_id, count in (below if below is not None else below_target_counts(scope)).items():
        result[plan_id].below_target = count
    for row in _awaiting(scope).values("plan_id").annotate(n=Count("pk")).order_by():
        result[row["plan_id"]].awaiting_confirmation = row["n"]
    if audits is None:
        audits = overdue_audits(scope)
    for plan_id, rows_ in audits.items():
        result[plan_id].audits_overdue = len(rows_)
    return result


# --- Measures below target --------------------------------------------------------------


def below_target(scope: Scope) -> QuerySet[Measure]:
    """Measures in scope whose result up to their plan's as-of date misses the target:
    below it, or above it where lower is better.

    The result is the one the measure's RAG follows (the order of
    `audits.selectors.Result.order_key`): the latest dip sample unless a performance
    figure is later, the latest figure unless a sample is on the same day or later.
    Each measure's latest sample and latest figure up to the date are found by index
    lookups on (measure, date), once each; which of them counts, and whether it misses
    the target, is a comparison in the same row."""
    as_of = plan_selectors.per_plan({at.plan.pk: at.as_of for at in scope.ats}, DateField())

    def latest(model, day: str, name: str) -> Subquery:
        rows = model.objects.filter(measure_id=OuterRef("pk"), **{f"{day}__lte": OuterRef("as_of")})
        # A measure has one figure a day (a unique constraint, whose index is read from
        # its end); samples of one day are told apart by id (their index ends with it).
        order = (f"-{day}",) if model is MeasureValue else (f"-{day}", "-pk")
        return Subquery(rows.order_by(*order).values(name)[:1])

    measures = (
        scope.measures()
        .filter(target__isnull=False)
        .alias(as_of=as_of)
        .alias(
            latest_sample_on=latest(DipSample, "sampled_on", "sampled_on"),
            latest_sample_result=latest(DipSample, "sampled_on", "result"),
            latest_value_on=latest(MeasureValue, "as_of", "as_of"),
            latest_value=latest(MeasureValue, "as_of", "value"),
        )
    )
    # The sample counts unless the latest figure is later; the figure unless the latest
    # sample is on the same day or later. Each lookup is written once in the condition
    # (the database runs a subquery each time it is written): a missing sample reads
    # as before any figure, a missing figure as before any sample.
    sample_counts = Q(
        GreaterThanOrEqual(
            Coalesce("latest_sample_on", Value(dt.date.min)),
            Coalesce("latest_value_on", Value(dt.date.min + dt.timedelta(days=1))),
        )
    )
    measures = measures.alias(
        latest_result=Case(
            When(sample_counts, then=F("latest_sample_result")),
            default=F("latest_value"),
            output_field=FloatField(),
        ),
        latest_result_on=Case(
            When(sample_counts, then=F("latest_sample_on")),
            default=F("latest_value_on"),
            output_field=DateField(),
        ),
    )
    # Below target: under it where higher is better, over it where lower is; written as
    # one comparison so that the result is looked up once.
    better = Case(When(higher_is_better=True, then=Value(1.0)), default=Value(-1.0))
    return measures.alias(
        shortfall=ExpressionWrapper(
            better * (F("latest_result") - Cast("target", FloatField())),
            output_field=FloatField(),
        )
    ).filter(shortfall__lt=0)


def below_target_counts(scope: Scope) -> dict[int, int]:
    """How many measures of each plan miss their target. One query."""
    rows = below_target(scope).values("plan_id").annotate(n=Count("pk")).order_by()
    return {row["plan_id"]: row["n"] for row in rows}


def below_target_results(scope: Scope) -> dict[int, tuple[dt.date, float]]:
    """The measures in scope that miss their target, in plan order: {id: (date, value)
    of the result that misses it}. One query."""
    rows = (
        below_target(scope)
        .annotate(result_on=F("latest_result_on"), result=F("latest_result"))
        .order_by(*MEASURE_ORDER)
        .values_list("pk", "result_on", "result")
    )
    return {pk: (on, float(value)) for pk, on, value in rows}


def below_target_ids(scope: Scope) -> list[int]:
    """Ids of the measures in scope that miss their target, in plan order. One query."""
    return list(below_target_results(scope))


def attach_latest_result(
    measures: Sequence[Measure], scope: Scope, results: dict[int, list] | None = None
) -> None:
    """Set `result` and `result_on` on each measure: its latest result up to the
    as-of date, None where it has none. `results` from `measure_results` when the
    caller has them; otherwise two queries."""
    if results is None:
        results = measure_results([m.pk for m in measures], _single_as_of(scope))
    for measure in measures:
        points = results.get(measure.pk)
        measure.result_on, measure.result = points[-1] if points else (None, None)


def _single_as_of(scope: Scope) -> dt.date:
    days = {at.as_of for at in scope.ats}
    if len(days) != 1:
        raise ValueError("Measures of plans judged on different dates: pass their results.")
    return days.pop()


def below_target_measures(
    scope: Scope,
    *,
    limit: int | None = None,
    results: dict[int, tuple[dt.date, float]] | None = None,
) -> list[Measure]:
    """The first `limit` (or all) measures whose latest result up to the as-of date
    misses the target, in plan order, with `pos_rag`, `result` and `result_on`
    (`results` from `below_target_results` when the caller has them: only the measures
    shown are then read, with their positions). One query, or two without `results`."""
    if results is None:
        results = below_target_results(scope)
    shown = list(results)[:limit] if limit is not None else list(results)
    measures = list(
        with_positions(scope.measures().filter(pk__in=shown), scope, override=True)
        .select_related("action__recommendation")
        .order_by(*MEASURE_ORDER)
    )
    for measure in measures:
        measure.result_on, measure.result = results[measure.pk]
    return measures


# --- Audits overdue and ratings awaiting confirmation ----------------------------------


@dataclass(frozen=True)
class AuditOverdue:
    measure: Measure
    next_due: audit_selectors.NextDue


class OverdueAudit(NamedTuple):
    """A measure whose next audit round is overdue, before its measure is loaded. A
    named tuple: thousands are made at each request."""

    plan_id: int
    measure_id: int
    schedule_id: int
    round: int
    rounds: int
    on: dt.date
    days_overdue: int


def overdue_audits(scope: Scope) -> dict[int, list[OverdueAudit]]:
    """Measures whose next audit round was due before the as-of date and not sampled,
    by the QA overview's rule (`audits.selectors.overdue_round`, `measure_next_due` on
    plain rows), longest overdue first, per plan. One query: the schedules as plain
    values with the rounds done up to the as-of date; the rule itself is date
    arithmetic, applied to each schedule's next round only. `audits_overdue_by_plan`
    loads the measures of the rows to be shown."""
    as_of = {at.plan.pk: at.as_of for at in scope.ats}
    # The plans' schedules by the measure's plan, on the join the plan's id is read
    # from anyway; the narrowed measures only when the scope is narrowed.
    schedules = AuditSchedule.objects.filter(measure__plan_id__in=scope.plan_ids)
    if scope.recommendation is not None or scope.owner is not None:
        schedules = schedules.filter(measure__in=scope.measures())
    schedules = (
        schedules.annotate(
            plan_as_of=plan_selectors.per_plan(as_of, DateField(), plan="measure__plan_id")
        )
        .annotate(
            # Counted schedule by schedule on its (schedule, date) index alone: cheaper
            # than joining every sample (COUNT(*): no column the index lacks).
            done=Coalesce(
                Subquery(
                    DipSample.objects.filter(
                        schedule_id=OuterRef("pk"), sampled_on__lte=OuterRef("plan_as_of")
                    )
                    .order_by()
                    .values("schedule_id")
                    .annotate(n=Count("*"))
                    .values("n")
                ),
                0,
            )
        )
        .order_by("measure_id", "first_due", "pk")
        .values_list(
            "measure_id",
            "measure__plan_id",
            "pk",
            "first_due",
            "interval_months",
            "rounds",
            "review_date",
            "done",
        )
    )
    overdue: list[OverdueAudit] = []
    for (measure_id, plan_id), rows in groupby(schedules, key=itemgetter(0, 1)):
        due = audit_selectors.overdue_round((row[2:] for row in rows), today=as_of[plan_id])
        if due is not None:
            overdue.append(OverdueAudit(plan_id, measure_id, *due))
    result: dict[int, list[OverdueAudit]] = defaultdict(list)
    # Longest overdue first, then by measure: `overdue` is in measure order already and
    # a sort in reverse keeps equal keys in their order, so one key read in C does it.
    for row in sorted(overdue, key=attrgetter("days_overdue"), reverse=True):
        result[row.plan_id].append(row)
    return result


def audits_overdue_by_plan(
    scope: Scope,
    overdue: dict[int, list[OverdueAudit]] | None = None,
    *,
    limit: int | None = None,
) -> dict[int, list[AuditOverdue]]:
    """`overdue_audits` (`overdue` when the caller has it) with each row's measure and
    schedule loaded, the first `limit` of each plan. Two queries, or one given
    `overdue`."""
    if overdue is None:
        overdue = overdue_audits(scope)
    chosen = {plan_id: rows[:limit] for plan_id, rows in overdue.items()}
    schedules = AuditSchedule.objects.select_related("measure__plan").in_bulk(
        [row.schedule_id for rows in chosen.values() for row in rows]
    )
    result: dict[int, list[AuditOverdue]] = defaultdict(list)
    for plan_id, rows in chosen.items():
        for row in rows:
            schedule = schedules[row.schedule_id]
            due = audit_selectors.NextDue(
                schedule, row.on, row.round, row.rounds, True, row.days_overdue
            )
            result[plan_id].append(AuditOverdue(measure=schedule.measure, next_due=due))
    return result


def _awaiting(scope: Scope) -> QuerySet[Rating]:
    """Proposed ratings in the period that a QA lead or administrator can still confirm
    (`plans.periods.ratings_to_confirm`), narrowed to the scope."""
    ratings = plan_periods.ratings_to_confirm().filter(period_id__in=scope.period_ids)
    if scope.recommendation is not None or scope.owner is not None:
        ratings = ratings.filter(
            Q(action__in=scope.actions())
            | Q(measure__in=scope.measures())
            | (
                Q(recommendation=scope.recommendation)
                if scope.recommendation is not None and scope.owner is None
                else Q(pk__in=[])
            )
        )
    return ratings


def awaiting_confirmation(scope: Scope) -> QuerySet[Rating]:
    return _awaiting(scope).order_by("created", "pk")


# --- Trend across periods ---------------------------------------------------------------


def trend(
    at: PlanAt,
    scope: Scope | None = None,
    current: Distribution | None = None,
    open_counts: dict[int, dict[str, dict[str, int]]] | None = None,
) -> dict[str, list[tuple[str, dict]]]:
    """RAG counts of actions and of measures as of each started period of the plan,
    oldest first, narrowed like `scope`. For the whole plan, a closed period's counts
    are those closing stored (`ReportingPeriod.closing_counts`): no query. Otherwise
    two queries for the closed periods (the latest confirmed rating of each item in
    each period, by a window function), and two for the open one unless it is the
    period looked at and `current` (its distribution, narrowed like `scope`) is given,
    or `open_counts` (`Summary.live`) holds its counts.

    A closed period holds a confirmed rating for every item that existed when it
    closed, so its counts are read from its own ratings; an item added later is not
    counted in periods before it existed.
    """
    scope = scope or Scope((at,))
    closed = [p for p in at.periods if p.is_closed]
    # What each period closed with is stored when it closes (for the whole plan only:
    # an action can move to another recommendation after a period has closed).
    narrowed = scope.recommendation is not None or scope.owner is not None
    stored = [] if narrowed else [p for p in closed if p.closing_counts is not None]
    live = [p.pk for p in closed if p not in stored]
    counts: dict[str, dict[int, dict[str, int]]] = {"actions": {}, "measures": {}}
    for kind, key, items in (
        ("actions", "action", scope.actions()),
        ("measures", "measure", scope.measures()),
    ):
        per_period = counts[kind]
        for period in stored:
            per_period[period.pk] = {**empty_counts(), **period.closing_counts.get(kind, {})}
        for period_id, rags in plan_selectors.closed_rag_counts(live, key, items).items():
            target = per_period.setdefault(period_id, empty_counts())
            for rag, n in rags.items():
                target[rag] += n
        for period in at.periods:
            if period.is_closed:
                continue
            if current is not None and period.pk == at.period.pk:
                per_period[period.pk] = dict(getattr(current, kind))
                continue
            if open_counts and period.pk in open_counts:
                per_period[period.pk] = dict(open_counts[period.pk][kind])
                continue
            window = {at.plan.pk: _window(list(at.periods), list(at.periods).index(period))}
            rows = (
                join_positions(items, window)
                .annotate(pos_rag=_position(window))
                .values("pos_rag")
                .annotate(n=Count("pk"))
                .order_by()
            )
            target = per_period.setdefault(period.pk, empty_counts())
            for row in rows:
                target[row["pos_rag"]] += row["n"]
    return {
        kind: [(p.label, per_period.get(p.pk, empty_counts())) for p in at.periods]
        for kind, per_period in counts.items()
    }


# --- Drill-down -------------------------------------------------------------------------


def facet_positions(scope: Scope, recommendation: Recommendation) -> dict[str, dict]:
    """The recommendation's own ratings (outcome required, impact for children, actions
    completed) as of the period: {facet: {"rag", "commentary"}} for facets rated. One
    query."""
    window = scope.single.window
    rows = Position.objects.filter(
        period_id=window[0],
        recommendation=recommendation,
        subject__in=FACETS,
        confirmed_period_id__in=window,
    ).values_list("subject", "confirmed_rag", "confirmed_rating__commentary")
    held = {subject: (rag, commentary) for subject, rag, commentary in rows.order_by()}
    return {
        str(facet): {
            "label": facet.label,
            "rag": held[facet][0] or "",
            "commentary": held[facet][1] or "",
        }
        for facet in FACETS
        if facet in held
    }


def detailed_actions(scope: Scope) -> QuerySet[Action]:
    """Every action in scope with its position, commentary, whether it was updated in
    the period, its due date as it stood and its owners. Three queries when listed."""
    return (
        with_positions(flagged_actions(scope), scope, detail=True, override=True)
        .select_related("recommendation", "outcome", "plan")
        .prefetch_related(Prefetch("owners", queryset=Owner.objects.order_by("post")))
        .order_by("plan__title", "recommendation__position", "position", "pk")
    )


def detailed_measures(scope: Scope, results: dict[int, list] | None = None) -> list[Measure]:
    """Every measure in scope with its position, commentary, any override of the
    evidence (`pos_suggested_rag`, `pos_override_reason`), latest result (`result`,
    `result_on`) and whether it misses its target (`below`). `results` from
    `measure_results` when the caller has them."""
    measures = list(
        # A RAG other than the evidence gave is shown with its written reason.
        with_positions(scope.measures(), scope, detail=True, override=True)
        .select_related("action__recommendation", "plan")
        .order_by(*MEASURE_ORDER)
    )
    attach_latest_result(measures, scope, results)
    below = set(below_target_ids(scope))
    for measure in measures:
        measure.below = measure.pk in below
    return measures


def measure_results(measure_ids: list[int], as_of: dt.date) -> dict[int, list[tuple]]:
    """Each measure's results up to `as_of`, oldest first, as (date, value): dip samples
    and performance values. Two queries."""
    results: dict[int, list[tuple]] = defaultdict(list)
    if not measure_ids:
        return results
    # Sorted by `audits.selectors.Result.order_key`: date, a sample after a figure of
    # the same day, then id; the last point is the result the measure's RAG follows.
    samples = DipSample.objects.filter(measure_id__in=measure_ids, sampled_on__lte=as_of)
    for row in samples.values_list("measure_id", "sampled_on", "pk", "result"):
        measure_id, on, pk, result = row
        if result is not None:
            results[measure_id].append((on, 1, pk, float(result)))
    values = MeasureValue.objects.filter(measure_id__in=measure_ids, as_of__lte=as_of)
    for measure_id, on, pk, value in values.values_list("measure_id", "as_of", "pk", "value"):
        results[measure_id].append((on, 0, pk, float(value)))
    return {
        pk: [(on, value) for on, _, _, value in sorted(points)] for pk, points in results.items()
    }

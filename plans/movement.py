"""Positions as of periods, read from `plans.Position`, and what moved between two.

`plans.positions` holds the rule and writes the rows; this module reads them for the
pages, the dashboard and the committee report. Movement (`movement`) answers "what moved
since last time"; its return value is a set of dataclasses so that callers read
attributes, not dictionary keys.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from plans.models import (
    RAG,
    RAG_ORDER,
    Action,
    Measure,
    Plan,
    Rating,
    Recommendation,
    ReportingPeriod,
)
from plans.models import Position as PositionRow
from plans.positions import FACETS, ItemKey


class Direction(enum.StrEnum):
    """How an item's position moved between two periods."""

    IMPROVED = "improved"
    WORSENED = "worsened"
    UNCHANGED = "unchanged"
    NEW = "new"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


@dataclass(frozen=True)
class Position:
    """An item's position as of a period: its latest rating up to that period's end."""

    rag: str  # a RAG value; "" when the latest rating says "not rated"
    carried_forward: bool  # closing found no update: the one before, carried forward
    status: str  # Rating.Status of the rating that gives the position
    period_id: int  # the period of that rating: an earlier one if not rated in this one


def direction(then: str | None, now: str | None) -> Direction:
    """Compare two RAG values (None or "" means no position).

    Blue after anything else is *completed*; a position where there was none is *new*;
    losing a position (rated then, not rated now) counts as *worsened*, since the
    committee can no longer see where the item stands.
    """
    then, now = then or "", now or ""
    if then == now:
        return Direction.UNCHANGED
    if not then:
        return Direction.NEW
    if now == RAG.BLUE:
        return Direction.COMPLETED
    if not now or RAG_ORDER[now] < RAG_ORDER[then]:
        return Direction.WORSENED
    return Direction.IMPROVED


def positions_by_period(
    plan: Plan,
    periods: Sequence[ReportingPeriod],
    *,
    confirmed_only: bool = True,
    actions: QuerySet[Action] | Sequence[int] | None = None,
    recommendations: QuerySet[Recommendation] | Sequence[int] | None = None,
    measures: bool = True,
) -> list[dict[ItemKey, Position]]:
    """Every item's position as of each period (in the order given), read from
    `plans.Position` in one query however many periods. Items never rated up to a
    period are absent from its map. `actions` and `recommendations` narrow the items,
    and `measures=False` leaves outcome measures out. The rule is `plans.positions`'."""
    if not periods:
        return []
    rows = PositionRow.objects.filter(plan=plan, period__in=[p.pk for p in periods])
    if confirmed_only:
        rows = rows.filter(confirmed_rating__isnull=False)
        fields = ("confirmed_rag", "confirmed_carried_forward", "confirmed_period_id")
    else:
        rows = rows.filter(rating__isnull=False)
        fields = ("rag", "carried_forward", "rating_period_id", "status")
    # The rows wanted, said positively, so that a page of the grid is found on the
    # (period, item) keys rather than by reading every row of the periods.
    wanted = Q(subject=Rating.Subject.ACTION)
    if actions is not None:
        wanted &= Q(action__in=actions)
    facets = Q(subject__in=FACETS)
    if recommendations is not None:
        facets &= Q(recommendation__in=recommendations)
    wanted |= facets
    if measures:
        wanted |= Q(subject=Rating.Subject.MEASURE)
    rows = rows.filter(wanted)
    column = {p.pk: i for i, p in enumerate(periods)}
    found: list[dict[ItemKey, Position]] = [{} for _ in periods]
    values = rows.order_by().values_list(
        "period_id", "subject", "action_id", "measure_id", "recommendation_id", *fields
    )
    for period_id, subject, action_id, measure_id, rec_id, rag, carried, from_id, *status in values:
        key = (str(subject), action_id or measure_id or rec_id)
        found[column[period_id]][key] = Position(
            rag=rag or "",
            carried_forward=carried,
            status=status[0] if status else Rating.Status.CONFIRMED,
            period_id=from_id,
        )
    return found


def positions_as_of(
    plan: Plan, period: ReportingPeriod, *, confirmed_only: bool = True
) -> dict[ItemKey, Position]:
    """Every item's position as of `period`, in four queries; items never rated up to
    then are absent. See `positions_by_period`."""
    return positions_by_period(plan, [period], confirmed_only=confirmed_only)[0]


@dataclass(frozen=True)
class ItemMovement:
    """One item's position then and now.

    `kind` is "action", "measure", or a recommendation facet: "outcome" (outcome
    required), "impact" (impact for children) or "progress" (actions completed). `ref` is
    the action's ref, "1.1 M2" for its second outcome measure, or the recommendation's
    ref for a facet; `url` is the page to click through to. `then` and `now` are None
    where the item had no position (not yet created or never rated).
    """

    kind: str
    item_id: int
    recommendation_id: int
    ref: str
    text: str
    url: str
    then: Position | None
    now: Position | None
    direction: Direction

    @property
    def then_rag(self) -> str:
        return self.then.rag if self.then else ""

    @property
    def now_rag(self) -> str:
        return self.now.rag if self.now else ""

    @property
    def kind_label(self) -> str:
        if self.kind in ("action", "measure"):
            return "Action" if self.kind == "action" else "Outcome measure"
        return Rating.Subject(self.kind).label


def _direction_counts(items: Sequence[ItemMovement]) -> dict[Direction, int]:
    counted = Counter(item.direction for item in items)
    return {d: counted.get(d, 0) for d in Direction}


@dataclass
class RecommendationMovement:
    """The movement of everything under one recommendation, with counts per direction
    (every direction present, zero where none)."""

    recommendation: Recommendation
    items: list[ItemMovement]
    counts: dict[Direction, int] = field(init=False)

    def __post_init__(self) -> None:
        self.counts = _direction_counts(self.items)

    def counts_for(self, *kinds: str) -> dict[Direction, int]:
        """Counts per direction for some kinds only, e.g. `counts_for("action")`."""
        return _direction_counts([item for item in self.items if item.kind in kinds])


@dataclass
class Movement:
    """What moved between two dated positions of a plan.

    `recommendations` are in plan order; within each, the facets first (outcome
    required, impact for children, actions completed), then each action followed by its
    outcome measures. `counts` totals the directions across the plan.
    """

    plan: Plan
    from_period: ReportingPeriod
    to_period: ReportingPeriod
    confirmed_only: bool
    recommendations: list[RecommendationMovement]
    counts: dict[Direction, int] = field(init=False)

    def __post_init__(self) -> None:
        self.counts = _direction_counts(list(self.items()))

    def items(self, *kinds: str) -> Iterator[ItemMovement]:
        """Every item, or only those of the given kinds."""
        for rec in self.recommendations:
            for item in rec.items:
                if not kinds or item.kind in kinds:
                    yield item


def _ordered_items(plan: Plan) -> tuple[list[Recommendation], dict[int, list[tuple]]]:
    """The plan's recommendations and, per recommendation, its actions and measures as
    (kind, id, ref, text, url) in plan order; two queries."""
    recommendations = list(plan.recommendations.order_by("position", "pk"))
    by_rec: dict[int, list[tuple]] = {rec.pk: [] for rec in recommendations}
    measures: dict[int, list[Measure]] = {}
    for measure in Measure.objects.filter(plan=plan).order_by("action_id", "position", "pk"):
        measures.setdefault(measure.action_id, []).append(measure)
    for action in Action.objects.filter(plan=plan).order_by("position", "pk"):
        by_rec[action.recommendation_id].append(
            ("action", action.pk, action.ref, action.text, action.get_absolute_url())
        )
        for number, measure in enumerate(measures.get(action.pk, []), start=1):
            by_rec[action.recommendation_id].append(
                (
                    "measure",
                    measure.pk,
                    f"{action.ref} M{number}",
                    measure.text,
                    action.get_absolute_url(),
                )
            )
    return recommendations, by_rec


def movement(
    plan: Plan,
    from_period: ReportingPeriod,
    to_period: ReportingPeriod,
    *,
    confirmed_only: bool = True,
) -> Movement:
    """Each item's RAG as of `from_period` and as of `to_period`, and which way it moved.

    Items are every action and outcome measure of the plan, and each recommendation
    facet (outcome required, impact for children, actions completed) that has a
    position in either period. Directions: *improved*, *worsened*, *unchanged*, *new*
    (no position then), *completed* (Blue now, not then); see `direction`. Reports and
    the dashboard use confirmed ratings (the default); `confirmed_only=False` includes
    proposed ones. A fixed number of queries, whatever the size of the plan.

    Raises ValueError if a period belongs to another plan or `from_period` ends after
    `to_period`.
    """
    if from_period.plan_id != plan.pk or to_period.plan_id != plan.pk:
        raise ValueError("Both periods must belong to the plan.")
    if from_period.end > to_period.end:
        raise ValueError("from_period must end before to_period.")
    then, now = positions_by_period(plan, [from_period, to_period], confirmed_only=confirmed_only)
    recommendations, by_rec = _ordered_items(plan)
    result = []
    for rec in recommendations:
        items = []
        for facet in FACETS:
            key = (str(facet), rec.pk)
            if key in then or key in now:
                items.append(
                    _item_movement(
                        key, rec.pk, rec.ref, facet.label, rec.get_absolute_url(), then, now
                    )
                )
        for kind, pk, ref, text, url in by_rec[rec.pk]:
            items.append(_item_movement((kind, pk), rec.pk, ref, text, url, then, now))
        result.append(RecommendationMovement(recommendation=rec, items=items))
    return Movement(
        plan=plan,
        from_period=from_period,
        to_period=to_period,
        confirmed_only=confirmed_only,
        recommendations=result,
    )


def _item_movement(key, rec_id, ref, text, url, then, now) -> ItemMovement:
    before, after = then.get(key), now.get(key)
    return ItemMovement(
        kind=key[0],
        item_id=key[1],
        recommendation_id=rec_id,
        ref=ref,
        text=text,
        url=url,
        then=before,
        now=after,
        direction=direction(before.rag if before else None, after.rag if after else None),
    )

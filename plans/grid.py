"""The plan page's "position as of" grid: the view-models its template and its XLSX
export read (`PositionGrid` and its sections, rows and cells), and its pages.

Positions come from `plans.movement.positions_by_period`, so the grid, the dashboard and
the committee report show the same positions and the same directions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count

from plans import services
from plans.models import Action, Plan, Rating, Recommendation, ReportingPeriod
from plans.models import Position as PositionRow
from plans.movement import Direction, Position, direction, positions_by_period
from plans.positions import FACETS


@dataclass(frozen=True)
class GridCell:
    """A position as the grid shows it: the RAG, and "not updated" where it is an earlier
    position (carried forward at close, or, in the open period, not rated yet)."""

    rag: str
    marker: str  # "", "not updated" or "not updated yet"

    @classmethod
    def of(cls, position: Position | None, period: ReportingPeriod) -> GridCell | None:
        if position is None:
            return None
        stale = position.carried_forward or position.period_id != period.pk
        if not stale or not position.rag:
            return cls(position.rag, "")
        return cls(position.rag, "not updated" if period.is_closed else "not updated yet")


@dataclass(frozen=True)
class GridRow:
    """A row of the grid: a recommendation facet or an action, with one cell per
    period (None where it had no position yet)."""

    kind: str
    item_id: int
    ref: str
    text: str
    url: str
    cells: list[GridCell | None]
    direction: Direction | None  # last column against the one before; None with one column
    suggested_rag: str = ""  # what the dates suggest for an open action, "" if nothing

    @property
    def kind_label(self) -> str:
        return "Action" if self.kind == "action" else Rating.Subject(self.kind).label


@dataclass(frozen=True)
class GridSection:
    """A recommendation's rows, or the part of them on one page of the grid: actions
    `first` to `last` (counted from 1) of its `total`."""

    recommendation: Recommendation
    rows: list[GridRow]
    first: int = 1
    last: int = 0
    total: int = 0

    @property
    def continued(self) -> bool:
        """The recommendation's earlier actions are on the page before."""
        return self.first > 1

    @property
    def continues(self) -> bool:
        """Its later actions are on the next page."""
        return self.last < self.total


@dataclass(frozen=True)
class PositionGrid:
    """The plan's positions side by side, as the 2015 plan's "Position as of" tables."""

    plan: Plan
    periods: list[ReportingPeriod]  # oldest first
    sections: list[GridSection]

    @property
    def movement_from(self) -> ReportingPeriod | None:
        return self.periods[-2] if len(self.periods) > 1 else None


# How many action rows a page of the plan page's grid holds, about: a plan at council
# scale has thousands of actions, which no one reads, or a browser lays out, at once.
GRID_PAGE_ROWS = 100


@dataclass(frozen=True)
class GridSlice:
    """A recommendation's actions `start` (counted from 0) up to `stop`, of `total`."""

    recommendation: Recommendation
    start: int
    stop: int
    total: int


@dataclass(frozen=True)
class GridPage:
    """One page of the grid: consecutive slices of the recommendations' actions in plan
    order, starting after `offset` actions of the plan."""

    number: int
    slices: tuple[GridSlice, ...]
    offset: int

    @property
    def size(self) -> int:
        return sum(s.stop - s.start for s in self.slices)

    @property
    def label(self) -> str:
        """What the page holds, e.g. "Recommendations 1 to 3" or "Recommendation 4,
        actions 101 to 167 of 167"."""
        if not self.slices:
            return "No recommendations"
        first, last = self.slices[0], self.slices[-1]
        if len(self.slices) == 1 and (first.start or first.stop < first.total):
            return (
                f"Recommendation {first.recommendation.ref}, actions {first.start + 1} to "
                f"{first.stop} of {first.total}"
            )
        if len(self.slices) == 1:
            return f"Recommendation {first.recommendation.ref}"
        return f"Recommendations {first.recommendation.ref} to {last.recommendation.ref}"


def grid_pages(plan: Plan, *, rows: int | None = None) -> list[GridPage]:
    """The plan's recommendations cut into pages of at most `rows` actions
    (`GRID_PAGE_ROWS` by default), in plan order. A recommendation starts a new page
    unless the rest of it fits on the current one; one with more actions than a page
    holds is split across pages. Every recommendation is on some page, those with no
    actions too. One query."""
    recommendations = plan.recommendations.annotate(actions_count=Count("actions")).order_by(
        "position", "pk"
    )
    rows = rows or GRID_PAGE_ROWS
    pages: list[GridPage] = []
    current: list[GridSlice] = []
    used = offset = 0

    def turn() -> None:
        nonlocal current, used, offset
        pages.append(GridPage(len(pages) + 1, tuple(current), offset))
        offset += used
        current, used = [], 0

    for rec in recommendations:
        total, start = rec.actions_count, 0
        while True:
            if current and used + total - start > rows:
                turn()
            take = min(total - start, rows - used)
            current.append(GridSlice(rec, start, start + take, total))
            used += take
            start += take
            if start >= total:
                break
            turn()
    if current or not pages:
        turn()
    return pages


def grid_periods(plan: Plan) -> list[ReportingPeriod]:
    """The periods that have positions to show (closed, and the open one), oldest first."""
    return list(plan.periods.exclude(state=ReportingPeriod.State.UPCOMING).order_by("end", "pk"))


def _used_facets(plan: Plan, last: ReportingPeriod, *, confirmed_only: bool) -> list:
    """The facets with a position as of `last` for some recommendation of the plan."""
    held = "confirmed_rating" if confirmed_only else "rating"
    used = set(
        PositionRow.objects.filter(
            plan=plan, period=last, subject__in=FACETS, **{f"{held}__isnull": False}
        )
        .order_by()
        .values_list("subject", flat=True)
        .distinct()
    )
    return [facet for facet in FACETS if str(facet) in used]


def position_grid(
    plan: Plan,
    periods: Sequence[ReportingPeriod],
    *,
    confirmed_only: bool = True,
    today: dt.date | None = None,
    page: GridPage | None = None,
) -> PositionGrid:
    """Positions of each recommendation's facets (those the plan uses) and actions, one
    column per period: the whole plan, or one `page` of `grid_pages`. Seven queries,
    whatever the size of the plan and however many periods."""
    # Long because: the grid's view-model is built from one read of the positions in a fixed
    # number of queries; the steps share the same lookups.
    periods = sorted(periods, key=lambda p: p.end)
    ordered = Action.objects.filter(plan=plan).order_by(
        "recommendation__position", "recommendation_id", "position", "pk"
    )
    if page is None:
        # (recommendation, actions before the part shown, its actions in all or None)
        parts = [(rec, 0, None) for rec in plan.recommendations.order_by("position", "pk")]
        actions = ordered
    else:
        parts = [(s.recommendation, s.start, s.total) for s in page.slices]
        ids = list(ordered.values_list("pk", flat=True)[page.offset : page.offset + page.size])
        actions = Action.objects.filter(pk__in=ids)
    columns = positions_by_period(
        plan,
        periods,
        confirmed_only=confirmed_only,
        # Ids rather than queries where there are ids: found by key, not by a scan.
        actions=actions if page is None else ids,
        recommendations=[rec.pk for rec, _, _ in parts],
        measures=False,
    )
    used_facets = _used_facets(plan, periods[-1], confirmed_only=confirmed_only) if periods else []
    by_rec: dict[int, list[Action]] = {rec.pk: [] for rec, _, _ in parts}
    for action in actions.order_by("position", "pk"):
        action.plan = plan  # for the suggested RAG, without a query per action
        by_rec[action.recommendation_id].append(action)
    today = today or services.local_today()

    def row(kind, pk, ref, text, url, suggested="") -> GridRow:
        cells = [
            GridCell.of(column.get((kind, pk)), period)
            for column, period in zip(columns, periods, strict=True)
        ]
        moved = None
        if len(cells) > 1:
            moved = direction(
                cells[-2].rag if cells[-2] else None, cells[-1].rag if cells[-1] else None
            )
        return GridRow(kind, pk, ref, text, url, cells, moved, suggested)

    sections = []
    for rec, start, total in parts:
        rows = []
        if start == 0:  # the facets head the recommendation's first page
            rows = [
                row(str(facet), rec.pk, rec.ref, facet.label, rec.get_absolute_url())
                for facet in used_facets
            ]
        mine = by_rec[rec.pk]
        for action in mine:
            rows.append(
                row(
                    "action",
                    action.pk,
                    action.ref,
                    action.text,
                    action.get_absolute_url(),
                    services.action_suggested_rag(action, today=today),
                )
            )
        sections.append(
            GridSection(
                recommendation=rec,
                rows=rows,
                first=start + 1,
                last=start + len(mine),
                total=len(mine) if total is None else total,
            )
        )
    return PositionGrid(plan=plan, periods=list(periods), sections=sections)

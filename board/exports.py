"""The dashboard's tables as downloads, CSV or XLSX.

Each table is a specification (`Spec`): its title, where its rows come from for a
scope, and its columns, each a heading and how to read the cell from a row. One
function (`export`) turns a specification and a scope into the file, so the cells are
written, and made safe for a spreadsheet (`plans.bounds.spreadsheet_text`), in one place.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.http import Http404
from django.utils import timezone

from board import selectors
from board.selectors import RAG, RAG_KEYS, Direction, Scope
from core.dates import short_day
from plans import rules
from plans.bounds import spreadsheet_text
from plans.models import EXAMPLE_DATA_NOTE, Action, Plan, Recommendation

# The formats a table downloads in, and their content types.
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Column:
    """A column: its heading (or how to word it for the scope) and how to read its cell
    from a row; `shown`, when given, says for which scopes the table has it."""

    heading: str | Callable[[Scope], str]
    value: Callable[[Any], object]
    shown: Callable[[Scope], bool] | None = None


@dataclass(frozen=True)
class Spec:
    """A table: its title, its rows for a scope and its columns, in order."""

    title: str
    rows: Callable[[Scope], Iterable]
    columns: Sequence[Column]


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list]


class Item(NamedTuple):
    """A row about one action, measure, rating or facet, with the plan whose words for
    the RAG its cells use, and the kind of item it is where a table mixes kinds."""

    obj: Any
    plan: Plan
    kind: str = ""

    @property
    def action(self) -> Action:
        """The action the row is about: the item itself, or a measure's action."""
        return self.obj if isinstance(self.obj, Action) else self.obj.action


# --- Rows -------------------------------------------------------------------------------


def _plans(scope: Scope) -> dict[int, Plan]:
    return {at.plan.pk: at.plan for at in scope.ats}


def _items(objs: Iterable, scope: Scope, kind: str = "") -> list[Item]:
    plans = _plans(scope)
    return [Item(obj, plans[obj.plan_id], kind) for obj in objs]


class PlanFigures(NamedTuple):
    at: selectors.PlanAt
    distribution: selectors.Distribution
    movement: selectors.MovementCounts | None
    flags: selectors.Flags


def _plan_rows(scope: Scope) -> list[PlanFigures]:
    counts = selectors.summary(scope, by_recommendation=False)
    flags = selectors.flag_counts(scope, counts=counts)
    return [
        PlanFigures(
            at, counts.distributions[at.plan.pk], counts.movements[at.plan.pk], flags[at.plan.pk]
        )
        for at in scope.ats
    ]


def _recommendations(scope: Scope) -> list[Recommendation]:
    recs = Recommendation.objects.filter(plan_id__in=scope.plan_ids).order_by(
        "plan__title", "position", "pk"
    )
    if scope.recommendation is not None:
        recs = recs.filter(pk=scope.recommendation.pk)
    return list(recs)


class RecCounts(NamedTuple):
    recommendation: Recommendation
    counts: dict


def _recommendation_rows(scope: Scope) -> list[RecCounts]:
    distribution = selectors.distributions(scope)
    return [
        RecCounts(
            rec,
            distribution[rec.plan_id].by_recommendation.get(rec.pk)
            or {"actions": selectors.empty_counts(), "measures": selectors.empty_counts()},
        )
        for rec in _recommendations(scope)
    ]


def _movement_rows(scope: Scope) -> list[RecCounts]:
    movement = selectors.movement_counts(scope)
    return [
        RecCounts(rec, moved.by_recommendation.get(rec.pk, dict.fromkeys(Direction, 0)))
        for rec in _recommendations(scope)
        if (moved := movement[rec.plan_id]) is not None
    ]


def _moved_rows(scope: Scope) -> list[Item]:
    moving = [d for d in Direction if d != Direction.UNCHANGED]
    return _items(selectors.moved(scope, "action", moving), scope, "Action") + _items(
        selectors.moved(scope, "measure", moving), scope, "Outcome measure"
    )


def _worsened_rows(scope: Scope) -> list[Item]:
    return [row for row in _moved_rows(scope) if row.obj.direction == Direction.WORSENED]


def _not_updated_rows(scope: Scope) -> list[Item]:
    return _items(selectors.not_updated_actions(scope), scope, "Action") + _items(
        selectors.not_updated_measures(scope), scope, "Outcome measure"
    )


def _audit_rows(scope: Scope) -> list:
    return [row for rows in selectors.audits_overdue_by_plan(scope).values() for row in rows]


def _awaiting_rows(scope: Scope) -> list[Item]:
    ratings = selectors.awaiting_confirmation(scope).select_related(
        "action", "measure__action", "recommendation", "created_by"
    )
    return _items(ratings, scope)


class TrendRow(NamedTuple):
    period: str
    kind: str
    counts: dict[str, int]


def _trend_rows(scope: Scope) -> list[TrendRow]:
    trend = selectors.trend(scope.single, scope)
    return [
        TrendRow(period, label, counts)
        for kind, label in (("actions", "Actions"), ("measures", "Outcome measures"))
        for period, counts in trend[kind]
    ]


def _facet_rows(scope: Scope) -> list[Item]:
    if scope.recommendation is None:
        raise Http404("Choose a recommendation.")
    facets = selectors.facet_positions(scope, scope.recommendation)
    return [Item(facet, scope.single.plan) for facet in facets.values()]


# --- Columns ----------------------------------------------------------------------------


def _words(row: Item, rag: str | None) -> str:
    return row.plan.rag_label(rag or "")


def _rag(name: str) -> Callable[[Item], str]:
    """The item's RAG in attribute `name`, in its plan's words."""
    return lambda row: _words(row, getattr(row.obj, name))


def _rag_counts(counts: Callable[[Any], dict[str, int]], prefix: str = "") -> list[Column]:
    """A column per RAG, then the total, of the counts `counts` reads from a row."""
    columns = [
        Column(f"{prefix}{RAG(key).label}", lambda row, key=key: counts(row)[key])
        for key in RAG_KEYS
    ]
    return [*columns, Column(f"{prefix}Total", lambda row: sum(counts(row).values()))]


def _owners(action: Action) -> str:
    posts = [owner.post for owner in action.owners.all()]
    return "; ".join(posts) if posts else action.lead


def _days_overdue_heading(scope: Scope) -> str:
    as_of = ", ".join(sorted({short_day(at.as_of) for at in scope.ats}))
    return f"Days overdue as of {as_of}"


def _proposed_by(rating) -> str:
    user = rating.created_by
    return (user.get_full_name() or user.username) if user else ""


# Where an item's position overrides what its dates or evidence gave: what they gave,
# and why; blank where it does not.
OVERRIDE = (
    Column(
        "Suggested RAG",
        lambda row: _words(row, row.obj.pos_suggested_rag) if row.obj.pos_override_reason else "",
    ),
    Column("Override reason", lambda row: row.obj.pos_override_reason or ""),
)
KIND = Column("Kind", lambda row: row.kind)
REF = Column("Ref", lambda row: row.action.ref)
RECOMMENDATION = Column("Recommendation", lambda row: row.action.recommendation.ref)
ACCOUNTABLE = Column("Accountable", lambda row: _owners(row.action))
RAG_NOW = Column("RAG", _rag("pos_rag"))
# The item's position in the period: its RAG, any override, its commentary and whether
# it was rated in the period or carried forward.
POSITION = (
    RAG_NOW,
    *OVERRIDE,
    Column("Commentary", lambda row: row.obj.pos_commentary or ""),
    Column("Updated this period", lambda row: "Yes" if row.obj.updated_in_period else "No"),
)
REC_COLUMNS = (
    Column("Ref", lambda row: row.recommendation.ref),
    Column("Recommendation", lambda row: row.recommendation.title),
)


def _text(heading: str) -> Column:
    """The item's own words: the action's or the measure's."""
    return Column(heading, lambda row: row.obj.text)


MEASURE_COLUMNS = (Column("Action", lambda row: row.action.ref), _text("Measure"), RECOMMENDATION)
MOVED_COLUMNS = (
    KIND,
    REF,
    _text("Item"),
    RECOMMENDATION,
    Column("Then", _rag("then_rag")),
    Column("Now", _rag("now_rag")),
    Column("Movement", lambda row: row.obj.direction.label),
    *OVERRIDE,
)


# --- The tables -------------------------------------------------------------------------

TABLES: dict[str, Spec] = {
    "plans": Spec(
        "Plans side by side",
        _plan_rows,
        [
            Column("Plan", lambda row: row.at.plan.title),
            Column("Period", lambda row: row.at.period.label),
            *_rag_counts(lambda row: row.distribution.actions, "Actions: "),
            *_rag_counts(lambda row: row.distribution.measures, "Measures: "),
            Column(
                "Actions improved",
                lambda row: row.movement.actions[Direction.IMPROVED] if row.movement else "",
            ),
            Column(
                "Actions worsened",
                lambda row: row.movement.actions[Direction.WORSENED] if row.movement else "",
            ),
            Column("Overdue actions", lambda row: row.flags.overdue),
            Column("Slipped actions", lambda row: row.flags.slipped),
            Column("Measures below target", lambda row: row.flags.below_target),
            Column("Items not updated", lambda row: row.flags.not_updated),
            Column("Audits overdue", lambda row: row.flags.audits_overdue),
            Column("Ratings awaiting confirmation", lambda row: row.flags.awaiting_confirmation),
        ],
    ),
    "recommendations": Spec(
        "RAG by recommendation",
        _recommendation_rows,
        [
            *REC_COLUMNS,
            *_rag_counts(lambda row: row.counts["actions"], "Actions: "),
            *_rag_counts(lambda row: row.counts["measures"], "Measures: "),
        ],
    ),
    "movement": Spec(
        "Movement since the previous period",
        _movement_rows,
        [
            *REC_COLUMNS,
            *(Column(d.label, lambda row, d=d: row.counts[d]) for d in Direction),
        ],
    ),
    "moved": Spec("Items that moved since the previous period", _moved_rows, MOVED_COLUMNS),
    "worsened": Spec(
        "Items that worsened since the previous period", _worsened_rows, MOVED_COLUMNS
    ),
    "overdue": Spec(
        "Overdue actions",
        lambda scope: _items(selectors.overdue_actions(scope).prefetch_related("owners"), scope),
        [
            REF,
            _text("Action"),
            RECOMMENDATION,
            ACCOUNTABLE,
            Column("Due", lambda row: row.obj.due_as_of),
            Column(
                _days_overdue_heading, lambda row: rules.days_past(row.obj.due_as_of, row.obj.as_of)
            ),
        ],
    ),
    "slipped": Spec(
        "Slipped actions",
        lambda scope: _items(selectors.slipped_actions(scope).prefetch_related("owners"), scope),
        [
            REF,
            _text("Action"),
            RECOMMENDATION,
            ACCOUNTABLE,
            Column("Original due date", lambda row: row.obj.baseline_due_date),
            Column("Revised due date", lambda row: row.obj.due_as_of),
            Column(
                "Days slipped", lambda row: (row.obj.due_as_of - row.obj.baseline_due_date).days
            ),
            Column("Revisions", lambda row: row.obj.revision_count),
            Column("Latest reason", lambda row: row.obj.latest_reason or ""),
        ],
    ),
    "below_target": Spec(
        "Measures below target",
        lambda scope: _items(selectors.below_target_measures(scope), scope),
        [
            *MEASURE_COLUMNS,
            Column("Latest result", lambda row: row.obj.result),
            Column("Result date", lambda row: row.obj.result_on),
            Column("Target", lambda row: float(row.obj.target)),
            Column("Unit", lambda row: row.obj.unit),
            Column("Better when", lambda row: "Higher" if row.obj.higher_is_better else "Lower"),
            RAG_NOW,
            *OVERRIDE,
        ],
    ),
    "not_updated": Spec(
        "Items not updated this period",
        _not_updated_rows,
        [
            KIND,
            REF,
            _text("Item"),
            RECOMMENDATION,
            Column("Position carried forward", _rag("pos_rag")),
            *OVERRIDE,
        ],
    ),
    "audits_overdue": Spec(
        "Audits overdue",
        _audit_rows,
        [
            Column(
                "Plan", lambda row: row.measure.plan.title, shown=lambda scope: len(scope.ats) > 1
            ),
            Column("Measure", lambda row: row.measure.text),
            Column("Round", lambda row: f"{row.next_due.round} of {row.next_due.rounds}"),
            Column("Due", lambda row: row.next_due.on),
            Column("Days overdue", lambda row: row.next_due.days_overdue),
        ],
    ),
    "awaiting": Spec(
        "Ratings awaiting confirmation",
        _awaiting_rows,
        [
            Column("Kind", lambda row: row.obj.get_subject_display()),
            Column("Ref", lambda row: row.obj.item_ref),
            Column("Proposed RAG", _rag("rag")),
            Column("Commentary", lambda row: row.obj.commentary),
            Column("Proposed by", lambda row: _proposed_by(row.obj)),
            Column(
                "Proposed at",
                lambda row: timezone.localtime(row.obj.created).replace(tzinfo=None),
            ),
        ],
    ),
    "trend": Spec(
        "RAG by period",
        _trend_rows,
        [
            Column("Period", lambda row: row.period),
            Column("Kind", lambda row: row.kind),
            *_rag_counts(lambda row: row.counts),
        ],
    ),
    "actions": Spec(
        "Actions",
        lambda scope: _items(selectors.detailed_actions(scope), scope),
        [
            Column("Plan", lambda row: row.obj.plan.title),
            REF,
            _text("Action"),
            RECOMMENDATION,
            Column("Outcome", lambda row: row.obj.outcome.ref if row.obj.outcome else ""),
            ACCOUNTABLE,
            Column("Original due date", lambda row: row.obj.baseline_due_date),
            Column("Due date", lambda row: row.obj.due_as_of),
            *POSITION,
        ],
    ),
    "measures": Spec(
        "Outcome measures",
        lambda scope: _items(selectors.detailed_measures(scope), scope),
        [
            *MEASURE_COLUMNS,
            Column("Target", lambda row: None if row.obj.target is None else float(row.obj.target)),
            Column("Unit", lambda row: row.obj.unit),
            Column("Latest result", lambda row: row.obj.result),
            Column("Result date", lambda row: row.obj.result_on),
            *POSITION,
        ],
    ),
    "facets": Spec(
        "Recommendation position",
        _facet_rows,
        [
            Column("Facet", lambda row: row.obj["label"]),
            Column("RAG", lambda row: _words(row, row.obj["rag"])),
            Column("Commentary", lambda row: row.obj["commentary"]),
        ],
    ),
}


# --- The files --------------------------------------------------------------------------


def _table(spec: Spec, scope: Scope) -> Table:
    columns = [c for c in spec.columns if c.shown is None or c.shown(scope)]
    headers = [c.heading(scope) if callable(c.heading) else c.heading for c in columns]
    rows = [[c.value(row) for c in columns] for row in spec.rows(scope)]
    return _marked_if_example(Table(spec.title, headers, rows), [at.plan for at in scope.ats])


def _marked_if_example(table: Table, plans: list[Plan]) -> Table:
    """A table showing an example plan's positions carries a column saying so on every
    row (`Plan.example_data`), naming the example plans when there are several."""
    examples = [p.title for p in plans if p.example_data]
    if not examples:
        return table
    note = EXAMPLE_DATA_NOTE if len(plans) == 1 else f"{EXAMPLE_DATA_NOTE} ({'; '.join(examples)})"
    return Table(
        table.title, [*table.headers, "Example data"], [[*row, note] for row in table.rows]
    )


def export(name: str, scope: Scope | None, fmt: str) -> bytes:
    """Table `name` (a key of `TABLES`) for `scope` as a file in `fmt` ("csv" or
    "xlsx"); with no scope (no period to show), the file has no columns."""
    table = _table(TABLES[name], scope) if scope is not None else Table(name, [], [])
    return _csv(table) if fmt == "csv" else _xlsx(table)


def _cell(value):
    """A cell as a spreadsheet should hold it. Text that a spreadsheet would run as a
    formula (starting with =, +, -, @ or a control character) gets a leading quote;
    control characters a spreadsheet cannot hold, stored before forms refused them, go."""
    value = spreadsheet_text(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    # A byte-order mark so that Excel reads the file as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=table.title[:31])
    bold = Font(bold=True)
    header = []
    for text in table.headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=_cell(value))
            if isinstance(value, dt.date):
                cell.number_format = "d mmm yyyy"
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

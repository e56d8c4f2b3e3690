"""Positions by period: a recommendation-level plan's ratings as a table that goes out and
comes back in without change.

The 2015 plan rates each recommendation three ways (outcome required, impact for
children, actions completed) at each dated position ("As of 1 November 2015" …). The
action table (`plans.io.exporting`) holds one position per item, so it cannot carry these.
This layout can:

    Recommendation | Facet               | As of 1 November 2015 | As of 1 March 2016 | …
    1              | Outcome required    | Red                   | Yellow             | …
    1              | Impact for children |                       |                    | …
    1              | Actions completed   |                       | Green              | …

A cell is the RAG recorded for that recommendation and facet in that period, in the
plan's own words ("Yellow"), or blank where none was recorded or it was recorded as not
rated; a position carried forward by closing a period is not a recording, so it is blank
too, as the document leaves it. Imported back, a cell that reads as the plan holds it
changes nothing; a cell that differs records a rating in its period if that period is
open, and is refused (with its row and column) if the period is closed, because a closed
period's positions are the ones reported to committee.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from plans import services
from plans.bounds import spreadsheet_text
from plans.io.importing import (
    FORMULA_STARTS,
    ImportBudget,
    ImportFailed,
    RowError,
    read_rows,
)
from plans.io.parsing import ParseError, clean_cell, parse_rag
from plans.models import EXAMPLE_DATA_NOTE, Plan, Rating, Recommendation, ReportingPeriod

FACETS = {
    Rating.Subject.OUTCOME: "Outcome required",
    Rating.Subject.IMPACT: "Impact for children",
    Rating.Subject.PROGRESS: "Actions completed",
}
HEADER = ["Recommendation", "Facet"]
# An example plan's rows say so in a last column, which the import passes over.
EXAMPLE_COLUMN = "Example data"
REASON = "import (positions by period)"
COMMENTARY = "Position as given in the imported positions table."


def _recorded(plan: Plan) -> dict[tuple[int, str, int], str]:
    """(recommendation, facet, period) -> the RAG last recorded there (not carried)."""
    latest: dict[tuple[int, str, int], str] = {}
    ratings = (
        Rating.objects.filter(plan=plan, recommendation__isnull=False, subject__in=list(FACETS))
        .filter(carried_forward=False)
        .order_by("created", "pk")
        .values_list("recommendation_id", "subject", "period_id", "rag")
    )
    for rec, subject, period, rag in ratings:
        latest[rec, subject, period] = rag
    return latest


def positions_rows(plan: Plan) -> list[list[str]]:
    """The table: a header, then three rows per recommendation in the plan's order."""
    periods = list(plan.periods.order_by("start"))
    recorded = _recorded(plan)
    note = [EXAMPLE_DATA_NOTE] if plan.example_data else []
    rows = [HEADER + [p.label for p in periods] + ([EXAMPLE_COLUMN] if note else [])]
    for rec in plan.recommendations.order_by("position", "pk"):
        for facet, name in FACETS.items():
            cells = [recorded.get((rec.pk, facet, p.pk), "") for p in periods]
            rows.append([rec.ref, name, *(plan.rag_label(c) if c else "" for c in cells), *note])
    return rows


def export_positions_csv(plan: Plan) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    for row in positions_rows(plan):
        cells = [spreadsheet_text(cell) for cell in row]
        writer.writerow([f"'{c}" if c.startswith(FORMULA_STARTS) else c for c in cells])
    return buffer.getvalue().encode("utf-8-sig")


@dataclass
class PositionsSummary:
    recorded: list[tuple[str, str, str, str]] = field(default_factory=list)
    unchanged: int = 0
    dry_run: bool = False

    def lines(self) -> list[str]:
        out = [f"{self.unchanged} cells as the plan holds them (unchanged)"]
        out += [
            f"{ref} {facet}, {period}: recorded {rag}" for ref, facet, period, rag in self.recorded
        ]
        return out


def _shown(plan: Plan, rag: str | None) -> str:
    return plan.rag_label(rag) if rag else "blank"


Change = tuple[Recommendation, str, ReportingPeriod, str]  # (recommendation, facet, period, RAG)


def _period_columns(
    plan: Plan, header_row: int, names: list[str], errors: list[RowError]
) -> list[tuple[int, ReportingPeriod]]:
    """(column index, period) for each column after the first two that names one of the
    plan's periods; an error for each that names none."""
    periods_by_label = {p.label: p for p in plan.periods.all()}
    columns: list[tuple[int, ReportingPeriod]] = []
    for position, label in enumerate(names[2:], start=2):
        if not label or label == EXAMPLE_COLUMN:
            continue
        period = periods_by_label.get(label)
        if period is None:
            errors.append(RowError(header_row, label, f"{plan.title} has no period {label!r}."))
        else:
            columns.append((position, period))
    return columns


@dataclass(frozen=True)
class _Table:
    """What reading a row checks its cells against: the period columns, the plan's
    recommendations by ref, the facets by name and the RAG recorded in each cell."""

    plan: Plan
    columns: list[tuple[int, ReportingPeriod]]
    recs: dict[str, Recommendation]
    facets: dict[str, str]
    recorded: dict[tuple[int, str, int], str]


def _row_changes(
    table: _Table, number: int, cells: list, summary: PositionsSummary, errors: list[RowError]
) -> list[Change]:
    """The ratings one row asks for: its cells that differ from what the plan holds, in
    open periods. Counts the cells unchanged and adds an error for each cell refused."""
    text = [clean_cell(c) for c in cells]
    if not any(text):
        return []
    ref = text[0] if text else ""
    rec = table.recs.get(ref)
    facet = table.facets.get((text[1] if len(text) > 1 else "").casefold())
    if rec is None:
        errors.append(RowError(number, "Recommendation", f"No recommendation {ref!r}."))
        return []
    if facet is None:
        names = ", ".join(FACETS.values())
        errors.append(RowError(number, "Facet", f"Use one of: {names}."))
        return []
    changes = []
    for position, period in table.columns:
        cell = cells[position] if position < len(cells) else ""
        try:
            rag = parse_rag(cell)
        except ParseError as error:
            errors.append(RowError(number, period.label, str(error)))
            continue
        key = (rec.pk, facet, period.pk)
        if rag == table.recorded.get(key, ""):
            summary.unchanged += 1
        elif period.is_closed:
            errors.append(
                RowError(
                    number,
                    period.label,
                    f"{period.label} is closed: {rec.ref} {FACETS[facet].lower()} stays "
                    f"{_shown(table.plan, table.recorded.get(key))} as reported.",
                )
            )
        else:
            changes.append((rec, facet, period, rag))
    return changes


def _record(
    plan: Plan, changes: list[Change], *, user, summary: PositionsSummary, dry_run: bool
) -> None:
    """Record each change in one transaction, rolled back for a dry run."""
    with transaction.atomic():
        for rec, facet, period, rag in changes:
            services.rating_record(
                item=rec,
                facet=facet,
                rag=rag,
                user=user,
                commentary=COMMENTARY,
                period=period,
                reason=REASON,
            )
            summary.recorded.append(
                (rec.ref, FACETS[facet], period.label, plan.rag_label(rag) or "not rated")
            )
        if dry_run:
            transaction.set_rollback(True)


def import_positions(
    data: bytes, filename: str, *, plan: Plan, user=None, dry_run: bool = False
) -> PositionsSummary:
    """Read a positions table into the plan it came from (see the module's docstring).
    Every problem is a row-and-column error and nothing is written."""
    budget = ImportBudget()
    rows = read_rows(data, filename, budget=budget)
    if not rows:
        raise ImportFailed([RowError(None, None, "The file is empty.")])
    header_row, header = rows[0]
    names = [clean_cell(cell) for cell in header]
    if names[:2] != HEADER:
        raise ImportFailed(
            [RowError(header_row, None, 'The first two columns must be "Recommendation, Facet".')]
        )
    errors: list[RowError] = []
    table = _Table(
        plan=plan,
        columns=_period_columns(plan, header_row, names, errors),
        recs={r.ref: r for r in Recommendation.objects.filter(plan=plan)},
        facets={name.casefold(): facet for facet, name in FACETS.items()},
        recorded=_recorded(plan),
    )
    changes: list[Change] = []
    summary = PositionsSummary(dry_run=dry_run)
    for number, cells in rows[1:]:
        budget.check(number)
        changes += _row_changes(table, number, cells, summary, errors)
    if errors:
        raise ImportFailed(errors)
    _record(plan, changes, user=user, summary=summary, dry_run=dry_run)
    return summary

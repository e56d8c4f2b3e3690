"""Export a plan in the councils' own table layout, the same layout the importer reads,
so that export followed by import loses nothing."""

from __future__ import annotations

import csv
import io

from plans.models import Plan
from plans.selectors import actions_with_position, measures_with_position

HEADERS = [
    "Ref",
    "Outcome",
    "Actions",
    "Outcome measure",
    "Timescale",
    "Action RAG",
    "Accountability",
    "Outcome Measure RAG",
    "Target",
    "Tolerance",
    "Links",
    "Why",
    "Difference",
    "Lead",
]


def _number(value) -> str:
    if value is None:
        return ""
    text = f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"
    return text


def plan_rows(plan: Plan) -> list[list[str]]:
    """The table as rows of text: a header, then per area a "What needs to improve?"
    row, then a row per action (with its first measure) and a continuation row per
    further measure. RAG cells hold the current position in the plan's own words."""
    actions = (
        actions_with_position(plan.actions.all())
        .select_related("recommendation", "outcome")
        .prefetch_related("owners", "links")
        .order_by("recommendation__position", "recommendation__pk", "position", "pk")
    )
    measures: dict[int, list] = {}
    for measure in measures_with_position(plan.measures.order_by("position", "pk")):
        measures.setdefault(measure.action_id, []).append(measure)

    def rag(value) -> str:
        return plan.rag_label(value) if value else ""

    rows = [HEADERS]
    current_rec = None
    last_outcome = None
    for action in actions:
        if action.recommendation_id != current_rec:
            current_rec = action.recommendation_id
            last_outcome = None
            rec = action.recommendation
            rows.append(
                [f"What needs to improve? {rec.ref} {rec.title}"] + [""] * (len(HEADERS) - 1)
            )
        outcome_text = ""
        if action.outcome_id and action.outcome_id != last_outcome:
            outcome_text = action.outcome.text
            last_outcome = action.outcome_id
        its_measures = measures.get(action.pk, [])
        first = its_measures[0] if its_measures else None
        rows.append(
            [
                action.ref,
                outcome_text,
                action.text,
                first.text if first else "",
                action.timescale_text,
                rag(action.current_rag),
                "; ".join(owner.post for owner in action.owners.all()),
                rag(first.current_rag) if first else "",
                _number(first.target) if first else "",
                _number(first.tolerance) if first else "",
                "; ".join(r.ref for r in action.links.all()),
                action.why,
                action.difference,
                action.lead,
            ]
        )
        for measure in its_measures[1:]:
            rows.append(
                [
                    "",
                    "",
                    "",
                    measure.text,
                    measure.timescale_text,
                    "",
                    "",
                    rag(measure.current_rag),
                    _number(measure.target),
                    _number(measure.tolerance),
                    "",
                    "",
                    "",
                    "",
                ]
            )
    return rows


def export_csv(plan: Plan) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(plan_rows(plan))
    return buffer.getvalue().encode("utf-8-sig")


def export_xlsx(plan: Plan) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Action plan"
    for row in plan_rows(plan):
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [8, 40, 50, 50, 18, 12, 30, 14, 8, 10, 10, 30, 30, 20]
    for column, width in zip("ABCDEFGHIJKLMN", widths, strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_plan(plan: Plan, fmt: str) -> bytes:
    if fmt == "csv":
        return export_csv(plan)
    if fmt == "xlsx":
        return export_xlsx(plan)
    raise ValueError(f"Unknown export format {fmt!r}: use csv or xlsx.")

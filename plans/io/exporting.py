"""Export a plan in the councils' own table layout, the layout the importer reads, so that
an export imported into another plan gives the same plan.

The table: a header, then per area for improvement a "What needs to improve? N Title"
row, then a row per action (with its measure, if the measure shares the action's
timescale) and a row per further measure, as the 2024 plan is written. RAG cells hold
the current position in the plan's own words ("Yellow" where the plan says so); owners
are joined with "; ", which the importer splits again.

A due date revised in the app is written into the Timescale cell with the date it was
first due ("December 2024 [slipped from June 24]", see
`plans.io.parsing.timescale_with_revision`), so the copy has the same baseline and due
date and one revision between them; the reasons given for revisions, and any dates
between the first and the current one, are not in the table. A measure's method appears
in a Method column when one was set by hand (differs from what its words suggest). An
example plan's rows carry an "Example data" column saying their ratings are illustrative.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from plans import bounds
from plans.bounds import spreadsheet_text
from plans.grid import PositionGrid
from plans.io.importing import FORMULA_STARTS, measure_method
from plans.io.parsing import (
    find_target_tolerance,
    owner_key,
    split_accountability,
    timescale_with_revision,
)
from plans.models import EXAMPLE_DATA_NOTE, RAG, Action, Measure, Owner, Plan
from plans.selectors import actions_with_position, measures_with_position

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
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
]
# Written only when some action in the plan uses them, so the 2024 plan exports as the
# council wrote it.
OPTIONAL = {"Links": "links", "Why": "why", "Difference": "difference", "Lead": "lead"}


def _number(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f")


def plan_rows(plan: Plan) -> list[list[str]]:
    """The plan as rows of text, header first, in a fixed handful of queries."""
    # Long because: the workbook written row by row in the layout the importer reads (area
    # rows, action rows with their first measure, measure rows); its layout rules sit together.
    actions = list(
        actions_with_position(plan.actions.all())
        .select_related("outcome")
        .prefetch_related("links")
        .order_by("recommendation__position", "recommendation__pk", "position", "pk")
    )
    owners: dict[int, list[Owner]] = {}
    # The through table's order is the order the owners were given in.
    through = Action.owners.through.objects.filter(action__plan=plan).select_related("owner")
    for link in through.order_by("pk"):
        owners.setdefault(link.action_id, []).append(link.owner)
    measures: dict[int, list[Measure]] = {}
    for measure in measures_with_position(plan.measures.order_by("position", "pk")):
        measures.setdefault(measure.action_id, []).append(measure)
    optional = [
        header
        for header, name in OPTIONAL.items()
        if any((a.links.all() if name == "links" else getattr(a, name)) for a in actions)
    ]
    # The method is implied by a measure's words unless it was set by hand.
    if any(m.method != measure_method(m.text) for ms in measures.values() for m in ms):
        optional.append("Method")
    # An example plan's rows say so in a column of their own, which the importer
    # ignores; the area rows stay as the importer knows them.
    note = {"Example data": EXAMPLE_DATA_NOTE} if plan.example_data else {}
    headers = HEADERS + optional + list(note)

    def rag(value: str | None) -> str:
        return plan.rag_label(value) if value else ""

    def row(**cells: str) -> list[str]:
        cells = {**note, **cells}
        return [cells.get(header, "") for header in headers]

    by_rec: dict[int, list[Action]] = {}
    for action in actions:
        by_rec.setdefault(action.recommendation_id, []).append(action)
    rows = [headers]
    # Every area, even one with no actions yet, so that it comes back on import.
    for rec in plan.recommendations.order_by("position", "pk"):
        rows.append([f"What needs to improve? {rec.ref} {rec.title}"] + [""] * (len(headers) - 1))
        last_outcome = None
        for action in by_rec.get(rec.pk, []):
            outcome = ""
            if action.outcome_id and action.outcome_id != last_outcome:
                outcome, last_outcome = action.outcome.text, action.outcome_id
            its_measures = measures.get(action.pk, [])
            # A measure with a timescale of its own was written on a row of its own.
            first = its_measures[0] if its_measures and not its_measures[0].timescale_text else None
            timescale = timescale_with_revision(
                action.timescale_text,
                action.start_date,
                action.due_date,
                action.baseline_due_date,
            )
            action_cells = {
                "Ref": action.ref,
                "Outcome": outcome,
                "Actions": action.text,
                "Timescale": timescale,
                "Action RAG": rag(action.current_rag),
                "Accountability": accountability_cell(action, owners.get(action.pk, [])),
                "Links": "; ".join(r.ref for r in action.links.all()),
                "Why": action.why,
                "Difference": action.difference,
                "Lead": action.lead,
            }
            if timescale == action.timescale_text and in_one_row(action, its_measures):
                # Measures with a date each, split from one row (1.3), go back into one.
                cells = _measure_cells(its_measures[0], rag)
                cells["Outcome measure"] = "\n".join(m.text for m in its_measures)
                cells["Target"] = cells["Tolerance"] = cells["Method"] = ""
                action_cells["Timescale"] = "\n".join(m.timescale_text for m in its_measures)
                rows.append(row(**action_cells, **cells))
                continue
            rows.append(row(**action_cells, **_measure_cells(first, rag)))
            for measure in its_measures[1:] if first else its_measures:
                rows.append(row(Timescale=measure.timescale_text, **_measure_cells(measure, rag)))
    return rows


def accountability_cell(action: Action, owners: list[Owner]) -> str:
    """The Accountability cell: as the plan wrote it while it still names the action's
    owners ("Service Director Practice"), else their posts joined with "; "."""
    written = action.accountability
    if written and [owner_key(p) for p in split_accountability(written)] == [
        owner_key(o.post) for o in owners
    ]:
        return written
    return "; ".join(o.post for o in owners)


def in_one_row(action: Action, measures: list[Measure]) -> bool:
    """Whether the measures are the paragraphs of one Outcome measure cell, each with its
    date in the Timescale cell beside it, as the importer splits them: two or more, each
    with one line of text and of timescale, the action's timescale their dates in order,
    one RAG, and targets and methods their words give."""
    if len(measures) < 2 or " ".join(m.timescale_text for m in measures) != " ".join(
        action.timescale_text.split()
    ):
        return False
    return all(
        m.timescale_text
        and "\n" not in m.text
        and "\n" not in m.timescale_text
        and getattr(m, "current_rag", None) == getattr(measures[0], "current_rag", None)
        and m.method == measure_method(m.text)
        and (m.target, m.tolerance) == find_target_tolerance(m.text)
        for m in measures
    )


def _measure_cells(measure: Measure | None, rag) -> dict[str, str]:
    if measure is None:
        return {}
    return {
        "Outcome measure": measure.text,
        "Outcome Measure RAG": rag(measure.current_rag),
        "Target": _number(measure.target),
        "Tolerance": _number(measure.tolerance),
        "Method": measure.get_method_display(),
    }


def _csv_safe(text: str) -> str:
    """CSV cannot mark a cell as text, so one that a spreadsheet would run as a formula
    gets a leading apostrophe, Excel's text marker; the importer removes it again."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def export_csv(plan: Plan) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    for row in plan_rows(plan):
        writer.writerow([_csv_safe(spreadsheet_text(cell)) for cell in row])
    # With a byte-order mark Excel opens the file as UTF-8 ("–", "’").
    return buffer.getvalue().encode("utf-8-sig")


def export_xlsx(plan: Plan) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Action plan"
    rows = plan_rows(plan)
    for row in rows:
        sheet.append([spreadsheet_text(cell) for cell in row])
    wrap = Alignment(wrap_text=True, vertical="top")
    for line in sheet.iter_rows():
        for cell in line:
            # Always text, never a formula, whatever the cell begins with.
            cell.data_type = "s"
            cell.alignment = wrap
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = {"Ref": 8, "Outcome": 40, "Actions": 50, "Outcome measure": 50, "Timescale": 18}
    for index, header in enumerate(rows[0]):
        letter = sheet.cell(row=1, column=index + 1).column_letter
        sheet.column_dimensions[letter].width = widths.get(header, 16)
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


def export_filename(plan: Plan, fmt: str) -> str:
    return f"{plan.slug}-action-plan.{FORMATS[fmt][1]}"


# The import template: the table's columns, and a second sheet saying what goes in each.
# Each "for example" is a value the importer reads as described (tests/plans/
# test_import_template.py imports a row made of them).
TEMPLATE_GUIDE = [
    ("Ref", "Required", "The action's reference, unique in the plan.", "1.1"),
    ("Outcome", "Required", "The outcome the action works towards.", "Care leavers supported"),
    ("Actions", "Required", "What will be done.", "Allocate a personal adviser"),
    (
        "Outcome measure",
        "Optional",
        "How success is measured; a target in the words is read too.",
        "Audit of allocations. Target 90%",
    ),
    (
        "Timescale",
        "Required",
        "When it is due, as the plan writes it: a month and year is the end of that month; "
        "a range gives the start and the due date. Text the app cannot read as a date is "
        "kept and listed for checking in the preview.",
        "June 24 - Dec 24",
    ),
    (
        "Action RAG",
        "Optional",
        "The action's position today: Blue, Green, Amber or Red (Yellow is read as Amber). "
        "Leave blank if not rated.",
        "Amber",
    ),
    (
        "Accountability",
        "Optional",
        "The accountable posts, separated by semicolons.",
        "Service Director - Practice; Head of Service",
    ),
    (
        "Outcome Measure RAG",
        "Optional",
        "The measure's position today, in the same words as Action RAG.",
        "Green",
    ),
    ("Target", "Optional", "The measure's target as a percentage.", "90"),
    (
        "Tolerance",
        "Optional",
        "How far below the target still counts as Amber, in percentage points.",
        "5",
    ),
]


def import_template_xlsx() -> bytes:
    """An empty plan table with the importer's columns, and a sheet saying how to fill it
    in. Areas for improvement are rows of their own: "What needs to improve? 1 Title"."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Action plan"
    sheet.append([column for column, *_ in TEMPLATE_GUIDE])
    sheet.append(["What needs to improve? 1 (the area's title)"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = {"Ref": 8, "Outcome": 40, "Actions": 50, "Outcome measure": 50, "Timescale": 18}
    for index, (column, *_) in enumerate(TEMPLATE_GUIDE, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = widths.get(column, 16)
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet("How to fill it in")
    guide.append(["Column", "Required?", "What it holds", "For example"])
    for row in TEMPLATE_GUIDE:
        guide.append(list(row))
    guide.append([])
    guide.append(
        [
            "Areas for improvement",
            "",
            'A row "What needs to improve? 1 Title" before its actions (or an Area column).',
            "What needs to improve? 1 Care leavers",
        ]
    )
    guide.append(
        [
            "Further measures",
            "",
            "A row with no Ref and no action adds a measure to the action above.",
            "",
        ]
    )
    wrap = Alignment(wrap_text=True, vertical="top")
    for line in guide.iter_rows():
        for cell in line:
            cell.alignment = wrap
            cell.data_type = "s"
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCD", (22, 12, 60, 40), strict=True):
        guide.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_FILLS = {
    RAG.BLUE: ("1D70B8", "FFFFFF"),
    RAG.GREEN: ("00703C", "FFFFFF"),
    RAG.AMBER: ("F47738", "0B0C0C"),
    RAG.RED: ("D4351C", "FFFFFF"),
}


def _text(cell, value: str) -> None:
    """Write user text as text: a leading "=" must not become a spreadsheet formula, and
    a control character stored before forms refused them must not stop the workbook."""
    cell.value = bounds.spreadsheet_text(value)
    cell.data_type = "s"


def grid_workbook(grid: PositionGrid) -> bytes:
    """The grid as an XLSX workbook: RAG words in coloured cells, "(not updated)" where a
    position is an earlier one carried forward."""
    plan = grid.plan
    book = Workbook()
    sheet = book.active
    sheet.title = "Positions"
    _text(sheet.cell(row=1, column=1), plan.title)
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    _text(
        sheet.cell(row=2, column=1),
        "Confirmed positions as of each period. "
        '"Not updated": the previous position carried forward.',
    )
    if plan.example_data:
        _text(sheet.cell(row=3, column=1), f"{EXAMPLE_DATA_NOTE}.")
        sheet.cell(row=3, column=1).font = Font(bold=True, color="942514")
    headers = ["Recommendation", "Ref", "Item", "Kind"] + [p.label for p in grid.periods]
    if grid.movement_from:
        headers.append(f"Movement since {grid.movement_from.label}")
    headers.append("Dates suggest")
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=4, column=column)
        _text(cell, header)
        cell.font = Font(bold=True)
    row = 5
    first_period_column = 5
    for section in grid.sections:
        rec = section.recommendation
        for item in section.rows:
            _text(sheet.cell(row=row, column=1), f"{rec.ref}. {rec.title}")
            _text(sheet.cell(row=row, column=2), item.ref)
            _text(sheet.cell(row=row, column=3), item.text)
            _text(sheet.cell(row=row, column=4), item.kind_label)
            for offset, position in enumerate(item.cells):
                cell = sheet.cell(row=row, column=first_period_column + offset)
                if position is None:
                    _text(cell, "")
                    continue
                word = plan.rag_label(position.rag)
                _text(cell, f"{word} ({position.marker})" if position.marker else word)
                if position.rag in _FILLS:
                    fill, colour = _FILLS[position.rag]
                    cell.fill = PatternFill("solid", fgColor=fill)
                    cell.font = Font(bold=True, color=colour)
            column = first_period_column + len(item.cells)
            if grid.movement_from:
                _text(sheet.cell(row=row, column=column), item.direction.label)
                column += 1
            if item.suggested_rag:
                _text(sheet.cell(row=row, column=column), plan.rag_label(item.suggested_rag))
            row += 1
    sheet.freeze_panes = sheet.cell(row=5, column=first_period_column)
    for letter, width in zip("ABCD", (36, 8, 60, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    for line in sheet.iter_rows(min_row=5, min_col=3, max_col=3):
        line[0].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

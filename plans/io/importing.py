"""Import a plan from the councils' own table layout (.xlsx or .csv).

One service, two steps, used by the admin (preview, then confirm), the `import_plan`
command and the example-data loader:

1. `read_rows` + `parse_table` turn a file into recommendations, actions and measures,
   collecting every problem as a row-and-column error. Nothing is written.
2. `apply_import` writes the parsed plan in one transaction, matching existing records
   by their refs (the natural key), so importing the same file twice changes nothing,
   and a changed cell updates its record with the history reason "import". A dry run
   does the same work and rolls it back, so its counts are exact.

The layout is the 2024 ILACS plan's: Ref, Outcome, Actions, Timescale, and optionally
Outcome measure, Action RAG, Accountability, Outcome Measure RAG, Area, Links, Why,
Difference, Lead, Target, Tolerance, Method. Real tables are ragged: an empty Outcome continues
the outcome above, and a row with no Ref and no Action adds a further measure or
milestone to the action above.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from time import monotonic

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.escape import unescape
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history

from core.dates import quarter_of, year_end_of
from plans import access, bounds, periods, positions, services
from plans.evidence import file_size
from plans.io.parsing import (
    AMBER,
    ParseError,
    Timescale,
    clean_cell,
    control_character,
    find_target_tolerance,
    normalise_ref,
    owner_key,
    parse_percent,
    parse_rag,
    parse_timescale,
    split_accountability,
    split_refs,
    timescale_with_revision,
)
from plans.models import (
    RESERVED_SLUGS,
    Action,
    DueDateRevision,
    Measure,
    Outcome,
    Owner,
    Plan,
    Recommendation,
    ReportingPeriod,
)
from plans.selectors import actions_with_position, measures_with_position

REASON = "import"

# Column key -> the header as the councils write it.
COLUMNS = {
    "area": "Area",
    "ref": "Ref",
    "outcome": "Outcome",
    "actions": "Actions",
    "measure": "Outcome measure",
    "timescale": "Timescale",
    "action_rag": "Action RAG",
    "accountability": "Accountability",
    "measure_rag": "Outcome Measure RAG",
    "links": "Links",
    "why": "Why",
    "difference": "Difference",
    "lead": "Lead",
    "target": "Target",
    "tolerance": "Tolerance",
    "method": "Method",
}
# The columns that identify and describe an action; the rest are optional, as in plans
# that rate actions only or name no accountable post.
REQUIRED = ("ref", "outcome", "actions", "timescale")
HEADER_ALIASES = {
    "action": "actions",
    "outcome measures": "measure",
    "outcome measure(s)": "measure",
    "accountable": "accountability",
    "action rag rating": "action_rag",
    # A plan with one RAG column rates its actions.
    "rag": "action_rag",
    "rag rating": "action_rag",
    "rag status": "action_rag",
    "outcome measure rag rating": "measure_rag",
    "area for improvement": "area",
    "what needs to improve?": "area",
    "links to": "links",
}
# The longest text each bounded field holds, as the models say: a longer cell is a row
# error naming the limit, not a database error or text cut short.
FIELD_LIMITS = {
    "ref": min(Action._meta.get_field("ref").max_length, Outcome._meta.get_field("ref").max_length),
    "timescale": min(
        Action._meta.get_field("timescale_text").max_length,
        Measure._meta.get_field("timescale_text").max_length,
    ),
    "lead": Action._meta.get_field("lead").max_length,
}
POST_LIMIT = Owner._meta.get_field("post").max_length
AREA_REF_LIMIT = Recommendation._meta.get_field("ref").max_length
# Excel's limit for one cell, which bounds the work any one cell can make.
CELL_LIMIT = bounds.LONG_TEXT_LIMIT
AREA_HEADING = re.compile(
    r"^\s*what needs to improve\??\s*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL
)
AREA_TEXT = re.compile(r"^\s*(?P<ref>[A-Z]{0,3}\s?\d+[a-z]?)[.):]?\s+(?P<title>\S.*)$", re.DOTALL)
# A spreadsheet reads a cell beginning with one of these as a formula; exported CSV
# cells that begin so carry Excel's text marker, an apostrophe, removed on import.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Markup that clean_cell keeps as text because it is not a tag Word writes ("<svg
# onload=…>"): dropped too, so that nothing stored can run as markup anywhere it is shown.
LEFTOVER_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")
WORDLIKE = re.compile(r"\w")
# The Method cell's words: each method's value and name, and each part of a name such as
# "Milestone / deliverable", read case-insensitively.
METHOD_WORDS = {
    word.strip().casefold(): value
    for value, label in Measure.Method.choices
    for word in (value.replace("_", " "), label, *label.split("/"), label.split()[0])
}


class ImportFailed(Exception):
    """The file cannot be imported; `errors` says where and why. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]))


@dataclass(frozen=True)
class RowError:
    """A problem at a row (as the spreadsheet numbers it) and a column (its header)."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"Row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass
class ParsedMeasure:
    row: int
    text: str
    timescale: Timescale
    rag: str
    target: Decimal | None
    tolerance: Decimal | None
    # How the measure is tested (a Measure.Method value), if the Method column says.
    method: str = ""
    in_action_row: bool = False


@dataclass
class ParsedAction:
    row: int
    ref: str
    outcome_ref: str
    outcome_text: str
    text: str
    why: str
    difference: str
    lead: str
    owners: list[str]
    links: list[str]
    timescale: Timescale
    rag: str
    rag_row: int = 0
    measures: list[ParsedMeasure] = field(default_factory=list)
    # The Accountability cell as written (rows that continue it joined with a space).
    accountability: str = ""


@dataclass
class ParsedRecommendation:
    row: int
    ref: str
    title: str
    actions: list[ParsedAction] = field(default_factory=list)


@dataclass
class ParsedPlan:
    recommendations: list[ParsedRecommendation]
    warnings: list[RowError]
    # "Yellow" when the file's RAG cells call Amber that and never "Amber", as older
    # plans do; a plan the import creates then shows Amber by that name.
    amber_label: str = "Amber"

    @property
    def actions(self) -> Iterable[ParsedAction]:
        for rec in self.recommendations:
            yield from rec.actions


@dataclass
class ImportSummary:
    """What an import did (or, for a dry run, would do)."""

    plan: Plan | None
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    warnings: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    # One line per action for the admin's preview: (row, "new" | "update" | "skip", ref, what).
    actions: list[tuple[int, str, str, str]] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)
    period: ReportingPeriod | None = None
    period_created: bool = False
    plan_created: bool = False

    def count(self, bucket: str, kind: str) -> None:
        target = getattr(self, bucket)
        target[kind] = target.get(kind, 0) + 1

    def lines(self) -> list[str]:
        kinds = ["recommendations", "outcomes", "actions", "measures", "owners"]
        out = [
            f"{kind}: {self.created.get(kind, 0)} created, "
            f"{self.updated.get(kind, 0)} updated, {self.unchanged.get(kind, 0)} unchanged"
            for kind in kinds
        ]
        out.append(f"ratings: {self.created.get('ratings', 0)} recorded")
        out.append(f"due-date revisions: {self.created.get('revisions', 0)} recorded")
        if self.period is not None:
            made = "created and opened" if self.period_created else "open"
            out.append(f"ratings go into the reporting period {self.period.label!r} ({made})")
        if self.not_in_file:
            out.append(
                "actions in the plan but not in the file (left unchanged): "
                + ", ".join(self.not_in_file)
            )
        return out


# ---------------------------------------------------------------- reading the file


class ImportBudget:
    """The time one import may take (IMPORT_TIME_LIMIT_SECONDS), from its start.

    Looked at as each row is read, parsed and written, so that a slow import stops with
    a message, and its transaction rolls back, instead of holding a web process until
    gunicorn kills it. One budget serves the whole import: the admin's upload reads the
    file in one step and parses and writes it in the next.
    """

    def __init__(self) -> None:
        self.seconds = settings.IMPORT_TIME_LIMIT_SECONDS
        self.ends = monotonic() + self.seconds

    def check(self, row: int) -> None:
        if monotonic() > self.ends:
            raise ImportFailed(
                [
                    RowError(
                        None,
                        None,
                        f"The import took longer than {self.seconds} seconds, the most one "
                        f"import may take, and was stopped at row {row:,}. Nothing was "
                        f"imported: split the table into smaller files and import each.",
                    )
                ]
            )


class UnreadFormula(str):
    """A formula cell whose result the workbook does not hold: programs that generate
    workbooks save formulas without results (Excel saves both). It reads as an empty
    cell; the parser reports it where the import would read it."""

    formula: str

    def __new__(cls, formula: str) -> UnreadFormula:
        cell = super().__new__(cls, "")
        cell.formula = formula
        return cell


def describe_limits() -> str:
    """What one import reads at most, as the admin's import page says it."""
    return (
        f"One import reads at most {settings.IMPORT_MAX_ROWS:,} rows and "
        f"{file_size(settings.IMPORT_MAX_BYTES)}, and stops after "
        f"{settings.IMPORT_TIME_LIMIT_SECONDS} seconds: split a larger table into several files."
    )


def check_file_size(size: int) -> None:
    """Refuse a file larger than one import reads (IMPORT_MAX_MB), before reading it."""
    if size > settings.IMPORT_MAX_BYTES:
        limit = file_size(settings.IMPORT_MAX_BYTES)
        raise ImportFailed(
            [RowError(None, None, f"The file is larger than {limit}, the most one import reads.")]
        )


def _check_row_count(rows: list) -> None:
    """Refuse the file as soon as it has more rows with content than one import reads
    (IMPORT_MAX_ROWS), without reading the rest."""
    limit = settings.IMPORT_MAX_ROWS
    if len(rows) >= limit:
        raise ImportFailed(
            [
                RowError(
                    None,
                    None,
                    f"The table has more than {limit:,} rows: one import reads at most "
                    f"{limit:,}. Split it into smaller files and import each.",
                )
            ]
        )


def read_rows(
    data: bytes, filename: str, *, budget: ImportBudget | None = None
) -> list[tuple[int, list]]:
    """The file's rows that have content, as (row number as a spreadsheet shows it, raw
    cells), at most IMPORT_MAX_ROWS of them."""
    check_file_size(len(data))
    budget = budget or ImportBudget()
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(data, budget)
    if suffix == ".csv":
        return _read_csv(data, budget)
    raise ImportFailed(
        [RowError(None, None, f"'{filename}' is not a .xlsx or .csv file: save the table as one.")]
    )


NOT_CSV = "This is not a CSV table (binary content)."
# Bytes that are not UTF-8, kept by the "surrogateescape" error handler as U+DC80-U+DCFF
# (which no decoded text holds), and a character that only UTF-8 gives.
UNDECODED = re.compile("[\udc80-\udcff]")
UTF8_CHARACTER = re.compile("[^\x00-\x7f\udc80-\udcff]")


def _read_csv(data: bytes, budget: ImportBudget) -> list[tuple[int, list]]:
    # A text file has no NUL bytes but by accident: with them and no header row, the
    # file is a workbook, PDF or image named .csv; with a header, a NUL is a cell's.
    binary = b"\x00" in data[:4096]
    text, not_in = _decode(data)
    # Only the delimiter is guessed (Excel writes ";" where "," is the decimal point);
    # quoting is the CSV standard's (RFC 4180), as Excel and Word write it: the sniffer's
    # guess of it took a cell holding Word's class=""MsoNormal"" as not doubling quotes.
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    rows: list[tuple[int, list]] = []
    undecoded: list[RowError] = []
    number = 0
    try:
        # csv counts physical lines; a spreadsheet counts records, as people do.
        for number, cells in enumerate(reader, start=1):
            budget.check(number)
            if not any(cells):
                continue
            _check_row_count(rows)
            if not_in and any(UNDECODED.search(cell) for cell in cells):
                undecoded.append(_undecoded(number, cells, not_in))
            rows.append((number, [_unquote(cell) for cell in cells]))
    except csv.Error as error:
        if binary:
            raise ImportFailed([RowError(None, None, NOT_CSV)]) from None
        raise ImportFailed(
            [RowError(number + 1, None, f"Not a readable CSV table: {error}")]
        ) from None
    if binary and _header_or_none(rows) is None:
        raise ImportFailed([RowError(None, None, NOT_CSV)])
    if undecoded:
        raise ImportFailed(undecoded)
    return rows


def _decode(data: bytes) -> tuple[str, str]:
    """The file's text, and if some of it is in no encoding the file is read in, which
    encoding that is ("" when all of it is).

    A file is UTF-8 (Excel's "CSV UTF-8" starts with a byte-order mark saying so) or,
    with no UTF-8 character at all, Windows-1252 (Excel's plain "CSV"). A file with both
    has been put together from two files: its rows that are not UTF-8 are reported,
    rather than read as the wrong letters (or not at all, as a header row)."""
    text = data.decode("utf-8-sig", errors="surrogateescape")
    if not UNDECODED.search(text):
        return text, ""
    if not data.startswith(codecs.BOM_UTF8) and not UTF8_CHARACTER.search(text):
        try:
            return data.decode("cp1252"), ""
        except UnicodeDecodeError:
            return text, "text in UTF-8 or Windows-1252"
    return text, "UTF-8 text like the rest of the file"


def _undecoded(number: int, cells: list[str], not_in: str) -> RowError:
    cell = next(cell for cell in cells if UNDECODED.search(cell))
    byte = ord(UNDECODED.search(cell)[0]) - 0xDC00
    excerpt = " ".join(UNDECODED.sub("?", cell).split())[:40]
    return RowError(
        number,
        None,
        f'This row is not {not_in} (byte 0x{byte:02X} in "{excerpt}"): the file mixes text '
        f'encodings. Save it again as "CSV UTF-8" and import it.',
    )


def _unquote(cell: str) -> str:
    """Undo the apostrophe an export puts before a cell that would read as a formula."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


# What openpyxl raises for a file that is not a workbook, or is a damaged one, some of
# it only once the rows are read (a broken part, bad XML, a corrupt compressed stream).
BROKEN_WORKBOOK = (
    zipfile.BadZipFile,
    zlib.error,
    KeyError,
    ValueError,
    OSError,
    TypeError,
    EOFError,
    SyntaxError,
)


def _read_xlsx(data: bytes, budget: ImportBudget) -> list[tuple[int, list]]:
    """The first sheet's rows, streamed (openpyxl's read_only mode), each cell's value as
    the file holds it. Formula cells are read again for the results Excel saved with
    them, only if there are any: to tell a formula from its result takes two readings."""
    _check_unpacked_size(data)
    rows: list[tuple[int, list]] = []
    formulas: dict[int, list] = {}
    with _first_sheet(data, data_only=False) as sheet:
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            budget.check(number)
            values = [_xlsx_value(cell) for cell in cells]
            if not any(value != "" or isinstance(value, UnreadFormula) for value in values):
                continue
            _check_row_count(rows)
            rows.append((number, values))
            if any(isinstance(value, UnreadFormula) for value in values):
                formulas[number] = values
    if formulas:
        last = max(formulas)
        with _first_sheet(data, data_only=True) as sheet:
            for number, results in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number > last:
                    break
                budget.check(number)
                values = formulas.get(number, [])
                for position, value in enumerate(values):
                    result = results[position] if position < len(results) else None
                    if isinstance(value, UnreadFormula) and result is not None:
                        values[position] = _xlsx_text(result)
    return rows


def _check_unpacked_size(data: bytes) -> None:
    """Refuse a workbook that unpacks to more than one import reads. openpyxl reads some
    of it whole before any row can be counted (every sheet once over when it does not
    state its size, and all of its shared text), so this bounds that work, and a small
    file that unpacks to gigabytes is refused unread. zipfile reads no more of a part
    than the size its directory states, so a false one cannot get round this."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _unreadable_workbook(error) from None
    if unpacked > settings.IMPORT_MAX_BYTES:
        limit = file_size(settings.IMPORT_MAX_BYTES)
        raise ImportFailed(
            [
                RowError(
                    None,
                    None,
                    f"The workbook is larger than {limit} once unpacked (an .xlsx file is "
                    f"compressed), the most one import reads.",
                )
            ]
        )


@contextmanager
def _first_sheet(data: bytes, *, data_only: bool) -> Iterator:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    except BROKEN_WORKBOOK as error:
        raise _unreadable_workbook(error) from None
    try:
        if not workbook.worksheets:
            raise ImportFailed([RowError(None, None, "The workbook has no sheets.")])
        yield workbook.worksheets[0]
    except BROKEN_WORKBOOK as error:
        raise _unreadable_workbook(error) from None
    finally:
        workbook.close()


def _unreadable_workbook(error: Exception) -> ImportFailed:
    return ImportFailed(
        [RowError(None, None, f"This is not a readable Excel workbook (.xlsx): {error}")]
    )


def _xlsx_value(cell) -> object:
    if cell.data_type == "f":
        # An array formula's value is an object holding its text.
        return UnreadFormula(str(getattr(cell.value, "text", cell.value)))
    return _xlsx_text(cell.value)


def _xlsx_text(value: object) -> object:
    """A value as its cell holds it: Excel writes a character XML cannot hold (U+000B,
    pasted from Word; the CR of a CRLF) as "_x000B_", which openpyxl leaves as it is."""
    if value is None:
        return ""
    if isinstance(value, str) and "_x" in value:
        return unescape(value)
    return value


# ---------------------------------------------------------------- reading the cells


def cell_text(value: object) -> str:
    """A text cell as stored: Word's markup dropped with its line breaks kept, any other
    tag dropped too, and a cell of punctuation alone (Word's stray "." or "--") empty."""
    if value is None or value == "":
        return ""
    text = clean_cell(value)
    if "<" in text:
        text = "\n".join(" ".join(line.split()) for line in LEFTOVER_TAG.sub("", text).split("\n"))
        text = text.strip()
    return text if WORDLIKE.search(text) else ""


def _ref_key(ref: str) -> str:
    """Refs match however they are spaced or cased: "8.3 a" is "8.3A"."""
    return "".join(ref.split()).casefold()


def _header_key(cell: object) -> str | None:
    label = " ".join(clean_cell(cell).split()).lower()
    if not label:
        return None
    for key, header in COLUMNS.items():
        if label == header.lower():
            return key
    return HEADER_ALIASES.get(label)


def _find_header(rows: list[tuple[int, list]]) -> tuple[int, dict[str, int]]:
    """The header row among the first 30, and each known column's position."""
    found = _header_or_none(rows)
    if found is not None:
        return found
    expected = ", ".join(COLUMNS[key] for key in REQUIRED)
    raise ImportFailed(
        [
            RowError(
                None,
                None,
                f"No header row found in the first 30 rows, so this is not a plan table. "
                f"The table needs the columns: {expected}.",
            )
        ]
    )


def _header_or_none(rows: list[tuple[int, list]]) -> tuple[int, dict[str, int]] | None:
    """The header row among the first 30 and each known column's position, if there is
    one. Two columns with one heading are an error, not a guess at which is meant.

    Word tables often leave the Ref heading blank (the 2024 plan does): a header row
    with most of the other headings and an empty first cell takes that as Ref.
    """
    for index, (number, cells) in enumerate(rows[:30]):
        keys: dict[str, int] = {}
        twice: list[RowError] = []
        for position, cell in enumerate(cells):
            key = _header_key(cell)
            if key is None:
                continue
            if key in keys:
                first = keys[key]
                twice.append(
                    RowError(
                        number,
                        COLUMNS[key],
                        f'Columns {get_column_letter(first + 1)} ("{clean_cell(cells[first])}") '
                        f'and {get_column_letter(position + 1)} ("{clean_cell(cell)}") are both '
                        f"the {COLUMNS[key]} column: rename or remove one.",
                    )
                )
            else:
                keys[key] = position
        if "ref" not in keys and cells and not clean_cell(cells[0]) and len(keys) >= 4:
            keys["ref"] = 0
        if "ref" in keys and ("actions" in keys or "measure" in keys):
            if twice:
                raise ImportFailed(twice)
            return index, keys
    return None


class _Table:
    """Reads one row's cells by column."""

    def __init__(self, columns: dict[str, int], header: list):
        self.columns = columns
        self.header = header
        # The cells the import reads: its columns', and the first, which may hold an
        # area's heading ("What needs to improve? 1 …") whatever its column.
        self.read: dict[int, str | None] = {position: key for key, position in columns.items()}
        self.read.setdefault(0, None)

    def raw(self, cells: list, key: str) -> object:
        position = self.columns.get(key)
        if position is None or position >= len(cells):
            return ""
        return cells[position]

    def text(self, cells: list, key: str) -> str:
        return cell_text(self.raw(cells, key))

    def name(self, position: int) -> str:
        """A column as the errors name it: its heading as the import knows it, else as
        the file writes it, else its letter."""
        key = self.read.get(position)
        if key is not None:
            return COLUMNS[key]
        heading = clean_cell(self.header[position]) if position < len(self.header) else ""
        return heading or get_column_letter(position + 1)


def parse_table(rows: list[tuple[int, list]], *, budget: ImportBudget | None = None) -> ParsedPlan:
    """Turn raw rows into a plan structure, or raise ImportFailed with every error."""
    if not rows or not any(any(clean_cell(c) for c in cells) for _n, cells in rows):
        raise ImportFailed([RowError(None, None, "The file is empty.")])
    header_index, columns = _find_header(rows)
    header_row = rows[header_index][0]
    missing = [COLUMNS[key] for key in REQUIRED if key not in columns]
    if missing:
        raise ImportFailed(
            [RowError(header_row, column, "This required column is missing.") for column in missing]
        )
    parser = _Parser(_Table(columns, rows[header_index][1]))
    budget = budget or ImportBudget()
    for number, cells in rows[header_index + 1 :]:
        budget.check(number)
        parser.row(number, cells)
    return parser.finish()


class _Parser:
    """Walks the rows in order, keeping the area, outcome and action they continue."""

    def __init__(self, table: _Table):
        self.table = table
        self.errors: list[RowError] = []
        self.warnings: list[RowError] = []
        self.recommendations: list[ParsedRecommendation] = []
        self.seen_refs: dict[str, int] = {}
        self.rec: ParsedRecommendation | None = None
        self.action: ParsedAction | None = None
        self.outcome_ref = ""
        self.outcome_text = ""
        self.pending_heading = False
        self.amber_words: set[str] = set()

    def error(self, row: int, key: str | None, message: str) -> None:
        self.errors.append(RowError(row, COLUMNS[key] if key else None, message))

    def row(self, number: int, cells: list) -> None:
        if self.unreadable(number, cells):
            return
        table = self.table
        values = {key: table.text(cells, key) for key in COLUMNS}
        first = cell_text(cells[0]) if cells else ""
        raw_rags = {key: table.raw(cells, key) for key in ("action_rag", "measure_rag")}
        if not any(values.values()) and not first and not any(map(clean_cell, raw_rags.values())):
            return
        heading = AREA_HEADING.match(first)
        others_empty = all(not clean_cell(c) for c in cells[1:])
        if heading and others_empty:
            rest = heading["rest"].strip()
            if rest:
                self.start_recommendation(number, rest)
            else:
                self.pending_heading = True
            return
        if self.pending_heading and others_empty:
            self.pending_heading = False
            self.start_recommendation(number, first)
            return
        self.pending_heading = False
        area = values.get("area", "")
        if area and (self.rec is None or not _same_area(self.rec, area)):
            self.start_recommendation(number, area)
        if self.rec is None:
            self.error(
                number,
                "ref",
                "This row comes before any area for improvement: add an Area column or "
                'a row "What needs to improve? 1 …" above it.',
            )
            return
        for key, limit in FIELD_LIMITS.items():
            if len(values[key]) > limit:
                self.error(number, key, f"Longer than {limit:,} characters.")
        action_rag = self.rag(raw_rags["action_rag"], number, "action_rag")
        measure_rag = self.rag(raw_rags["measure_rag"], number, "measure_rag")
        timescale = parse_timescale(values["timescale"])
        self.dates_in_window(number, timescale)
        measure = self.measure(number, values, measure_rag, timescale)
        ref = normalise_ref(values["ref"])
        if ref:
            measures = self.split_measure(measure, values)
            self.start_action(number, ref, values, action_rag, measures, timescale, cells)
        else:
            self.continue_action(number, values, action_rag, measure)

    def dates_in_window(self, number: int, timescale: Timescale) -> None:
        """Report a timescale date outside the window every form keeps to."""
        days = (timescale.start, timescale.due, timescale.slipped_from, *timescale.milestones)
        problem = next((p for day in days if (p := bounds.date_problem(day))), None)
        if problem:
            self.error(number, "timescale", problem)

    def unreadable(self, number: int, cells: list) -> bool:
        """Report each cell of the row that the import reads and cannot store as it is,
        and say whether there was one: the rest of such a row is not read, so that one
        bad cell gives one error."""
        problems = [
            RowError(number, self.table.name(position), problem)
            for position in self.table.read
            if position < len(cells) and (problem := _cell_problem(cells[position]))
        ]
        self.errors.extend(problems)
        return bool(problems)

    def too_long(self, number: int, key: str, text: str, ref: str) -> None:
        """Report a text joined from this row and the rows above that its field cannot hold."""
        limit = FIELD_LIMITS.get(key)
        if limit is not None and len(text) > limit:
            self.error(
                number,
                key,
                f"With the rows above for {ref} this is longer than {limit:,} characters "
                f"({len(text):,}): shorten it.",
            )

    def posts(self, number: int, text: str) -> list[str]:
        """The posts an Accountability cell names, each reported if too long to store."""
        posts = split_accountability(text)
        for post in posts:
            if max(len(post), len(owner_key(post))) > POST_LIMIT:
                self.error(
                    number,
                    "accountability",
                    f'"{post[:40].rstrip()}…" is longer than {POST_LIMIT} characters, the '
                    f'most a post holds: shorten it, or separate the posts with ";".',
                )
        return posts

    def rag(self, value: object, row: int, key: str) -> str:
        try:
            rag = parse_rag(value)
        except ParseError as error:
            self.error(row, key, str(error))
            return ""
        if rag == AMBER:
            word = clean_cell(value).strip().rstrip(".").strip().casefold()
            self.amber_words.add("Yellow" if word in {"yellow", "y"} else "Amber")
        return rag

    def percent(self, values: dict[str, str], row: int, key: str) -> Decimal | None:
        try:
            return parse_percent(values.get(key, ""))
        except ParseError as error:
            self.error(row, key, str(error))
            return None

    def timescale(self, row: int, timescale: Timescale) -> Timescale:
        """The timescale, noting once where it needs a person to check it."""
        if timescale.needs_review:
            self.warnings.append(
                RowError(
                    row, COLUMNS["timescale"], f'"{timescale.text}" kept as text: needs review'
                )
            )
        return timescale

    def measure(
        self, number: int, values: dict[str, str], rag: str, timescale: Timescale
    ) -> ParsedMeasure | None:
        """The outcome measure in this row, with its target and tolerance: the Target and
        Tolerance columns if filled, else what the measure's text says ("Target 90%")."""
        target = self.percent(values, number, "target")
        tolerance = self.percent(values, number, "tolerance")
        method = self.method(values.get("method", ""), number)
        text = values["measure"]
        if not text:
            if rag:
                self.error(number, "measure_rag", "A RAG is given but no outcome measure.")
            if method:
                self.error(number, "method", "A method is given but no outcome measure.")
            for key, value in (("target", target), ("tolerance", tolerance)):
                if value is not None:
                    self.error(number, key, "A figure is given but no outcome measure.")
            return None
        found_target, found_tolerance = find_target_tolerance(text)
        return ParsedMeasure(
            row=number,
            text=text,
            timescale=timescale,
            rag=rag,
            target=target if target is not None else found_target,
            tolerance=tolerance if tolerance is not None else found_tolerance,
            method=method,
        )

    def split_measure(
        self, measure: ParsedMeasure | None, values: dict[str, str]
    ) -> list[ParsedMeasure]:
        """The measures of an action's row: one per paragraph of the Outcome measure cell
        when the Timescale cell has as many paragraphs, each one date, as 1.3 of the 2024
        plan has four measures with four dates in one row. Each keeps its own text, date
        and target; the row's RAG, Target and Tolerance cells (if any) go to each. Any
        other cell is one measure, as written."""
        if measure is None:
            return []
        texts = [line for line in measure.text.split("\n") if line.strip()]
        dates = [line for line in values["timescale"].split("\n") if line.strip()]
        if len(texts) < 2 or len(texts) != len(dates):
            return [measure]
        timescales = [parse_timescale(line) for line in dates]
        if any(len(t.milestones) != 1 or t.needs_review for t in timescales):
            return [measure]
        given = {}
        for key in ("target", "tolerance"):
            try:
                given[key] = parse_percent(values.get(key, ""))
            except ParseError:
                given[key] = None  # reported already, with the whole cell
        parts = []
        for text, timescale in zip(texts, timescales, strict=True):
            found_target, found_tolerance = find_target_tolerance(text)
            parts.append(
                ParsedMeasure(
                    row=measure.row,
                    text=text,
                    timescale=timescale,
                    rag=measure.rag,
                    target=found_target if given["target"] is None else given["target"],
                    tolerance=found_tolerance if given["tolerance"] is None else given["tolerance"],
                    method=measure.method,
                )
            )
        return parts

    def method(self, text: str, row: int) -> str:
        """A Method cell: a method's name as the app shows it ("Dip sample", "Performance
        data") or a word of it ("performance", "milestone"), any case; blank = not given."""
        if not text:
            return ""
        method = METHOD_WORDS.get(" ".join(text.replace("_", " ").casefold().split()))
        if method is None:
            names = ", ".join(label for _value, label in Measure.Method.choices)
            self.error(row, "method", f'"{text[:40]}" is not a method: use one of {names}.')
            return ""
        return method

    def start_recommendation(self, number: int, text: str) -> None:
        match = AREA_TEXT.match(text)
        if not match:
            self.error(number, "area", f'"{text[:60]}" should start with its number, e.g. "1 …".')
            return
        ref, title = match["ref"].replace(" ", ""), " ".join(match["title"].split())
        if len(ref) > AREA_REF_LIMIT:
            self.error(
                number,
                "area",
                f"The number of the area for improvement is longer than {AREA_REF_LIMIT} "
                f"characters.",
            )
            return
        existing = next((r for r in self.recommendations if r.ref == ref), None)
        if existing is None:
            existing = ParsedRecommendation(row=number, ref=ref, title=title)
            self.recommendations.append(existing)
        self.rec = existing
        self.action, self.outcome_ref, self.outcome_text = None, "", ""

    def start_action(
        self,
        number: int,
        ref: str,
        values: dict[str, str],
        rag: str,
        measures: list[ParsedMeasure],
        timescale: Timescale,
        cells: list,
    ) -> None:
        key = _ref_key(ref)
        if key in self.seen_refs:
            hint = ""
            if isinstance(self.table.raw(cells, "ref"), float):
                # Excel turns a ref typed as 1.10 into the number 1.1.
                hint = " Excel may have read a ref such as 1.10 as a number: make the column text."
            self.error(
                number,
                "ref",
                f'Ref "{ref}" is used twice (first in row {self.seen_refs[key]}).{hint}',
            )
            return
        self.seen_refs[key] = number
        if values["outcome"]:
            self.outcome_ref, self.outcome_text = ref, values["outcome"]
        # A blank Accountability cell stays blank, also for a sub-ref that only adds a
        # measure ("1.1a"): the plan names no one there, and the import does not guess.
        owners = self.posts(number, values["accountability"])
        self.action = ParsedAction(
            row=number,
            ref=ref,
            outcome_ref=self.outcome_ref,
            outcome_text=self.outcome_text,
            text=values["actions"],
            why=values.get("why", ""),
            difference=values.get("difference", ""),
            lead=values.get("lead", ""),
            owners=owners,
            links=_links(values.get("links", "")),
            timescale=self.timescale(number, timescale),
            rag=rag,
            rag_row=number,
            measures=measures,
            accountability=values["accountability"],
        )
        if len(measures) == 1:
            measures[0].in_action_row = True
        self.rec.actions.append(self.action)

    def continue_action(
        self, number: int, values: dict[str, str], rag: str, measure: ParsedMeasure | None
    ) -> None:
        """A row with no Ref adds to the action above: a further measure (with its own
        timescale and RAG), a milestone (a timescale alone), more owners, or the rest of
        an outcome that Word wrapped onto the next row."""
        action = self.action
        if values["actions"]:
            self.error(number, "ref", "This row has an action but no Ref.")
            return
        if action is None:
            self.error(number, "ref", "A continuation row with no action above it: give it a Ref.")
            return
        if values["outcome"]:
            self.outcome_text = f"{self.outcome_text} {values['outcome']}".strip()
            if action.outcome_ref == self.outcome_ref:
                action.outcome_text = self.outcome_text
        if measure is not None:
            self.timescale(number, measure.timescale)
            action.measures.append(measure)
        elif values["timescale"]:
            # A milestone on its own row: the action's timescale is both rows' dates.
            combined = f"{action.timescale.text} {values['timescale']}".strip()
            self.too_long(number, "timescale", combined, action.ref)
            action.timescale = self.timescale(number, parse_timescale(combined))
        if rag:
            if action.rag and action.rag != rag:
                self.error(
                    number,
                    "action_rag",
                    f"Conflicts with the Action RAG for {action.ref} in row {action.rag_row}.",
                )
            action.rag, action.rag_row = rag, number
        for owner in self.posts(number, values["accountability"]):
            if owner_key(owner) not in {owner_key(o) for o in action.owners}:
                action.owners.append(owner)
        if values["accountability"]:
            action.accountability = f"{action.accountability} {values['accountability']}".strip()
        for key in ("why", "difference", "lead"):
            if values[key]:
                joined = "\n".join(filter(None, [getattr(action, key), values[key]]))
                self.too_long(number, key, joined, action.ref)
                setattr(action, key, joined)
        for link in _links(values.get("links", "")):
            if link not in action.links:
                action.links.append(link)

    def finish(self) -> ParsedPlan:
        if not self.recommendations and not self.errors:
            self.errors.append(
                RowError(None, None, "The table has no areas for improvement or actions.")
            )
        known = {rec.ref for rec in self.recommendations}
        for rec in self.recommendations:
            for action in rec.actions:
                for link in action.links:
                    if link not in known:
                        self.error(
                            action.row, "links", f'"{link}" is not an area for improvement here.'
                        )
        if self.errors:
            raise ImportFailed(sorted(self.errors, key=lambda e: (e.row or 0, e.column or "")))
        return ParsedPlan(
            recommendations=self.recommendations,
            warnings=self.warnings,
            amber_label="Yellow" if self.amber_words == {"Yellow"} else "Amber",
        )


def _cell_problem(value: object) -> str | None:
    """Why a cell the import reads cannot be stored as it is, if it cannot."""
    if isinstance(value, UnreadFormula):
        return (
            f"This cell is a formula ({value.formula[:60]}) with no result saved in the file: "
            f"open the file in Excel and save it, or paste the values instead of the formula."
        )
    if not isinstance(value, str):
        return None
    if len(value) > CELL_LIMIT:
        return f"Longer than {CELL_LIMIT:,} characters, the most a spreadsheet cell holds."
    character = control_character(value)
    if character:
        return (
            f"Contains a control character ({character}), which cannot be stored: delete it "
            f"(tabs and line breaks are fine)."
        )
    return None


def _current(item: Action | Measure) -> str:
    """The item's current RAG (annotated on records that existed before the import)."""
    return getattr(item, "current_rag", None) or ""


def _links(text: str) -> list[str]:
    """Cross-references ("IN10; OR 2") as recommendation refs, which are stored unspaced."""
    return list(dict.fromkeys(ref.replace(" ", "") for ref in split_refs(text)))


def _same_area(rec: ParsedRecommendation, area: str) -> bool:
    match = AREA_TEXT.match(area)
    return bool(match) and match["ref"].replace(" ", "") == rec.ref


def parse_file(data: bytes, filename: str, *, budget: ImportBudget | None = None) -> ParsedPlan:
    budget = budget or ImportBudget()
    return parse_table(read_rows(data, filename, budget=budget), budget=budget)


# ---------------------------------------------------------------- writing


def measure_method(text: str) -> str:
    """How a measure is tested, from its words; a plan administrator can change it."""
    lowered = " ".join(text.lower().split())
    if re.search(r"dip[\s-]*sampl", lowered):
        return Measure.Method.DIP_SAMPLE
    if "audit" in lowered:
        return Measure.Method.AUDIT
    return Measure.Method.MILESTONE


@dataclass
class _Pending:
    """An action of the file, written or waiting to be created in bulk."""

    action: Action
    parsed: ParsedAction
    created: bool
    changed: list[str]
    owners: list[Owner]
    links: list[Recommendation]
    revision_from: dt.date | None = None


def _owners_by_key() -> dict[str, Owner]:
    """Every owner by its key. A duplicate merged into another owner (plans.people)
    answers with the owner it was merged into, so a workbook that still names the
    duplicate does not bring it back."""
    owners = {o.pk: o for o in Owner.objects.all()}
    by_key = {}
    for owner in owners.values():
        kept, seen = owner, {owner.pk}
        while kept.merged_into_id and kept.merged_into_id not in seen:
            seen.add(kept.merged_into_id)
            kept = owners[kept.merged_into_id]
        by_key[owner.key] = kept
    return by_key


class _Writer:
    """Applies a parsed plan to the database, counting what changed.

    Everything it matches against (owners, recommendations, outcomes, actions, measures
    and their current RAG) is read once up front. New actions and measures, the bulk of
    a first import, are inserted in batches with their history rows (including which
    owners each action had), so the queries do not grow with every row; changed records
    are saved one by one, and ratings go through `services.rating_record`, the one way
    ratings are recorded.
    """

    def __init__(self, plan: Plan, user, summary: ImportSummary, budget: ImportBudget):
        self.plan = plan
        self.budget = budget
        self.user = user
        self.summary = summary
        self.owner_cache: dict[str, Owner] = _owners_by_key()
        self.recs = {r.ref: r for r in plan.recommendations.all()}
        self.outcomes = {
            (o.recommendation_id, o.ref): o
            for o in Outcome.objects.filter(recommendation__plan=plan)
        }
        self.actions = {
            _ref_key(a.ref): a
            for a in actions_with_position(
                plan.actions.select_related("recommendation", "outcome")
            ).prefetch_related("owners", "links")
        }
        self.measures: dict[int, list[Measure]] = {}
        for measure in measures_with_position(plan.measures.order_by("position", "pk")):
            self.measures.setdefault(measure.action_id, []).append(measure)
        self.period: ReportingPeriod | None = None
        self.seen_actions: set[str] = set()
        self.seen_outcomes: set[tuple[int, str]] = set()
        self.pending: list[_Pending] = []

    def write(self, parsed: ParsedPlan) -> None:
        placed = []
        new_outcomes: list[Outcome] = []
        for rec_position, parsed_rec in enumerate(parsed.recommendations):
            rec = self.recommendation(parsed_rec, rec_position)
            for position, parsed_action in enumerate(parsed_rec.actions):
                outcome = self.outcome(rec, parsed_action, position, new_outcomes)
                placed.append((rec, outcome, parsed_action, position))
        self._bulk_create(Outcome, new_outcomes)
        for rec, outcome, parsed_action, position in placed:
            self.budget.check(parsed_action.row)
            self.action(rec, outcome, parsed_action, position)
        self.create_actions([p for p in self.pending if p.created])
        new_measures: list[Measure] = []
        rated: list[tuple[Measure, ParsedMeasure]] = []
        for pending in self.pending:
            self.budget.check(pending.parsed.row)
            for index, parsed_measure in enumerate(pending.parsed.measures):
                measure, changed = self.measure(
                    pending.action, parsed_measure, index, pending.parsed.timescale
                )
                if measure.pk is None:
                    new_measures.append(measure)
                if changed:
                    pending.changed.append("measures")
                rated.append((measure, parsed_measure))
        self._bulk_create(Measure, new_measures)
        for pending in self.pending:
            self._count("actions", pending.created, bool(pending.changed))
        # Ratings last, in the file's order, once every item they rate exists.
        ratings: list[tuple[Action | Measure, str]] = []
        first_rated: tuple[int, str] | None = None
        measures = iter(rated)
        for pending in self.pending:
            action, parsed_action = pending.action, pending.parsed
            if parsed_action.rag and parsed_action.rag != _current(action):
                ratings.append((action, parsed_action.rag))
                first_rated = first_rated or (parsed_action.rag_row, "action_rag")
                pending.changed.append("Action RAG")
            for _ in parsed_action.measures:
                measure, parsed_measure = next(measures)
                if parsed_measure.rag and parsed_measure.rag != _current(measure):
                    ratings.append((measure, parsed_measure.rag))
                    first_rated = first_rated or (parsed_measure.row, "measure_rag")
                    pending.changed.append("Outcome Measure RAG")
            self._describe(pending)
        if ratings:
            self.rate(ratings, *first_rated)
        self.summary.not_in_file = sorted(
            a.ref for key, a in self.actions.items() if key not in self.seen_actions
        )

    def _describe(self, pending: _Pending) -> None:
        parsed = pending.parsed
        kind = "new" if pending.created else "update" if pending.changed else "skip"
        what = parsed.text or (parsed.measures[0].text if parsed.measures else "")
        what = " ".join(what.split())[:100]
        if pending.changed and not pending.created:
            what = f"{what} (changed: {', '.join(dict.fromkeys(pending.changed))})"
        self.summary.actions.append((parsed.row, kind, parsed.ref, what))

    def _clean(self, obj) -> None:
        # Foreign keys are objects this import holds; unique refs and the dates' order
        # are checked while parsing, and the database enforces its constraints anyway
        # (a violation rolls the whole import back). Checking them again here would cost
        # queries on every row.
        obj.full_clean(
            exclude=["plan", "recommendation", "outcome", "action"],
            validate_unique=False,
            validate_constraints=False,
        )

    def _save(self, obj, created: bool, changed: bool) -> None:
        if created or changed:
            obj._history_user = self.user
            obj._change_reason = REASON
            self._clean(obj)
            obj.save()

    def _bulk_create(self, model, objs: list) -> list:
        """Insert new records in batches, with a history row each, as `save()` would."""
        if not objs:
            return []
        for obj in objs:
            self._clean(obj)
        model.objects.bulk_create(objs)
        return model.history.bulk_history_create(
            objs, default_user=self.user, default_change_reason=REASON
        )

    def _count(self, kind: str, created: bool, changed: bool) -> None:
        self.summary.count("created" if created else "updated" if changed else "unchanged", kind)

    @staticmethod
    def _assign(obj, values: dict) -> list[str]:
        changed = []
        for name, value in values.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                changed.append(name)
        return changed

    def owner(self, post: str) -> Owner:
        key = owner_key(post)
        owner = self.owner_cache.get(key)
        if owner is None:
            owner = Owner(post=post)
            owner._history_user = self.user
            owner._change_reason = REASON
            owner.save()
            self.owner_cache[owner.key] = owner
            self.summary.count("created", "owners")
        return owner

    def recommendation(self, parsed: ParsedRecommendation, position: int) -> Recommendation:
        rec = self.recs.get(parsed.ref)
        created = rec is None
        if created:
            rec = Recommendation(plan=self.plan, ref=parsed.ref)
            self.recs[parsed.ref] = rec
        changed = bool(self._assign(rec, {"title": parsed.title, "position": position}))
        self._save(rec, created, changed)
        self._count("recommendations", created, changed)
        return rec

    def outcome(
        self, rec: Recommendation, parsed: ParsedAction, position: int, new: list[Outcome]
    ) -> Outcome | None:
        """The action's outcome: updated now if it changed, or new and added to `new`."""
        if not parsed.outcome_text:
            return None
        key = (rec.pk, parsed.outcome_ref)
        outcome = self.outcomes.get(key)
        if key in self.seen_outcomes:
            return outcome  # a later action under the same outcome
        self.seen_outcomes.add(key)
        created = outcome is None
        if created:
            outcome = Outcome(recommendation=rec, ref=parsed.outcome_ref)
            self.outcomes[key] = outcome
        changed = bool(self._assign(outcome, {"text": parsed.outcome_text, "position": position}))
        if created:
            new.append(outcome)
        else:
            self._save(outcome, False, changed)
        self._count("outcomes", created, changed)
        return outcome

    def action(
        self, rec: Recommendation, outcome: Outcome | None, parsed: ParsedAction, position: int
    ) -> None:
        """Update an existing action now, or queue a new one for `create_actions`."""
        # Long because: one imported row's cells compared with the action field by field, each
        # with the rule that keeps an unchanged cell from changing it; split it only along those
        # rules.
        key = _ref_key(parsed.ref)
        self.seen_actions.add(key)
        action = self.actions.get(key)
        created = action is None
        timescale = parsed.timescale
        if not created and timescale.text != action.timescale_text:
            exported = timescale_with_revision(
                action.timescale_text, action.start_date, action.due_date, action.baseline_due_date
            )
            if timescale.text == exported:
                # The cell an export writes for a due date revised in the app: the same
                # timescale and dates as the plan has, so nothing changes.
                timescale = parsed.timescale = parse_timescale(action.timescale_text)
        milestones = [d.isoformat() for d in timescale.milestones]
        # A measure's own dates add to the action's those the action's cell does not
        # already give (a measure split from the action's row repeats them).
        own = set(milestones)
        for measure in parsed.measures:
            if not measure.in_action_row:
                milestones += [
                    d.isoformat() for d in measure.timescale.milestones if d.isoformat() not in own
                ]
        values = {
            "ref": parsed.ref,
            "recommendation": rec,
            "outcome": outcome,
            "position": position,
            "text": parsed.text,
            "why": parsed.why,
            "difference": parsed.difference,
            "lead": parsed.lead,
            "accountability": parsed.accountability,
            "timescale_text": timescale.text,
            "timescale_needs_review": timescale.needs_review,
            "start_date": timescale.start,
            "milestones": milestones,
        }
        revision_from = None
        if created:
            action = Action(plan=self.plan, ref=parsed.ref, recommendation=rec)
            values["due_date"] = timescale.due
            # The first due date the plan committed to; "[slipped from June 2016]" says
            # that was June, and the move to the later date is a recorded revision.
            values["baseline_due_date"] = timescale.due
            if timescale.slipped_from and timescale.due and timescale.slipped_from != timescale.due:
                values["baseline_due_date"] = revision_from = timescale.slipped_from
            self.actions[key] = action
        elif action.timescale_text != timescale.text and timescale.due != action.due_date:
            # Only a changed Timescale cell moves the due date: a date revised in the app
            # since the last import stays while the cell that gave the old one is the same.
            revision_from = action.due_date
            values["due_date"] = timescale.due
        if (
            not created
            and parsed.owners
            and parsed.accountability == "; ".join(parsed.owners)
            and {owner_key(p) for p in parsed.owners} == {o.key for o in action.owners.all()}
        ):
            # The cell an export writes for owners set in the app (or by an older import):
            # the same owners, so the cell as written is kept and nothing changes.
            values["accountability"] = action.accountability
        changed = self._assign(action, values)
        owners = [self.owner(name) for name in parsed.owners]
        links = [self.recs[ref] for ref in parsed.links]
        pending = _Pending(action, parsed, created, [], owners, links, revision_from)
        self.pending.append(pending)
        if created:
            return
        if changed:
            action.version += 1
            pending.changed.extend(changed)
        self._save(action, False, bool(changed))
        if revision_from is not None and action.due_date is not None:
            self._revise([(action, revision_from, timescale)])
        if {o.pk for o in owners} != {o.pk for o in action.owners.all()}:
            action._history_user, action._change_reason = self.user, REASON
            action.owners.set(owners)
            pending.changed.append("owners")
        if {r.pk for r in links} != {r.pk for r in action.links.all()}:
            action._history_user, action._change_reason = self.user, REASON
            action.links.set(links)
            pending.changed.append("links")

    def create_actions(self, new: list[_Pending]) -> None:
        """Insert the new actions, their owners and links, and one history row each that
        records them with their owners and links, as a save followed by setting the
        many-to-many fields would, in a few queries instead of ten per action."""
        if not new:
            return
        history = self._bulk_create(Action, [p.action for p in new])
        for pending in new:
            pending.action._loaded_baseline = pending.action.baseline_due_date
        for name, related in (("owners", "owner"), ("links", "recommendation")):
            field = Action._meta.get_field(name)
            through = field.remote_field.through
            rows = [
                through(action_id=p.action.pk, **{f"{related}_id": obj.pk})
                for p in new
                for obj in getattr(p, name)
            ]
            through.objects.bulk_create(rows)
            by_action = {h.id: h for h in history}
            historical = HistoricalRecords.m2m_models[field]
            historical.objects.bulk_create(
                historical(
                    history=by_action[row.action_id],
                    id=row.pk,
                    action_id=row.action_id,
                    **{f"{related}_id": getattr(row, f"{related}_id")},
                )
                for row in rows
            )
        self._revise(
            [(p.action, p.revision_from, p.parsed.timescale) for p in new if p.revision_from]
        )

    def _revise(self, moves: list[tuple[Action, dt.date, Timescale]]) -> None:
        revisions = []
        for action, old_date, timescale in moves:
            reason = (
                f"slipped from {timescale.slipped_from:%B %Y} (as recorded in the imported plan)"
                if timescale.slipped_from
                else f'timescale changed to "{timescale.text}" on import'
            )
            revisions.append(
                DueDateRevision(
                    action=action,
                    old_date=old_date,
                    new_date=action.due_date,
                    reason=reason,
                    created_by=self.user,
                )
            )
        if revisions:
            bulk_create_with_history(
                revisions, DueDateRevision, default_user=self.user, default_change_reason=REASON
            )
            for _ in revisions:
                self.summary.count("created", "revisions")

    def measure(
        self, action: Action, parsed: ParsedMeasure, position: int, action_timescale: Timescale
    ) -> tuple[Measure, bool]:
        """The measure at this position under the action: updated now if it exists and
        changed, or new and unsaved (for a bulk insert). Also whether it changed.

        A measure in the action's own row shares the action's timescale, and the date it
        first gave: a slip ("[slipped from June 24]") moves the action's due date, not the
        measure's, as revising the due date in the app does. A measure on a row of its own
        keeps that row's timescale text and dates."""
        existing = self.measures.get(action.pk, [])
        measure = existing[position] if position < len(existing) else None
        created = measure is None
        if created:
            measure = Measure(plan=self.plan, action=action)
        timescale = action_timescale if parsed.in_action_row else parsed.timescale
        values = {
            "position": position,
            "text": parsed.text,
            "timescale_text": "" if parsed.in_action_row else timescale.text,
            "due_date": (timescale.slipped_from or timescale.due)
            if parsed.in_action_row
            else timescale.due,
            "target": parsed.target,
            "tolerance": parsed.tolerance,
        }
        if parsed.method:
            values["method"] = parsed.method
        elif created:
            values["method"] = measure_method(parsed.text)
        changed = bool(self._assign(measure, values))
        self._count("measures", created, changed)
        if not created and changed:
            measure.version += 1
            self._save(measure, False, True)
        return measure, created or changed

    def rate(self, ratings: list[tuple[Action | Measure, str]], row: int, column: str) -> None:
        """Record the RAG cells that differ from each item's current position."""
        self.period = self._period_for_ratings(row, column)
        self.summary.period = self.period
        services.ratings_record_many(
            plan=self.plan,
            ratings=ratings,
            user=self.user,
            commentary="Position as given in the imported plan.",
            period=self.period,
            reason=REASON,
        )
        self.summary.created["ratings"] = len(ratings)

    def _period_for_ratings(self, row: int, column: str) -> ReportingPeriod:
        """The open period, or the council's quarters for a plan that has none open.

        A table's RAG cells are the plan's position on the day it is imported. If the plan
        has no open period and none that ends today or later, the financial quarters from
        the one holding today to the end of the financial year are created, and the
        current quarter opens and takes the ratings. If a later period exists but is not
        open, the import stops, because which period the RAGs belong to is the plan
        administrator's choice.
        """
        period = services.open_period(self.plan)
        if period is not None:
            return period
        today = timezone.localdate()
        later = self.plan.periods.filter(end__gte=today).order_by("end").first()
        if later is not None:
            raise ImportFailed(
                [
                    RowError(
                        row,
                        COLUMNS[column],
                        f"The file has RAG ratings but no reporting period is open: open "
                        f"{later.label} (or clear the RAG columns) and import again.",
                    )
                ]
            )
        label, first, last = quarter_of(today)
        latest = self.plan.periods.order_by("-end").first()
        if latest is None or latest.end < first:
            periods.periods_create(
                plan=self.plan,
                rule="quarters",
                start=first,
                end=year_end_of(today),
                user=self.user,
            )
        else:
            # The last period ended inside this quarter (the plan's own rule was not
            # quarters): the rest of the quarter, under the quarter's name.
            period = ReportingPeriod(
                plan=self.plan,
                label=label,
                start=latest.end + dt.timedelta(days=1),
                end=last,
                state=ReportingPeriod.State.OPEN,
            )
            period._history_user, period._change_reason = self.user, REASON
            period.full_clean(exclude=["plan"])
            period.save()
            # Positions from the periods before carry on into the new one.
            positions.refresh(self.plan.pk)
        self.summary.period_created = True
        return services.open_period(self.plan)


def apply_import(
    parsed: ParsedPlan,
    *,
    plan: Plan | None = None,
    title: str = "",
    user=None,
    organisation=None,
    dry_run: bool = False,
    budget: ImportBudget | None = None,
) -> ImportSummary:
    """Write a parsed table into `plan`, or into a new plan called `title` (created only
    if the import succeeds). One transaction: any error leaves nothing behind; a dry run
    does everything and then rolls back, so its counts are exact."""
    user = user if getattr(user, "is_authenticated", False) else None
    budget = budget or ImportBudget()
    summary = ImportSummary(plan=None, warnings=list(parsed.warnings), dry_run=dry_run)
    try:
        with transaction.atomic():
            if plan is None:
                title = _new_plan_title(title)
                plan = Plan(
                    title=title,
                    slug=_unique_slug(title),
                    amber_label=parsed.amber_label,
                    organisation=_new_plan_organisation(organisation, user),
                )
                plan._history_user, plan._change_reason = user, REASON
                plan.full_clean()
                plan.save()
                summary.plan_created = True
            summary.plan = plan
            _Writer(plan, user, summary, budget).write(parsed)
            if dry_run:
                transaction.set_rollback(True)
    except ValidationError as error:
        raise ImportFailed([RowError(None, None, "; ".join(error.messages))]) from error
    except (IntegrityError, DataError) as error:
        raise ImportFailed(
            [RowError(None, None, f"The plan could not be saved as imported: {error}")]
        ) from error
    return summary


def _new_plan_title(title: str) -> str:
    title = title.strip()
    limit = Plan._meta.get_field("title").max_length
    problem = None
    if not title:
        problem = "Name the plan to import into."
    elif len(title) > limit:
        problem = f"The new plan's name is longer than {limit} characters: shorten it."
    elif character := control_character(title):
        problem = f"The new plan's name contains a control character ({character}): delete it."
    if problem:
        raise ImportFailed([RowError(None, None, problem)])
    return title


def _new_plan_organisation(organisation, user):
    """A new plan belongs to the organisation named, else the importer's own."""
    organisation = organisation or access.default_organisation(user)
    if organisation is None:
        raise ImportFailed(
            [RowError(None, None, "Say which organisation owns the new plan (--organisation).")]
        )
    return organisation


def _unique_slug(title: str) -> str:
    base = slugify(title)[:70] or "plan"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Plan.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def find_plan(name: str) -> Plan | None:
    """A plan by its slug or its exact title."""
    name = name.strip()
    return Plan.objects.filter(slug=name).first() or Plan.objects.filter(title=name).first()


def import_file(
    data: bytes,
    filename: str,
    *,
    plan_name: str,
    user=None,
    organisation=None,
    dry_run: bool = False,
) -> ImportSummary:
    """Parse and apply in one call: what the command and the admin's confirm step do.

    `plan_name` is an existing plan's slug or exact title, or the title of a new plan,
    which is created only if the import succeeds.
    """
    budget = ImportBudget()
    parsed = parse_file(data, filename, budget=budget)
    return apply_import(
        parsed,
        plan=find_plan(plan_name),
        title=plan_name,
        user=user,
        organisation=organisation,
        dry_run=dry_run,
        budget=budget,
    )

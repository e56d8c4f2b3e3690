"""Import a plan from the councils' own table layout (.xlsx or .csv).

One service, two steps, used by the admin (preview, then confirm) and by the
`import_plan` command:

1. `read_rows` + `parse_table` turn a file into recommendations, actions and measures,
   collecting every problem as a row-and-column error. Nothing is written.
2. `apply_import` writes the parsed plan in one transaction, matching existing records
   by their refs (the natural key), so importing the same file twice changes nothing,
   and a changed cell updates its record with the history reason "import".

The layout is the 2024 ILACS plan's: Ref, Outcome, Actions, Outcome measure, Timescale,
Action RAG, Accountability, Outcome Measure RAG (optional: Area, Links, Why,
Difference, Lead, Target, Tolerance). Real tables are ragged: an empty Outcome continues
the outcome above, and a row with no Ref and no Action adds a further measure or
milestone to the action above.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from plans import services
from plans.models import (
    Action,
    DueDateRevision,
    Measure,
    Outcome,
    Owner,
    Plan,
    Recommendation,
    ReportingPeriod,
)
from plans.parsing import (
    ParseError,
    Timescale,
    clean_cell,
    find_target_tolerance,
    owner_key,
    parse_percent,
    parse_rag,
    parse_timescale,
    split_accountability,
    split_refs,
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
}
REQUIRED = ("ref", "outcome", "actions", "measure", "timescale", "accountability")
HEADER_ALIASES = {
    "action": "actions",
    "outcome measures": "measure",
    "outcome measure(s)": "measure",
    "accountable": "accountability",
    "action rag rating": "action_rag",
    "outcome measure rag rating": "measure_rag",
    "area for improvement": "area",
    "what needs to improve?": "area",
    "links to": "links",
}
AREA_HEADING = re.compile(
    r"^\s*what needs to improve\??\s*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL
)
AREA_TEXT = re.compile(r"^\s*(?P<ref>[A-Z]{0,3}\s?\d+[a-z]?)[.):]?\s+(?P<title>\S.*)$", re.DOTALL)
MAX_BYTES = 20 * 1024 * 1024


class ImportFailed(Exception):
    """The file cannot be imported; `errors` says where and why. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]))


@dataclass(frozen=True)
class RowError:
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
    measures: list[ParsedMeasure] = field(default_factory=list)


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

    @property
    def actions(self) -> Iterable[ParsedAction]:
        for rec in self.recommendations:
            yield from rec.actions


@dataclass
class ImportSummary:
    plan: Plan | None
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    warnings: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    def count(self, bucket: str, kind: str) -> None:
        target = getattr(self, bucket)
        target[kind] = target.get(kind, 0) + 1

    def lines(self) -> list[str]:
        kinds = ["recommendations", "outcomes", "actions", "measures", "owners", "ratings"]
        out = []
        for kind in kinds:
            out.append(
                f"{kind}: {self.created.get(kind, 0)} created, "
                f"{self.updated.get(kind, 0)} updated, {self.unchanged.get(kind, 0)} unchanged"
            )
        return out


# ---------------------------------------------------------------- reading the file


def read_rows(data: bytes, filename: str) -> list[tuple[int, list[str]]]:
    """The file's rows as (row number as a spreadsheet shows it, raw cells)."""
    if len(data) > MAX_BYTES:
        raise ImportFailed([RowError(None, None, "The file is larger than 20 MB.")])
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(data)
    if suffix == ".csv":
        return _read_csv(data)
    raise ImportFailed(
        [RowError(None, None, f"'{filename}' is not a .xlsx or .csv file: save the table as one.")]
    )


def _read_csv(data: bytes) -> list[tuple[int, list[str]]]:
    if b"\x00" in data[:4096]:
        raise ImportFailed([RowError(None, None, "This is not a CSV table (binary content).")])
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise ImportFailed([RowError(None, None, "The CSV file's text encoding is unknown.")])
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        return [(number, row) for number, row in enumerate(reader, start=1)]
    except csv.Error as error:
        raise ImportFailed(
            [RowError(reader.line_num, None, f"Not a readable CSV table: {error}")]
        ) from None


def _read_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ImportFailed(
            [RowError(None, None, f"This is not a readable Excel workbook (.xlsx): {error}")]
        ) from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((number, ["" if cell is None else cell for cell in row]))
        return rows
    finally:
        workbook.close()


# ---------------------------------------------------------------- parsing the table


def _header_key(cell: object) -> str | None:
    label = re.sub(r"\s+", " ", clean_cell(cell)).strip().lower()
    if not label:
        return None
    for key, header in COLUMNS.items():
        if label == header.lower():
            return key
    return HEADER_ALIASES.get(label)


def _find_header(rows: list[tuple[int, list]]) -> tuple[int, dict[str, int]]:
    for index, (_number, cells) in enumerate(rows[:30]):
        keys = {}
        for position, cell in enumerate(cells):
            key = _header_key(cell)
            if key and key not in keys:
                keys[key] = position
        if "ref" in keys and ("actions" in keys or "measure" in keys):
            return index, keys
    expected = ", ".join(COLUMNS[key] for key in REQUIRED)
    raise ImportFailed(
        [RowError(None, None, f"No header row found. The table needs the columns: {expected}.")]
    )


def parse_table(rows: list[tuple[int, list]]) -> ParsedPlan:
    """Turn raw rows into a plan structure, or raise ImportFailed with every error."""
    if not rows or not any(any(clean_cell(c) for c in cells) for _n, cells in rows):
        raise ImportFailed([RowError(None, None, "The file is empty.")])
    header_index, columns = _find_header(rows)
    header_row = rows[header_index][0]
    errors: list[RowError] = []
    warnings: list[RowError] = []
    missing = [COLUMNS[key] for key in REQUIRED if key not in columns]
    if missing:
        raise ImportFailed(
            [RowError(header_row, column, "This required column is missing.") for column in missing]
        )

    def cell(cells: list, key: str) -> str:
        position = columns.get(key)
        if position is None or position >= len(cells):
            return ""
        return clean_cell(cells[position])

    recommendations: list[ParsedRecommendation] = []
    seen_refs: dict[str, int] = {}
    current_rec: ParsedRecommendation | None = None
    current_action: ParsedAction | None = None
    outcome_ref, outcome_text = "", ""
    pending_heading = False

    def start_recommendation(number: int, text: str) -> None:
        nonlocal current_rec, current_action, outcome_ref, outcome_text
        match = AREA_TEXT.match(text)
        if not match:
            errors.append(
                RowError(number, "Area", f'"{text[:60]}" should start with its number, e.g. "1 …".')
            )
            return
        ref, title = match["ref"].replace(" ", ""), match["title"].strip()
        for rec in recommendations:
            if rec.ref == ref:
                current_rec = rec
                break
        else:
            current_rec = ParsedRecommendation(row=number, ref=ref, title=title)
            recommendations.append(current_rec)
        current_action, outcome_ref, outcome_text = None, "", ""

    for number, cells in rows[header_index + 1 :]:
        values = {key: cell(cells, key) for key in columns}
        first = clean_cell(cells[0]) if cells else ""
        non_empty = [key for key, value in values.items() if value]
        if not non_empty and not first:
            continue
        heading = AREA_HEADING.match(first)
        others_empty = all(not clean_cell(c) for c in cells[1:])
        if heading and others_empty:
            rest = heading["rest"].strip()
            if rest:
                start_recommendation(number, rest)
            else:
                pending_heading = True
            continue
        if pending_heading and others_empty:
            pending_heading = False
            start_recommendation(number, first)
            continue
        pending_heading = False
        area = values.get("area", "")
        if area and (current_rec is None or not _same_area(current_rec, area)):
            start_recommendation(number, area)
        ref = re.sub(r"\s+", " ", values["ref"]).strip()
        if current_rec is None:
            errors.append(
                RowError(
                    number,
                    "Ref",
                    "This row comes before any area for improvement: add an Area column or "
                    'a row "What needs to improve? 1 …" above it.',
                )
            )
            continue
        rag_action = _rag(values.get("action_rag", ""), number, "Action RAG", errors)
        rag_measure = _rag(values.get("measure_rag", ""), number, "Outcome Measure RAG", errors)
        target, tolerance = _target_tolerance(values, number, errors)
        timescale = parse_timescale(values["timescale"])
        if timescale.needs_review:
            warnings.append(
                RowError(
                    number, "Timescale", f'"{timescale.text}" kept as text: timescale needs review'
                )
            )
        measure = None
        if values["measure"]:
            measure = ParsedMeasure(
                row=number,
                text=values["measure"],
                timescale=timescale,
                rag=rag_measure,
                target=target,
                tolerance=tolerance,
            )
        elif rag_measure:
            errors.append(
                RowError(number, "Outcome Measure RAG", "A RAG is given but no outcome measure.")
            )
        if not ref:
            if values["actions"]:
                errors.append(RowError(number, "Ref", "This row has an action but no Ref."))
                continue
            if current_action is None:
                if values["outcome"] and not measure:
                    continue
                errors.append(
                    RowError(number, "Ref", "A continuation row with no action above it.")
                )
                continue
            if values["outcome"]:
                current_action.outcome_text = f"{current_action.outcome_text} {values['outcome']}"
            if measure:
                current_action.measures.append(measure)
            for owner in split_accountability(values["accountability"]):
                if owner not in current_action.owners:
                    current_action.owners.append(owner)
            continue
        if ref in seen_refs:
            errors.append(
                RowError(
                    number, "Ref", f'Ref "{ref}" is used twice (first in row {seen_refs[ref]}).'
                )
            )
            continue
        seen_refs[ref] = number
        if values["outcome"]:
            outcome_ref, outcome_text = ref, values["outcome"]
        owners = split_accountability(values["accountability"])
        if not owners and not values["actions"] and current_action is not None:
            # A sub-ref that only adds a measure ("1.1a") belongs to the action above.
            owners = list(current_action.owners)
        current_action = ParsedAction(
            row=number,
            ref=ref,
            outcome_ref=outcome_ref,
            outcome_text=outcome_text,
            text=values["actions"],
            why=values.get("why", ""),
            difference=values.get("difference", ""),
            lead=values.get("lead", ""),
            owners=owners,
            links=split_refs(values.get("links", "")),
            timescale=timescale,
            rag=rag_action,
            measures=[measure] if measure else [],
        )
        current_rec.actions.append(current_action)

    if not recommendations and not errors:
        errors.append(RowError(None, None, "The table has no areas for improvement or actions."))
    known_refs = {rec.ref for rec in recommendations}
    for rec in recommendations:
        for action in rec.actions:
            for link in action.links:
                if link not in known_refs:
                    errors.append(
                        RowError(
                            action.row,
                            "Links",
                            f'"{link}" is not an area for improvement in this table.',
                        )
                    )
    if errors:
        raise ImportFailed(errors)
    return ParsedPlan(recommendations=recommendations, warnings=warnings)


def _same_area(rec: ParsedRecommendation, area: str) -> bool:
    match = AREA_TEXT.match(area)
    return bool(match) and match["ref"].replace(" ", "") == rec.ref


def _rag(value: str, row: int, column: str, errors: list[RowError]) -> str:
    try:
        return parse_rag(value)
    except ParseError as error:
        errors.append(RowError(row, column, str(error)))
        return ""


def _target_tolerance(
    values: dict[str, str], row: int, errors: list[RowError]
) -> tuple[Decimal | None, Decimal | None]:
    found_target, found_tolerance = find_target_tolerance(values.get("measure", ""))
    result = []
    for key, fallback in (("target", found_target), ("tolerance", found_tolerance)):
        raw = values.get(key, "")
        try:
            parsed = parse_percent(raw)
        except ParseError as error:
            errors.append(RowError(row, COLUMNS[key], str(error)))
            parsed = None
        result.append(parsed if parsed is not None else fallback)
    return result[0], result[1]


def parse_file(data: bytes, filename: str) -> ParsedPlan:
    return parse_table(read_rows(data, filename))


# ---------------------------------------------------------------- writing


def _method_for(text: str) -> str:
    lowered = text.lower()
    if "dip sampl" in lowered or "dip-sampl" in lowered:
        return Measure.Method.DIP_SAMPLE
    if "audit" in lowered:
        return Measure.Method.AUDIT
    return Measure.Method.MILESTONE


class _Writer:
    """Applies a parsed plan to the database, counting what changed."""

    def __init__(self, plan: Plan, user, summary: ImportSummary):
        self.plan = plan
        self.user = user
        self.summary = summary
        self.owner_cache: dict[str, Owner] = {o.key: o for o in Owner.objects.all()}
        self.recs = {r.ref: r for r in plan.recommendations.all()}
        self.outcomes = {
            (o.recommendation_id, o.ref): o
            for o in Outcome.objects.filter(recommendation__plan=plan)
        }
        self.actions = {
            a.ref: a
            for a in actions_with_position(plan.actions.all()).prefetch_related("owners", "links")
        }
        self.measures: dict[int, list[Measure]] = {}
        for measure in measures_with_position(plan.measures.order_by("position", "pk")):
            self.measures.setdefault(measure.action_id, []).append(measure)
        self.period: ReportingPeriod | None = None

    def _save(self, obj, kind: str, created: bool, changed: bool) -> None:
        if created or changed:
            obj._history_user = self.user
            obj._change_reason = REASON
            obj.full_clean()
            obj.save()
        self.summary.count("created" if created else "updated" if changed else "unchanged", kind)

    @staticmethod
    def _assign(obj, values: dict) -> bool:
        changed = False
        for name, value in values.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                changed = True
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
        changed = self._assign(rec, {"title": parsed.title, "position": position})
        self._save(rec, "recommendations", created, changed)
        return rec

    def outcome(self, rec: Recommendation, parsed: ParsedAction, position: int) -> Outcome | None:
        if not parsed.outcome_text:
            return None
        key = (rec.pk, parsed.outcome_ref)
        outcome = self.outcomes.get(key)
        if outcome is not None and getattr(outcome, "_seen", False):
            return outcome  # a later action under the same outcome
        created = outcome is None
        if created:
            outcome = Outcome(recommendation=rec, ref=parsed.outcome_ref)
            self.outcomes[key] = outcome
        changed = self._assign(outcome, {"text": parsed.outcome_text, "position": position})
        self._save(outcome, "outcomes", created, changed)
        outcome._seen = True
        return outcome

    def action(
        self, rec: Recommendation, outcome: Outcome | None, parsed: ParsedAction, position: int
    ) -> Action:
        action = self.actions.get(parsed.ref)
        created = action is None
        timescale = parsed.timescale
        milestones = [d.isoformat() for d in timescale.milestones]
        for measure in parsed.measures[1:]:
            milestones += [d.isoformat() for d in measure.timescale.milestones]
        values = {
            "recommendation": rec,
            "outcome": outcome,
            "position": position,
            "text": parsed.text,
            "why": parsed.why,
            "difference": parsed.difference,
            "lead": parsed.lead,
            "timescale_text": timescale.text,
            "timescale_needs_review": timescale.needs_review,
            "start_date": timescale.start,
            "milestones": milestones,
        }
        revision = None
        if created:
            action = Action(plan=self.plan, ref=parsed.ref, recommendation=rec)
            if timescale.slipped_from and timescale.due:
                action.due_date = timescale.slipped_from
                revision = timescale.due
            else:
                action.due_date = timescale.due
            self.actions[parsed.ref] = action
        elif timescale.due and timescale.due != action.due_date:
            revision = timescale.due
        changed = self._assign(action, values)
        if changed and not created:
            action.version += 1
        self._save(action, "actions", created, changed)
        if revision:
            self._revise(action, revision, timescale)
        owners = [self.owner(name) for name in parsed.owners]
        if created or {o.pk for o in owners} != {o.pk for o in action.owners.all()}:
            action._history_user, action._change_reason = self.user, REASON
            action.owners.set(owners)
            if not created and not changed:
                self.summary.count("updated", "actions")
                self.summary.unchanged["actions"] -= 1
        links = [self.recs[ref] for ref in parsed.links]
        if {r.pk for r in links} != {r.pk for r in action.links.all()}:
            action._history_user, action._change_reason = self.user, REASON
            action.links.set(links)
        if parsed.rag and parsed.rag != (getattr(action, "current_rag", None) or ""):
            self._rate(action, parsed.rag)
        for index, measure in enumerate(parsed.measures):
            self.measure(action, measure, index)
        return action

    def _revise(self, action: Action, new_date: dt.date, timescale: Timescale) -> None:
        reason = (
            f"slipped from {timescale.slipped_from:%B %Y} (as recorded in the imported plan)"
            if timescale.slipped_from
            else f'timescale changed to "{timescale.text}" on import'
        )
        revision = DueDateRevision(
            action=action,
            old_date=action.due_date,
            new_date=new_date,
            reason=reason,
            created_by=self.user if getattr(self.user, "is_authenticated", False) else None,
        )
        revision._history_user, revision._change_reason = self.user, REASON
        revision.save()
        action.due_date = new_date
        action.version += 1
        action._history_user, action._change_reason = self.user, f"{REASON}: {reason}"
        action.save()

    def measure(self, action: Action, parsed: ParsedMeasure, position: int) -> None:
        existing = self.measures.get(action.pk, [])
        measure = existing[position] if position < len(existing) else None
        created = measure is None
        if created:
            measure = Measure(plan=self.plan, action=action)
        values = {
            "position": position,
            "text": parsed.text,
            "timescale_text": parsed.timescale.text,
            "due_date": parsed.timescale.due,
            "target": parsed.target,
            "tolerance": parsed.tolerance,
        }
        if created:
            values["method"] = _method_for(parsed.text)
        changed = self._assign(measure, values)
        if changed and not created:
            measure.version += 1
        self._save(measure, "measures", created, changed)
        if parsed.rag and parsed.rag != (getattr(measure, "current_rag", None) or ""):
            self._rate(measure, parsed.rag)

    def _rate(self, item, rag: str) -> None:
        if self.period is None:
            self.period = services.open_period(self.plan) or self._import_period()
        services.rating_record(
            item=item,
            rag=rag,
            user=self.user,
            commentary="Position as given in the imported plan.",
            period=self.period,
            confirmed=True,
            reason=REASON,
        )
        self.summary.count("created", "ratings")

    def _import_period(self) -> ReportingPeriod:
        """A plan imported with RAGs but no open period gets one, dated today, so that
        the ratings have a dated position to belong to."""
        today = timezone.localdate()
        period = ReportingPeriod(
            plan=self.plan,
            label=f"As of {today:%-d %B %Y}",
            start=today,
            end=today,
            state=ReportingPeriod.State.OPEN,
        )
        period._history_user, period._change_reason = self.user, REASON
        period.save()
        return period


def apply_import(
    parsed: ParsedPlan,
    *,
    plan: Plan | None = None,
    title: str = "",
    user=None,
    dry_run: bool = False,
) -> ImportSummary:
    """Write a parsed table into `plan`, or into a new plan called `title` (created only
    if the import succeeds). One transaction: any error leaves nothing behind; a dry run
    does everything and then rolls back, so its counts are exact."""
    summary = ImportSummary(plan=None, warnings=list(parsed.warnings), dry_run=dry_run)
    try:
        with transaction.atomic():
            if plan is None:
                if not title.strip():
                    raise ImportFailed([RowError(None, None, "Name the plan to import into.")])
                plan = Plan(title=title.strip(), slug=_unique_slug(title))
                plan._history_user, plan._change_reason = user, REASON
                plan.full_clean()
                plan.save()
            summary.plan = plan
            writer = _Writer(plan, user, summary)
            for rec_position, parsed_rec in enumerate(parsed.recommendations):
                rec = writer.recommendation(parsed_rec, rec_position)
                for position, parsed_action in enumerate(parsed_rec.actions):
                    outcome = writer.outcome(rec, parsed_action, position)
                    writer.action(rec, outcome, parsed_action, position)
            if dry_run:
                transaction.set_rollback(True)
    except ValidationError as error:
        raise ImportFailed([RowError(None, None, "; ".join(error.messages))]) from error
    return summary


def _unique_slug(title: str) -> str:
    base = slugify(title)[:70] or "plan"
    slug, n = base, 2
    while Plan.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def find_plan(name: str) -> Plan | None:
    """A plan by its slug or its exact title."""
    return Plan.objects.filter(slug=name).first() or Plan.objects.filter(title=name).first()


def import_file(
    data: bytes,
    filename: str,
    *,
    plan_name: str,
    user=None,
    dry_run: bool = False,
) -> ImportSummary:
    """Parse and apply in one call: what the command and the admin's confirm step do."""
    parsed = parse_file(data, filename)
    plan = find_plan(plan_name)
    return apply_import(parsed, plan=plan, title=plan_name, user=user, dry_run=dry_run)

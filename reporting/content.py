"""What a committee report says about its plan, read from the period's frozen positions.

Everything here is as of the report's period: confirmed ratings from that period and
earlier (a later period's ratings never count), dip samples and performance figures
dated on or before the period's end, and due dates as they stood when the period closed.
Rendering the Q2 report again after Q3 has moved on therefore gives the same content.
The plan's structure (wording of actions, owners) is read as it is now, so corrections
of wording appear in a re-rendered report.

The whole content is read with a fixed number of queries, whatever the size of the plan:
the page and the PDF for 1,000 actions cost the same number of round trips as for ten.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Prefetch, Subquery
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from audits.models import DipSample, MeasureValue
from core import charts
from plans import movement, positions, rules, selectors
from plans.models import (
    RAG,
    Action,
    DueDateRevision,
    Measure,
    Plan,
    Position,
    RagCriterion,
    Rating,
    ReportingPeriod,
)
from reporting import appendices
from reporting.models import CommitteeReport
from reporting.template import COUNCIL_TEMPLATE, GENERATED_UNDER, NOT_APPLICABLE

# How many periods the trend chart compares, ending with the report's own: members
# compare "November vs March vs July", not the whole history.
TREND_PERIODS = 4

# Movement columns of the progress summary, in the order the committee reads them.
DIRECTIONS = tuple(
    str(d)
    for d in (
        movement.Direction.IMPROVED,
        movement.Direction.COMPLETED,
        movement.Direction.WORSENED,
        movement.Direction.UNCHANGED,
        movement.Direction.NEW,
    )
)

_NUMBERED = re.compile(r"^\d+(\.\d+)+\.?\s")


@dataclass
class Paragraph:
    """A paragraph of the clerk's narrative, numbered "4.2" unless it carries a number.
    `missing` marks the placeholder for a section nobody has written yet."""

    number: str
    text: str
    missing: bool = False


@dataclass
class Block:
    """Part of a section: its own sub-heading (10's "Legal Implications") if any, and
    its paragraphs."""

    heading: str
    paragraphs: list[Paragraph]


@dataclass
class Section:
    """One of the council's numbered sections, as printed. Section 4 also carries the
    three sections the plan's data fills (`generated`); section 3 is the timescales
    table (`timescales`)."""

    number: int
    key: str
    heading: str
    lead: str = ""
    blocks: list[Block] = field(default_factory=list)
    generated: tuple[tuple[str, str], ...] = ()
    timescales: tuple[tuple[str, str], ...] = ()

    @property
    def paragraphs(self) -> list[Paragraph]:
        return [p for block in self.blocks for p in block.paragraphs]


@dataclass
class MeasureRow:
    measure: Measure
    number: int  # 1-based position under its action, to pair text with its RAG
    rag: str
    commentary: str
    updated_in_period: bool
    last_updated: str
    results: list[tuple[dt.date, float]]
    mitigation: str = ""
    national: Decimal | None = None
    neighbours: Decimal | None = None
    direction: str = ""
    chart: SafeString | str = ""
    # A rating other than the evidence gave: what it gave, and the written reason.
    suggested_rag: str = ""
    override_reason: str = ""

    @property
    def latest(self) -> tuple[dt.date, float] | None:
        return self.results[-1] if self.results else None

    @property
    def has_figures(self) -> bool:
        """A result, or a comparator, to set against the target."""
        return bool(self.results) or self.national is not None or self.neighbours is not None


@dataclass
class ActionRow:
    action: Action
    rag: str
    commentary: str
    updated_in_period: bool
    last_updated: str
    owners: str
    due: dt.date | None
    slipped: bool  # due date moved beyond the one first agreed
    overdue: bool  # open at the period's end with its due date passed
    complete: bool
    show_outcome: bool
    measures: list[MeasureRow] = field(default_factory=list)
    remedial: list = field(default_factory=list)
    direction: str = ""


@dataclass
class FacetPosition:
    """A recommendation's own rating: outcome required, impact for children, or
    actions completed (plans written the 2015 way)."""

    subject: str  # Rating.Subject value: "outcome", "impact" or "progress"
    label: str
    rag: str
    previous_rag: str | None


@dataclass
class AreaSummary:
    """One recommendation (area for improvement) and its counts."""

    recommendation: object
    actions: list[ActionRow]
    action_counts: dict[str, int]
    measure_counts: dict[str, int]
    movement: dict[str, int]  # Direction value -> count, actions and measures
    facets: list[FacetPosition] = field(default_factory=list)

    @property
    def action_cells(self) -> list[int]:
        return [self.action_counts[key] for key in charts.RAG_ORDER]

    @property
    def measure_cells(self) -> list[int]:
        return [self.measure_counts[key] for key in charts.RAG_ORDER]

    @property
    def movement_cells(self) -> list[int]:
        return [self.movement[kind] for kind in DIRECTIONS]


@dataclass
class Exception_:
    """A Red or Amber item, with whether its due date slipped or passed, and what is
    being done about it."""

    kind: str  # "action" or "measure"
    ref: str
    text: str
    rag: str
    commentary: str
    owners: str
    slipped: bool
    overdue: bool
    baseline: dt.date | None
    due: dt.date | None
    remedial: list
    recommendation_ref: str
    suggested_rag: str = ""
    override_reason: str = ""


@dataclass
class ReportContent:
    report: CommitteeReport
    plan: Plan
    period: ReportingPeriod
    previous_period: ReportingPeriod | None
    generated_at: dt.datetime
    sections: list[Section]
    areas: list[AreaSummary]
    totals: dict[str, dict[str, int]]
    movement_totals: dict[str, int]
    exceptions: list[Exception_]
    not_updated: list[ActionRow | MeasureRow]  # rated before, not updated this period
    never_rated: list[tuple[object, list[str]]]  # (recommendation, refs) with no rating yet
    measures: list[MeasureRow]
    measures_without_figures: int  # measures with a target but nothing recorded against it
    # Proposed ratings in the period, not counted: still awaiting a QA lead's or
    # administrator's confirmation, or, once the period closed, never confirmed.
    awaiting_confirmation: int
    criteria: dict[str, list[RagCriterion]]
    facet_labels: list[str]
    directions: tuple[str, ...]
    rag_keys: tuple[str, ...]
    action_chart: SafeString | str
    measure_chart: SafeString | str
    trend_chart: SafeString | str
    overdue_as_of: dt.date  # `plans.rules.overdue_as_of`: the period's end once ended

    @property
    def total_action_cells(self) -> list[int]:
        return [self.totals["actions"][key] for key in charts.RAG_ORDER]

    @property
    def total_measure_cells(self) -> list[int]:
        return [self.totals["measures"][key] for key in charts.RAG_ORDER]

    @property
    def total_movement_cells(self) -> list[int]:
        return [self.movement_totals[kind] for kind in DIRECTIONS]


def _frozen_at(period: ReportingPeriod) -> dt.datetime | None:
    """When the period was last closed, by the clock (from its history), or None while
    it is open. `closed_at` can be backdated to the period's end (imports of historical
    positions do that), but a due-date revision or remedial action recorded before the
    period was actually closed belongs to it."""
    if not period.is_closed:
        return None
    closed_since = None
    for state, when in period.history.order_by("history_date", "history_id").values_list(
        "state", "history_date"
    ):
        if state != ReportingPeriod.State.CLOSED:
            closed_since = None
        elif closed_since is None:
            closed_since = when
    return closed_since or period.closed_at


def narrative_paragraphs(text: str, section_number: int, first: int = 1) -> list[Paragraph]:
    """The clerk's plain text split at blank lines; single line breaks stay in the text
    (the template keeps them with white-space: pre-line).

    A text that numbers any of its paragraphs itself ("4.5.1 Whilst…") keeps its own
    numbering exactly, its other paragraphs continuing the one before, as council
    reports print them. Otherwise each paragraph is numbered from
    `section_number`.`first`: a section's later parts continue it (10.1, 10.2, 10.3)."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
    blocks = [block for block in blocks if block]
    if any(_NUMBERED.match(block) for block in blocks):
        paragraphs = []
        for block in blocks:
            own = _NUMBERED.match(block)
            number = own.group(0).strip().rstrip(".") if own else ""
            paragraphs.append(Paragraph(number=number, text=block[own.end() :] if own else block))
        return paragraphs
    return [
        Paragraph(number=f"{section_number}.{count}", text=block)
        for count, block in enumerate(blocks, start=first)
    ]


def _last_number(paragraphs: list[Paragraph], section_number: int, count: int) -> int:
    """The highest paragraph number of the section so far, written or given."""
    for paragraph in paragraphs:
        parts = paragraph.number.split(".")
        if len(parts) >= 2 and parts[0] == str(section_number) and parts[1].isdigit():
            count = max(count, int(parts[1]))
    return count


def periods_up_to(period: ReportingPeriod) -> list[ReportingPeriod]:
    return list(
        ReportingPeriod.objects.filter(plan_id=period.plan_id, end__lte=period.end).order_by("end")
    )


def _rag_counts(rags) -> dict[str, int]:
    counts = dict.fromkeys(RAG.values, 0)
    for rag in rags:
        counts[rag or ""] += 1
    return counts


def _chart_counts(counts: dict[str, int]) -> dict[str, int]:
    return {key: counts.get(key, 0) for key in charts.RAG_ORDER}


def _position_annotations(key: str, period: ReportingPeriod) -> dict:
    """The confirmed position's commentary, and when the item was last updated (a
    rating of its own rather than one carried forward), read from `plans.Position`.

    A period's row holds a confirmed rating of the item's own exactly when its
    confirmed position is a rating of that period that was not carried forward:
    closing carries a position forward only into a period with no confirmed rating of
    the item's own, and nothing is confirmed in a closed period. So the last update up
    to the period is in the newest such row, and "updated in the period" is the
    period's own row saying so."""
    own = Position.objects.filter(
        confirmed_period_id=F("period_id"), confirmed_carried_forward=False, **{key: OuterRef("pk")}
    )
    return {
        "current_commentary": selectors.position_value(
            key, "commentary", period=period, confirmed_only=True
        ),
        "last_updated_label": Subquery(
            own.filter(period__plan_id=period.plan_id, period__end__lte=period.end)
            .order_by("-period__end")
            .values("period__label")[:1]
        ),
        "updated_in_period": Exists(own.filter(period_id=period.pk)),
    }


def _due_as_of(action: Action, cutoff: dt.datetime | None) -> dt.date | None:
    """The due date as it stood at `cutoff`: a revision made later is undone."""
    if cutoff is None:
        return action.due_date
    for revision in action.revisions.all():  # oldest first
        if revision.created > cutoff:
            return revision.old_date
    return action.due_date


def _owners_text(action: Action) -> str:
    posts = [owner.post for owner in action.owners.all()]
    return "; ".join(posts) if posts else action.lead


def _results(measure_id: int, samples: dict, values: dict) -> list[tuple[dt.date, float]]:
    points = [(s.sampled_on, float(s.result)) for s in samples.get(measure_id, ())]
    points += [(v.as_of, float(v.value)) for v in values.get(measure_id, ())]
    points.sort(key=lambda point: point[0])
    return points


def _measure_chart(row: MeasureRow) -> SafeString | str:
    measure = row.measure
    if not row.results:
        return ""
    target = None if measure.target is None else float(measure.target)
    tolerance = None if measure.tolerance is None else float(measure.tolerance)
    unit = measure.unit or ""
    y_max = 100.0
    if unit != "%":
        highest = max([value for _, value in row.results] + [target or 0])
        y_max = max(1.0, highest * 1.15)
    svg = charts.measure_trend(
        row.results,
        title=f"{measure.action.ref}: {measure.text[:90]}",
        target=target,
        tolerance=tolerance,
        higher_is_better=measure.higher_is_better,
        unit=unit if unit == "%" else f" {unit}" if unit else "",
        y_max=y_max,
        width=340,
        height=150,
    )
    # charts.py escapes every piece of caller text it writes into the SVG.
    return mark_safe(svg)  # noqa: S308


def report_content(
    report: CommitteeReport, *, generated_at: dt.datetime, period: ReportingPeriod | None = None
) -> ReportContent:
    """Everything the report template shows, as of the report's period."""
    plan = report.plan
    period = period or report.period
    history = periods_up_to(period)
    earlier = [p for p in history if p.end < period.end]
    previous = earlier[-1] if earlier else None
    cutoff = _frozen_at(period)
    as_of = rules.overdue_as_of(period, today=timezone.localdate(generated_at))
    labels = {key: plan.rag_label(key) for key in RAG.values}

    actions = _report_actions(plan, period)
    measures = _report_measures(plan, period)
    samples, values = _figures_by_measure(plan, period)
    then, now, directions = _movement(plan, previous, period)
    measure_rows = _measure_rows(measures, samples, values, directions)
    rows_by_rec = _action_rows(
        actions, measure_rows, directions, period=period, cutoff=cutoff, as_of=as_of
    )
    facet_labels, facets = _facet_positions(then, now)
    areas = _areas(plan, period, rows_by_rec, facets)

    all_rows = [row for area in areas for row in area.actions]
    all_measures = [m for row in all_rows for m in row.measures]
    totals = {
        "actions": _rag_counts(row.rag for row in all_rows),
        "measures": _rag_counts(m.rag for m in all_measures),
    }
    movement_totals = {kind: sum(area.movement[kind] for area in areas) for kind in DIRECTIONS}

    exceptions = _exceptions(areas, cutoff)
    not_updated, never_rated = _not_updated(all_rows)
    criteria: dict[str, list[RagCriterion]] = {"action": [], "outcome": []}
    for criterion in plan.rag_criteria.all():
        criteria.setdefault(criterion.kind, []).append(criterion)

    return ReportContent(
        report=report,
        plan=plan,
        period=period,
        previous_period=previous,
        generated_at=generated_at,
        sections=report_sections(report),
        areas=areas,
        totals=totals,
        movement_totals=movement_totals,
        exceptions=exceptions,
        not_updated=not_updated,
        never_rated=[
            (area.recommendation, never_rated[area.recommendation.pk])
            for area in areas
            if never_rated.get(area.recommendation.pk)
        ],
        measures=[m for m in all_measures if m.has_figures],
        measures_without_figures=sum(
            1 for m in all_measures if not m.has_figures and m.measure.target is not None
        ),
        awaiting_confirmation=Rating.objects.filter(
            period=period, status=Rating.Status.PROPOSED
        ).count(),
        criteria=criteria,
        facet_labels=facet_labels,
        directions=DIRECTIONS,
        rag_keys=tuple(charts.RAG_ORDER),
        action_chart=_area_chart(areas, "action_counts", "Action RAG by area", labels),
        measure_chart=(
            _area_chart(areas, "measure_counts", "Outcome measure RAG by area", labels)
            if sum(totals["measures"].values())
            else ""
        ),
        trend_chart=_trend_chart(plan, history, labels),
        overdue_as_of=as_of,
    )


def _report_actions(plan, period: ReportingPeriod) -> list[Action]:
    """The plan's actions in report order, with their confirmed position in the period."""
    return list(
        selectors.actions_with_position(
            Action.objects.filter(plan=plan)
            .select_related("outcome", "recommendation")
            .prefetch_related(
                "owners",
                Prefetch(
                    "revisions",
                    queryset=DueDateRevision.objects.order_by("created", "pk"),
                ),
                "remedial_actions",
            ),
            period=period,
            confirmed_only=True,
        )
        .annotate(**_position_annotations("action", period))
        .order_by("recommendation__position", "recommendation__pk", "position", "pk")
    )


def _report_measures(plan, period: ReportingPeriod) -> list[Measure]:
    """The plan's measures by action, with their confirmed position and override."""
    return list(
        selectors.measures_with_position(
            Measure.objects.filter(plan=plan).select_related("action"),
            period=period,
            confirmed_only=True,
        )
        .annotate(
            **_position_annotations("measure", period),
            **selectors.override_annotations("measure", period=period, confirmed_only=True),
        )
        .order_by("action_id", "position", "pk")
    )


def _figures_by_measure(
    plan, period: ReportingPeriod
) -> tuple[dict[int, list[DipSample]], dict[int, list[MeasureValue]]]:
    """Each measure's dip samples and values up to the period's end, oldest first."""
    samples: dict[int, list[DipSample]] = defaultdict(list)
    for sample in DipSample.objects.filter(measure__plan=plan, sampled_on__lte=period.end).order_by(
        "sampled_on", "pk"
    ):
        samples[sample.measure_id].append(sample)
    values: dict[int, list[MeasureValue]] = defaultdict(list)
    for value in MeasureValue.objects.filter(measure__plan=plan, as_of__lte=period.end).order_by(
        "as_of", "pk"
    ):
        values[value.measure_id].append(value)
    return samples, values


def _movement(plan, previous: ReportingPeriod | None, period: ReportingPeriod):
    """The positions then (None without a previous period) and now, and each rated
    item's direction between them keyed by (kind, pk)."""
    # The positions then and now, as `plans.movement.movement` compares them; read directly,
    # since the report needs neither its ordered items nor their links (2,000 URLs
    # reversed at 1,000 actions).
    if previous is not None:
        then, now = movement.positions_by_period(plan, [previous, period])
    else:
        then, now = None, movement.positions_as_of(plan, period)
    directions: dict[tuple[str, int], str] = {}
    if then is not None:
        # An item not rated then nor now has not moved, but counting it as "unchanged"
        # would tell the committee nothing: it is left out of the movement counts.
        for key in then.keys() | now.keys():
            then_rag, now_rag = _rag_of(then.get(key)), _rag_of(now.get(key))
            if then_rag or now_rag:
                directions[key] = str(movement.direction(then_rag, now_rag))
    return then, now, directions


def _measure_rows(
    measures: list[Measure],
    samples: dict[int, list[DipSample]],
    values: dict[int, list[MeasureValue]],
    directions: dict[tuple[str, int], str],
) -> dict[int, list[MeasureRow]]:
    """The measures' report rows, with their chart, keyed by action id."""
    measure_rows: dict[int, list[MeasureRow]] = defaultdict(list)
    for measure in measures:
        results = _results(measure.pk, samples, values)
        latest_value = values[measure.pk][-1] if values.get(measure.pk) else None
        latest_sample = samples[measure.pk][-1] if samples.get(measure.pk) else None
        row = MeasureRow(
            measure=measure,
            number=len(measure_rows[measure.action_id]) + 1,
            rag=measure.current_rag or "",
            commentary=measure.current_commentary or "",
            updated_in_period=measure.updated_in_period,
            last_updated=measure.last_updated_label or "",
            results=results,
            mitigation=latest_sample.mitigation if latest_sample else "",
            national=(
                latest_value.national_average
                if latest_value and latest_value.national_average is not None
                else measure.national_average
            ),
            neighbours=(
                latest_value.statistical_neighbours
                if latest_value and latest_value.statistical_neighbours is not None
                else measure.statistical_neighbours
            ),
            direction=directions.get(("measure", measure.pk), ""),
            suggested_rag=measure.current_suggested_rag or "",
            override_reason=measure.current_override_reason or "",
        )
        row.chart = _measure_chart(row)
        measure_rows[measure.action_id].append(row)
    return measure_rows


def _action_rows(
    actions: list[Action],
    measure_rows: dict[int, list[MeasureRow]],
    directions: dict[tuple[str, int], str],
    *,
    period: ReportingPeriod,
    cutoff: dt.datetime | None,
    as_of: dt.date,
) -> dict[int, list[ActionRow]]:
    """The actions' report rows, with their measures' rows, keyed by recommendation id."""
    rows_by_rec: dict[int, list[ActionRow]] = defaultdict(list)
    last_outcome: dict[int, int | None] = {}
    for action in actions:
        due = _due_as_of(action, cutoff)
        rag = action.current_rag or ""
        complete = rag == RAG.BLUE or bool(
            action.status == Action.Status.COMPLETE
            and action.completed_on
            and action.completed_on <= period.end
        )
        rec_id = action.recommendation_id
        show_outcome = bool(action.outcome_id) and last_outcome.get(rec_id) != action.outcome_id
        last_outcome[rec_id] = action.outcome_id
        rows_by_rec[rec_id].append(
            ActionRow(
                action=action,
                rag=rag,
                commentary=action.current_commentary or "",
                updated_in_period=action.updated_in_period,
                last_updated=action.last_updated_label or "",
                owners=_owners_text(action),
                due=due,
                slipped=bool(
                    not complete
                    and due
                    and action.baseline_due_date
                    and due > action.baseline_due_date
                ),
                # A row with no action text only carries a measure: no date of its own.
                overdue=bool(action.text.strip() and not complete and due and due < as_of),
                complete=complete,
                show_outcome=show_outcome,
                measures=measure_rows.get(action.pk, []),
                remedial=[
                    r
                    for r in action.remedial_actions.all()
                    if cutoff is None or r.created <= cutoff
                ],
                direction=directions.get(("action", action.pk), ""),
            )
        )
    return rows_by_rec


def _areas(
    plan, period: ReportingPeriod, rows_by_rec: dict[int, list[ActionRow]], facets: dict
) -> list[AreaSummary]:
    """One summary per recommendation (area), in plan order, with its rows and counts."""
    areas = []
    facet_comments = {
        f"{facet}_commentary": selectors.position_value(
            "recommendation", "commentary", period=period, confirmed_only=True, subject=facet
        )
        for facet in positions.FACETS
    }
    recommendations = (
        plan.recommendations.annotate(**facet_comments)
        .prefetch_related("remedial_actions")
        .order_by("position", "pk")
    )
    for recommendation in recommendations:
        rows = rows_by_rec.get(recommendation.pk, [])
        area_measures = [m for row in rows for m in row.measures]
        moves = [row.direction for row in rows] + [m.direction for m in area_measures]
        areas.append(
            AreaSummary(
                recommendation=recommendation,
                actions=rows,
                action_counts=_rag_counts(row.rag for row in rows),
                measure_counts=_rag_counts(m.rag for m in area_measures),
                movement={kind: moves.count(kind) for kind in DIRECTIONS},
                facets=facets.get(recommendation.pk, []),
            )
        )
    return areas


def _not_updated(
    all_rows: list[ActionRow],
) -> tuple[list[ActionRow | MeasureRow], dict[int, list[str]]]:
    """Items not updated in the period: those rated before, and the references of those
    never rated keyed by recommendation id."""
    not_updated: list[ActionRow | MeasureRow] = []
    never_rated: dict[int, list[str]] = defaultdict(list)
    for row in all_rows:
        # A row with no action text only carries an outcome measure: nothing to update.
        items = ([row] if row.action.text.strip() and not row.complete else []) + [
            m for m in row.measures if m.rag != RAG.BLUE
        ]
        for item in items:
            if item.updated_in_period:
                continue
            if item.last_updated:
                not_updated.append(item)
            else:
                ref = row.action.ref if item is row else f"{row.action.ref} M{item.number}"
                never_rated[row.action.recommendation_id].append(ref)
    return not_updated, never_rated


def _rag_of(position: movement.Position | None) -> str:
    return position.rag if position else ""


def _facet_positions(
    then: dict[positions.ItemKey, movement.Position] | None,
    now: dict[positions.ItemKey, movement.Position],
) -> tuple[list[str], dict[int, list[FacetPosition]]]:
    """The recommendation facets the plan rates (outcome required, impact for children,
    actions completed), and per recommendation its position in each, now and, where
    there was a previous period (`then`), last time."""
    facet_kinds = {str(facet) for facet in positions.FACETS}
    found = {
        key: (_rag_of(now.get(key)), None if then is None else _rag_of(then.get(key)))
        for key in (now.keys() | (then or {}).keys())
        if key[0] in facet_kinds
    }
    used = [facet for facet in positions.FACETS if any(kind == facet for kind, _ in found)]
    result: dict[int, list[FacetPosition]] = defaultdict(list)
    for rec_id in sorted({pk for _, pk in found}):
        for facet in used:
            rag, previous_rag = found.get((str(facet), rec_id), ("", None if then is None else ""))
            result[rec_id].append(
                FacetPosition(
                    subject=str(facet), label=facet.label, rag=rag, previous_rag=previous_rag
                )
            )
    return [facet.label for facet in used], result


EXCEPTION_RAGS = (RAG.RED, RAG.AMBER)


def _exceptions(areas: list[AreaSummary], cutoff: dt.datetime | None) -> list[Exception_]:
    found = []
    for area in areas:
        found.extend(_facet_exceptions(area, cutoff))
        found.extend(_item_exceptions(area.actions))
    return found


def _facet_exceptions(area: AreaSummary, cutoff: dt.datetime | None) -> list[Exception_]:
    recommendation = area.recommendation
    remedial = [
        r
        for r in recommendation.remedial_actions.all()
        if r.action_id is None and (cutoff is None or r.created <= cutoff)
    ]
    found = []
    for position in area.facets:
        if position.rag not in EXCEPTION_RAGS:
            continue
        found.append(
            Exception_(
                kind="recommendation",
                ref=recommendation.ref,
                text=f"{position.label}: {recommendation.title}",
                rag=position.rag,
                commentary=getattr(recommendation, f"{position.subject}_commentary") or "",
                owners="",
                slipped=False,
                overdue=False,
                baseline=None,
                due=None,
                remedial=remedial,
                recommendation_ref=recommendation.ref,
            )
        )
    return found


def _item_exceptions(rows: list[ActionRow]) -> list[Exception_]:
    found = []
    for row in rows:
        action = row.action
        # Only what the plan's owners say is off track: a Green or Blue item whose date
        # slipped or passed is on track by their rating, and an item never rated is listed
        # under "Not yet rated". Slipped and overdue are shown on the Red and Amber items.
        if row.rag in EXCEPTION_RAGS:
            found.append(
                Exception_(
                    kind="action",
                    ref=action.ref,
                    text=action.text,
                    rag=row.rag,
                    commentary=row.commentary,
                    owners=row.owners,
                    slipped=row.slipped,
                    overdue=row.overdue,
                    baseline=action.baseline_due_date,
                    due=row.due,
                    remedial=row.remedial,
                    recommendation_ref=action.recommendation.ref,
                )
            )
        for measure in row.measures:
            if measure.rag in EXCEPTION_RAGS:
                commentary = measure.commentary
                if measure.mitigation and measure.mitigation not in commentary:
                    commentary = "\n".join(
                        filter(None, [commentary, f"Mitigation: {measure.mitigation}"])
                    )
                found.append(
                    Exception_(
                        kind="measure",
                        ref=action.ref,
                        text=measure.measure.text,
                        rag=measure.rag,
                        commentary=commentary,
                        owners=row.owners,
                        slipped=False,
                        overdue=False,
                        baseline=None,
                        due=measure.measure.due_date,
                        remedial=[],
                        recommendation_ref=action.recommendation.ref,
                        suggested_rag=measure.suggested_rag,
                        override_reason=measure.override_reason,
                    )
                )
    return found


def _area_chart(areas, attribute: str, title: str, labels: dict) -> SafeString:
    rows = [
        (
            f"{area.recommendation.ref}. {area.recommendation.title}",
            _chart_counts(getattr(area, attribute)),
        )
        for area in areas
    ]
    return mark_safe(charts.rag_stacked_bars(rows, title=title, labels=labels, width=660))  # noqa: S308


def _trend_chart(plan: Plan, history: list[ReportingPeriod], labels: dict) -> SafeString | str:
    shown = history[-TREND_PERIODS:]
    if len(shown) < 2:
        return ""
    counts = [
        (p.label, _chart_counts(selectors.plan_rollup(plan, period=p)["plan"]["actions"]))
        for p in shown
    ]
    return mark_safe(  # noqa: S308
        charts.rag_trend(counts, title="Action RAG by period", labels=labels, width=660)
    )


GENERATED_SECTIONS = (
    ("progress", "Progress against the action plan"),
    ("exceptions", "Exceptions: red, amber and slipped items"),
    ("measures", "Outcome measures and performance"),
)
NOT_YET_WRITTEN = "Not yet written."


def _yes_no(value: bool) -> str:
    return "YES" if value else "NO"


def report_sections(report: CommitteeReport) -> list[Section]:
    """The council's twelve sections in its order and numbering (reporting.template),
    each printed whether written or not: a part marked not applicable prints "N/A" as
    the council prints it, a required part nobody wrote a visible "Not yet written."
    The sections the plan's data fills follow the clerk's paragraphs in section 4."""
    marked = set(report.not_applicable or [])
    sections = []
    for template in COUNCIL_TEMPLATE:
        section = Section(
            number=template.number,
            key=template.key,
            heading=template.heading,
            lead=template.lead,
        )
        if template.key == "timescales":
            cabinet = report.cabinet_date
            section.timescales = (
                ("Is this a Major Policy Item/Statutory Plan?", _yes_no(report.major_policy_item)),
                (
                    "If yes, date for Cabinet meeting",
                    f"{cabinet:%-d %B %Y}" if cabinet else NOT_APPLICABLE,
                ),
            )
        if template.key == GENERATED_UNDER:
            section.generated = GENERATED_SECTIONS
        count = 0
        listing = appendices.listed(report) if template.key == "appendices" else []
        if listing:
            section.blocks.append(
                Block(
                    heading="",
                    paragraphs=[
                        Paragraph(f"{template.number}.{n}", f"Appendix {a.label} – {a.title}")
                        for n, a in enumerate(listing, start=1)
                    ],
                )
            )
            count = len(listing)
        for part in template.parts:
            text = getattr(report, part.field).strip()
            if part.field in marked:
                count += 1
                paragraphs = [Paragraph(f"{template.number}.{count}", NOT_APPLICABLE)]
            elif text:
                paragraphs = narrative_paragraphs(text, template.number, first=count + 1)
                count = max([count, *(int(p.number.split(".")[1]) for p in paragraphs if p.number)])
            elif part.optional or listing:
                continue
            else:
                count += 1
                paragraphs = [
                    Paragraph(f"{template.number}.{count}", NOT_YET_WRITTEN, missing=True)
                ]
            section.blocks.append(Block(heading=part.heading, paragraphs=paragraphs))
        sections.append(section)
    return sections

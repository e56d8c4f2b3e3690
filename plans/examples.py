"""Load the two real example plans from fixtures/, through the same services the app uses.

- `ilacs-2024`: the 2024 ILACS action plan, imported by our own importer from
  fixtures/ilacs-2024/plan.csv, with financial-quarter periods and ILLUSTRATIVE ratings
  (fixtures/ilacs-2024/illustrative-ratings.json) based on the November 2024 scrutiny
  report. The published plan gives no ratings of its own.
- `ofsted-2015`: the 2015 plan as tracked over time: four dated positions with the RAG
  the document gives for outcome required, impact for children and actions completed,
  future actions with their leads, due dates and slippage, and remedial actions.

Loading is idempotent: a plan that already exists is left as it is.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from audits.models import DipSample, MeasureValue
from audits.services import measure_rag_derive
from plans import services
from plans.importing import apply_import, parse_file
from plans.models import (
    RAG,
    Action,
    Measure,
    Owner,
    Plan,
    RagCriterion,
    Rating,
    Recommendation,
    RemedialAction,
    ReportingPeriod,
)
from plans.parsing import owner_key, parse_rag, parse_timescale, split_accountability

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
LONDON = ZoneInfo("Europe/London")
ILLUSTRATIVE = "Illustrative rating (based on the November 2024 scrutiny report): "


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=LONDON)


def _tag(obj, reason: str = "example data") -> None:
    obj._history_user = None
    obj._change_reason = reason


def load_examples() -> list[str]:
    """Load both example plans; returns a line per plan saying what happened."""
    return [load_ilacs_2024(), load_ofsted_2015()]


# ------------------------------------------------------------------ ILACS 2024


QUARTERS_2024 = [
    ("Q1 2024/25", dt.date(2024, 4, 1), dt.date(2024, 6, 30)),
    ("Q2 2024/25", dt.date(2024, 7, 1), dt.date(2024, 9, 30)),
    ("Q3 2024/25", dt.date(2024, 10, 1), dt.date(2024, 12, 31)),
    ("Q4 2024/25", dt.date(2025, 1, 1), dt.date(2025, 3, 31)),
]


def load_ilacs_2024() -> str:
    folder = FIXTURES / "ilacs-2024"
    meta = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    if Plan.objects.filter(slug=meta["slug"]).exists():
        return f"{meta['slug']}: already loaded, left unchanged"
    csv_path = folder / "plan.csv"
    with transaction.atomic():
        plan = Plan(
            slug=meta["slug"],
            title=meta["title"],
            organisation=meta["organisation"],
            framework=meta["framework"],
            inspection_start=dt.date.fromisoformat(meta["inspection_start"]),
            inspection_end=dt.date.fromisoformat(meta["inspection_end"]),
            judgement=meta["judgement"],
            amber_label=meta["amber_label"],
            requires_signoff=False,
            source=meta["source"],
        )
        _tag(plan)
        plan.save()
        apply_import(parse_file(csv_path.read_bytes(), csv_path.name), plan=plan)
        _criteria(plan, meta["rag_criteria"])
        periods = _periods(plan, QUARTERS_2024)
        ratings = json.loads((folder / "illustrative-ratings.json").read_text(encoding="utf-8"))
        by_label = {p["label"]: p for p in ratings["periods"]}
        for period in periods:
            period.refresh_from_db()  # closing the one before opened it
            data = by_label.get(period.label)
            if period.state != ReportingPeriod.State.OPEN or data is None:
                break
            _illustrate(plan, period, data)
            services.period_close(period=period, now=_noon(period.end))
    return f"{plan.slug}: loaded {plan.actions.count()} actions (ratings are illustrative)"


def _criteria(plan: Plan, criteria: dict[str, list[dict]]) -> None:
    for kind, rows in criteria.items():
        for row in rows:
            criterion = RagCriterion(plan=plan, kind=kind, rag=row["rag"], criteria=row["criteria"])
            _tag(criterion)
            criterion.save()


def _periods(plan: Plan, rows) -> list[ReportingPeriod]:
    periods = []
    for index, (label, start, end) in enumerate(rows):
        period = ReportingPeriod(
            plan=plan,
            label=label,
            start=start,
            end=end,
            state=ReportingPeriod.State.OPEN if index == 0 else ReportingPeriod.State.UPCOMING,
        )
        _tag(period)
        period.save()
        periods.append(period)
    return periods


def _illustrate(plan: Plan, period: ReportingPeriod, data: dict) -> None:
    when = _noon(period.end - dt.timedelta(days=5))
    for row in data.get("actions", []):
        action = Action.objects.get(plan=plan, ref=row["ref"])
        if row.get("new_due"):
            services.action_revise_due_date(
                action=action,
                new_date=dt.date.fromisoformat(row["new_due"]),
                reason=f"Illustrative: {row['reason']}",
                user=None,
                expected_version=action.version,
            )
            action.refresh_from_db()
        services.rating_record(
            item=action,
            rag=row["rag"],
            user=None,
            commentary=ILLUSTRATIVE + row["commentary"],
            period=period,
            confirmed=True,
            created=when,
            suggested_rag=RAG.NOT_RATED,
            reason="example data (illustrative)",
        )
        if row.get("recovery"):
            remedial = RemedialAction(
                plan=plan,
                action=action,
                outstanding=action.text[:300],
                text=f"Illustrative: {row['recovery']}",
                responsible="; ".join(o.post for o in action.owners.all()),
                due_date=action.due_date,
            )
            _tag(remedial, "example data (illustrative)")
            remedial.save()
        if row.get("completed_on"):
            action.status = Action.Status.COMPLETE
            action.completed_on = dt.date.fromisoformat(row["completed_on"])
            services.save_versioned(
                action,
                expected_version=action.version,
                reason="example data (illustrative): completed",
            )
    for row in data.get("measure_values", []):
        measure = _first_measure(plan, row["ref"])
        measure.method = Measure.Method.PERFORMANCE
        _tag(measure, "example data (illustrative)")
        measure.save()
        value = MeasureValue(
            measure=measure,
            period=period,
            as_of=dt.date.fromisoformat(row["as_of"]),
            value=Decimal(row["value"]),
            national_average=Decimal(row["national"]),
            statistical_neighbours=Decimal(row["neighbours"]),
            note=row["note"],
        )
        _tag(value, "example data (figure from the November 2024 scrutiny report)")
        value.save()
    for row in data.get("dip_samples", []):
        _dip_sample(plan, period, row, when)


def _dip_sample(plan: Plan, period: ReportingPeriod, row: dict, when: dt.datetime) -> None:
    """The loader has no signed-in QA lead, which audits.services.dip_sample_record
    rightly requires, so it writes the sample and the rating that the same rule
    (measure_rag_derive) gives, in the sample's own period."""
    measure = _first_measure(plan, row["ref"], method=Measure.Method.DIP_SAMPLE)
    sample = DipSample(
        measure=measure,
        period=period,
        sampled_on=dt.date.fromisoformat(row["sampled_on"]),
        sample_size=row["sample_size"],
        compliant=row["compliant"],
        findings=f"Illustrative: {row['findings']}",
        mitigation=row.get("mitigation", ""),
    )
    _tag(sample, "example data (illustrative)")
    sample.save()
    result = Decimal(sample.compliant) * 100 / Decimal(sample.sample_size)
    derived = measure_rag_derive(
        result=result,
        target=measure.target,
        tolerance=measure.tolerance,
        higher_is_better=measure.higher_is_better,
        mitigation_in_place=bool(sample.mitigation),
    )
    services.rating_record(
        item=measure,
        rag=derived,
        suggested_rag=derived,
        user=None,
        commentary=(
            f"{ILLUSTRATIVE}dip sample {sample.sampled_on:%-d %b %Y}: {sample.compliant} of "
            f"{sample.sample_size} compliant ({result:.1f}%). Mitigation: {sample.mitigation}"
        ),
        period=period,
        confirmed=True,
        created=when,
        reason="example data (illustrative): derived from dip sample",
    )


def _first_measure(plan: Plan, ref: str, method: str | None = None) -> Measure:
    measure = Measure.objects.filter(plan=plan, action__ref=ref).order_by("position").first()
    if measure is None:
        raise ValueError(f"The example plan has no measure under {ref}.")
    if method and measure.method != method:
        measure.method = method
        _tag(measure)
        measure.save()
    return measure


# ------------------------------------------------------------------ Ofsted 2015


def load_ofsted_2015() -> str:
    data = json.loads((FIXTURES / "ofsted-2015" / "plan.json").read_text(encoding="utf-8"))
    if Plan.objects.filter(slug=data["slug"]).exists():
        return f"{data['slug']}: already loaded, left unchanged"
    with transaction.atomic():
        plan = Plan(
            slug=data["slug"],
            title=data["title"],
            organisation=data["organisation"],
            framework=data["framework"],
            judgement=data.get("judgement") or "",
            introduction=data.get("introduction", ""),
            amber_label=data["amber_label"],
            requires_signoff=False,
            source="ofsted-2015-action-plan-update.txt",
        )
        _tag(plan)
        plan.save()
        recs = {}
        for position, row in enumerate(data["recommendations"]):
            rec = Recommendation(
                plan=plan,
                ref=str(row["number"]),
                position=position,
                title=row["title"],
                outcome_required=row["outcome_required"],
                impact_for_children=row["impact_for_children"],
            )
            _tag(rec)
            rec.save()
            recs[row["number"]] = rec
        actions = _future_actions(plan, data, recs)
        rows = []
        start = dt.date(2015, 4, 1)
        for position in data["positions"]:
            end = dt.date.fromisoformat(position["date"])
            rows.append((position["label"], start, end))
            start = end + dt.timedelta(days=1)
        periods = _periods(plan, rows)
        for period in periods:
            _positions_2015(plan, period, data, recs)
            if period.end == JULY_2016_UPDATE:
                _future_action_ratings(plan, period, actions)
            services.period_close(period=period, now=_noon(period.end))
        _remedial_2015(plan, data, recs)
    return f"{plan.slug}: loaded {len(recs)} recommendations and {len(periods)} dated positions"


JULY_2016_UPDATE = dt.date(2016, 7, 1)  # the update whose future-action RAGs we have


def _rag_2015(value: str | None) -> str:
    return parse_rag(value) if value else RAG.NOT_RATED


def _positions_2015(plan: Plan, period: ReportingPeriod, data: dict, recs: dict) -> None:
    """Record each recommendation's position as the document gives it. A facet the
    document shows with an empty RAG cell is recorded as not rated, so the page shows
    the blank the document has rather than carrying the earlier RAG forward."""
    when = _noon(period.end)
    for row in data["recommendations"]:
        position = next((p for p in row["positions"] if p["date"] == period.end.isoformat()), None)
        if position is None:
            continue  # the document has no position for it: closing carries forward
        rec = recs[row["number"]]
        completed = "\n".join(position.get("actions_completed") or [])
        facets = [
            (Rating.Subject.OUTCOME, position.get("outcome_rag"), ""),
            (Rating.Subject.IMPACT, position.get("impact_rag"), ""),
        ]
        if completed or position.get("actions_rag"):
            facets.append((Rating.Subject.PROGRESS, position.get("actions_rag"), completed))
        for facet, rag, commentary in facets:
            services.rating_record(
                item=rec,
                facet=facet,
                rag=_rag_2015(rag),
                user=None,
                commentary=commentary,
                period=period,
                confirmed=True,
                created=when,
                reason="example data (2015 plan update)",
            )


def _owners(text: str) -> list[Owner]:
    owners = []
    for name in split_accountability(text):
        owner = Owner.objects.filter(key=owner_key(name)).first()
        if owner is None:
            owner = Owner(post=name)
            _tag(owner)
            owner.save()
        owners.append(owner)
    return owners


def _future_actions(plan: Plan, data: dict, recs: dict) -> list[tuple[Action, str | None]]:
    """Future actions become actions numbered <recommendation>.<n> in document order
    (the document does not number them). A due date "[slipped from X]" gives a baseline
    of X and a recorded revision to the later date."""
    made = []
    for row in data["recommendations"]:
        rec = recs[row["number"]]
        for n, item in enumerate(row["future_actions"], start=1):
            timescale = parse_timescale(item.get("due") or "")
            action = Action(
                plan=plan,
                recommendation=rec,
                ref=f"{row['number']}.{n}",
                position=n,
                text=item["what"] or "",
                why=item.get("why") or "",
                difference=item.get("difference") or "",
                lead=item.get("lead") or "",
                timescale_text=timescale.text,
                timescale_needs_review=timescale.needs_review,
                start_date=timescale.start
                if timescale.start and (not timescale.due or timescale.start <= timescale.due)
                else None,
                due_date=timescale.slipped_from or timescale.due,
                milestones=[d.isoformat() for d in timescale.milestones],
            )
            _tag(action)
            action.save()
            action.owners.set(_owners(item.get("lead") or ""))
            if timescale.slipped_from and timescale.due and timescale.due != action.due_date:
                services.action_revise_due_date(
                    action=action,
                    new_date=timescale.due,
                    reason=f"slipped from {timescale.slipped_from:%B %Y} "
                    "(as recorded in the July 2016 update)",
                    user=None,
                    expected_version=action.version,
                )
            made.append((action, item.get("rag")))
    return made


def _future_action_ratings(plan: Plan, period: ReportingPeriod, actions) -> None:
    for action, rag in actions:
        if rag:
            services.rating_record(
                item=action,
                rag=_rag_2015(rag),
                user=None,
                commentary="RAG as given in the July 2016 update.",
                period=period,
                confirmed=True,
                created=_noon(period.end),
                reason="example data (2015 plan update)",
            )


def _remedial_2015(plan: Plan, data: dict, recs: dict) -> None:
    for row in data["recommendations"]:
        for item in row["remedial_actions"]:
            remedial = RemedialAction(
                plan=plan,
                recommendation=recs[row["number"]],
                outstanding=item.get("outstanding") or "",
                text=item.get("remedial") or "",
                responsible=(item.get("responsible") or "")[:300],
                completed_text=item.get("completed") or "",
            )
            _tag(remedial)
            remedial.save()

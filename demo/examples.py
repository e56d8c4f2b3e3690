"""Load the two real example plans from fixtures/, through the same services the app uses.

- `ilacs-2024`: the 2024 ILACS action plan, imported by our own importer from
  fixtures/ilacs-2024/plan.csv (then its metadata and RAG criteria from plan.json), with
  financial-quarter periods (Q1 and Q2 2024/25 closed, Q3 open) and ILLUSTRATIVE
  positions in Q1 and Q2 from fixtures/ilacs-2024/illustrative-ratings.json, based on
  what the November 2024 scrutiny report says happened. The published plan gives no
  ratings of its own, and every illustrative commentary says so.
- `ofsted-2015`: the 2015 plan as tracked over time: its dated positions with the RAG the
  document gives for outcome required, impact for children and actions completed, the
  actions completed at each position, the future actions with their leads, due dates and
  slippage, and the remedial actions. Its scale calls Amber "Yellow".

Loading is idempotent. The 2024 plan is imported again on every run, which changes
nothing when the file has not changed; its periods and illustrative positions are added
only to a plan that has no periods yet. The 2015 plan is built only if it is missing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from audits.models import DipSample, MeasureValue
from core.models import save_versioned
from plans import people, services
from plans import periods as plan_periods
from plans.io.importing import apply_import, parse_file
from plans.io.parsing import (
    owner_key,
    parse_rag,
    parse_timescale,
    split_accountability,
    split_responsible,
)
from plans.models import (
    RAG,
    Action,
    Measure,
    Organisation,
    Owner,
    Plan,
    RagCriterion,
    Rating,
    Recommendation,
    RemedialAction,
    ReportingPeriod,
)
from plans.rules import measure_rag_derive

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
LONDON = ZoneInfo("Europe/London")
# The ratings are invented; the facts their commentaries state are the report's, with
# its paragraph numbers in brackets. Figures in no document say so and name no source.
ILLUSTRATIVE = (
    "Illustrative rating, not the council's (paragraph numbers cite the November 2024 "
    "scrutiny report): "
)
INVENTED = "Invented for the example, in no document: "
EXAMPLE = "example data"
ILLUSTRATIVE_REASON = "example data (illustrative)"


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


def _tag(obj, reason: str = EXAMPLE) -> None:
    obj._history_user = None
    obj._change_reason = reason


def example_organisation() -> Organisation:
    """The organisation that owns the example plans: the installation's own if it has
    exactly one (its people then see them), else the council the documents name."""
    only = list(Organisation.objects.all()[:2])
    if len(only) == 1:
        return only[0]
    meta = json.loads((FIXTURES / "ilacs-2024" / "plan.json").read_text(encoding="utf-8"))
    return Organisation.named(meta["organisation"])


def load_examples() -> list[str]:
    """Load both example plans; returns a line per plan saying what happened."""
    return [load_ilacs_2024(), load_ofsted_2015()]


# ------------------------------------------------------------------ ILACS 2024

FIRST_QUARTER_2024 = dt.date(2024, 4, 1)
LAST_QUARTER_2024 = dt.date(2025, 3, 31)
# Owners report a quarter's position in the month after it ends; the period then closes.
REPORTED_AFTER = dt.timedelta(days=25)
CLOSED_AFTER = dt.timedelta(days=30)


def load_ilacs_2024() -> str:
    folder = FIXTURES / "ilacs-2024"
    meta = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    csv_path = folder / "plan.csv"
    with transaction.atomic():
        plan = Plan.objects.filter(slug=meta["slug"]).first()
        created = plan is None
        plan = plan or Plan(slug=meta["slug"])
        changed = _assign(
            plan,
            {
                "title": meta["title"],
                "organisation_id": example_organisation().pk,
                "framework": meta["framework"],
                "inspection_start": dt.date.fromisoformat(meta["inspection_start"]),
                "inspection_end": dt.date.fromisoformat(meta["inspection_end"]),
                "judgement": meta["judgement"],
                "amber_label": meta["amber_label"],
                "requires_signoff": False,
                "source": meta["source"],
                "example_data": True,
            },
        )
        if created or changed:
            _tag(plan)
            plan.full_clean()
            plan.save()
        summary = apply_import(parse_file(csv_path.read_bytes(), csv_path.name), plan=plan)
        _merge_abbreviations(plan)
        _criteria(plan, meta["rag_criteria"])
        positions = ""
        if not plan.periods.exists():
            _illustrative_positions(plan, folder / "illustrative-ratings.json")
            positions = "; Q1 and Q2 2024/25 closed with illustrative positions, Q3 open"
    changes = sum(summary.created.values()) + sum(summary.updated.values())
    state = "loaded" if created else f"imported again ({changes} changes)"
    return f"{plan.slug}: {state}, {plan.actions.count()} actions{positions}"


# "Corporate Leadership Team (CLT)": a post written out with its abbreviation.
_WITH_ABBREVIATION = re.compile(r"^.+\((?P<short>[A-Z]{2,10})\)$")


def _merge_abbreviations(plan: Plan) -> None:
    """The plan names some posts in full with their abbreviation ("Corporate Leadership
    Team (CLT)") and elsewhere by the abbreviation alone ("CLT", "CLT CSLT"): one post
    each, as the plan itself says, so the abbreviation's owner is merged into the full
    one (`plans.people.owners_merge`: actions move, history kept; an import naming the
    abbreviation again finds the full one)."""
    owners = list(Owner.objects.filter(actions__plan=plan, merged_into__isnull=True).distinct())
    by_key = {owner.key: owner for owner in owners}
    for owner in owners:
        match = _WITH_ABBREVIATION.match(owner.post)
        short = by_key.get(owner_key(match["short"])) if match else None
        if short is not None and short.pk != owner.pk:
            people.owners_merge(duplicate=short, kept=owner, by=None)


def _assign(obj, values: dict) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _criteria(plan: Plan, criteria: dict[str, list[dict]]) -> None:
    """The RAG criteria printed at the end of the plan, updated only where they differ."""
    existing = {(c.kind, c.rag): c for c in plan.rag_criteria.all()}
    for kind, rows in criteria.items():
        for row in rows:
            criterion = existing.get((kind, row["rag"])) or RagCriterion(
                plan=plan, kind=kind, rag=row["rag"]
            )
            if criterion.pk is None or criterion.criteria != row["criteria"]:
                criterion.criteria = row["criteria"]
                _tag(criterion)
                criterion.full_clean()
                criterion.save()


def _illustrative_positions(plan: Plan, path: Path) -> None:
    """Quarters for 2024/25 through the periods service; each quarter with illustrative
    data is filled in and closed in order, so the next one opens (Q3 stays open)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("illustrative") is not True:
        raise ValueError(f"{path.name} must say it is illustrative.")
    plan_periods.periods_create(
        plan=plan, rule="quarters", start=FIRST_QUARTER_2024, end=LAST_QUARTER_2024
    )
    for quarter in data["periods"]:
        period = plan.periods.get(label=quarter["label"])
        if period.state != ReportingPeriod.State.OPEN:
            raise ValueError(f"{period.label} is not the open period: keep the quarters in order.")
        _illustrate(plan, period, quarter)
        services.period_close(period=period, now=_at(period.end + CLOSED_AFTER))


def _illustrative(item: dict) -> dict:
    """Every item of the illustrative file must say so: none may pass for real data."""
    if item.get("illustrative") is not True:
        raise ValueError(f"Illustrative item without 'illustrative': true: {item}")
    return item


def _illustrate(plan: Plan, period: ReportingPeriod, data: dict) -> None:
    when = _at(period.end + REPORTED_AFTER)
    actions = {a.ref: a for a in plan.actions.prefetch_related("owners")}
    for row in map(_illustrative, data.get("due_date_revisions", [])):
        action = actions[row["ref"]]
        services.action_revise_due_date(
            action=action,
            new_date=dt.date.fromisoformat(row["new_due"]),
            reason=row["reason"],
            user=None,
            expected_version=action.version,
        )
    for row in map(_illustrative, data.get("completions", [])):
        action = actions[row["ref"]]
        action.status = Action.Status.COMPLETE
        action.completed_on = dt.date.fromisoformat(row["completed_on"])
        invented = "; the date is invented" if row.get("invented") else ""
        save_versioned(
            action,
            expected_version=action.version,
            reason=f"{ILLUSTRATIVE_REASON}: completed{invented}",
        )
    for row in map(_illustrative, data.get("ratings", [])):
        if row["subject"] == "action":
            item = actions[row["ref"]]
            # The rule for everyone: a rating better than the dates suggest needs a reason.
            suggested = services.action_suggested_rag(item, today=period.end)
        else:
            item = _measure(plan, row["ref"], row["measure"])
            suggested = RAG.NOT_RATED
        services.rating_record(
            item=item,
            rag=parse_rag(row["rag"]),
            user=None,
            commentary=ILLUSTRATIVE + row["commentary"],
            period=period,
            suggested_rag=suggested,
            override_reason=row.get("override_reason", ""),
            confirmed=True,
            created=when,
            reason=ILLUSTRATIVE_REASON,
        )
    for row in map(_illustrative, data.get("remedial_actions", [])):
        action = actions[row["ref"]]
        # Only a date the report gives, and never one before the position it answers.
        due = dt.date.fromisoformat(row["due"]) if row.get("due") else None
        if due is not None and due <= period.end:
            raise ValueError(
                f"Remedial action for {row['ref']} is due {due}, before the end of "
                f"{period.label} whose position it answers."
            )
        remedial = RemedialAction(
            plan=plan,
            action=action,
            outstanding=action.text,
            text=f"Illustrative: {row['text']}",
            responsible="; ".join(o.post for o in action.owners.all())[:300],
            due_date=due,
        )
        _tag(remedial, ILLUSTRATIVE_REASON)
        remedial.full_clean()
        remedial.save()
    for row in map(_illustrative, data.get("measure_values", [])):
        _measure_value(plan, period, row)
    for row in map(_illustrative, data.get("dip_samples", [])):
        _dip_sample(plan, period, row, when)


def _measure(plan: Plan, ref: str, number: int) -> Measure:
    """The measure numbered from 1 under an action, in the plan's order."""
    measures = list(Measure.objects.filter(plan=plan, action__ref=ref).order_by("position", "pk"))
    if not 1 <= number <= len(measures):
        raise ValueError(f"The example plan has no measure {number} under {ref}.")
    return measures[number - 1]


def _set_method(measure: Measure, method: str) -> None:
    if measure.method != method:
        measure.method = method
        measure.version += 1
        _tag(measure, ILLUSTRATIVE_REASON)
        measure.save()


def _measure_value(plan: Plan, period: ReportingPeriod, row: dict) -> None:
    """A published figure with its comparators. Written here rather than through
    audits.services.measure_value_record, which rightly requires a signed-in QA lead."""
    measure = _measure(plan, row["ref"], row["measure"])
    _set_method(measure, Measure.Method.PERFORMANCE)
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
    value.full_clean()
    value.save()


def _dip_sample(plan: Plan, period: ReportingPeriod, row: dict, when: dt.datetime) -> None:
    """The loader has no signed-in QA lead, which audits.services.dip_sample_record
    rightly requires, so it writes the sample and the rating that the same rule
    (measure_rag_derive) gives, in the sample's own period."""
    measure = _measure(plan, row["ref"], row["measure"])
    _set_method(measure, Measure.Method.DIP_SAMPLE)
    sample = DipSample(
        measure=measure,
        period=period,
        sampled_on=dt.date.fromisoformat(row["sampled_on"]),
        sample_size=row["sample_size"],
        compliant=row["compliant"],
        findings=f"{INVENTED if row.get('invented') else 'Illustrative: '}{row['findings']}",
        mitigation=row.get("mitigation", ""),
    )
    _tag(sample, ILLUSTRATIVE_REASON)
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
            f"{INVENTED if row.get('invented') else ILLUSTRATIVE}dip sample "
            f"{sample.sampled_on.day} {sample.sampled_on:%b %Y}: "
            f"{sample.compliant} of {sample.sample_size} compliant ({result:.1f}%). "
            f"Mitigation: {sample.mitigation}"
        ),
        period=period,
        confirmed=True,
        created=when,
        reason=f"{ILLUSTRATIVE_REASON}: derived from dip sample",
    )


# ------------------------------------------------------------------ Ofsted 2015

JULY_2016_UPDATE = dt.date(2016, 7, 1)  # the update this document is, and its RAGs
FIRST_POSITION_FROM = dt.date(2015, 4, 1)  # the inspection month, April 2015
SLIPPED_REASON = "slipped (as recorded in the July 2016 update)"
ORIGIN = "example data (2015 plan update)"


def load_ofsted_2015() -> str:
    data = json.loads((FIXTURES / "ofsted-2015" / "plan.json").read_text(encoding="utf-8"))
    if Plan.objects.filter(slug=data["slug"]).exists():
        return f"{data['slug']}: already loaded, left unchanged"
    with transaction.atomic():
        plan = Plan(
            slug=data["slug"],
            title=data["title"],
            organisation=example_organisation(),
            framework=data["framework"],
            judgement=data.get("judgement") or "",
            introduction=data.get("introduction", ""),
            amber_label=data["amber_label"],
            requires_signoff=False,
            source="ofsted-2015-action-plan-update.txt",
        )
        _tag(plan)
        plan.full_clean()
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
            rec.full_clean()
            rec.save()
            recs[row["number"]] = rec
        links = {row["number"]: _remedial_links(row) for row in data["recommendations"]}
        actions = _future_actions(plan, data, recs, links)
        periods = _periods_2015(plan, data["positions"])
        for period in periods:
            _positions_2015(period, data, recs)
            if period.end == JULY_2016_UPDATE:
                _future_action_ratings(period, actions)
            if period.end <= JULY_2016_UPDATE:
                services.period_close(period=period, now=_at(period.end, 17))
        _remedial_2015(plan, data, recs, actions, links)
    open_label = services.open_period(plan).label
    return (
        f"{plan.slug}: loaded {len(recs)} recommendations, {len(actions)} actions and "
        f"{len(periods)} dated positions ({open_label} open for the next update)"
    )


def _periods_2015(plan: Plan, positions: list[dict]) -> list[ReportingPeriod]:
    """The document's dated positions, labelled as the document labels them ("As of 1
    November 2015"), each starting the day after the one before. The first opens; closing
    each one opens the next. The document is the July 2016 update: its November 2016
    column is the next position, still blank, so that period is left open."""
    made = []
    start = FIRST_POSITION_FROM
    for index, position in enumerate(positions):
        end = dt.date.fromisoformat(position["date"])
        period = ReportingPeriod(
            plan=plan,
            label=position["label"],
            start=start,
            end=end,
            state=ReportingPeriod.State.OPEN if index == 0 else ReportingPeriod.State.UPCOMING,
        )
        _tag(period, f"{EXAMPLE}: period created")
        period.full_clean()
        period.save()
        made.append(period)
        start = end + dt.timedelta(days=1)
    return made


def _rag_2015(value: str | None) -> str:
    return parse_rag(value) if value else RAG.NOT_RATED


def _positions_2015(period: ReportingPeriod, data: dict, recs: dict) -> None:
    """Record each recommendation's position as the document gives it: RAG for outcome
    required, impact for children and actions completed, with the actions completed as
    the commentary of the last. In a position the document reports, an empty RAG cell is
    recorded as not rated, so the position shows the blank the document has instead of
    carrying an earlier RAG forward; the open (future) position gets only what it has."""
    when = _at(period.end)
    reported = period.end <= JULY_2016_UPDATE
    for row in data["recommendations"]:
        position = next((p for p in row["positions"] if p["date"] == period.end.isoformat()), None)
        if position is None:
            continue  # the document has no position for it: closing carries forward
        rec = recs[row["number"]]
        completed = "\n".join(position.get("actions_completed") or [])
        facets = [
            (Rating.Subject.OUTCOME, position.get("outcome_rag"), ""),
            (Rating.Subject.IMPACT, position.get("impact_rag"), ""),
            (Rating.Subject.PROGRESS, position.get("actions_rag"), completed),
        ]
        for facet, rag, commentary in facets:
            if not (rag or commentary) and (facet == Rating.Subject.PROGRESS or not reported):
                continue
            services.rating_record(
                item=rec,
                facet=facet,
                rag=_rag_2015(rag),
                user=None,
                commentary=commentary,
                period=period,
                confirmed=True,
                created=when,
                reason=ORIGIN,
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


def _is_placeholder(item: dict) -> bool:
    """Recommendation 15's table has one row, "Actions completed", with N/A everywhere
    else: the document's way of saying there are no future actions."""
    return not item.get("due") and all(
        (item.get(key) or "").strip().upper() in {"", "N/A"}
        for key in ("why", "difference", "lead")
    )


def _future_actions(
    plan: Plan, data: dict, recs: dict, links: dict[int, dict[int, int]]
) -> list[tuple[Action, str | None]]:
    """Future actions become actions numbered <recommendation>.<n> in document order
    (the document does not number them). Their leads become owners. A due date
    "[slipped from X]" gives a baseline of X and a recorded revision to the later date,
    whose reason is the one the document gives in the remedial action that answers it,
    where there is one."""
    made = []
    for row in data["recommendations"]:
        rec = recs[row["number"]]
        items = [item for item in row["future_actions"] if not _is_placeholder(item)]
        reasons = {
            index: _slip_reason(row["remedial_actions"][remedial])
            for remedial, index in links[row["number"]].items()
        }
        for n, item in enumerate(items, start=1):
            timescale = parse_timescale(item.get("due") or "")
            baseline = timescale.slipped_from or timescale.due
            action = Action(
                plan=plan,
                recommendation=rec,
                ref=f"{row['number']}.{n}",
                position=n - 1,  # counted from 0, as the importer does
                text=item["what"] or "",
                why=item.get("why") or "",
                difference=item.get("difference") or "",
                lead=item.get("lead") or "",
                timescale_text=timescale.text,
                timescale_needs_review=timescale.needs_review,
                start_date=timescale.start
                if timescale.start and (not baseline or timescale.start <= baseline)
                else None,
                due_date=baseline,
                milestones=[d.isoformat() for d in timescale.milestones],
            )
            _tag(action)
            action.full_clean()
            action.save()
            owners = _owners(item.get("lead") or "")
            if owners:
                _tag(action)
                action.owners.set(owners)
            if timescale.slipped_from and timescale.due and timescale.due != action.due_date:
                services.action_revise_due_date(
                    action=action,
                    new_date=timescale.due,
                    reason=reasons.get(n - 1) or SLIPPED_REASON,
                    user=None,
                    expected_version=action.version,
                )
            made.append((action, item.get("rag")))
    return made


_WORST_FIRST = (RAG.RED, RAG.AMBER, RAG.GREEN, RAG.BLUE)


def _future_action_ratings(period: ReportingPeriod, actions) -> None:
    """The future actions' RAG cells. A cell the document splits in two colours (12.1:
    green above yellow) is a list in plan.json: the position is the worse of them, since
    the action is done only when both parts are, and the commentary says how the cell
    reads, in order."""
    for action, cell in actions:
        if not cell:
            continue
        commentary = "RAG as given in the July 2016 update."
        rag = cell
        if isinstance(cell, list):
            rags = [_rag_2015(part) for part in cell]
            rag = min(rags, key=_WORST_FIRST.index)
            shown = ", then ".join(period.plan.rag_label(r) for r in rags)
            commentary = (
                f"RAG as given in the July 2016 update, where the cell is split in two: "
                f"{shown}. The position is the worse of the two."
            )
        if rag:
            services.rating_record(
                item=action,
                rag=_rag_2015(rag),
                user=None,
                commentary=commentary,
                period=period,
                confirmed=True,
                created=_at(period.end),
                reason=ORIGIN,
            )


def _text_key(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().casefold()


_SLIPPED_TO = re.compile(r"slipped from (?P<old>\w+ \d{4}) to (?P<new>\w+ \d{4})", re.I)
_REVIEW_DUE = re.compile(r"\breview", re.I)
_SHORT = 3


def _words(text: str) -> list[str]:
    return _text_key(text or "").split()


def _remedial_links(row: dict) -> dict[int, int]:
    """Which future action (by its index among the recommendation's actions) each
    remedial action answers, where the document says so. In order of preference:

    1. The outstanding action repeats the action's words: the same first five words or
       more, or half its words or more in common (the best match wins).
    2. It says "has slipped from July 2016 to September 2016": the action whose due date
       slipped so.
    3. The action's due date says it is to be reviewed ("see below"), and the outstanding
       action shares a word of four letters or more with it: the review is this.

    Remedial actions that answer the recommendation as a whole (9, and the first of 14)
    stay linked to the recommendation only."""
    items = [item for item in row["future_actions"] if not _is_placeholder(item)]
    links: dict[int, int] = {}
    for index, remedial in enumerate(row["remedial_actions"]):
        outstanding = remedial.get("outstanding") or ""
        said = _words(outstanding)
        scores = []
        for n, item in enumerate(items):
            words = _words(item["what"])
            prefix = next(
                (i for i, (a, b) in enumerate(zip(said, words, strict=False)) if a != b),
                min(len(said), len(words)),
            )
            shared = len(set(said) & set(words)) / max(1, len(set(said) | set(words)))
            if prefix >= 5 or shared >= 0.5:
                scores.append((prefix, shared, n))
        if scores:
            links[index] = max(scores)[2]
            continue
        slip = _SLIPPED_TO.search(outstanding)
        if slip:
            old, new = parse_timescale(slip["old"]).due, parse_timescale(slip["new"]).due
            slipped = [
                n
                for n, item in enumerate(items)
                if (t := parse_timescale(item.get("due") or "")).slipped_from == old
                and t.due == new
            ]
            if len(slipped) == 1:
                links[index] = slipped[0]
                continue
        long_words = {w for w in said if len(w) > _SHORT}
        reviewed = [
            n
            for n, item in enumerate(items)
            if _REVIEW_DUE.search(item.get("due") or "")
            and long_words & {w for w in _words(item["what"]) if len(w) > _SHORT}
        ]
        if len(reviewed) == 1:
            links[index] = reviewed[0]
    return links


def _slip_reason(remedial: dict) -> str:
    """The reason a date slipped, in the document's words: the outstanding action where it
    says why ("has slipped from July 2016 to September 2016. This follows a decision
    ..."), else the remedial action required."""
    outstanding = " ".join((remedial.get("outstanding") or "").split())
    text = outstanding if "slipped" in outstanding.casefold() else remedial.get("remedial") or ""
    text = "; ".join(line.strip().rstrip(";") for line in text.split("\n") if line.strip())
    return f"As the July 2016 update gives it: {text}" if text else ""


def _remedial_2015(
    plan: Plan, data: dict, recs: dict, actions, links: dict[int, dict[int, int]]
) -> None:
    """Remedial actions under their recommendation, and under the future action they
    answer (`_remedial_links`). "Person responsible & to be completed by" is read into
    who is responsible and by when (`plans.io.parsing.split_responsible`)."""
    by_rec: dict[int, list[Action]] = {}
    for action, _rag in actions:
        by_rec.setdefault(action.recommendation_id, []).append(action)
    for row in data["recommendations"]:
        rec = recs[row["number"]]
        its_actions = by_rec.get(rec.pk, [])
        for index, item in enumerate(row["remedial_actions"]):
            who, due_text, due_date = split_responsible(
                item.get("responsible") or "", year=JULY_2016_UPDATE.year
            )
            linked = links[row["number"]].get(index)
            remedial = RemedialAction(
                plan=plan,
                recommendation=rec,
                action=its_actions[linked] if linked is not None else None,
                outstanding=item.get("outstanding") or "",
                text=item.get("remedial") or "",
                responsible=who,
                due_text=due_text,
                due_date=due_date,
                completed_text=item.get("completed") or "",
            )
            _tag(remedial)
            remedial.full_clean()
            remedial.save()

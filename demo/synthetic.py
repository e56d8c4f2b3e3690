"""Synthetic improvement plans at council scale, for benchmarks and for trying the
dashboard on a plan the size of a large council's.

Each plan gets recommendations, outcomes, actions with owners and due dates, outcome
measures (dip-sampled, performance figures or milestones) with audit schedules, and a
dated history: quarterly reporting periods, ratings each period (some proposed and
confirmed, some not updated and carried forward), dip samples and performance figures
that rate their measures, due dates that slip with a reason, and actions that complete.

The same seed gives the same data: one `random.Random` per plan seeded from the seed,
and fixed dates (the periods end on `ANCHOR_END`, not on today). Only the moments at
which rows were written differ between two runs (history dates of rows written by
services, and `created` of rows the services stamp with "now").

Writes go through the app's services where a person would make them: creating the
periods (`periods_create`), closing them (`period_close`, which carries forward what
was not updated), revising due dates (`action_revise_due_date`), and, in the open
period, recording ratings (`rating_record`), confirming them (`rating_confirm`), dip
samples (`dip_sample_record`) and performance figures (`measure_value_record`). The
structure of the plan, which an administrator would import, and the ratings, samples
and figures of periods that are closed by the end of the run, are written with
`bulk_create_with_history`: at 10 plans x 2,000 actions x 12 periods that is about half
a million ratings, and `rating_record` validates, checks the period and writes history
one row at a time (six to eight queries each), which would take the best part of an
hour on PostgreSQL instead of minutes. The bulk path writes the same fields the services
would (status, reviewer, suggested RAG and override reason, the history row with its
user, reason and date), using the services' own rules (`action_suggested_rag`,
`rag_is_better`, `measure_rag_derive`, `result_describe`) to decide them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from audits import selectors as audit_selectors
from audits import services as audit_services
from audits.models import AuditSchedule, DipSample, MeasureValue
from core.dates import month_end, short_day
from core.models import save_versioned
from plans import periods as plan_periods
from plans import roles, rules, services
from plans.models import (
    RAG,
    Action,
    DueDateRevision,
    Measure,
    Membership,
    Organisation,
    Outcome,
    Owner,
    Plan,
    Rating,
    Recommendation,
    ReportingPeriod,
)
from plans.text import owner_key

# The open period ends here. Fixed, so that a seed always gives the same data; in the
# past, so that every sample and figure date is allowed ("not in the future").
ANCHOR_END = dt.date(2025, 12, 31)
ORGANISATION = "Northshire County Council"
REASON = "synthetic data"
# The share of items updated so far in the open period: the run stops part-way through
# it, so that "not updated this period" and "awaiting confirmation" have something to show.
OPEN_SHARE = 0.3

SERVICES = (
    ("children", "Children's services improvement plan", "ILACS"),
    ("adults", "Adult social care improvement plan", "CQC assessment"),
    ("send", "SEND local area improvement plan", "Area SEND inspection"),
    ("youth-justice", "Youth justice improvement plan", "HMIP inspection"),
    ("housing", "Housing services improvement plan", "Regulator of Social Housing"),
    ("early-help", "Early help improvement plan", "ILACS"),
    ("education", "Education and inclusion improvement plan", "Ofsted"),
    ("public-health", "Public health improvement plan", "Peer review"),
    ("safeguarding-adults", "Safeguarding adults improvement plan", "Peer review"),
    ("governance", "Corporate governance improvement plan", "Best value inspection"),
)
POSTS = (
    "Director of Children's Services",
    "Service Director – Practice",
    "Service Director – Safeguarding",
    "Service Director – Quality Assurance",
    "Head of Service – Front Door",
    "Head of Service – Children in Care",
    "Head of Service – Care Leavers",
    "Head of Service – Fostering",
    "Head of Service – Adoption",
    "Head of Service – Disabled Children",
    "Head of Service – Early Help",
    "Head of Service – Youth Justice",
    "Head of Service – SEND",
    "Head of Service – Commissioning",
    "Head of Service – Workforce",
    "Head of Service – Performance",
    "Principal Social Worker",
    "Designated Officer (LADO)",
    "Head of the Virtual School",
    "Head of Housing Options",
    "Director of Adult Social Care",
    "Head of Service – Safeguarding Adults",
    "Head of Service – Reablement",
    "Head of Service – Learning Disabilities",
    "Head of Public Health Intelligence",
    "Head of Business Support",
    "Head of Legal Services",
    "Chief Finance Officer",
    "Head of HR and Organisational Development",
    "Head of Digital Services",
)
AREAS = (
    "the front door and contact decisions",
    "strategy discussions and child protection enquiries",
    "assessments and plans for children in need",
    "permanence planning for children in care",
    "support for care leavers",
    "the quality of supervision",
    "management oversight of casework",
    "the stability of the workforce",
    "performance information and quality assurance",
    "the voice of children and families",
    "multi-agency safeguarding arrangements",
    "sufficiency of placements",
    "education outcomes for children in care",
    "responses to exploitation and missing episodes",
    "the timeliness of health assessments",
    "transitions to adult services",
)
VERBS = (
    "Review",
    "Embed",
    "Introduce",
    "Strengthen",
    "Audit",
    "Relaunch",
    "Train managers in",
    "Publish guidance on",
    "Recruit to",
    "Agree a protocol for",
    "Commission an independent review of",
    "Develop a dashboard for",
)
OBJECTS = (
    "return home interviews",
    "supervision records",
    "pathway plans",
    "strategy meeting minutes",
    "chronologies",
    "personal education plans",
    "threshold decisions",
    "case transfer arrangements",
    "permanence tracking",
    "practice standards",
    "family group conferences",
    "initial health assessments",
    "direct work with children",
    "step-down to early help",
    "the edge-of-care offer",
    "the quality assurance framework",
)
QUALIFIERS = (
    "across all locality teams",
    "with partner agencies",
    "so that every child has an up-to-date plan",
    "with monthly reporting to the Improvement Board",
    "in line with the practice model",
    "for children aged 16 and over",
    "including children placed out of area",
    "",
)
MEASURE_TEXTS = (
    "Dip sample of case files: {object} meet the practice standard",
    "Audit of {object}: rated good or better",
    "Proportion of {object} completed within timescale",
    "Monthly dip sample of {object}, target {target}%",
)
ON_TRACK = (
    "On track: {object} reviewed in every locality.",
    "Progress as planned; the next audit is booked.",
    "Completed the training; managers are applying the standard.",
    "Good progress reported to the Improvement Board.",
)
AT_RISK = (
    "Delayed by vacancies in two teams; agency cover agreed.",
    "Partly done: {object} still inconsistent in the south locality.",
    "At risk: the system change depends on the IT release.",
    "Slower than planned; recovery plan agreed with the service director.",
)
OFF_TRACK = (
    "Not achieved: audit found {object} below standard.",
    "Off track: recruitment has failed twice; escalated to the DCS.",
    "Stalled: partner agreement not yet signed.",
)
DONE = (
    "Complete: {object} in place and audited.",
    "Delivered; now business as usual and monitored through the QA framework.",
)
SLIP_REASONS = (
    "Recruitment to the lead post took longer than planned.",
    "Waiting for the case management system release.",
    "Partner agencies asked for more time to consult.",
    "Re-sequenced behind the practice model launch.",
    "Capacity diverted to the inspection response.",
)
OVERRIDE_REASONS = (
    "Recovery plan agreed and resourced; delivery by the revised date is on track.",
    "The remaining work is minor and scheduled for next month.",
)
MITIGATIONS = (
    "Team manager reviews every case below standard within two weeks.",
    "Additional practice-lead capacity in place while the standard embeds.",
)

# How a position usually moves from one period to the next.
TRANSITIONS = {
    RAG.BLUE: ((RAG.BLUE, 1),),
    RAG.NOT_RATED: ((RAG.GREEN, 5), (RAG.AMBER, 4), (RAG.RED, 1)),
    RAG.GREEN: ((RAG.GREEN, 14), (RAG.AMBER, 3), (RAG.RED, 1)),
    RAG.AMBER: ((RAG.GREEN, 5), (RAG.AMBER, 8), (RAG.RED, 3)),
    RAG.RED: ((RAG.GREEN, 1), (RAG.AMBER, 5), (RAG.RED, 5)),
}


@dataclass
class Generated:
    """What one run made, for the command's summary."""

    plans: list[Plan] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, number: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + number


def _pick(rng: random.Random, weighted) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    """A working-hours moment on `day`, London time."""
    moment = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59)))
    return timezone.make_aware(moment)


def _day_in(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _user(username: str, role: str, first: str, last: str):
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "email": f"{username}@example.org"},
    )
    if created:
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=role))
        Membership.objects.create(user=user, organisation=Organisation.named(ORGANISATION))
    return user


def _people() -> tuple[list[Owner], object, object]:
    """The accountable posts, each held by a synthetic director, and a QA lead and a
    plan administrator who confirm ratings and close periods."""
    owners = []
    for number, post in enumerate(POSTS, start=1):
        user = _user(f"synthetic-owner-{number:02d}", roles.SERVICE_DIRECTOR, "Owner", f"{number}")
        # The same post however it is written (the example plans may hold it already).
        owner = Owner.objects.filter(key=owner_key(post)).first()
        if owner is None:
            owner = Owner(post=post, person_name=f"Owner {number}", user=user)
            owner._change_reason = REASON
            owner.save()
        owners.append(owner)
    qa = _user("synthetic-qa", roles.QA_LEAD, "Quality", "Lead")
    admin = _user("synthetic-admin", roles.PLAN_ADMINISTRATOR, "Plan", "Administrator")
    return owners, qa, admin


def generate(
    *,
    plans: int,
    actions: int,
    periods: int,
    seed: int,
    progress: Callable[[str], None] | None = None,
) -> Generated:
    """Generate `plans` plans of `actions` actions each, rated over `periods` quarterly
    periods (the last one open). Refuses to overwrite plans made earlier with the same
    seed."""
    if plans < 1 or actions < 1 or periods < 1:
        raise ValueError("plans, actions and periods must each be at least 1.")
    if plans > len(SERVICES) * 10:
        raise ValueError(f"At most {len(SERVICES) * 10} plans.")
    slugs = [_slug(seed, index) for index in range(plans)]
    if Plan.objects.filter(slug__in=slugs).exists():
        raise ValueError(f"Plans from seed {seed} already exist ({slugs[0]}, ...).")
    result = Generated()
    owners, qa, admin = _people()
    for index in range(plans):
        rng = random.Random(f"{seed}:{index}")
        with transaction.atomic():
            plan = _PlanBuilder(
                rng=rng, seed=seed, index=index, owners=owners, qa=qa, admin=admin, result=result
            ).build(actions=actions, periods=periods)
        result.plans.append(plan)
        if progress:
            progress(f"{plan.slug}: {actions} actions, {periods} periods")
    return result


def _slug(seed: int, index: int) -> str:
    return f"synthetic-{seed}-{index + 1}"


class _PlanBuilder:
    """Builds one plan. All randomness comes from `rng`, in a fixed order."""

    def __init__(self, *, rng, seed, index, owners, qa, admin, result: Generated):
        self.rng, self.seed, self.index = rng, seed, index
        self.owners, self.qa, self.admin, self.result = owners, qa, admin, result
        self.rag: dict[int, str] = {}  # the latest position of each action or measure
        self.measure_rag: dict[int, str] = {}
        self.quality: dict[int, float] = {}  # each measure's underlying compliance rate

    # Structure ------------------------------------------------------------------------

    def build(self, *, actions: int, periods: int) -> Plan:
        rng = self.rng
        key, title, framework = SERVICES[self.index % len(SERVICES)]
        round_ = self.index // len(SERVICES)
        self.first = _quarter_start(ANCHOR_END, periods)
        plan = Plan(
            slug=_slug(self.seed, self.index),
            title=title if not round_ else f"{title} ({round_ + 1})",
            organisation=Organisation.named(ORGANISATION),
            framework=framework,
            inspection_start=self.first - dt.timedelta(days=70),
            inspection_end=self.first - dt.timedelta(days=60),
            judgement=rng.choice(("Requires improvement", "Inadequate")),
            requires_signoff=self.index % 2 == 0,
            suggest_amber_after_days=0,
            suggest_red_after_days=31,
            source=f"make_synthetic --seed {self.seed} ({key})",
        )
        plan._history_user = self.admin
        plan._change_reason = REASON
        plan.save()
        self.plan = plan
        self.periods = plan_periods.periods_create(
            plan=plan, rule="quarters", start=self.first, end=ANCHOR_END, user=self.admin
        )
        self._structure(actions)
        for period in self.periods[:-1]:
            self._closed_period(period)
            services.period_close(period=period, user=self.admin, now=_at(period.end, rng))
            self.result.add("periods closed", 1)
        last = ReportingPeriod.objects.get(pk=self.periods[-1].pk)
        self._open_period(last)
        return plan

    def _structure(self, count: int) -> None:
        # Long because: a data generator: one pass writing a plan's recommendations, outcomes,
        # actions, owners and measures with the random draws in a fixed order, which keeps the
        # seeded data reproducible.
        rng, plan = self.rng, self.plan
        rec_count = min(count, max(3, min(12, count // 150)))
        recs = []
        for number in range(1, rec_count + 1):
            area = AREAS[(self.index * 5 + number) % len(AREAS)]
            recs.append(
                Recommendation(
                    plan=plan,
                    ref=str(number),
                    position=number,
                    title=f"Improve {area}",
                    outcome_required=f"Children benefit from consistently good {area}.",
                    impact_for_children="Children are safer and their plans progress.",
                )
            )
        self._bulk(recs, Recommendation, "recommendations")
        outcomes = []
        for rec in recs:
            for number in range(1, rng.randint(2, 4) + 1):
                outcomes.append(
                    Outcome(
                        recommendation=rec,
                        ref=f"{rec.ref}.{number}",
                        position=number,
                        text=f"Managers and practitioners use {rng.choice(OBJECTS)} consistently.",
                    )
                )
        self._bulk(outcomes, Outcome, "outcomes")
        by_rec: dict[int, list[Outcome]] = {}
        for outcome in outcomes:
            by_rec.setdefault(outcome.recommendation_id, []).append(outcome)

        posts = rng.sample(self.owners, k=min(len(self.owners), 12 + rng.randint(0, 8)))
        horizon = ANCHOR_END + dt.timedelta(days=270)
        actions, links = [], []
        per_outcome: dict[int, int] = {}
        for number in range(count):
            rec = recs[number % len(recs)]
            outcome = rng.choice(by_rec[rec.pk])
            per_outcome[outcome.pk] = per_outcome.get(outcome.pk, 0) + 1
            start = _day_in(rng, self.first, ANCHOR_END - dt.timedelta(days=30))
            due = _day_in(rng, start + dt.timedelta(days=30), horizon)
            object_ = rng.choice(OBJECTS)
            text = f"{rng.choice(VERBS)} {object_} {rng.choice(QUALIFIERS)}".strip()
            action = Action(
                plan=plan,
                recommendation=rec,
                outcome=outcome,
                ref=f"{outcome.ref}.{per_outcome[outcome.pk]}",
                position=number,
                text=text + ".",
                why=f"The inspection found weaknesses in {rng.choice(AREAS)}.",
                timescale_text=f"{due:%b %y}",
                start_date=start,
                due_date=due,
                baseline_due_date=due,
            )
            action.object_word = object_
            actions.append(action)
        self._bulk(actions, Action, "actions")
        for action in actions:
            for owner in rng.sample(posts, k=1 if rng.random() < 0.8 else 2):
                links.append(Action.owners.through(action_id=action.pk, owner_id=owner.pk))
        Action.owners.through.objects.bulk_create(links, batch_size=2000)
        self.actions = actions
        self.owner_of = {}
        for link in links:
            self.owner_of.setdefault(link.action_id, link.owner_id)
        self.owner_users = {o.pk: o.user for o in self.owners}

        measures, schedules = [], []
        for action in actions:
            roll = rng.random()
            how_many = 0 if roll < 0.15 else (2 if roll > 0.9 else 1)
            for position in range(how_many):
                method = _pick(
                    rng,
                    (
                        (Measure.Method.DIP_SAMPLE, 5),
                        (Measure.Method.PERFORMANCE, 2),
                        (Measure.Method.MILESTONE, 3),
                    ),
                )
                target = (
                    rng.choice((80, 85, 90, 95)) if method != Measure.Method.MILESTONE else None
                )
                measure = Measure(
                    plan=plan,
                    action=action,
                    position=position,
                    text=rng.choice(MEASURE_TEXTS).format(
                        object=action.object_word, target=target or 90
                    ),
                    method=method,
                    target=target,
                    tolerance=rng.choice((5, 10)) if target else None,
                    unit="%",
                    timescale_text="3 x monthly dip sample then review"
                    if method == Measure.Method.DIP_SAMPLE
                    else "",
                )
                measures.append(measure)
        self._bulk(measures, Measure, "measures")
        for measure in measures:
            self.quality[measure.pk] = rng.uniform(0.55, 0.92)
            if measure.method != Measure.Method.DIP_SAMPLE:
                continue
            cadence = _pick(
                rng,
                ((AuditSchedule.Cadence.MONTHLY, 2), (AuditSchedule.Cadence.QUARTERLY, 3)),
            )
            months = 1 if cadence == AuditSchedule.Cadence.MONTHLY else 3
            first_due = month_end(_day_in(rng, self.first, self.first + dt.timedelta(days=200)))
            rounds = rng.randint(12, 36) if months == 1 else rng.randint(6, 12)
            schedules.append(
                AuditSchedule(
                    measure=measure,
                    cadence=cadence,
                    interval_months=months,
                    rounds=rounds,
                    first_due=first_due,
                    source_text=measure.timescale_text,
                    confirmed_by=self.qa,
                )
            )
            schedules[-1]._history_user = self.qa
        self._bulk(schedules, AuditSchedule, "audit schedules")
        self.measures = measures
        self.schedules = {s.measure_id: s for s in schedules}
        self.rounds = {s.measure_id: audit_selectors.schedule_round_dates(s) for s in schedules}
        self.recs = recs

    def _bulk(self, objs, model, name: str) -> None:
        for obj in objs:
            if not hasattr(obj, "_history_user"):
                obj._history_user = self.admin
        bulk_create_with_history(objs, model, batch_size=2000, default_change_reason=REASON)
        self.result.add(name, len(objs))

    # Ratings ---------------------------------------------------------------------------

    def _next_rag(self, current: str) -> str:
        return _pick(self.rng, TRANSITIONS[current or RAG.NOT_RATED])

    def _commentary(self, rag: str, action: Action) -> str:
        texts = {RAG.BLUE: DONE, RAG.GREEN: ON_TRACK, RAG.AMBER: AT_RISK, RAG.RED: OFF_TRACK}
        return self.rng.choice(texts[rag]).format(object=getattr(action, "object_word", "it"))

    def _action_choice(self, action: Action, day: dt.date) -> tuple[str, str, str]:
        """(rag, suggested, override reason) for a rating of `action` on `day`."""
        current = self.rag.get(action.pk, RAG.NOT_RATED)
        if action.due_date and action.due_date <= day + dt.timedelta(days=45):
            rag = RAG.BLUE if self.rng.random() < 0.55 else self._next_rag(current)
        else:
            rag = self._next_rag(current)
        suggested = services.action_suggested_rag(action, today=day)
        reason = ""
        if services.rag_is_better(rag, suggested):
            reason = self.rng.choice(OVERRIDE_REASONS)
        return rag, suggested, reason

    def _revise_due_dates(self, period: ReportingPeriod) -> None:
        """Some open actions due around this period slip, through the service."""
        rng = self.rng
        window_end = period.end + dt.timedelta(days=60)
        for action in self.actions:
            if action.status != Action.Status.OPEN or action.due_date is None:
                continue
            if not (period.start <= action.due_date <= window_end) or rng.random() > 0.12:
                continue
            owner_user = self.owner_users[self.owner_of.get(action.pk, self.owners[0].pk)]
            new_date = action.due_date + dt.timedelta(days=rng.choice((30, 61, 92)))
            revision = services.action_revise_due_date(
                action=action,
                new_date=new_date,
                reason=rng.choice(SLIP_REASONS),
                user=owner_user,
                expected_version=action.version,
            )
            # The service stamps the revision "now"; a synthetic history needs the day it
            # would have been made, so that past periods show the slippage known then.
            DueDateRevision.objects.filter(pk=revision.pk).update(
                created=_at(_day_in(rng, period.start, period.end - dt.timedelta(days=7)), rng)
            )
            self.result.add("due-date revisions", 1)

    def _rating(self, *, item, subject, rag, day, author, commentary, suggested="", reason=""):
        """A rating as `services.rating_record` would store it, for the bulk path."""
        rng, plan = self.rng, self.plan
        created = _at(day, rng)
        needs_signoff = plan.requires_signoff and not roles.can_confirm_ratings(author, plan)
        confirmed = not needs_signoff or rng.random() < 0.96
        rating = Rating(
            plan=plan,
            period=self.period,
            subject=subject,
            rag=rag,
            commentary=commentary,
            suggested_rag=suggested,
            override_reason=reason,
            status=Rating.Status.CONFIRMED if confirmed else Rating.Status.PROPOSED,
            created=created,
            created_by=author,
            **{str(subject) if subject in ("action", "measure") else "recommendation": item},
        )
        if confirmed:
            reviewer = author if not needs_signoff else self.qa
            rating.reviewed_by = reviewer
            rating.reviewed_at = created + dt.timedelta(days=2 if needs_signoff else 0)
        rating._history_user = author
        rating._history_date = created
        rating._change_reason = "rating"
        return rating

    def _closed_period(self, period: ReportingPeriod) -> None:
        """Ratings, samples and figures of a period that closes before the run ends."""
        rng = self.rng
        self.period = period
        self._revise_due_dates(period)
        last_day = period.end - dt.timedelta(days=3)
        ratings: list[Rating] = []
        completed: list[Action] = []
        for action in self.actions:
            done = action.status == Action.Status.COMPLETE
            if rng.random() > (0.25 if done else 0.85):
                continue
            author = self.owner_users[self.owner_of.get(action.pk, self.owners[0].pk)]
            day = _day_in(rng, period.start, last_day)
            if done:
                rag, suggested, reason = RAG.BLUE, "", ""
            else:
                rag, suggested, reason = self._action_choice(action, day)
            ratings.append(
                self._rating(
                    item=action,
                    subject=Rating.Subject.ACTION,
                    rag=rag,
                    day=day,
                    author=author,
                    commentary=self._commentary(rag, action),
                    suggested=suggested,
                    reason=reason,
                )
            )
            if ratings[-1].status == Rating.Status.CONFIRMED:
                self.rag[action.pk] = rag
            if rag == RAG.BLUE and not done:
                action.status = Action.Status.COMPLETE
                action.completed_on = day
                action._history_user = author
                action._history_date = ratings[-1].created
                action._change_reason = "completed"
                completed.append(action)
        samples, values = self._measures(period, ratings)
        self._facets(period, ratings)
        bulk_create_with_history(samples, DipSample, batch_size=2000, default_change_reason=REASON)
        bulk_create_with_history(
            values, MeasureValue, batch_size=2000, default_change_reason=REASON
        )
        bulk_create_with_history(ratings, Rating, batch_size=2000, default_change_reason="rating")
        if completed:
            bulk_update_with_history(completed, Action, ["status", "completed_on"], batch_size=2000)
        self.result.add("ratings", len(ratings))
        self.result.add("dip samples", len(samples))
        self.result.add("performance figures", len(values))

    def _sample(self, measure: Measure, day: dt.date) -> tuple[DipSample, Decimal, str]:
        rng = self.rng
        # Quality improves slowly over the plan's life, with noise from sample to sample.
        self.quality[measure.pk] = min(0.99, self.quality[measure.pk] + rng.uniform(-0.02, 0.05))
        size = rng.randint(8, 30)
        compliant = sum(rng.random() < self.quality[measure.pk] for _ in range(size))
        result = Decimal(compliant) * 100 / Decimal(size)
        derived = rules.measure_rag_derive(
            result=result,
            target=measure.target,
            tolerance=measure.tolerance,
            higher_is_better=measure.higher_is_better,
        )
        mitigation = rng.choice(MITIGATIONS) if derived == RAG.RED and rng.random() < 0.3 else ""
        if mitigation:
            derived = rules.measure_rag_derive(
                result=result,
                target=measure.target,
                tolerance=measure.tolerance,
                higher_is_better=measure.higher_is_better,
                mitigation_in_place=True,
            )
        sample = DipSample(
            measure=measure,
            schedule=self.schedules.get(measure.pk),
            period=self.period,
            sampled_on=day,
            sample_size=size,
            compliant=compliant,
            findings=""
            if derived == RAG.GREEN
            else "Recording of decisions inconsistent in some files.",
            mitigation=mitigation,
            auditor=self.qa,
        )
        sample._history_user = self.qa
        sample._history_date = _at(day, rng)
        return sample, result, derived

    def _measures(self, period: ReportingPeriod, ratings: list[Rating]) -> tuple[list, list]:
        # Long because: a data generator: one period's dip samples and figures drawn in a fixed
        # order, which keeps the seeded data reproducible.
        rng = self.rng
        samples, values = [], []
        for measure in self.measures:
            if measure.method == Measure.Method.DIP_SAMPLE:
                for due in self.rounds[measure.pk]:
                    if not (period.start <= due <= period.end) or rng.random() > 0.9:
                        continue
                    day = max(period.start, due - dt.timedelta(days=rng.randint(0, 10)))
                    sample, result, derived = self._sample(measure, day)
                    samples.append(sample)
                    described = rules.result_describe(
                        rules.Result(
                            on=day,
                            value=result,
                            kind=rules.SAMPLE,
                            pk=0,
                            sample_size=sample.sample_size,
                            compliant=sample.compliant,
                            mitigation=sample.mitigation,
                        ),
                        unit=measure.unit,
                    )
                    rating = self._rating(
                        item=measure,
                        subject=Rating.Subject.MEASURE,
                        rag=derived,
                        day=day,
                        author=self.qa,
                        commentary=described,
                        suggested=derived,
                    )
                    ratings.append(rating)
                    self.measure_rag[measure.pk] = derived
            elif measure.method == Measure.Method.PERFORMANCE:
                if rng.random() > 0.9:
                    continue
                self.quality[measure.pk] = min(
                    0.99, self.quality[measure.pk] + rng.uniform(-0.02, 0.04)
                )
                value = Decimal(str(round(self.quality[measure.pk] * 100, 1)))
                day = period.end - dt.timedelta(days=rng.randint(5, 20))
                figure = MeasureValue(
                    measure=measure,
                    period=period,
                    as_of=day,
                    value=value,
                    national_average=Decimal("78.0"),
                    statistical_neighbours=Decimal("80.5"),
                    recorded_by=self.qa,
                )
                figure._history_user = self.qa
                figure._history_date = _at(day, rng)
                values.append(figure)
                derived = rules.measure_rag_derive(
                    result=value,
                    target=measure.target,
                    tolerance=measure.tolerance,
                    higher_is_better=measure.higher_is_better,
                )
                ratings.append(
                    self._rating(
                        item=measure,
                        subject=Rating.Subject.MEASURE,
                        rag=derived,
                        day=day,
                        author=self.qa,
                        commentary=f"Performance figure {value}% as of {short_day(day)}.",
                        suggested=derived,
                    )
                )
                self.measure_rag[measure.pk] = derived
            else:
                if rng.random() > 0.7:
                    continue
                action = measure.action
                rag = self._next_rag(self.measure_rag.get(measure.pk, RAG.NOT_RATED))
                if action.status == Action.Status.COMPLETE:
                    rag = RAG.BLUE
                ratings.append(
                    self._rating(
                        item=measure,
                        subject=Rating.Subject.MEASURE,
                        rag=rag,
                        day=_day_in(rng, period.start, period.end - dt.timedelta(days=3)),
                        author=self.owner_users[self.owner_of.get(action.pk, self.owners[0].pk)],
                        commentary=self._commentary(rag, action),
                    )
                )
                self.measure_rag[measure.pk] = rag
        return samples, values

    def _facets(self, period: ReportingPeriod, ratings: list[Rating]) -> None:
        """Plans written the 2015 way rate each recommendation's outcome required, impact
        for children and actions completed each period."""
        if self.index % 2 == 0:
            return
        rng = self.rng
        for rec in self.recs:
            for facet in (
                Rating.Subject.OUTCOME,
                Rating.Subject.IMPACT,
                Rating.Subject.PROGRESS,
            ):
                if rng.random() > 0.9:
                    continue
                rag = _pick(rng, ((RAG.GREEN, 4), (RAG.AMBER, 4), (RAG.RED, 2)))
                ratings.append(
                    self._rating(
                        item=rec,
                        subject=facet,
                        rag=rag,
                        day=period.end - dt.timedelta(days=rng.randint(3, 10)),
                        author=self.admin,
                        commentary=f"Board assessment of {rec.title.lower()}.",
                    )
                )

    # The open period, through the services ---------------------------------------------

    def _open_period(self, period: ReportingPeriod) -> None:
        """Mid-period: some owners have updated, some samples and figures are in, some
        proposed ratings are confirmed. Everything goes through the services."""
        # Long because: a data generator: the middle of a period acted out through the services
        # in a fixed order, which keeps the seeded data reproducible.
        rng = self.rng
        self.period = period
        self._revise_due_dates(period)
        # ANCHOR_END is in the past, so these dates pass the "not in the future" checks.
        until = max(period.start, period.end - dt.timedelta(days=3))
        proposed: list[Rating] = []
        count = 0
        for action in self.actions:
            if action.status == Action.Status.COMPLETE or rng.random() > OPEN_SHARE:
                continue
            author = self.owner_users[self.owner_of.get(action.pk, self.owners[0].pk)]
            day = _day_in(rng, period.start, until)
            rag, suggested, reason = self._action_choice(action, day)
            rating = services.rating_record(
                item=action,
                rag=rag,
                user=author,
                commentary=self._commentary(rag, action),
                period=period,
                suggested_rag=suggested,
                override_reason=reason,
                created=_at(day, rng),
            )
            count += 1
            if rating.status == Rating.Status.PROPOSED:
                proposed.append(rating)
            if rag == RAG.BLUE:
                action.status = Action.Status.COMPLETE
                action.completed_on = day
                save_versioned(
                    action, expected_version=action.version, user=author, reason="completed"
                )
        for rating in proposed:
            if rng.random() < 0.5:
                plan_periods.rating_confirm(rating=rating, user=self.qa)
        for measure in self.measures:
            if measure.method == Measure.Method.DIP_SAMPLE:
                due = [d for d in self.rounds[measure.pk] if period.start <= d <= until]
                for day in due[:1]:
                    if rng.random() > OPEN_SHARE:
                        continue
                    self.quality[measure.pk] = min(0.99, self.quality[measure.pk] + 0.01)
                    size = rng.randint(8, 30)
                    compliant = sum(rng.random() < self.quality[measure.pk] for _ in range(size))
                    audit_services.dip_sample_record(
                        measure=measure,
                        user=self.qa,
                        sampled_on=day,
                        sample_size=size,
                        compliant=compliant,
                        findings="Sample taken from open cases in all localities.",
                    )
                    count += 1
            elif measure.method == Measure.Method.PERFORMANCE and rng.random() < OPEN_SHARE:
                value = Decimal(str(round(min(0.99, self.quality[measure.pk] + 0.01) * 100, 1)))
                audit_services.measure_value_record(
                    measure=measure,
                    user=self.qa,
                    as_of=until,
                    value=value,
                    national_average=Decimal("78.0"),
                    statistical_neighbours=Decimal("80.5"),
                )
                count += 1
            elif measure.method == Measure.Method.MILESTONE and rng.random() < OPEN_SHARE:
                action = measure.action
                rag = self._next_rag(self.measure_rag.get(measure.pk, RAG.NOT_RATED))
                if action.status == Action.Status.COMPLETE:
                    rag = RAG.BLUE
                services.rating_record(
                    item=measure,
                    rag=rag,
                    user=self.owner_users[self.owner_of.get(action.pk, self.owners[0].pk)],
                    commentary=self._commentary(rag, action),
                    period=period,
                    created=_at(_day_in(rng, period.start, until), rng),
                )
                count += 1
        self.result.add("open-period updates through services", count)


def _quarter_start(end: dt.date, quarters: int) -> dt.date:
    """The first day of the financial quarter `quarters` quarters back, ending on `end`."""
    month = end.month - (end.month - 1) % 3  # first month of the quarter holding `end`
    index = end.year * 12 + month - 1 - 3 * (quarters - 1)
    return dt.date(index // 12, index % 12 + 1, 1)

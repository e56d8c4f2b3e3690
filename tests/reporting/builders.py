"""A small plan with two closed quarters and an open one, rated through the services, and a
committee report on its Q2 position: what the committee-report tests render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from audits.models import MeasureValue
from plans import services
from plans.models import RagCriterion, RemedialAction, ReportingPeriod
from reporting.models import CommitteeReport
from tests import factories

LONDON = ZoneInfo("Europe/London")

COVER = {
    "committee": "Children and Education Scrutiny Committee",
    "meeting_date": dt.date(2024, 11, 11),
    "agenda_item": "6",
    "title": "Children's Services Improvement: Action Plan & Progress Monitoring",
    "report_of": "Executive Director for Children and Young People",
    "cabinet_member": "Councillor Katy Cole, Cabinet Member for Children's Services",
    "contact_officers": "Sara Graves, Service Director. Tel. 07483 351428",
    "recommendations": "The committee is asked to note the progress made.",
    "origin": "This report follows the Group Representatives meeting.",
    "purpose": "To summarise progress against the action plan.\n\nSecond paragraph.",
}


@dataclass
class ReportedPlan:
    plan: object
    q1: ReportingPeriod
    q2: ReportingPeriod
    q3: ReportingPeriod
    report: CommitteeReport
    recommendations: list = field(default_factory=list)
    actions: list = field(default_factory=list)
    measures: list = field(default_factory=list)


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=LONDON)


def build_reported_plan(
    *, areas: int = 2, actions_per_area: int = 3, slug: str = ""
) -> ReportedPlan:
    """Q1 and Q2 2024/25 closed, Q3 open. As of Q2: the first action Red, the second
    Amber with a revised due date, the third not updated (carried forward from Q1), the
    rest Green; the first action's measure Red on a dip sample of 6 in 10, the last
    measure with a performance figure and comparators."""
    plan = factories.PlanFactory(
        **({"slug": slug} if slug else {}), title="Children's Services Improvement Plan"
    )
    q1 = factories.PeriodFactory(
        plan=plan, label="Q1 2024/25", start=dt.date(2024, 4, 1), end=dt.date(2024, 6, 30)
    )
    q2 = factories.PeriodFactory(
        plan=plan,
        label="Q2 2024/25",
        start=dt.date(2024, 7, 1),
        end=dt.date(2024, 9, 30),
        state=ReportingPeriod.State.UPCOMING,
    )
    q3 = factories.PeriodFactory(
        plan=plan,
        label="Q3 2024/25",
        start=dt.date(2024, 10, 1),
        end=dt.date(2024, 12, 31),
        state=ReportingPeriod.State.UPCOMING,
    )
    for rag, text in (
        ("blue", "All necessary actions have been completed"),
        ("red", "Necessary actions have commenced but will not be completed before the due date"),
    ):
        RagCriterion.objects.create(plan=plan, kind="action", rag=rag, criteria=text)
    owner = factories.OwnerFactory(post="Service Director – Practice")
    built = ReportedPlan(plan=plan, q1=q1, q2=q2, q3=q3, report=None)
    for area in range(areas):
        rec = factories.RecommendationFactory(
            plan=plan,
            ref=str(area + 1),
            position=area,
            title=f"Area {area + 1}: the quality of support for care leavers",
        )
        built.recommendations.append(rec)
        outcome = factories.OutcomeFactory(
            recommendation=rec, ref=f"{area + 1}.1", text="Care leavers have a PA."
        )
        for index in range(actions_per_area):
            action = factories.ActionFactory(
                recommendation=rec,
                outcome=outcome,
                ref=f"{area + 1}.{index + 1}",
                position=index,
                text=f"Action {area + 1}.{index + 1}: allocate a personal adviser promptly",
                timescale_text="Dec 24",
                due_date=dt.date(2024, 12, 31),
                owners=[owner],
            )
            built.actions.append(action)
            built.measures.append(
                factories.MeasureFactory(
                    action=action,
                    text=f"Measure {area + 1}.{index + 1}: dip sample x 3. Target 90%.",
                )
            )

    for item in built.actions + built.measures:
        services.rating_record(
            item=item,
            rag="green",
            user=None,
            commentary="On track in Q1.",
            period=q1,
            created=noon(q1.end),
        )
    services.period_close(period=q1, now=noon(q1.end))

    first, second, third = (built.actions + [None, None, None])[:3]
    for item in built.actions + built.measures:
        if item is third:
            continue
        rag, commentary = "green", "On track."
        if item is first:
            rag, commentary = "red", "Recruitment of personal advisers is behind plan."
        elif item is second:
            rag, commentary = "amber", "Training delayed by staff absence."
        elif item is built.measures[0]:
            rag, commentary = "red", "Dip sample 6 of 10 compliant."
        services.rating_record(
            item=item, rag=rag, user=None, commentary=commentary, period=q2, created=noon(q2.end)
        )
    if second is not None:
        second.refresh_from_db()
        services.action_revise_due_date(
            action=second,
            new_date=dt.date(2025, 2, 28),
            reason="Trainer unavailable",
            user=None,
            expected_version=second.version,
        )
    RemedialAction.objects.create(
        plan=plan,
        action=first,
        text="Agency personal advisers engaged until recruitment completes.",
        responsible="Head of Service",
        due_date=dt.date(2025, 1, 31),
    )
    factories.DipSampleFactory(
        measure=built.measures[0], sampled_on=dt.date(2024, 9, 15), sample_size=10, compliant=6
    )
    MeasureValue.objects.create(
        measure=built.measures[-1],
        period=q2,
        as_of=dt.date(2024, 9, 30),
        value=46.3,
        national_average=56,
        statistical_neighbours=52,
    )
    services.period_close(period=q2, now=noon(q2.end))
    q1.refresh_from_db()
    q2.refresh_from_db()
    q3.refresh_from_db()
    built.report = factories.CommitteeReportFactory(plan=plan, period=q2, **COVER)
    return built

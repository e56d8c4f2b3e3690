"""Each figure on the dashboard against values worked out by hand on a small plan.

The plan (`build_board_plan`) has three quarterly periods, Q1 and Q2 2024/25 closed and
Q3 open, two recommendations, four actions and three measures:

    action  rec  Q1      Q2               Q3                 due (baseline)
    1.1     1    Green   Amber            Red                30 Nov 2024
    1.2     1    Amber   (carried Amber)  Green              31 Mar 2025 (31 Dec 2024),
                                                             revised on 15 Nov 2024
    2.1     2    Green   Blue, complete   (not updated)      31 Jan 2025
    2.2     2    -       -                Green, proposed    30 Jun 2024

    measure        target  ratings                   results
    M1 on 1.1      90      Q1 Amber, Q3 Green        sample 10 May 80%, figure 5 Nov 50,
                                                     sample 10 Nov 95%
    M2 on 1.1      90      Q2 Red                    sample 20 Nov 70% (and a figure of 95
                                                     the same day: the sample wins)
    M3 on 2.1      50      -                         figure 1 Dec 40

M2 has a monthly schedule of 3 rounds from 31 Oct 2024 with one sample done; M1 a
quarterly one of 2 rounds from 30 Jun 2024 with both samples done.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, Q
from django.utils import timezone

from audits.models import MeasureValue
from board import selectors as board
from plans import movement as plan_movement
from plans import services
from plans.models import Action, DueDateRevision, Plan, ReportingPeriod
from tests import factories

TODAY = dt.date(2026, 11, 23)


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


def counts(blue=0, green=0, amber=0, red=0, not_rated=0) -> dict[str, int]:
    return {"blue": blue, "green": green, "amber": amber, "red": red, "": not_rated}


def build_board_plan(admin, *, slug="board-plan", title="Children's services plan") -> dict:
    plan = factories.PlanFactory(slug=slug, title=title)
    q1, q2, q3 = (
        factories.PeriodFactory(plan=plan, label=label, start=start, end=end, state=state)
        for label, start, end, state in (
            ("Q1 2024/25", dt.date(2024, 4, 1), dt.date(2024, 6, 30), "open"),
            ("Q2 2024/25", dt.date(2024, 7, 1), dt.date(2024, 9, 30), "upcoming"),
            ("Q3 2024/25", dt.date(2024, 10, 1), dt.date(2024, 12, 31), "upcoming"),
        )
    )
    owner = factories.OwnerFactory(post="Head of Service – Care Leavers")
    rec1 = factories.RecommendationFactory(plan=plan, ref="1", position=1, title="Care leavers")
    rec2 = factories.RecommendationFactory(plan=plan, ref="2", position=2, title="Front door")
    a11 = factories.ActionFactory(
        recommendation=rec1, ref="1.1", position=1, due_date=dt.date(2024, 11, 30), owners=[owner]
    )
    a12 = factories.ActionFactory(
        recommendation=rec1, ref="1.2", position=2, due_date=dt.date(2024, 12, 31)
    )
    a21 = factories.ActionFactory(
        recommendation=rec2, ref="2.1", position=1, due_date=dt.date(2025, 1, 31), owners=[owner]
    )
    a22 = factories.ActionFactory(
        recommendation=rec2, ref="2.2", position=2, due_date=dt.date(2024, 6, 30)
    )
    m1 = factories.MeasureFactory(action=a11, text="M1 dip sample", target=90, tolerance=10)
    m2 = factories.MeasureFactory(action=a11, text="M2 dip sample", target=90, tolerance=10)
    m3 = factories.MeasureFactory(action=a21, text="M3 figure", target=50, tolerance=5)

    def rate(item, rag, period, day, **extra):
        return services.rating_record(
            item=item,
            rag=rag,
            user=admin,
            commentary=f"{rag or 'not rated'} in {period.label}",
            period=period,
            created=_at(day),
            **extra,
        )

    rate(a11, "green", q1, dt.date(2024, 6, 1))
    rate(a12, "amber", q1, dt.date(2024, 6, 1))
    rate(a21, "green", q1, dt.date(2024, 6, 1))
    rate(m1, "amber", q1, dt.date(2024, 6, 1))
    services.period_close(period=q1, user=admin, now=_at(dt.date(2024, 6, 30)))

    q2.refresh_from_db()
    rate(a11, "amber", q2, dt.date(2024, 9, 1))
    rate(a21, "blue", q2, dt.date(2024, 9, 15))
    a21.status, a21.completed_on = Action.Status.COMPLETE, dt.date(2024, 9, 15)
    a21.save()
    rate(m2, "red", q2, dt.date(2024, 9, 1))
    services.period_close(period=q2, user=admin, now=_at(dt.date(2024, 9, 30)))

    q3.refresh_from_db()
    rate(a11, "red", q3, dt.date(2024, 12, 1))
    rate(a12, "green", q3, dt.date(2024, 12, 1))
    rate(m1, "green", q3, dt.date(2024, 12, 1))
    rate(a22, "green", q3, dt.date(2024, 12, 2), confirmed=False)
    a12.refresh_from_db()
    revision = services.action_revise_due_date(
        action=a12,
        new_date=dt.date(2025, 3, 31),
        reason="Waiting for the new system",
        user=admin,
        expected_version=a12.version,
    )
    DueDateRevision.objects.filter(pk=revision.pk).update(created=_at(dt.date(2024, 11, 15)))

    schedule1 = factories.AuditScheduleFactory(
        measure=m1,
        cadence="quarterly",
        interval_months=3,
        rounds=2,
        first_due=dt.date(2024, 6, 30),
    )
    schedule2 = factories.AuditScheduleFactory(
        measure=m2, cadence="monthly", interval_months=1, rounds=3, first_due=dt.date(2024, 10, 31)
    )
    factories.DipSampleFactory(
        measure=m1, schedule=schedule1, sampled_on=dt.date(2024, 5, 10), sample_size=10, compliant=8
    )
    factories.DipSampleFactory(
        measure=m1,
        schedule=schedule1,
        sampled_on=dt.date(2024, 11, 10),
        sample_size=20,
        compliant=19,
    )
    factories.DipSampleFactory(
        measure=m2,
        schedule=schedule2,
        sampled_on=dt.date(2024, 11, 20),
        sample_size=10,
        compliant=7,
    )
    MeasureValue.objects.create(measure=m1, as_of=dt.date(2024, 11, 5), value=Decimal("50"))
    MeasureValue.objects.create(measure=m2, as_of=dt.date(2024, 11, 20), value=Decimal("95"))
    MeasureValue.objects.create(measure=m3, as_of=dt.date(2024, 12, 1), value=Decimal("40"))
    return {
        "plan": plan,
        "periods": (q1, q2, q3),
        "recs": (rec1, rec2),
        "actions": (a11, a12, a21, a22),
        "measures": (m1, m2, m3),
        "owner": owner,
    }


@pytest.fixture
def built(plan_admin):
    return build_board_plan(plan_admin)


def scope_for(built, label: str, **filters) -> board.Scope:
    plan = Plan.objects.get(pk=built["plan"].pk)
    periods = list(plan.periods.order_by("end"))
    period = next(p for p in periods if p.label == label)
    return board.Scope((board.plan_at(plan, periods, period, today=TODAY),), **filters)


def test_the_plan_is_looked_at_as_of_its_latest_closed_period_by_default(built):
    plan = built["plan"]
    at = board.plan_at(plan, list(plan.periods.all()), today=TODAY)
    assert at.period.label == "Q2 2024/25"  # not Q3, open and mostly not updated yet
    assert at.previous.label == "Q1 2024/25"
    assert at.as_of == dt.date(2024, 9, 30)  # the period has ended; judged on its end


def test_the_open_period_is_the_default_until_a_period_has_closed():
    q1 = ReportingPeriod(pk=1, label="Q1", end=dt.date(2024, 6, 30), state="open")
    q2 = ReportingPeriod(pk=2, label="Q2", end=dt.date(2024, 9, 30), state="upcoming")
    assert board.default_period([q1]) == q1
    assert board.default_period([]) is None
    q1.state, q2.state = "closed", "open"
    assert board.default_period([q1, q2]) == q1


def test_the_window_of_an_open_period_reaches_back_to_the_latest_closed_one(built):
    plan = built["plan"]
    q3 = built["periods"][2]
    at = board.plan_at(plan, list(plan.periods.all()), q3, today=TODAY)
    assert at.previous.label == "Q2 2024/25"
    # Q2 is closed, so Q3's positions are found in Q2 and Q3 only.
    assert set(at.window) == {p.pk for p in built["periods"][1:]}
    assert at.as_of == dt.date(2024, 12, 31)


def test_a_period_can_be_compared_with_any_earlier_one(built):
    plan = built["plan"]
    q1, q2, q3 = built["periods"]
    periods = list(plan.periods.all())
    at = board.plan_at(plan, periods, q3, compare=q1, today=TODAY)
    assert at.previous == q1
    assert set(at.since_previous) == {q2.pk, q3.pk}
    # Not earlier than the period: the period before instead.
    assert board.plan_at(plan, periods, q2, compare=q3, today=TODAY).previous == q1
    assert board.plan_at(plan, periods, q2, compare=q2, today=TODAY).previous == q1
    assert [p.label for p in board.earlier_periods(periods, q3)] == ["Q1 2024/25", "Q2 2024/25"]


def test_movement_compared_with_an_earlier_period_agrees_with_the_periods_module(built):
    """Q3 against Q1 skips Q2, where 1.1 and 2.1 moved: their movement must be counted
    from Q1, not lost because Q2's ratings are outside Q3's window."""
    plan = built["plan"]
    q1, _, q3 = built["periods"]
    scope = board.Scope(
        (board.plan_at(plan, list(plan.periods.all()), q3, compare=q1, today=TODAY),)
    )
    reference = plan_movement.movement(plan, q1, q3)
    ours = board.movement_counts(scope)[plan.pk]
    for direction in board.Direction:
        assert ours.actions[direction] + ours.measures[direction] == len(
            [i for i in reference.items("action", "measure") if i.direction == direction]
        )
    moving = [d for d in board.Direction if d != board.Direction.UNCHANGED]
    listed = {
        (kind, item.pk, item.direction)
        for kind in ("action", "measure")
        for item in board.moved(scope, kind, moving)
    }
    expected = {
        (i.kind, i.item_id, i.direction)
        for i in reference.items("action", "measure")
        if i.direction != board.Direction.UNCHANGED
    }
    assert listed == expected
    assert (
        "action",
        built["actions"][2].pk,
        board.Direction.COMPLETED,
    ) in listed  # 2.1: Green in Q1, Blue in Q2


def test_an_open_period_still_running_is_judged_on_today(built):
    plan = built["plan"]
    q3 = built["periods"][2]
    at = board.plan_at(plan, list(plan.periods.all()), q3, today=dt.date(2024, 11, 1))
    assert at.as_of == dt.date(2024, 11, 1)


def test_the_rag_distribution_counts_confirmed_positions_per_recommendation(built):
    rec1, rec2 = built["recs"]
    distribution = board.distributions(scope_for(built, "Q3 2024/25"))[built["plan"].pk]
    # 2.2's proposed Green does not count until it is confirmed.
    assert distribution.actions == counts(blue=1, green=1, red=1, not_rated=1)
    assert distribution.measures == counts(green=1, red=1, not_rated=1)
    assert distribution.by_recommendation[rec1.pk]["actions"] == counts(green=1, red=1)
    assert distribution.by_recommendation[rec2.pk]["actions"] == counts(blue=1, not_rated=1)
    assert distribution.by_recommendation[rec1.pk]["measures"] == counts(green=1, red=1)
    assert distribution.by_recommendation[rec2.pk]["measures"] == counts(not_rated=1)


def test_the_distribution_of_a_closed_period_is_its_frozen_position(built):
    distribution = board.distributions(scope_for(built, "Q2 2024/25"))[built["plan"].pk]
    assert distribution.actions == counts(blue=1, amber=2, not_rated=1)
    assert distribution.measures == counts(amber=1, red=1, not_rated=1)


def test_movement_since_the_previous_period_counts_each_direction(built):
    moved = board.movement_counts(scope_for(built, "Q3 2024/25"))[built["plan"].pk]
    D = board.Direction
    assert moved.actions == {
        D.IMPROVED: 1,
        D.WORSENED: 1,
        D.UNCHANGED: 2,
        D.NEW: 0,
        D.COMPLETED: 0,
    }
    assert moved.measures == {
        D.IMPROVED: 1,
        D.WORSENED: 0,
        D.UNCHANGED: 2,
        D.NEW: 0,
        D.COMPLETED: 0,
    }
    q2 = board.movement_counts(scope_for(built, "Q2 2024/25"))[built["plan"].pk]
    assert q2.actions[D.WORSENED] == 1  # 1.1 Green to Amber
    assert q2.actions[D.COMPLETED] == 1  # 2.1 Green to Blue


def test_movement_agrees_with_the_periods_module(built):
    q2, q3 = built["periods"][1:]
    reference = plan_movement.movement(built["plan"], q2, q3)
    ours = board.movement_counts(scope_for(built, "Q3 2024/25"))[built["plan"].pk]
    for direction in board.Direction:
        assert ours.actions[direction] + ours.measures[direction] == len(
            [i for i in reference.items("action", "measure") if i.direction == direction]
        )


def test_the_first_period_has_no_movement(built):
    assert board.movement_counts(scope_for(built, "Q1 2024/25"))[built["plan"].pk] is None


def test_worsened_items_are_listed_with_both_positions(built):
    a11 = built["actions"][0]
    worsened = board.moved(scope_for(built, "Q3 2024/25"), "action", [board.Direction.WORSENED])
    assert [(a.pk, a.then_rag, a.now_rag) for a in worsened] == [(a11.pk, "amber", "red")]


@pytest.mark.parametrize("label", ["Q2 2024/25", "Q3 2024/25"])
def test_the_items_listed_as_moved_are_those_the_periods_module_says_moved(built, label):
    """Across a closed period (Q2 after Q1) and the open one (Q3 after Q2): every item
    that moved each way, whatever carried forward or stayed unrated."""
    periods = {p.label: p for p in built["periods"]}
    labels = list(periods)
    before = periods[labels[labels.index(label) - 1]]
    reference = plan_movement.movement(built["plan"], before, periods[label])
    moving = [d for d in board.Direction if d != board.Direction.UNCHANGED]
    expected = {
        (i.kind, i.item_id, i.direction)
        for i in reference.items("action", "measure")
        if i.direction != board.Direction.UNCHANGED
    }
    scope = scope_for(built, label)
    listed = {
        (kind, item.pk, item.direction)
        for kind in ("action", "measure")
        for item in board.moved(scope, kind, moving)
    }
    assert listed == expected
    assert expected  # the data moves both ways, so the comparison means something


def test_overdue_actions_are_open_and_past_their_due_date_on_the_as_of_date(built):
    a11, a12, a21, a22 = built["actions"]
    overdue = board.overdue_actions(scope_for(built, "Q3 2024/25"))
    assert [a.pk for a in overdue] == [a22.pk, a11.pk]  # the longest overdue first
    assert board.flag_counts(scope_for(built, "Q3 2024/25"))[built["plan"].pk].overdue == 2
    # As of Q2's end (30 Sep 2024) only 2.2 was overdue.
    assert [a.pk for a in board.overdue_actions(scope_for(built, "Q2 2024/25"))] == [a22.pk]


def test_slipped_actions_compare_the_revised_date_with_the_original(built):
    a12 = built["actions"][1]
    slipped = list(board.slipped_actions(scope_for(built, "Q3 2024/25")))
    assert [(a.pk, a.baseline_due_date, a.due_as_of) for a in slipped] == [
        (a12.pk, dt.date(2024, 12, 31), dt.date(2025, 3, 31))
    ]
    assert slipped[0].revision_count == 1
    assert slipped[0].latest_reason == "Waiting for the new system"


def test_a_revision_made_after_a_past_period_is_not_seen_in_it(built):
    # 1.2 was revised on 15 November: as of 30 September it had not slipped.
    assert list(board.slipped_actions(scope_for(built, "Q2 2024/25"))) == []


def test_measures_below_target_follow_the_latest_result_up_to_the_as_of_date(built):
    m1, m2, m3 = built["measures"]
    below = board.below_target_measures(scope_for(built, "Q3 2024/25"))
    # M1's latest is the 95% sample (later than the figure of 50); M2's sample of 70%
    # beats the figure of 95 recorded the same day; M3's figure of 40 misses 50.
    assert [(m.pk, m.result) for m in below] == [(m2.pk, 70.0), (m3.pk, 40.0)]
    assert board.below_target_counts(scope_for(built, "Q3 2024/25")) == {built["plan"].pk: 2}
    # As of 30 September only M1's 80% sample existed.
    assert [m.pk for m in board.below_target_measures(scope_for(built, "Q2 2024/25"))] == [m1.pk]


def test_items_not_updated_this_period_have_no_rating_of_their_own_in_it(built):
    a11, a12, a21, a22 = built["actions"]
    m1, m2, m3 = built["measures"]
    scope = scope_for(built, "Q3 2024/25")
    # 2.2's proposed rating is an update, awaiting confirmation.
    assert [a.pk for a in board.not_updated_actions(scope)] == [a21.pk]
    assert [m.pk for m in board.not_updated_measures(scope)] == [m2.pk, m3.pk]
    q2 = scope_for(built, "Q2 2024/25")
    assert [a.pk for a in board.not_updated_actions(q2)] == [a12.pk, a22.pk]
    assert [(a.pk, a.pos_rag) for a in board.not_updated_actions(q2)][0] == (a12.pk, "amber")


def test_audits_overdue_use_the_rounds_done_by_the_as_of_date(built):
    m2 = built["measures"][1]
    overdue = board.audits_overdue_by_plan(scope_for(built, "Q3 2024/25"))[built["plan"].pk]
    assert [(row.measure.pk, row.next_due.round, row.next_due.on) for row in overdue] == [
        (m2.pk, 2, dt.date(2024, 11, 30))
    ]
    assert board.audits_overdue_by_plan(scope_for(built, "Q2 2024/25")) == {}


def test_audits_overdue_agree_with_the_qa_overview_rule_on_every_kind_of_schedule(built):
    """The dashboard computes only each schedule's next round; the QA overview's rule
    (`measure_next_due`) lists every round. They must agree: month ends, rounds done,
    all rounds done with and without a review, and a measure with several schedules
    where a review comes first."""
    from audits import selectors as audit_selectors
    from audits.models import AuditSchedule

    plan = built["plan"]
    action = built["actions"][0]
    shapes = [
        # (first_due, interval, rounds, review_date, samples)
        (dt.date(2024, 1, 31), 1, 12, None, 3),  # month ends: due 30 Apr
        (dt.date(2024, 2, 29), 3, 4, None, 1),  # leap day, quarterly
        (dt.date(2024, 3, 15), 2, 2, dt.date(2024, 12, 1), 2),  # done, review ahead
        (dt.date(2024, 3, 15), 2, 2, None, 2),  # done, nothing left
        (dt.date(2024, 12, 31), 1, 3, None, 0),  # not due yet
    ]
    measures = []
    for first_due, interval, rounds, review, samples in shapes:
        measure = factories.MeasureFactory(plan=plan, action=action)
        schedule = factories.AuditScheduleFactory(
            measure=measure,
            interval_months=interval,
            rounds=rounds,
            first_due=first_due,
            review_date=review,
        )
        for index in range(samples):
            factories.DipSampleFactory(
                measure=measure, schedule=schedule, sampled_on=first_due + dt.timedelta(days=index)
            )
        measures.append(measure)
    # Several schedules: an overdue round, but a review due earlier comes first.
    both = factories.MeasureFactory(plan=plan, action=action)
    factories.AuditScheduleFactory(measure=both, first_due=dt.date(2024, 9, 30), rounds=3)
    reviewed = factories.AuditScheduleFactory(
        measure=both, first_due=dt.date(2024, 1, 31), rounds=1, review_date=dt.date(2024, 8, 1)
    )
    factories.DipSampleFactory(measure=both, schedule=reviewed, sampled_on=dt.date(2024, 1, 20))
    measures.append(both)

    scope = scope_for(built, "Q3 2024/25")
    as_of = scope.single.as_of
    expected = {}
    for measure in [*measures, *built["measures"]]:
        schedules = AuditSchedule.objects.filter(measure=measure).annotate(
            done=Count("dip_samples", filter=Q(dip_samples__sampled_on__lte=as_of))
        )
        due = audit_selectors.measure_next_due(
            list(schedules.order_by("first_due", "pk")), today=as_of
        )
        if due is not None and due.overdue:
            expected[measure.pk] = (
                due.schedule.pk,
                due.round,
                due.rounds,
                due.on,
                due.days_overdue,
            )
    rows = board.audits_overdue_by_plan(scope).get(plan.pk, [])
    got = {
        row.measure.pk: (
            row.next_due.schedule.pk,
            row.next_due.round,
            row.next_due.rounds,
            row.next_due.on,
            row.next_due.days_overdue,
        )
        for row in rows
    }
    assert got == expected
    assert measures[0].pk in got and measures[1].pk in got and both.pk not in got
    assert got[measures[0].pk][1:4] == (4, 12, dt.date(2024, 4, 30))


def test_audits_overdue_are_listed_longest_overdue_first_then_by_measure(built):
    """Equal days overdue keep measure order; a longer overdue comes first however late
    its measure was added."""
    plan, action = built["plan"], built["actions"][0]

    def overdue_since(first_due):
        measure = factories.MeasureFactory(plan=plan, action=action)
        factories.AuditScheduleFactory(measure=measure, first_due=first_due, rounds=2)
        return measure

    first = overdue_since(dt.date(2024, 10, 31))
    second = overdue_since(dt.date(2024, 10, 31))
    longest = overdue_since(dt.date(2024, 7, 31))
    rows = board.overdue_audits(scope_for(built, "Q3 2024/25"))[plan.pk]
    ours = [row for row in rows if row.measure_id in {first.pk, second.pk, longest.pk}]
    assert [(row.measure_id, row.days_overdue) for row in ours] == [
        (longest.pk, 153),
        (first.pk, 61),
        (second.pk, 61),
    ]
    days = [row.days_overdue for row in rows]
    assert days == sorted(days, reverse=True)


def test_ratings_awaiting_confirmation_are_the_proposed_ones_of_the_period(built):
    a22 = built["actions"][3]
    awaiting = list(board.awaiting_confirmation(scope_for(built, "Q3 2024/25")))
    assert [r.action_id for r in awaiting] == [a22.pk]
    assert list(board.awaiting_confirmation(scope_for(built, "Q2 2024/25"))) == []


def test_flag_counts_gather_every_figure(built):
    flags = board.flag_counts(scope_for(built, "Q3 2024/25"))[built["plan"].pk]
    assert (
        flags.overdue,
        flags.slipped,
        flags.below_target,
        flags.actions_not_updated,
        flags.measures_not_updated,
        flags.audits_overdue,
        flags.awaiting_confirmation,
    ) == (2, 1, 2, 1, 2, 1, 1)


def test_the_trend_counts_each_period_oldest_first(built):
    trend = board.trend(scope_for(built, "Q3 2024/25").single)
    assert trend["actions"] == [
        ("Q1 2024/25", counts(green=2, amber=1, not_rated=1)),
        ("Q2 2024/25", counts(blue=1, amber=2, not_rated=1)),
        ("Q3 2024/25", counts(blue=1, green=1, red=1, not_rated=1)),
    ]
    assert trend["measures"] == [
        ("Q1 2024/25", counts(amber=1, not_rated=2)),
        ("Q2 2024/25", counts(amber=1, red=1, not_rated=1)),
        ("Q3 2024/25", counts(green=1, red=1, not_rated=1)),
    ]


def test_the_trend_reads_what_closed_periods_stored_and_agrees_with_counting_again(
    built, django_assert_num_queries
):
    at = scope_for(built, "Q3 2024/25").single
    assert all(p.closing_counts is not None for p in at.periods if p.is_closed)
    with django_assert_num_queries(2):  # the open period, per kind: no query for Q1, Q2
        stored = board.trend(at)
    ReportingPeriod.objects.filter(plan=built["plan"]).update(closing_counts=None)
    at = scope_for(built, "Q3 2024/25").single
    with django_assert_num_queries(4):  # and the closed periods counted, per kind
        counted = board.trend(at)
    assert stored == counted


@pytest.mark.parametrize("filtered", [False, True])
def test_the_open_period_counted_with_the_summary_gives_the_trend_without_more_queries(
    built, filtered, django_assert_num_queries
):
    filters = {"recommendation": built["recs"][0]} if filtered else {}
    scope = scope_for(built, "Q2 2024/25", **filters)  # Q3 is open, and not looked at
    alone = board.trend(scope.single, scope)
    counts = board.summary(scope, live=True)
    assert list(counts.live) == [built["periods"][2].pk]
    assert counts.distributions == board.summary(scope).distributions
    distribution = counts.distributions[built["plan"].pk]
    with django_assert_num_queries(2 if filtered else 0):  # closed periods, when narrowed
        together = board.trend(scope.single, scope, distribution, open_counts=counts.live)
    assert together == alone


def test_a_recommendation_filter_narrows_every_figure(built):
    rec2 = built["recs"][1]
    scope = scope_for(built, "Q3 2024/25", recommendation=rec2)
    assert board.distributions(scope)[built["plan"].pk].actions == counts(blue=1, not_rated=1)
    flags = board.flag_counts(scope)[built["plan"].pk]
    assert (flags.overdue, flags.slipped, flags.below_target, flags.awaiting_confirmation) == (
        1,
        0,
        1,
        1,
    )
    assert board.trend(scope.single, scope)["actions"][0] == (
        "Q1 2024/25",
        counts(green=1, not_rated=1),
    )


def test_an_owner_filter_keeps_only_their_actions_and_measures(built):
    a11, a12, a21, a22 = built["actions"]
    scope = scope_for(built, "Q3 2024/25", owner=built["owner"])
    assert sorted(a.pk for a in board.detailed_actions(scope)) == sorted([a11.pk, a21.pk])
    assert board.distributions(scope)[built["plan"].pk].measures == counts(
        green=1, red=1, not_rated=1
    )


def test_the_drill_down_shows_each_action_with_its_commentary(built):
    rec1 = built["recs"][0]
    scope = scope_for(built, "Q3 2024/25", recommendation=rec1)
    rows = [
        (a.ref, a.pos_rag, a.pos_commentary, a.updated_in_period)
        for a in board.detailed_actions(scope)
    ]
    assert rows == [
        ("1.1", "red", "red in Q3 2024/25", True),
        ("1.2", "green", "green in Q3 2024/25", True),
    ]
    measures = board.detailed_measures(scope)
    assert [(m.text, m.pos_rag, m.result, m.below) for m in measures] == [
        ("M1 dip sample", "green", 95.0, False),
        ("M2 dip sample", "red", 70.0, True),
    ]


def test_recommendation_facets_are_read_as_of_the_period(built, plan_admin):
    rec1 = built["recs"][0]
    q3 = ReportingPeriod.objects.get(pk=built["periods"][2].pk)
    services.rating_record(
        item=rec1, facet="impact", rag="amber", user=plan_admin, commentary="Some impact", period=q3
    )
    facets = board.facet_positions(scope_for(built, "Q3 2024/25"), rec1)
    assert facets == {
        "impact": {"label": "Impact for children", "rag": "amber", "commentary": "Some impact"}
    }
    assert board.facet_positions(scope_for(built, "Q2 2024/25"), rec1) == {}


def test_measure_results_are_listed_oldest_first_up_to_the_as_of_date(built):
    m1 = built["measures"][0]
    results = board.measure_results([m1.pk], dt.date(2024, 12, 31))
    assert results[m1.pk] == [
        (dt.date(2024, 5, 10), 80.0),
        (dt.date(2024, 11, 5), 50.0),
        (dt.date(2024, 11, 10), 95.0),
    ]
    assert board.measure_results([m1.pk], dt.date(2024, 9, 30))[m1.pk] == [
        (dt.date(2024, 5, 10), 80.0)
    ]


def test_plans_side_by_side_are_each_at_their_own_period(built, plan_admin):
    other = factories.PlanFactory(slug="adults", title="Adult social care plan")
    period = factories.PeriodFactory(
        plan=other, label="Q3 2024/25", start=dt.date(2024, 10, 1), end=dt.date(2024, 12, 31)
    )
    action = factories.ActionFactory(
        recommendation=factories.RecommendationFactory(plan=other), due_date=dt.date(2024, 1, 1)
    )
    services.rating_record(item=action, rag="amber", user=plan_admin, period=period)
    ats = board.plans_at([built["plan"], other], today=TODAY)
    # The board plan at its latest closed period (Q2), the other at its open one.
    assert [at.period.label for at in ats] == ["Q2 2024/25", "Q3 2024/25"]
    scope = board.Scope(tuple(ats))
    distributions = board.distributions(scope)
    assert distributions[other.pk].actions == counts(amber=1)
    assert distributions[built["plan"].pk].actions == counts(blue=1, amber=2, not_rated=1)
    flags = board.flag_counts(scope)
    # As of 30 Sep 2024 only 2.2 (due 30 Jun 2024) is overdue in the board plan.
    assert (flags[other.pk].overdue, flags[built["plan"].pk].overdue) == (1, 1)
    assert board.movement_counts(scope)[other.pk] is None

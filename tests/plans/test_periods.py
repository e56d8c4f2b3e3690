"""Reporting periods: created from rules, closed in London dates, frozen, reopened."""

import datetime as dt
import threading
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, connection, transaction

from plans import movement, periods, services
from plans.models import Rating, ReportingPeriod
from tests import factories
from tests.conftest import requires_postgres

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC


def london(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def _periods(plan, *ends, first_open=True):
    """Consecutive periods ending on the given dates; the first open, the rest upcoming."""
    made, start = [], ends[0] - dt.timedelta(days=30)
    for index, end in enumerate(ends):
        made.append(
            factories.PeriodFactory(
                plan=plan,
                label=f"To {end}",
                start=start,
                end=end,
                state="open" if index == 0 and first_open else "upcoming",
            )
        )
        start = end + dt.timedelta(days=1)
    return made


# --- Creating periods ---------------------------------------------------------------------


def test_quarters_cover_whole_financial_quarters_and_the_first_opens(plan, plan_admin):
    created = periods.periods_create(
        plan=plan,
        rule="quarters",
        start=dt.date(2024, 5, 15),
        end=dt.date(2025, 2, 1),
        user=plan_admin,
    )
    assert [(p.label, p.start, p.end) for p in created] == [
        ("Q1 2024/25", dt.date(2024, 4, 1), dt.date(2024, 6, 30)),
        ("Q2 2024/25", dt.date(2024, 7, 1), dt.date(2024, 9, 30)),
        ("Q3 2024/25", dt.date(2024, 10, 1), dt.date(2024, 12, 31)),
        ("Q4 2024/25", dt.date(2025, 1, 1), dt.date(2025, 3, 31)),
    ]
    states = list(plan.periods.order_by("end").values_list("state", flat=True))
    assert states == ["open", "upcoming", "upcoming", "upcoming"]
    first = plan.periods.get(label="Q1 2024/25")
    assert first.history.first().history_user == plan_admin


def test_months_are_labelled_by_month_and_end_on_the_last_day(plan):
    created = periods.periods_create(
        plan=plan, rule="months", start=dt.date(2024, 1, 10), end=dt.date(2024, 3, 1)
    )
    assert [(p.label, p.end) for p in created] == [
        ("January 2024", dt.date(2024, 1, 31)),
        ("February 2024", dt.date(2024, 2, 29)),
        ("March 2024", dt.date(2024, 3, 31)),
    ]


def test_dated_positions_are_labelled_as_of_their_date_and_follow_each_other(plan):
    created = periods.periods_create(
        plan=plan,
        rule=[dt.date(2016, 3, 1), dt.date(2015, 11, 1), dt.date(2016, 7, 1)],
        start=dt.date(2015, 4, 1),
    )
    assert [(p.label, p.start, p.end) for p in created] == [
        ("As of 1 November 2015", dt.date(2015, 4, 1), dt.date(2015, 11, 1)),
        ("As of 1 March 2016", dt.date(2015, 11, 2), dt.date(2016, 3, 1)),
        ("As of 1 July 2016", dt.date(2016, 3, 2), dt.date(2016, 7, 1)),
    ]


def test_creating_the_same_periods_twice_adds_nothing(plan):
    args = {
        "plan": plan,
        "rule": "quarters",
        "start": dt.date(2024, 4, 1),
        "end": dt.date(2025, 3, 31),
    }
    periods.periods_create(**args)
    assert periods.periods_create(**args) == []
    assert plan.periods.count() == 4


def test_a_period_overlapping_another_is_refused(plan):
    periods.periods_create(
        plan=plan, rule="quarters", start=dt.date(2024, 4, 1), end=dt.date(2024, 9, 30)
    )
    with pytest.raises(ValidationError, match="overlaps Q2 2024/25"):
        periods.periods_create(
            plan=plan, rule="months", start=dt.date(2024, 9, 1), end=dt.date(2024, 10, 31)
        )
    assert plan.periods.count() == 2


def test_periods_cannot_be_added_before_an_open_or_closed_one(plan):
    periods.periods_create(
        plan=plan, rule="quarters", start=dt.date(2024, 7, 1), end=dt.date(2024, 9, 30)
    )
    with pytest.raises(ValidationError, match="must come after"):
        periods.periods_create(
            plan=plan, rule="quarters", start=dt.date(2024, 4, 1), end=dt.date(2024, 6, 30)
        )


def test_an_unknown_rule_is_refused(plan):
    with pytest.raises(ValidationError, match="Unknown rule"):
        periods.periods_create(
            plan=plan, rule="weeks", start=dt.date(2024, 4, 1), end=dt.date(2024, 5, 1)
        )


# --- Closing freezes the position ------------------------------------------------------------


def test_closing_freezes_the_position_as_of_the_period(plan, action, director):
    q2 = plan.periods.get()
    (q3,) = periods.periods_create(
        plan=plan, rule="quarters", start=dt.date(2024, 10, 1), end=dt.date(2024, 12, 31)
    )
    services.rating_record(item=action, rag="amber", user=director, commentary="Late start")
    assert services.period_close(period=q2, user=director) is True

    services.rating_record(item=action, rag="green", user=director, commentary="Caught up")

    assert movement.positions_as_of(plan, q2)[("action", action.pk)].rag == "amber"
    assert movement.positions_as_of(plan, q3)[("action", action.pk)].rag == "green"


def test_an_item_not_updated_carries_its_position_forward_marked_as_such(plan, action, director):
    q2 = plan.periods.get()
    (q3,) = periods.periods_create(
        plan=plan, rule="quarters", start=dt.date(2024, 10, 1), end=dt.date(2024, 12, 31)
    )
    services.rating_record(item=action, rag="red", user=director, commentary="Stuck")
    services.period_close(period=q2, user=director)
    services.period_close(period=q3, user=director)

    carried = Rating.objects.get(period=q3, action=action)
    assert carried.carried_forward is True
    assert carried.rag == "red"
    position = movement.positions_as_of(plan, q3)[("action", action.pk)]
    assert position.carried_forward is True
    assert movement.positions_as_of(plan, q2)[("action", action.pk)].carried_forward is False


def test_closing_twice_is_a_no_op(plan, action, director):
    period = plan.periods.get()
    services.rating_record(item=action, rag="green", user=director)
    assert services.period_close(period=period, user=director) is True
    ratings, history = Rating.objects.count(), period.history.count()
    assert services.period_close(period=period, user=director) is False
    assert periods.periods_close_due(now=london(2030, 1, 1, 12)) == []
    assert (Rating.objects.count(), period.history.count()) == (ratings, history)


def test_a_rating_in_a_closed_period_is_refused_everywhere(plan, action, director, qa_lead):
    period = plan.periods.get()
    rating = services.rating_record(item=action, rag="green", user=director)
    services.period_close(period=period, user=director)
    with pytest.raises(ValidationError, match="closed"):
        services.rating_record(item=action, rag="red", user=director, period=period)
    rating.refresh_from_db()
    rating.commentary = "rewritten"
    with pytest.raises(ValidationError):
        rating.save()
    assert Rating.objects.get(pk=rating.pk).commentary == ""


def test_periods_close_in_order(plan, action, director):
    q2 = plan.periods.get()
    (q3,) = periods.periods_create(
        plan=plan, rule="quarters", start=dt.date(2024, 10, 1), end=dt.date(2024, 12, 31)
    )
    with pytest.raises(ValidationError, match=f"Close {q2.label} first"):
        services.period_close(period=q3, user=director)
    q3.refresh_from_db()
    assert q3.state == ReportingPeriod.State.UPCOMING


# --- Closing on schedule, in London dates ------------------------------------------------------


def test_a_rating_at_2330_on_the_last_day_belongs_to_the_period_when_the_clocks_go_back(
    plan, director
):
    # 27 October 2024: BST ends at 02:00, so 23:30 that evening is 23:30 GMT.
    action = factories.ActionFactory(recommendation=factories.RecommendationFactory(plan=plan))
    october, november = _periods(plan, dt.date(2024, 10, 27), dt.date(2024, 11, 30))
    late = london(2024, 10, 27, 23, 30)

    assert periods.periods_close_due(now=late) == []
    rating = services.rating_record(item=action, rag="amber", user=director, created=late)
    assert rating.period == october

    assert [p.pk for p in periods.periods_close_due(now=london(2024, 10, 28, 0, 30))] == [
        october.pk
    ]
    october.refresh_from_db()
    november.refresh_from_db()
    assert october.is_closed and november.state == ReportingPeriod.State.OPEN
    assert movement.positions_as_of(plan, october)[("action", action.pk)].rag == "amber"


def test_a_period_closes_at_london_midnight_when_the_clocks_go_forward(plan, director):
    # 31 March 2024: BST starts at 01:00. 00:30 on 1 April in London is still 31 March
    # in UTC, so a UTC date would wrongly leave the period open.
    action = factories.ActionFactory(recommendation=factories.RecommendationFactory(plan=plan))
    march, april = _periods(plan, dt.date(2024, 3, 31), dt.date(2024, 4, 30))
    late = london(2024, 3, 31, 23, 30)
    assert late.astimezone(UTC).hour == 22

    assert periods.periods_close_due(now=late) == []
    services.rating_record(item=action, rag="green", user=director, created=late)

    just_after = london(2024, 4, 1, 0, 30)
    assert just_after.astimezone(UTC).date() == dt.date(2024, 3, 31)
    assert [p.pk for p in periods.periods_close_due(now=just_after)] == [march.pk]
    assert movement.positions_as_of(plan, march)[("action", action.pk)].rag == "green"


def test_the_last_day_of_summer_time_ends_at_london_midnight_not_utc_midnight(plan):
    (saturday,) = _periods(plan, dt.date(2024, 10, 26))
    assert periods.periods_close_due(now=dt.datetime(2024, 10, 26, 22, 59, tzinfo=UTC)) == []
    # 23:30 UTC on the 26th is 00:30 BST on the 27th.
    closed = periods.periods_close_due(now=dt.datetime(2024, 10, 26, 23, 30, tzinfo=UTC))
    assert [p.pk for p in closed] == [saturday.pk]


def test_periods_missed_while_the_scheduler_was_down_close_in_order(plan, director):
    action = factories.ActionFactory(recommendation=factories.RecommendationFactory(plan=plan))
    first, second, third = _periods(
        plan, dt.date(2024, 6, 30), dt.date(2024, 9, 30), dt.date(2024, 12, 31)
    )
    services.rating_record(item=action, rag="amber", user=director)
    closed = periods.periods_close_due(now=london(2024, 11, 5, 0, 5))
    assert [p.pk for p in closed] == [first.pk, second.pk]
    third.refresh_from_db()
    assert third.state == ReportingPeriod.State.OPEN
    second_position = movement.positions_as_of(plan, second)[("action", action.pk)]
    assert (second_position.rag, second_position.carried_forward) == ("amber", True)


def test_a_quarter_closing_on_schedule_with_nothing_after_it_opens_the_next(plan, period, director):
    q2 = plan.periods.get()
    action = factories.ActionFactory(recommendation=factories.RecommendationFactory(plan=plan))
    services.rating_record(item=action, rag="amber", user=director)
    # Closed on 5 January 2025: Q2 and then Q3, which had also ended; Q4 is open.
    closed = periods.periods_close_due(now=london(2025, 1, 5, 0, 5))
    assert [p.label for p in closed] == [q2.label, "Q3 2024/25"]
    assert [(p.label, p.start, p.end, p.state) for p in plan.periods.order_by("start")][-1] == (
        "Q4 2024/25",
        dt.date(2025, 1, 1),
        dt.date(2025, 3, 31),
        ReportingPeriod.State.OPEN,
    )
    q3 = plan.periods.get(label="Q3 2024/25")
    assert movement.positions_as_of(plan, q3)[("action", action.pk)].rag == "amber"


def test_periods_of_other_rules_are_not_continued(plan):
    (only,) = _periods(plan, dt.date(2016, 11, 1))
    assert periods.periods_close_due(now=london(2016, 11, 2, 0, 5)) == [only]
    assert not plan.periods.exclude(state=ReportingPeriod.State.CLOSED).exists()


def test_one_plan_failing_to_close_does_not_stop_the_others(plan):
    (ours,) = _periods(plan, dt.date(2024, 6, 30))
    (theirs,) = _periods(factories.PlanFactory(), dt.date(2024, 6, 29))
    real_close = services.period_close

    def close(*, period, **kwargs):
        if period.pk == theirs.pk:
            raise OperationalError("database went away")
        return real_close(period=period, **kwargs)

    with (
        mock.patch("plans.periods.services.period_close", side_effect=close),
        pytest.raises(OperationalError),
    ):
        periods.periods_close_due(now=london(2024, 7, 1, 0, 5))
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.is_closed and not theirs.is_closed
    assert [p.pk for p in periods.periods_close_due(now=london(2024, 7, 1, 0, 6))] == [theirs.pk]


# --- Reopening ------------------------------------------------------------------------------


@pytest.fixture
def two_quarters(plan, action, director):
    q2 = plan.periods.get()
    (q3,) = periods.periods_create(
        plan=plan, rule="quarters", start=dt.date(2024, 10, 1), end=dt.date(2024, 12, 31)
    )
    return q2, q3


def test_a_plan_administrator_reopens_a_closed_period_with_the_reason_in_history(
    plan, action, director, plan_admin, two_quarters
):
    q2, q3 = two_quarters
    services.period_close(period=q2, user=plan_admin)

    periods.period_reopen(period=q2, user=plan_admin, reason="Dip-sample results arrived late")

    q2.refresh_from_db()
    q3.refresh_from_db()
    assert q2.state == ReportingPeriod.State.OPEN and q2.closed_at is None
    assert q3.state == ReportingPeriod.State.UPCOMING
    latest = q2.history.first()
    assert latest.history_user == plan_admin
    assert latest.history_change_reason == "reopened: Dip-sample results arrived late"
    rating = services.rating_record(item=action, rag="green", user=director)
    assert rating.period == q2


def test_reopening_removes_carried_positions_so_closing_again_uses_new_ratings(
    plan, action, director, qa_lead, plan_admin, two_quarters
):
    plan.requires_signoff = True
    plan.save()
    q2, _ = two_quarters
    services.rating_record(item=action, rag="amber", user=qa_lead)
    services.period_close(period=q2, user=plan_admin)
    (q3,) = plan.periods.filter(label="Q3 2024/25")
    proposed = services.rating_record(item=action, rag="green", user=director)
    services.period_close(period=q3, user=plan_admin)
    assert movement.positions_as_of(plan, q3)[("action", action.pk)].rag == "amber"

    periods.period_reopen(period=q3, user=plan_admin, reason="Confirmation was missed")
    assert not Rating.objects.filter(period=q3, carried_forward=True).exists()
    deleted = Rating.history.filter(period_id=q3.pk, history_type="-").get()
    assert deleted.history_user == plan_admin
    periods.rating_confirm(rating=proposed, user=qa_lead)
    services.period_close(period=q3, user=plan_admin)

    position = movement.positions_as_of(plan, q3)[("action", action.pk)]
    assert (position.rag, position.carried_forward) == ("green", False)


@pytest.mark.parametrize("who", ["director", "qa_lead", "clerk", "board_member"])
def test_only_a_plan_administrator_can_reopen_a_period(request, who, plan, two_quarters):
    q2, _ = two_quarters
    services.period_close(period=q2)
    with pytest.raises(PermissionDenied):
        periods.period_reopen(period=q2, user=request.getfixturevalue(who), reason="Because")
    q2.refresh_from_db()
    assert q2.is_closed


def test_reopening_needs_a_reason(plan, plan_admin, two_quarters):
    q2, _ = two_quarters
    services.period_close(period=q2)
    with pytest.raises(ValidationError, match="Say why"):
        periods.period_reopen(period=q2, user=plan_admin, reason="   ")


def test_only_the_latest_closed_period_can_be_reopened(plan, plan_admin, two_quarters):
    q2, q3 = two_quarters
    services.period_close(period=q2)
    services.period_close(period=q3)
    with pytest.raises(ValidationError, match="reopen that first"):
        periods.period_reopen(period=q2, user=plan_admin, reason="Wrong quarter")
    periods.period_reopen(period=q3, user=plan_admin, reason="Late evidence")


def test_reopening_an_open_period_is_refused(plan, plan_admin, two_quarters):
    q2, _ = two_quarters
    with pytest.raises(ValidationError, match="not closed"):
        periods.period_reopen(period=q2, user=plan_admin, reason="Why not")


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_rating_recorded_while_the_period_closes_waits_and_is_refused():
    plan = factories.PlanFactory()
    period = factories.PeriodFactory(plan=plan)
    action = factories.ActionFactory(recommendation=factories.RecommendationFactory(plan=plan))
    user = factories.UserFactory(username="racer")
    closed_inside, release = threading.Event(), threading.Event()
    outcome = {}

    def close():
        try:
            with transaction.atomic():
                services.period_close(period=period, user=user)
                closed_inside.set()
                release.wait(10)  # still holding the period's row lock
        finally:
            connection.close()

    def rate():
        try:
            services.rating_record(item=action, rag="green", user=user, period=period)
            outcome["result"] = "recorded"
        except ValidationError as error:
            outcome["result"] = " ".join(error.messages)
        finally:
            connection.close()

    closer = threading.Thread(target=close)
    closer.start()
    assert closed_inside.wait(10)
    rater = threading.Thread(target=rate)
    rater.start()
    rater.join(0.5)
    assert rater.is_alive(), "the rating should wait for the close to commit"
    release.set()
    closer.join(10)
    rater.join(10)

    assert "is closed" in outcome["result"]
    assert not Rating.objects.filter(period=period, carried_forward=False).exists()

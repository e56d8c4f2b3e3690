"""Movement between two dated positions: each item's RAG then and now, and which way."""

import datetime as dt

import pytest

from plans import movement, periods, services
from plans.models import Rating
from plans.movement import Direction, direction
from tests import factories


@pytest.fixture
def quarters(plan):
    return periods.periods_create(
        plan=plan, rule="quarters", start=dt.date(2024, 7, 1), end=dt.date(2024, 12, 31)
    )


def _rate_and_close(period, ratings, user):
    for item, rag, facet in ratings:
        services.rating_record(item=item, rag=rag, user=user, facet=facet, period=period)
    services.period_close(period=period, user=user)


@pytest.mark.parametrize(
    ("then", "now", "expected"),
    [
        ("red", "green", Direction.IMPROVED),
        ("amber", "green", Direction.IMPROVED),
        ("green", "amber", Direction.WORSENED),
        ("blue", "green", Direction.WORSENED),
        ("amber", "amber", Direction.UNCHANGED),
        ("", "", Direction.UNCHANGED),
        (None, None, Direction.UNCHANGED),
        (None, "red", Direction.NEW),
        ("", "amber", Direction.NEW),
        ("green", "blue", Direction.COMPLETED),
        ("red", "blue", Direction.COMPLETED),
        ("blue", "blue", Direction.UNCHANGED),
        ("green", "", Direction.WORSENED),
    ],
)
def test_direction_compares_two_rags(then, now, expected):
    assert direction(then, now) is expected


def test_movement_gives_every_direction_with_counts_per_recommendation(plan, director, quarters):
    q2, q3 = quarters
    rec = factories.RecommendationFactory(plan=plan, ref="1")
    other = factories.RecommendationFactory(plan=plan, ref="2")
    improving = factories.ActionFactory(recommendation=rec, ref="1.1")
    slipping = factories.ActionFactory(recommendation=rec, ref="1.2")
    steady = factories.ActionFactory(recommendation=rec, ref="1.3")
    finishing = factories.ActionFactory(recommendation=other, ref="2.1")
    measure = factories.MeasureFactory(action=finishing)
    _rate_and_close(
        q2,
        [
            (improving, "red", None),
            (slipping, "green", None),
            (steady, "amber", None),
            (finishing, "green", None),
            (measure, "amber", None),
            (rec, "red", Rating.Subject.OUTCOME),
        ],
        director,
    )
    late_arrival = factories.ActionFactory(recommendation=other, ref="2.2")
    _rate_and_close(
        q3,
        [
            (improving, "green", None),
            (slipping, "amber", None),
            (finishing, "blue", None),
            (late_arrival, "red", None),
            (measure, "green", None),
            (rec, "amber", Rating.Subject.OUTCOME),
        ],
        director,
    )

    result = movement.movement(plan, q2, q3)

    by_ref = {(item.kind, item.ref): item for item in result.items()}
    assert by_ref[("action", "1.1")].direction is Direction.IMPROVED
    assert (by_ref[("action", "1.1")].then_rag, by_ref[("action", "1.1")].now_rag) == (
        "red",
        "green",
    )
    assert by_ref[("action", "1.2")].direction is Direction.WORSENED
    assert by_ref[("action", "1.3")].direction is Direction.UNCHANGED
    assert by_ref[("action", "1.3")].now.carried_forward is True
    assert by_ref[("action", "2.1")].direction is Direction.COMPLETED
    assert by_ref[("action", "2.2")].direction is Direction.NEW
    assert by_ref[("action", "2.2")].then is None
    assert by_ref[("measure", "2.1 M1")].direction is Direction.IMPROVED
    assert by_ref[("outcome", "1")].direction is Direction.IMPROVED
    assert by_ref[("outcome", "1")].kind_label == "Outcome required"

    first, second = result.recommendations
    assert first.recommendation == rec
    assert [item.kind for item in first.items] == ["outcome", "action", "action", "action"]
    assert first.counts == {
        Direction.IMPROVED: 2,
        Direction.WORSENED: 1,
        Direction.UNCHANGED: 1,
        Direction.NEW: 0,
        Direction.COMPLETED: 0,
    }
    assert second.counts_for("action") == {
        Direction.IMPROVED: 0,
        Direction.WORSENED: 0,
        Direction.UNCHANGED: 0,
        Direction.NEW: 1,
        Direction.COMPLETED: 1,
    }
    assert result.counts[Direction.IMPROVED] == 3
    # The plan rates outcomes, so closing recorded recommendation 2's as "not rated".
    assert (by_ref[("outcome", "2")].now_rag, by_ref[("outcome", "2")].direction) == (
        "",
        Direction.UNCHANGED,
    )
    assert sum(result.counts.values()) == 8


def test_movement_counts_confirmed_ratings_unless_asked_otherwise(
    plan, director, qa_lead, quarters
):
    plan.requires_signoff = True
    plan.save()
    q2, q3 = quarters
    action = factories.ActionFactory(recommendation=factories.RecommendationFactory(plan=plan))
    services.rating_record(item=action, rag="red", user=qa_lead, period=q2)
    services.period_close(period=q2)
    services.rating_record(item=action, rag="green", user=director, period=q3)

    (item,) = movement.movement(plan, q2, q3).items("action")
    assert (item.now_rag, item.direction) == ("red", Direction.UNCHANGED)
    (item,) = movement.movement(plan, q2, q3, confirmed_only=False).items("action")
    assert (item.now_rag, item.direction) == ("green", Direction.IMPROVED)


def test_a_rating_sent_back_does_not_move_anything(plan, director, qa_lead, quarters):
    plan.requires_signoff = True
    plan.save()
    q2, q3 = quarters
    action = factories.ActionFactory(recommendation=factories.RecommendationFactory(plan=plan))
    services.rating_record(item=action, rag="amber", user=qa_lead, period=q2)
    services.period_close(period=q2)
    proposed = services.rating_record(item=action, rag="green", user=director, period=q3)
    periods.rating_return(rating=proposed, user=qa_lead, comment="No evidence yet")

    (item,) = movement.movement(plan, q2, q3, confirmed_only=False).items()
    assert item.direction is Direction.UNCHANGED


def test_movement_between_non_adjacent_periods(plan, director):
    first, middle, last = periods.periods_create(
        plan=plan,
        rule=[dt.date(2015, 11, 1), dt.date(2016, 3, 1), dt.date(2016, 7, 1)],
        start=dt.date(2015, 4, 1),
    )
    rec = factories.RecommendationFactory(plan=plan)
    _rate_and_close(first, [(rec, "red", Rating.Subject.OUTCOME)], director)
    _rate_and_close(middle, [(rec, "amber", Rating.Subject.OUTCOME)], director)
    _rate_and_close(last, [(rec, "green", Rating.Subject.OUTCOME)], director)

    (item,) = movement.movement(plan, first, last).items()
    assert (item.then_rag, item.now_rag, item.direction) == ("red", "green", Direction.IMPROVED)


def test_periods_of_another_plan_or_in_reverse_are_refused(plan, quarters):
    q2, q3 = quarters
    elsewhere = factories.PeriodFactory(plan=factories.PlanFactory())
    with pytest.raises(ValueError, match="belong to the plan"):
        movement.movement(plan, q2, elsewhere)
    with pytest.raises(ValueError, match="end before"):
        movement.movement(plan, q3, q2)


def _build(plan, director, q2, q3, size: int) -> None:
    measures = []
    for _ in range(size):
        rec = factories.RecommendationFactory(plan=plan)
        services.rating_record(
            item=rec, rag="red", user=director, facet=Rating.Subject.OUTCOME, period=q2
        )
        for _ in range(3):
            action = factories.ActionFactory(recommendation=rec)
            measures.append(factories.MeasureFactory(action=action))
            services.rating_record(item=action, rag="amber", user=director, period=q2)
    services.period_close(period=q2)
    for measure in measures:
        services.rating_record(item=measure, rag="green", user=director, period=q3)


@pytest.mark.parametrize("size", [2, 12])
def test_movement_takes_the_same_number_of_queries_for_any_size_of_plan(
    plan, director, quarters, size, django_assert_max_num_queries
):
    q2, q3 = quarters
    _build(plan, director, q2, q3, size)
    with django_assert_max_num_queries(10):
        result = movement.movement(plan, q2, q3)
    assert len(list(result.items())) == size * 7

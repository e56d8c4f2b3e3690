"""Ratings are append-only, and frozen once their period closes."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from plans import services
from plans.models import Rating, ReportingPeriod
from tests import factories
from tests.conftest import requires_postgres


def test_a_new_rating_never_overwrites_the_previous_one(action, director):
    first = services.rating_record(item=action, rag="green", user=director, commentary="On track")
    second = services.rating_record(item=action, rag="amber", user=director, commentary="At risk")
    assert Rating.objects.filter(action=action).count() == 2
    first.refresh_from_db()
    assert first.rag == "green"
    assert second.rag == "amber"


def test_changing_the_rag_of_a_saved_rating_is_refused(action, director):
    rating = services.rating_record(item=action, rag="green", user=director, commentary="x")
    rating.rag = "red"
    with pytest.raises(ValidationError, match="never overwritten"):
        rating.save()


def test_a_rating_in_a_closed_period_cannot_be_changed_or_deleted(action, director, period):
    rating = services.rating_record(item=action, rag="green", user=director, commentary="x")
    services.period_close(period=period, user=director)
    rating.refresh_from_db()
    rating.review_comment = "changed later"
    with pytest.raises(ValidationError, match="closed"):
        rating.save()
    with pytest.raises(ValidationError, match="closed"):
        rating.delete()
    assert Rating.objects.filter(pk=rating.pk, review_comment="").exists()


def test_a_closed_period_cannot_be_rated(action, director, period):
    services.period_close(period=period, user=director)
    with pytest.raises(ValidationError, match="closed"):
        services.rating_record(item=action, rag="red", user=director, period=period)


@requires_postgres
def test_the_database_refuses_a_raw_update_of_a_closed_periods_rating(action, director, period):
    rating = services.rating_record(item=action, rag="green", user=director, commentary="x")
    services.period_close(period=period, user=director)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.filter(pk=rating.pk).update(rag="red")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM plans_rating WHERE id = %s", [rating.pk])
    rating.refresh_from_db()
    assert rating.rag == "green"


@requires_postgres
def test_the_database_refuses_to_overwrite_a_rag_even_in_an_open_period(action, director):
    rating = services.rating_record(item=action, rag="green", user=director, commentary="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.filter(pk=rating.pk).update(rag="red")


def test_a_rating_better_than_the_evidence_needs_a_reason(action, director):
    with pytest.raises(ValidationError) as error:
        services.rating_record(item=action, rag="green", user=director, suggested_rag="red")
    assert "override_reason" in error.value.message_dict
    rating = services.rating_record(
        item=action,
        rag="green",
        user=director,
        suggested_rag="red",
        override_reason="Recovery plan agreed with partners",
    )
    assert rating.override_reason == "Recovery plan agreed with partners"


def test_a_directors_rating_is_proposed_where_the_plan_asks_for_sign_off(action, director, qa_lead):
    action.plan.requires_signoff = True
    action.plan.save()
    proposed = services.rating_record(item=action, rag="green", user=director, commentary="x")
    confirmed = services.rating_record(item=action, rag="amber", user=qa_lead, commentary="y")
    assert proposed.status == Rating.Status.PROPOSED
    assert confirmed.status == Rating.Status.CONFIRMED


def test_closing_carries_forward_unrated_items_and_opens_the_next_period(plan, action, director):
    q2 = plan.periods.get()
    services.rating_record(item=action, rag="amber", user=director, commentary="Late start")
    q3 = factories.PeriodFactory(
        plan=plan,
        label="Q3",
        start=dt.date(2024, 10, 1),
        end=dt.date(2024, 12, 31),
        state=ReportingPeriod.State.UPCOMING,
    )
    assert services.period_close(period=q2, user=director) is True
    q3.refresh_from_db()
    assert q3.state == ReportingPeriod.State.OPEN
    assert services.period_close(period=q3, user=director) is True
    carried = Rating.objects.get(period=q3, action=action)
    assert carried.carried_forward is True
    assert carried.rag == "amber"


def test_closing_twice_changes_nothing(plan, action, director, period):
    assert services.period_close(period=period, user=director) is True
    count = Rating.objects.count()
    assert services.period_close(period=period, user=director) is False
    assert Rating.objects.count() == count

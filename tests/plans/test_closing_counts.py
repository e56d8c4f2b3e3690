"""What a period closed with: the RAG counts closing stores with the frozen positions,
which reopening clears, and which the migration gives periods closed before."""

import datetime as dt
import importlib

from django.apps import apps

from plans import periods, selectors, services
from plans.models import ReportingPeriod
from tests import factories


def _rated_plan(plan, period, action, director):
    """Three actions and two measures: rated, re-rated, and never rated."""
    second = factories.ActionFactory(recommendation=action.recommendation, ref="1.2")
    factories.ActionFactory(recommendation=action.recommendation, ref="1.3")  # never rated
    services.rating_record(item=action, rag="green", user=director, period=period)
    services.rating_record(item=second, rag="red", user=director, period=period)
    services.rating_record(item=second, rag="amber", user=director, period=period)
    rated = factories.MeasureFactory(action=action, plan=plan)
    factories.MeasureFactory(action=second, plan=plan)  # never rated
    services.rating_record(item=rated, rag="red", user=director, period=period)


EXPECTED = {"actions": {"green": 1, "amber": 1, "": 1}, "measures": {"red": 1, "": 1}}


def test_closing_stores_the_counts_of_the_positions_it_froze(
    plan, period, action, director, plan_admin
):
    _rated_plan(plan, period, action, director)
    assert period.closing_counts is None
    services.period_close(period=period, user=plan_admin)
    period.refresh_from_db()
    # The latest rating counts (amber, not red); the never rated count as not rated.
    assert period.closing_counts == EXPECTED
    assert period.history.latest().closing_counts == EXPECTED


def test_reopening_clears_them_and_closing_again_counts_what_changed(
    plan, period, action, director, plan_admin
):
    _rated_plan(plan, period, action, director)
    services.period_close(period=period, user=plan_admin)
    periods.period_reopen(period=period, user=plan_admin, reason="A late update")
    period.refresh_from_db()
    assert period.closing_counts is None
    services.rating_record(item=action, rag="blue", user=director, period=period)
    services.period_close(period=period, user=plan_admin)
    period.refresh_from_db()
    assert period.closing_counts["actions"] == {"blue": 1, "amber": 1, "": 1}


def test_the_migration_counts_periods_closed_before_closing_stored_counts(
    plan, period, action, director, plan_admin
):
    _rated_plan(plan, period, action, director)
    services.period_close(period=period, user=plan_admin)
    still_open = factories.PeriodFactory(
        plan=plan,
        label="Q3",
        start=period.end + dt.timedelta(days=1),
        end=period.end + dt.timedelta(days=92),
        state="upcoming",
    )
    ReportingPeriod.objects.update(closing_counts=None)
    migration = importlib.import_module("plans.migrations.0006_period_closing_counts")
    migration.count_closed_periods(apps, None)
    period.refresh_from_db()
    still_open.refresh_from_db()
    assert period.closing_counts == EXPECTED == selectors.closing_counts(period)
    assert still_open.closing_counts is None

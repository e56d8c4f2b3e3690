"""The period tasks through a real Celery worker and the Redis on this machine, not eagerly."""

import datetime as dt

import pytest
from celery.result import EagerResult
from django.core import mail
from django.utils import timezone

from plans import services, tasks
from plans.models import Rating, Reminder, ReportingPeriod
from tests import factories
from tests.conftest import wait_for

# serialized_rollback puts back what the migrations made (the role groups) for the
# transactional tests that follow, since a transactional test empties every table.
pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def person():
    return factories.UserFactory(username="somebody", email="somebody@example.org")


def test_the_worker_closes_a_period_whose_end_date_has_passed(celery_worker_app, person):
    today = timezone.localdate()
    plan = factories.PlanFactory()
    ended = factories.PeriodFactory(
        plan=plan,
        label="Last month",
        start=today - dt.timedelta(days=40),
        end=today - dt.timedelta(days=1),
    )
    current = factories.PeriodFactory(
        plan=plan,
        label="This month",
        start=today,
        end=today + dt.timedelta(days=29),
        state=ReportingPeriod.State.UPCOMING,
    )
    rated, unrated = factories.ActionFactory.create_batch(
        2, recommendation=factories.RecommendationFactory(plan=plan)
    )
    services.rating_record(item=rated, rag="amber", user=person)

    result = tasks.close_due_periods.delay()

    assert not isinstance(result, EagerResult)
    assert wait_for(lambda: ReportingPeriod.objects.get(pk=ended.pk).is_closed)
    assert wait_for(
        lambda: ReportingPeriod.objects.get(pk=current.pk).state == ReportingPeriod.State.OPEN
    )
    carried = Rating.objects.get(period=ended, action=unrated)
    assert carried.carried_forward is True
    assert Rating.objects.filter(period=ended, action=rated, carried_forward=False).count() == 1

    tasks.close_due_periods.delay()  # a second run, as a retried or duplicated task would
    tasks.close_due_periods.delay()
    tasks.close_due_periods.delay()
    assert wait_for(lambda: False, timeout=1.5) is False  # let the worker drain the queue
    assert Rating.objects.filter(period=ended).count() == 2
    assert ReportingPeriod.objects.get(pk=current.pk).state == ReportingPeriod.State.OPEN


def test_the_worker_sends_each_owner_one_reminder_even_when_the_task_runs_twice(
    celery_worker_app, settings, person
):
    owner = factories.OwnerFactory(post="Service Director – Practice", user=person)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.REMINDER_DAYS = [10, 3]
    today = timezone.localdate()
    plan = factories.PlanFactory()
    factories.PeriodFactory(
        plan=plan,
        label="Closing soon",
        start=today - dt.timedelta(days=60),
        end=today + dt.timedelta(days=3),
    )
    factories.ActionFactory(
        recommendation=factories.RecommendationFactory(plan=plan), owners=[owner]
    )

    tasks.send_period_reminders.delay()
    tasks.send_period_reminders.delay()

    assert wait_for(lambda: Reminder.objects.filter(sent_at__isnull=False).exists())
    wait_for(lambda: False, timeout=1.5)  # the second run, and any duplicate send
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["somebody@example.org"]
    assert Reminder.objects.get().days_before == 3

"""The period tasks through a real Celery worker and the Redis on this machine, not eagerly."""

import datetime as dt
import time

import pytest
from celery.result import EagerResult
from celery.signals import task_postrun
from django.core import mail
from django.utils import timezone

from plans import services, tasks
from plans.models import Rating, Reminder, ReportingPeriod
from tests import factories
from tests.conftest import wait_for

# The plans here do not ask for sign-off, so the user rating them needs no role.
# Serialized rollback, as the other tests with a worker have: without it, a test with
# serialized rollback run next (tests/reporting/test_worker.py) failed to restore the
# database, inserting the content types a second time.
pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def person():
    return factories.UserFactory(username="somebody", email="somebody@example.org")


@pytest.fixture
def finished():
    """Names of the tasks the worker has finished, in order."""
    names: list[str] = []

    def record(sender=None, **kwargs):
        names.append(sender.name.rsplit(".", 1)[-1])

    task_postrun.connect(record, weak=False)
    yield names
    task_postrun.disconnect(record)


def ended_period(plan):
    """An open period of the plan that ended yesterday: the close task closes it."""
    today = timezone.localdate()
    return factories.PeriodFactory(
        plan=plan,
        label="Last month",
        start=today - dt.timedelta(days=40),
        end=today - dt.timedelta(days=1),
    )


def test_the_worker_closes_a_period_whose_end_date_has_passed(celery_worker_app, person, finished):
    today = timezone.localdate()
    plan = factories.PlanFactory()
    ended = ended_period(plan)
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
    assert wait_for(lambda: finished == ["close_due_periods"])
    assert ReportingPeriod.objects.get(pk=ended.pk).is_closed
    assert ReportingPeriod.objects.get(pk=current.pk).state == ReportingPeriod.State.OPEN
    carried = Rating.objects.get(period=ended, action=unrated)
    assert carried.carried_forward is True
    assert Rating.objects.filter(period=ended, action=rated, carried_forward=False).count() == 1

    for _ in range(3):  # run again, as a retried or duplicated task would
        tasks.close_due_periods.delay()
    assert wait_for(lambda: len(finished) == 4)
    assert Rating.objects.filter(period=ended).count() == 2
    assert ReportingPeriod.objects.get(pk=current.pk).state == ReportingPeriod.State.OPEN


def test_the_worker_sends_each_owner_one_reminder_even_when_the_task_runs_twice(
    celery_worker_app, settings, person, finished
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

    # The second run starts before the reminder the first one queued is sent, so it
    # queues the owner's reminder again: two sends, and the claim lets one through.
    assert wait_for(lambda: len(finished) == 4)
    assert sorted(finished) == ["send_period_reminder"] * 2 + ["send_period_reminders"] * 2
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["somebody@example.org"]
    assert Reminder.objects.get().days_before == 3


def test_the_database_can_be_read_while_the_worker_writes_to_it(celery_worker_app):
    # The worker thread has its own database connection. On SQLite in memory, a read
    # while it wrote failed at once with "database table is locked"; see the
    # django_db_modify_db_settings fixture.
    plan = factories.PlanFactory()
    ended = ended_period(plan)
    factories.ActionFactory.create_batch(
        150, recommendation=factories.RecommendationFactory(plan=plan)
    )

    tasks.close_due_periods.delay()

    deadline = time.monotonic() + 30
    while not ReportingPeriod.objects.get(pk=ended.pk).is_closed:
        assert time.monotonic() < deadline, "the worker did not close the period in time"
        list(Rating.objects.filter(period=ended).values_list("pk", flat=True))
    assert Rating.objects.filter(period=ended, carried_forward=True).count() == 150

"""Without a scheduler (the embedded default), the first request of the day closes the
periods whose end has passed and sends the day's reminders, once."""

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from plans import tasks
from plans.models import ReportingPeriod
from tests import factories


@pytest.fixture(autouse=True)
def _in_web(settings):
    settings.SCHEDULE_IN_WEB = True
    settings.REMINDER_DAYS = [10, 3]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_the_first_request_after_a_period_ends_closes_it_and_opens_the_next(
    client, board_member, plan, period
):
    later = factories.PeriodFactory(
        plan=plan,
        label="Q1 2099/00",
        start=dt.date(2099, 4, 1),
        end=dt.date(2099, 6, 30),
        state=ReportingPeriod.State.UPCOMING,
    )
    client.force_login(board_member)
    assert client.get(reverse("plans:plan_list")).status_code == 200
    period.refresh_from_db()
    later.refresh_from_db()
    assert (period.state, later.state) == ("closed", "open")


def test_the_jobs_run_once_a_day_however_many_requests(client, board_member, period):
    client.force_login(board_member)
    with mock.patch.object(tasks, "close_due_periods", return_value=[]) as closing:
        for _ in range(3):
            client.get(reverse("plans:plan_list"))
    assert closing.call_count == 1


def test_an_open_period_stays_open_without_the_setting(client, board_member, period, settings):
    settings.SCHEDULE_IN_WEB = False
    client.force_login(board_member)
    client.get(reverse("plans:plan_list"))
    period.refresh_from_db()
    assert period.state == "open"


def test_reminders_go_once_on_their_day(
    client, board_member, plan, period, owner, eager, django_capture_on_commit_callbacks
):
    factories.ActionFactory(
        recommendation=factories.RecommendationFactory(plan=plan), owners=[owner]
    )
    three_days_before = dt.datetime(2024, 9, 27, 9, 0, tzinfo=dt.UTC)
    client.force_login(board_member)
    with (
        mock.patch.object(timezone, "now", return_value=three_days_before),
        mock.patch("plans.services.local_today", return_value=three_days_before.date()),
        django_capture_on_commit_callbacks(execute=True),
    ):
        for _ in range(2):
            client.get(reverse("plans:plan_list"))
    period.refresh_from_db()
    assert period.state == "open"
    assert [email.to for email in mail.outbox] == [["director@example.org"]]


def test_a_cache_that_cannot_be_reached_leaves_the_pages_up(client, board_member, period):
    client.force_login(board_member)
    with mock.patch("plans.middleware.caches") as caches:
        caches.__getitem__.return_value.add.side_effect = ConnectionError("Redis is down")
        assert client.get(reverse("plans:plan_list")).status_code == 200
    period.refresh_from_db()
    assert period.state == "open"

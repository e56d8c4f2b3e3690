"""Reminders before a period closes: one email per owner per reminder day, listing what
they have not rated yet this period, however often the task runs."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from plans import periods, reminders, services, tasks
from plans.models import Reminder
from tests import factories

# The `period` fixture ends on 30 September 2024.
TEN_DAYS_BEFORE = dt.date(2024, 9, 20)
THREE_DAYS_BEFORE = dt.date(2024, 9, 27)


@pytest.fixture(autouse=True)
def _reminder_settings(settings):
    settings.REMINDER_DAYS = [10, 3]
    settings.SITE_URL = "https://plans.example.gov.uk"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def owned(plan, period, owner):
    """Two actions of the first owner (one with a measure) and one of another owner."""
    rec = factories.RecommendationFactory(plan=plan, ref="1")
    first = factories.ActionFactory(
        recommendation=rec,
        ref="1.1",
        text="Allocate a PA",
        owners=[owner],
        due_date=dt.date(2024, 8, 31),
    )
    second = factories.ActionFactory(
        recommendation=rec, ref="1.2", text="Audit pathway plans", owners=[owner]
    )
    measure = factories.MeasureFactory(action=second, text="90% of pathway plans up to date")
    other = factories.OwnerFactory(post="Head of Service", email="hos@example.org")
    theirs = factories.ActionFactory(recommendation=rec, ref="1.3", owners=[other])
    return {"first": first, "second": second, "measure": measure, "other": other, "theirs": theirs}


@pytest.mark.parametrize(
    ("today", "day"),
    [
        (dt.date(2024, 9, 19), None),
        (TEN_DAYS_BEFORE, 10),
        (dt.date(2024, 9, 24), 10),
        (THREE_DAYS_BEFORE, 3),
        (dt.date(2024, 9, 30), 3),
        (dt.date(2024, 10, 1), None),
    ],
)
def test_the_reminder_day_is_the_nearest_one_not_yet_passed(owned, owner, period, today, day):
    due = {(o, p, d) for o, p, d in reminders.reminders_due(today=today)}
    if day is None:
        assert due == set()
    else:
        assert due == {(owner.pk, period.pk, day), (owned["other"].pk, period.pk, day)}


def test_the_email_lists_only_what_the_owner_has_not_rated_this_period(
    owned, owner, period, director
):
    services.rating_record(item=owned["second"], rag="green", user=director)

    assert reminders.reminder_send(
        owner=owner, period=period, days_before=10, today=TEN_DAYS_BEFORE
    )

    (email,) = mail.outbox
    assert email.to == ["director@example.org"]
    assert (
        "Q2 2024/25 closes on 30 September 2024" in email.subject or "Q2 2024/25" in email.subject
    )
    assert "2 item(s) to rate" in email.subject
    assert "1.1 Allocate a PA" in email.body
    assert "overdue: due 31 Aug 2024" in email.body
    assert "Audit pathway plans" not in email.body
    assert "90% of pathway plans up to date" in email.body
    assert "1.3" not in email.body
    assert "in 10 days" in email.body
    assert "Rate them in My actions: https://plans.example.gov.uk/plans/mine/" in email.body


def test_a_rating_sent_back_still_needs_doing(owned, owner, period, director, qa_lead, plan):
    plan.requires_signoff = True
    plan.save()
    proposal = services.rating_record(item=owned["first"], rag="green", user=director)
    periods.rating_return(rating=proposal, user=qa_lead, comment="Evidence?")
    actions, _ = reminders.owner_outstanding(owner, period)
    assert owned["first"] in actions


def test_sending_twice_sends_one_email(owned, owner, period):
    for _ in range(2):
        reminders.reminder_send(owner=owner, period=period, days_before=10, today=TEN_DAYS_BEFORE)
    assert len(mail.outbox) == 1
    reminder = Reminder.objects.get()
    assert (reminder.owner, reminder.period, reminder.days_before, reminder.items) == (
        owner,
        period,
        10,
        3,
    )
    assert reminder.sent_at is not None


def test_the_database_allows_one_reminder_per_owner_period_and_day(owner, period):
    Reminder.objects.create(owner=owner, period=period, days_before=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(owner=owner, period=period, days_before=3)
    Reminder.objects.create(owner=owner, period=period, days_before=10)


def test_a_failed_send_releases_the_claim_so_a_retry_sends(owned, owner, period):
    with (
        mock.patch("plans.reminders.send_mail", side_effect=ConnectionRefusedError),
        pytest.raises(ConnectionRefusedError),
    ):
        reminders.reminder_send(owner=owner, period=period, days_before=10, today=TEN_DAYS_BEFORE)
    assert not Reminder.objects.exists()
    assert reminders.reminder_send(
        owner=owner, period=period, days_before=10, today=TEN_DAYS_BEFORE
    )
    assert len(mail.outbox) == 1


def test_an_owner_with_everything_rated_gets_no_email(owned, director, period):
    other = owned["other"]
    services.rating_record(item=owned["theirs"], rag="green", user=director)
    assert not reminders.reminder_send(owner=other, period=period, days_before=10)
    assert mail.outbox == [] and not Reminder.objects.exists()


def test_an_owner_without_an_email_address_is_not_reminded(plan, period):
    nobody = factories.OwnerFactory(post="Vacant post")
    factories.ActionFactory(
        recommendation=factories.RecommendationFactory(plan=plan), owners=[nobody]
    )
    assert reminders.reminders_due(today=TEN_DAYS_BEFORE) == []


def test_the_task_run_twice_on_the_same_day_sends_one_email_per_owner(
    owned, period, eager, django_capture_on_commit_callbacks
):
    with mock.patch("plans.services.local_today", return_value=THREE_DAYS_BEFORE):
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                tasks.send_period_reminders.apply()
    assert sorted(email.to[0] for email in mail.outbox) == [
        "director@example.org",
        "hos@example.org",
    ]
    assert set(Reminder.objects.values_list("days_before", flat=True)) == {3}


def test_each_reminder_day_sends_its_own_email(
    owned, owner, period, eager, django_capture_on_commit_callbacks
):
    for today in (TEN_DAYS_BEFORE, dt.date(2024, 9, 21), THREE_DAYS_BEFORE):
        with (
            mock.patch("plans.services.local_today", return_value=today),
            django_capture_on_commit_callbacks(execute=True),
        ):
            tasks.send_period_reminders.apply()
    mine = [email for email in mail.outbox if email.to == ["director@example.org"]]
    assert len(mine) == 2
    assert "in 10 days" in mine[0].body and "in 3 days" in mine[1].body


def test_reminder_days_come_from_settings(owned, settings):
    settings.REMINDER_DAYS = [5]
    assert reminders.reminders_due(today=TEN_DAYS_BEFORE) == []
    assert {d for _, _, d in reminders.reminders_due(today=dt.date(2024, 9, 25))} == {5}


def test_a_bad_reminder_days_setting_stops_start_up(tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DEBUG": "true", "VAR_DIR": str(tmp_path), "REMINDER_DAYS": "10,soon"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "REMINDER_DAYS must be whole numbers" in result.stderr


def test_the_beat_schedule_runs_both_period_tasks(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"plans.tasks.close_due_periods", "plans.tasks.send_period_reminders"} <= tasks_scheduled

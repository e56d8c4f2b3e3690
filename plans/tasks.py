"""Background jobs for reporting periods: closing them on schedule and reminding owners.

Thin on purpose: each loads what it needs by id and calls the service in `plans.periods`
or `plans.reminders`, where the rules live and are tested. Every task is idempotent
(closing twice is a no-op; a reminder is claimed before it is sent), acknowledged late,
and retried with backoff on transient database or broker errors only, never on bugs.

Overdue actions and audits are not stored as flags: the dashboard computes them in its
selectors (`board.selectors.overdue_actions`), so they are never out of date.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

from plans import periods, reminders
from plans.models import Owner, ReportingPeriod

TRANSIENT = (OperationalError, BrokerOperationalError)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
    "acks_late": True,
}


@shared_task(**RETRY)
def close_due_periods() -> list[int]:
    """Beat, just after midnight London time: close every open period whose end date
    has passed. Returns the ids of the periods it closed."""
    return [period.pk for period in periods.periods_close_due()]


@shared_task(**RETRY)
def send_period_reminders() -> int:
    """Beat, each morning: queue one reminder per owner due one (see
    `reminders.reminders_due`). Returns how many were queued."""
    due = reminders.reminders_due()
    for owner_id, period_id, days_before in due:
        send_period_reminder.delay_on_commit(owner_id, period_id, days_before)
    return len(due)


@shared_task(**RETRY)
def send_period_reminder(owner_id: int, period_id: int, days_before: int) -> bool:
    """Email one owner what they still have to rate; at most once per reminder day."""
    owner = Owner.objects.select_related("user").filter(pk=owner_id).first()
    period = ReportingPeriod.objects.select_related("plan").filter(pk=period_id).first()
    if owner is None or period is None:
        return False
    return reminders.reminder_send(owner=owner, period=period, days_before=days_before)

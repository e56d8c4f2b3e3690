"""Reminders before a period closes: which owners are due one, what they still have to
rate, and the email, sent at most once per owner, period and reminder day.

The Celery tasks in `plans.tasks` call these on the beat's schedule.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.dates import long_day
from plans import selectors, services
from plans.models import Action, Measure, Owner, Plan, Reminder, ReportingPeriod


def reminder_days() -> list[int]:
    return sorted({int(day) for day in settings.REMINDER_DAYS})


def reminders_due(*, today: dt.date | None = None) -> list[tuple[int, int, int]]:
    """(owner id, period id, reminder day) for each owner with an email address and
    open actions in an active plan whose open period closes within a reminder day,
    not yet reminded for that day.

    The reminder day is the nearest one not yet passed: with days 10 and 3, a period
    ending in 7 days is on its 10-day reminder; a missed run sends it the next day.
    """
    today = today or services.local_today()
    days = reminder_days()
    if not days:
        return []
    due = []
    periods = ReportingPeriod.objects.filter(
        state=ReportingPeriod.State.OPEN,
        plan__status=Plan.Status.ACTIVE,
        end__gte=today,
        end__lte=today + dt.timedelta(days=days[-1]),
    ).order_by("end", "pk")
    for period in periods:
        left = (period.end - today).days
        day = min(d for d in days if d >= left)
        owners = (
            Owner.objects.filter(
                actions__plan_id=period.plan_id, actions__status=Action.Status.OPEN
            )
            .filter(~Q(email="") | Q(user__email__gt=""))
            .exclude(reminders__period=period, reminders__days_before=day)
            .distinct()
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        due.extend((owner_id, period.pk, day) for owner_id in owners)
    return due


def owner_outstanding(owner: Owner, period: ReportingPeriod) -> tuple[list[Action], list[Measure]]:
    """The owner's open actions, and the measures of the owner's actions, with no rating
    of their own in the period yet (a rating sent back does not count)."""
    actions = [
        a
        for a in selectors.actions_with_position(
            Action.objects.filter(plan_id=period.plan_id, owners=owner, status=Action.Status.OPEN),
            period=period,
        ).order_by("position", "pk")
        if not a.rated_in_period
    ]
    measures = [
        m
        for m in selectors.measures_with_position(
            Measure.objects.filter(plan_id=period.plan_id, action__owners=owner).select_related(
                "action"
            ),
            period=period,
        ).order_by("action__position", "position", "pk")
        if not m.rated_in_period
    ]
    return actions, measures


def _my_actions_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("plans:my_actions")


def reminder_send(
    *, owner: Owner, period: ReportingPeriod, days_before: int, today: dt.date | None = None
) -> bool:
    """Email the owner what they still have to rate before the period closes.

    Claim, then send: the (owner, period, day) row is inserted first and the database's
    unique constraint lets only one run through, so a task that runs twice, or two
    workers at once, send one email. If sending fails the claim is released so that a
    retry can send. Returns whether an email was sent.
    """
    today = today or services.local_today()
    address = owner.email or (owner.user.email if owner.user_id else "")
    if not address or period.state != ReportingPeriod.State.OPEN:
        return False
    actions, measures = owner_outstanding(owner, period)
    if not actions and not measures:
        return False
    try:
        with transaction.atomic():
            claim = Reminder.objects.create(
                owner=owner,
                period=period,
                days_before=days_before,
                items=len(actions) + len(measures),
            )
    except IntegrityError:
        return False
    context = {
        "owner": owner,
        "period": period,
        "plan": period.plan,
        "days_left": (period.end - today).days,
        "actions": actions,
        "measures": measures,
        "today": today,
        "url": _my_actions_url(),
    }
    subject = (
        f"{period.plan.title}: {len(actions) + len(measures)} item(s) to rate before "
        f"{period.label} closes on {long_day(period.end)}"
    )
    try:
        send_mail(
            subject,
            render_to_string("plans/email/period_reminder.txt", context),
            None,
            [address],
        )
    except Exception:
        claim.delete()
        raise
    Reminder.objects.filter(pk=claim.pk).update(sent_at=timezone.now())
    return True

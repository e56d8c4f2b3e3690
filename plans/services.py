"""Business rules for plans: every write goes through a function here.

Views, admin, import, commands and tasks call these, so each rule lives in one place:
how ratings are recorded, when a rating needs a reason, how due dates are revised,
what closing a period does, and the optimistic version check for browser edits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from plans import roles
from plans.models import (
    RAG,
    RAG_ORDER,
    Action,
    DueDateRevision,
    Measure,
    Plan,
    Rating,
    Recommendation,
    ReportingPeriod,
)

M = TypeVar("M", bound=models.Model)


class ConflictError(Exception):
    """Someone else saved the record after it was loaded: nothing was overwritten."""

    def __init__(self, current: models.Model):
        self.current = current
        super().__init__(f"{current} was changed by someone else.")


def save_versioned(obj: M, *, expected_version: int, user=None, reason: str = "") -> M:
    """Save a browser-edited record only if nobody saved it since it was loaded.

    The stored version is read under `select_for_update()`, so two concurrent saves
    cannot both pass the check; the save goes through `save()`, so history records the
    user and the reason.
    """
    model = type(obj)
    with transaction.atomic():
        current = model.objects.select_for_update().get(pk=obj.pk)
        if current.version != expected_version:
            raise ConflictError(current)
        obj.version = current.version + 1
        obj._history_user = user
        obj._change_reason = reason
        obj.full_clean()
        obj.save()
    return obj


def rag_is_better(rag: str, than: str) -> bool:
    """Is `rag` a better position than `than`? Not rated is never better or worse."""
    if not rag or not than:
        return False
    return RAG_ORDER[rag] > RAG_ORDER[than]


def local_today() -> dt.date:
    return timezone.localdate()


def action_is_overdue(action: Action, *, today: dt.date | None = None) -> bool:
    today = today or local_today()
    return (
        action.status == Action.Status.OPEN
        and action.due_date is not None
        and action.due_date < today
    )


def action_days_behind(action: Action, *, today: dt.date | None = None) -> int:
    """How far behind an open action is: days past its due date, or days its due date
    has been moved beyond the baseline, whichever is more."""
    if action.status == Action.Status.COMPLETE or action.due_date is None:
        return 0
    today = today or local_today()
    late = (today - action.due_date).days if action.due_date < today else 0
    slipped = (
        (action.due_date - action.baseline_due_date).days
        if action.baseline_due_date and action.due_date > action.baseline_due_date
        else 0
    )
    return max(late, slipped)


def action_suggested_rag(action: Action, *, today: dt.date | None = None) -> str:
    """The RAG the dates suggest, by the plan's settings; "" when dates say nothing."""
    behind = action_days_behind(action, today=today)
    if behind <= action.plan.suggest_amber_after_days:
        return RAG.NOT_RATED
    if behind > action.plan.suggest_red_after_days:
        return RAG.RED
    return RAG.AMBER


def open_period(plan: Plan) -> ReportingPeriod | None:
    return plan.periods.filter(state=ReportingPeriod.State.OPEN).first()


def _subject_of(item: Action | Measure | Recommendation, facet: str | None) -> dict:
    if isinstance(item, Action):
        return {"subject": Rating.Subject.ACTION, "action": item}
    if isinstance(item, Measure):
        return {"subject": Rating.Subject.MEASURE, "measure": item}
    if facet not in (Rating.Subject.OUTCOME, Rating.Subject.IMPACT, Rating.Subject.PROGRESS):
        raise ValueError("A recommendation rating needs a facet: outcome, impact or progress.")
    return {"subject": facet, "recommendation": item}


def rating_record(
    *,
    item: Action | Measure | Recommendation,
    rag: str,
    user,
    commentary: str = "",
    facet: str | None = None,
    period: ReportingPeriod | None = None,
    suggested_rag: str = "",
    override_reason: str = "",
    confirmed: bool | None = None,
    created: dt.datetime | None = None,
    reason: str = "rating",
) -> Rating:
    """Record a new dated RAG for an item. Nothing is overwritten: the latest rating of
    an item in a period is its position for that period.

    - The rating goes into `period`, by default the plan's open period; a closed
      period is refused.
    - A rating better than `suggested_rag` (what the evidence or the dates suggest)
      needs `override_reason`.
    - Where the plan asks for sign-off, a rating by someone who cannot confirm is
      *proposed*; `confirmed` forces the status (used by import of historical data).
    """
    plan = item.plan
    if rag not in RAG.values:
        raise ValidationError({"rag": f"Unknown RAG value {rag!r}."})
    period = period or open_period(plan)
    if period is None:
        raise ValidationError("No reporting period is open for this plan, so it cannot be rated.")
    if period.plan_id != plan.pk:
        raise ValidationError("That period belongs to another plan.")
    if period.is_closed:
        raise ValidationError(f"{period.label} is closed: its ratings can no longer change.")
    if rag_is_better(rag, suggested_rag) and not override_reason.strip():
        raise ValidationError(
            {
                "override_reason": (
                    f"The evidence suggests {plan.rag_label(suggested_rag)}: explain why "
                    f"the position is {plan.rag_label(rag)}."
                )
            }
        )
    if confirmed is None:
        confirmed = not plan.requires_signoff or roles.can_confirm_ratings(user, plan)
    rating = Rating(
        plan=plan,
        period=period,
        rag=rag,
        commentary=commentary.strip(),
        suggested_rag=suggested_rag,
        override_reason=override_reason.strip(),
        status=Rating.Status.CONFIRMED if confirmed else Rating.Status.PROPOSED,
        created=created or timezone.now(),
        created_by=user if getattr(user, "is_authenticated", False) else None,
        **_subject_of(item, facet),
    )
    if confirmed and rating.created_by:
        rating.reviewed_by, rating.reviewed_at = rating.created_by, rating.created
    rating.full_clean()
    rating._history_user = rating.created_by
    rating._change_reason = reason
    rating.save()
    return rating


def action_revise_due_date(
    *,
    action: Action,
    new_date: dt.date,
    reason: str,
    user,
    expected_version: int,
) -> DueDateRevision:
    """Move an action's due date, keeping its baseline and recording the revision."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the due date is changing."})
    if new_date == action.due_date:
        raise ValidationError({"new_date": "That is already the due date."})
    with transaction.atomic():
        old_date = action.due_date
        action.due_date = new_date
        if action.start_date and new_date < action.start_date:
            raise ValidationError({"new_date": "The due date cannot be before the start date."})
        save_versioned(
            action,
            expected_version=expected_version,
            user=user,
            reason=f"Due date revised: {reason.strip()}",
        )
        revision = DueDateRevision(
            action=action,
            old_date=old_date,
            new_date=new_date,
            reason=reason.strip(),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        revision._history_user = revision.created_by
        revision._change_reason = reason.strip()
        revision.save()
    return revision


def _latest_by_item(ratings: Iterable[Rating], key: str) -> dict[int, Rating]:
    latest: dict[int, Rating] = {}
    for rating in ratings:  # ordered oldest first, so later ones win
        latest[getattr(rating, key)] = rating
    return latest


def period_close(*, period: ReportingPeriod, user=None, now: dt.datetime | None = None) -> bool:
    """Freeze the plan's position as of the period's end.

    In one transaction: every action, measure and recommendation facet with no
    confirmed rating in the period gets its previous confirmed position carried forward,
    marked "not updated this period"; the period becomes closed (read-only), and the
    next upcoming period opens. Periods close in order: an earlier one still open is
    refused with a ValidationError. Returns False, changing nothing, if it was already
    closed, so a retried task or a second click is harmless.
    """
    now = now or timezone.now()
    with transaction.atomic():
        period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
        if period.is_closed:
            return False
        plan = period.plan
        # Positions build on the period before: closing out of order would carry
        # forward from a position that can still change.
        unclosed = (
            plan.periods.filter(end__lt=period.end)
            .exclude(state=ReportingPeriod.State.CLOSED)
            .order_by("end")
            .first()
        )
        if unclosed is not None:
            raise ValidationError(f"Close {unclosed.label} first: positions build on it.")
        earlier = Rating.objects.confirmed().filter(plan=plan, period__end__lte=period.end)
        this = Rating.objects.confirmed().filter(period=period)
        carried: list[Rating] = []

        def carry(subject: str, key: str, item_ids: Iterable[int]) -> None:
            rated_now = set(this.filter(subject=subject).values_list(key, flat=True))
            before = _latest_by_item(
                earlier.filter(subject=subject).order_by("period__end", "created", "pk"), key
            )
            for item_id in item_ids:
                if item_id in rated_now:
                    continue
                previous = before.get(item_id)
                carried.append(
                    Rating(
                        plan=plan,
                        period=period,
                        subject=subject,
                        rag=previous.rag if previous else RAG.NOT_RATED,
                        commentary=previous.commentary if previous else "",
                        carried_forward=True,
                        status=Rating.Status.CONFIRMED,
                        created=now,
                        created_by=user,
                        **{key: item_id},
                    )
                )

        carry(Rating.Subject.ACTION, "action_id", plan.actions.values_list("pk", flat=True))
        carry(Rating.Subject.MEASURE, "measure_id", plan.measures.values_list("pk", flat=True))
        facets_used = set(
            Rating.objects.filter(plan=plan, recommendation__isnull=False).values_list(
                "subject", flat=True
            )
        )
        rec_ids = list(plan.recommendations.values_list("pk", flat=True))
        for facet in sorted(facets_used):
            carry(facet, "recommendation_id", rec_ids)
        if carried:
            bulk_create_with_history(
                carried,
                Rating,
                default_user=user,
                default_change_reason=f"{period.label} closed: position carried forward",
            )
        period.state = ReportingPeriod.State.CLOSED
        period.closed_at = now
        period.closed_by = user
        period._history_user = user
        period._change_reason = "period closed"
        period.save()
        following = (
            plan.periods.filter(state=ReportingPeriod.State.UPCOMING, end__gt=period.end)
            .order_by("end")
            .first()
        )
        if following and not plan.periods.filter(state=ReportingPeriod.State.OPEN).exists():
            following.state = ReportingPeriod.State.OPEN
            following._history_user = user
            following._change_reason = f"opened when {period.label} closed"
            following.save()
    return True

"""A plan's reporting periods: creating them, closing them on schedule, reopening one,
and the sign-off of ratings (confirming or sending back).

What closing a period does is one rule, `plans.services.period_close`; this module calls
it (for the beat task) and holds every other rule about periods. Dates are Europe/London
local dates throughout (`timezone.localdate`): a period ending on 31 March is open all
day on 31 March, whatever the UTC date is. The calendar (quarters, months) is
`core.dates`'; positions as of periods and their movement are read by `plans.movement`,
the grid in `plans.grid`, and reminders before a period closes are `plans.reminders`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core import dates
from plans import bounds, positions, roles, services
from plans.models import Plan, Rating, ReportingPeriod

log = logging.getLogger(__name__)

# A reviewer's comment on confirming or sending back a rating (the page's maxlength).
COMMENT_LIMIT = 2000


# --- Creating periods ---------------------------------------------------------------


def periods_create(
    *,
    plan: Plan,
    rule: str | Sequence[dt.date],
    start: dt.date | None = None,
    end: dt.date | None = None,
    user=None,
) -> list[ReportingPeriod]:
    """Create a plan's reporting periods from a rule and return the new ones, oldest first.

    - `rule="quarters"`: financial quarters ("Q1 2024/25" is April to June 2024) covering
      `start` to `end`, widened to whole quarters;
    - `rule="months"`: calendar months ("April 2024") covering `start` to `end`;
    - `rule=[dates]`: one period per date, labelled "As of 1 March 2016", each starting the
      day after the one before (the first on `start`, or on its own date).

    A period identical to an existing one (same label and dates) is skipped, so running
    it twice adds nothing. New periods must come after every closed or open period:
    positions build on the one before, so history cannot be inserted behind them. If no
    period is open, the earliest upcoming one opens.

    Every date must lie in the window of `plans.bounds`, and one call creates at most
    `bounds.PERIODS_AT_ONCE` periods: each is a row written under the plan's lock.
    """
    # Long because: the rule's periods are worked out and then written under one plan lock; the
    # checks and the writes share that lock and the list of existing periods.
    given = [start, end, *([] if isinstance(rule, str) else rule)]
    problems = [problem for day in given if (problem := bounds.date_problem(day))]
    if problems:
        raise ValidationError(problems[0])
    if isinstance(rule, str):
        if start is None or end is None:
            raise ValidationError("Give the first and last dates the periods should cover.")
        if end < start:
            raise ValidationError("The last date is before the first.")
        if rule == "quarters":
            wanted = list(dates.quarters(start, end))
        elif rule == "months":
            wanted = list(dates.months(start, end))
        else:
            raise ValidationError(f"Unknown rule {rule!r}: use quarters, months or dates.")
    else:
        if not rule:
            raise ValidationError("Give at least one date.")
        if start is not None and start > min(rule):
            raise ValidationError("The first period would start after it ends.")
        wanted = list(dates.as_of(rule, start))
    if len(wanted) > bounds.PERIODS_AT_ONCE:
        raise ValidationError(
            f"That would be {len(wanted):,} periods: create at most "
            f"{bounds.PERIODS_AT_ONCE} at once (five years of months, fifteen of quarters)."
        )

    with transaction.atomic():
        # Lock the plan row so two administrators creating periods at once queue up.
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        existing = list(plan.periods.all())
        same = {(p.label, p.start, p.end) for p in existing}
        started = [p for p in existing if p.state != ReportingPeriod.State.UPCOMING]
        last_started = max((p.end for p in started), default=None)
        created: list[ReportingPeriod] = []
        for label, first, last in wanted:
            if (label, first, last) in same:
                continue
            if last_started is not None and first <= last_started:
                raise ValidationError(
                    f"{label} would start on or before {dates.long_day(last_started)}, the end "
                    "of a period already open or closed: new periods must come after it."
                )
            clash = next((p for p in existing if p.start <= last and first <= p.end), None)
            if clash is not None:
                raise ValidationError(f"{label} overlaps {clash.label}.")
            period = ReportingPeriod(plan=plan, label=label, start=first, end=last)
            period.full_clean()
            period._history_user = user
            period._change_reason = "period created"
            period.save()
            created.append(period)
            existing.append(period)
        if not plan.periods.filter(state=ReportingPeriod.State.OPEN).exists():
            first_upcoming = (
                plan.periods.filter(state=ReportingPeriod.State.UPCOMING).order_by("end").first()
            )
            if first_upcoming is not None:
                first_upcoming.state = ReportingPeriod.State.OPEN
                first_upcoming._history_user = user
                first_upcoming._change_reason = "opened: the plan had no open period"
                first_upcoming.save()
                for period in created:
                    if period.pk == first_upcoming.pk:
                        period.state = ReportingPeriod.State.OPEN
        if created:
            # Positions carry on into the new periods.
            positions.refresh(plan.pk)
    return created


# --- Closing on schedule and reopening ------------------------------------------------


def periods_close_due(*, now: dt.datetime | None = None) -> list[ReportingPeriod]:
    """Close every open period whose end date has passed, in London local time.

    A period ending on 27 October is closed from 00:00 on 28 October London time, so a
    rating recorded at 23:30 on the 27th is in it. When closing one opens the next and
    that one has also ended (the scheduler was down for a while), it is closed too, in
    order. One plan's failure does not stop the others: a refusal is logged; any other
    error is logged and, once every other plan has been tried, raised (so that a task
    retries a transient one; closing again is a no-op for the periods already closed).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    closed: list[ReportingPeriod] = []
    failed: set[int] = set()
    errors: list[Exception] = []
    while True:
        due = list(
            ReportingPeriod.objects.filter(state=ReportingPeriod.State.OPEN, end__lt=today)
            .exclude(pk__in=failed)
            .order_by("end", "pk")
        )
        if not due:
            break
        for period in due:
            try:
                if services.period_close(period=period, now=now):
                    closed.append(period)
                    _continue_quarters(period)
            except ValidationError as error:
                failed.add(period.pk)
                log.error("could not close period %s (%s): %s", period.pk, period, error)
            except Exception as error:
                failed.add(period.pk)
                errors.append(error)
                log.exception("closing period %s (%s) failed", period.pk, period)
    if errors:
        raise errors[0]
    return closed


def _continue_quarters(period: ReportingPeriod) -> None:
    """After a financial quarter closes on schedule with nothing to follow it, the next
    quarter opens, so owners always have a period to rate in. Periods of another rule
    ("As of 1 March 2016", months) are the plan administrator's to add."""
    plan = period.plan
    if dates.quarter_of(period.start) != (period.label, period.start, period.end):
        return
    if plan.status != Plan.Status.ACTIVE or plan.periods.filter(end__gt=period.end).exists():
        return
    after = period.end + dt.timedelta(days=1)
    periods_create(plan=plan, rule="quarters", start=after, end=after)


def period_reopen(*, period: ReportingPeriod, user, reason: str) -> ReportingPeriod:
    """Reopen a closed period, for a plan administrator, with the reason in history.

    Only the plan's latest closed period can be reopened: later positions were built on
    it. The positions that closing carried forward are removed (and recorded in history),
    so that closing again carries forward only what is still not updated; a period that
    opened after it goes back to upcoming, and opens again when this one closes.
    """
    if not roles.is_plan_admin(user):
        raise PermissionDenied("Only a plan administrator can reopen a period.")
    reason = "" if bounds.is_blank(reason) else reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the period is being reopened."})
    with transaction.atomic():
        periods = {
            p.pk: p
            for p in ReportingPeriod.objects.select_for_update()
            .filter(plan_id=period.plan_id)
            .order_by("end")
        }
        period = periods[period.pk]
        if not period.is_closed:
            raise ValidationError(f"{period.label} is not closed.")
        later_closed = [p for p in periods.values() if p.is_closed and p.end > period.end]
        if later_closed:
            raise ValidationError(
                f"{later_closed[-1].label} was closed after {period.label}: reopen that "
                "first, since its positions were built on this one."
            )
        for other in periods.values():
            if other.state == ReportingPeriod.State.OPEN:
                other.state = ReportingPeriod.State.UPCOMING
                other._history_user = user
                other._change_reason = f"back to upcoming: {period.label} reopened"
                other.save()
        period.state = ReportingPeriod.State.OPEN
        period.closed_at = None
        period.closed_by = None
        period.closing_counts = None
        period._history_user = user
        period._change_reason = f"reopened: {reason}"
        period.save()
        for rating in Rating.objects.filter(period=period, carried_forward=True):
            rating._history_user = user
            rating._change_reason = f"carried-forward position removed: {period.label} reopened"
            rating.delete()
        positions.refresh(period.plan_id)
    return period


# --- Sign-off -------------------------------------------------------------------------


def _require_reviewer(user, rating: Rating) -> None:
    if not roles.can_confirm_ratings(user, rating.plan):
        raise PermissionDenied("Only a QA lead or a plan administrator can review ratings.")


def _review(rating: Rating, *, user, comment: str, status: str, verb: str) -> Rating:
    _require_reviewer(user, rating)
    with transaction.atomic():
        # Lock the period first, as closing does, so a rating cannot be confirmed into a
        # period that is closing at the same moment.
        period = ReportingPeriod.objects.select_for_update().get(pk=rating.period_id)
        rating = Rating.objects.select_for_update().get(pk=rating.pk)
        if period.is_closed:
            raise ValidationError(f"{period.label} is closed: its ratings can no longer change.")
        if rating.status != Rating.Status.PROPOSED:
            raise ValidationError(
                f"This rating is already {rating.get_status_display().lower()}: nothing to do."
            )
        rating.status = status
        rating.reviewed_by = user
        rating.reviewed_at = timezone.now()
        rating.review_comment = comment
        rating._history_user = user
        rating._change_reason = f"{verb}: {comment}" if comment else verb
        rating.save()
        positions.refresh(rating.plan_id, [positions.key_of_rating(rating)])
    return rating


def rating_confirm(*, rating: Rating, user, comment: str = "") -> Rating:
    """Confirm a proposed rating (QA leads and plan administrators). From then on it
    counts in reports and the dashboard."""
    comment = bounds.check_text(comment, label="The comment", limit=COMMENT_LIMIT)
    return _review(
        rating, user=user, comment=comment, status=Rating.Status.CONFIRMED, verb="confirmed"
    )


def rating_return(*, rating: Rating, user, comment: str) -> Rating:
    """Send a proposed rating back to its author with a comment saying why. The item's
    position stays where it was until a new rating is recorded and confirmed."""
    # Permission first: otherwise anyone's empty POST is answered with the reviewers'
    # queue and its error.
    _require_reviewer(user, rating)
    try:
        comment = bounds.check_text(comment, label="The comment", limit=COMMENT_LIMIT)
    except ValidationError as error:
        raise ValidationError({"comment": error.messages}) from error
    if not comment:
        raise ValidationError({"comment": "Say why the rating is being sent back."})
    return _review(
        rating, user=user, comment=comment, status=Rating.Status.RETURNED, verb="sent back"
    )


def ratings_to_confirm(plan: Plan | None = None) -> QuerySet[Rating]:
    """Proposed ratings that can still be confirmed (their period is not closed), oldest
    first, each annotated with `superseded`: a newer rating of the same item in the same
    period exists."""
    newer = Rating.objects.filter(
        Q(action_id=OuterRef("action_id"))
        | Q(measure_id=OuterRef("measure_id"))
        | Q(recommendation_id=OuterRef("recommendation_id")),
        period_id=OuterRef("period_id"),
        subject=OuterRef("subject"),
    ).filter(
        Q(created__gt=OuterRef("created")) | Q(created=OuterRef("created"), pk__gt=OuterRef("pk"))
    )
    queryset = (
        Rating.objects.filter(status=Rating.Status.PROPOSED)
        .exclude(period__state=ReportingPeriod.State.CLOSED)
        .exclude(plan__status=Plan.Status.CLOSED)
        .annotate(superseded=Exists(newer.exclude(status=Rating.Status.RETURNED)))
        .select_related(
            "plan",
            "period",
            "action__plan",
            "measure__action",
            "recommendation",
            "created_by",
        )
        .order_by("plan__title", "created", "pk")
    )
    if plan is not None:
        queryset = queryset.filter(plan=plan)
    return queryset


def awaiting_confirmation_count(plan: Plan) -> int:
    """How many proposed ratings of the plan wait for a QA lead or administrator."""
    return ratings_to_confirm(plan).count()

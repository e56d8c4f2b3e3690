"""Dated positions: a plan's reporting periods, sign-off of ratings, movement between two
positions, the "position as of" grid, and reminders before a period closes.

What closing a period does is one rule, `plans.services.period_close`; this module calls
it (for the beat task) and holds every other rule about periods. Dates are Europe/London
local dates throughout (`timezone.localdate`): a period ending on 31 March is open all
day on 31 March, whatever the UTC date is.

Movement (`movement`) is what the plan page, the dashboard and the committee report use
to answer "what moved since last time"; its return value is a set of dataclasses so
that callers read attributes, not dictionary keys.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from plans import bounds, positions, roles, selectors, services
from plans.models import (
    RAG,
    RAG_ORDER,
    Action,
    Measure,
    Owner,
    Plan,
    Rating,
    Recommendation,
    Reminder,
    ReportingPeriod,
)
from plans.models import Position as PositionRow

log = logging.getLogger(__name__)

# A reviewer's comment on confirming or sending back a rating (the page's maxlength).
COMMENT_LIMIT = 2000
FACETS = (Rating.Subject.OUTCOME, Rating.Subject.IMPACT, Rating.Subject.PROGRESS)


# --- Creating periods ---------------------------------------------------------------


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def financial_quarter_label(day: dt.date) -> str:
    """UK local-government financial quarters: Q1 is April to June, so 15 January 2025
    is in "Q4 2024/25"."""
    year = day.year if day.month >= 4 else day.year - 1
    quarter = (day.month - 4) % 12 // 3 + 1
    return f"Q{quarter} {year}/{(year + 1) % 100:02d}"


def _month_end(year: int, month: int) -> dt.date:
    """The last day of a month (1 to 12) of `year`."""
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


def _quarters(start: dt.date, end: dt.date) -> Iterator[tuple[str, dt.date, dt.date]]:
    # Financial quarters start in April, July, October and January.
    month = start.month - (start.month - 1) % 3
    first = dt.date(start.year, month, 1)
    while first <= end:
        last = _month_end(first.year, first.month + 2)
        yield financial_quarter_label(first), first, last
        first = last + dt.timedelta(days=1)


def quarter_of(day: dt.date) -> tuple[str, dt.date, dt.date]:
    """The financial quarter holding `day`: its label, first and last day."""
    return next(_quarters(day, day))


def year_end_of(day: dt.date) -> dt.date:
    """The last day of the financial year holding `day` (31 March)."""
    return dt.date(day.year + (day.month >= 4), 3, 31)


def _months(start: dt.date, end: dt.date) -> Iterator[tuple[str, dt.date, dt.date]]:
    first = dt.date(start.year, start.month, 1)
    while first <= end:
        last = _month_end(first.year, first.month)
        yield f"{first:%B %Y}", first, last
        first = last + dt.timedelta(days=1)


def _as_of(
    dates: Sequence[dt.date], start: dt.date | None
) -> Iterator[tuple[str, dt.date, dt.date]]:
    ordered = sorted(set(dates))
    first = start or ordered[0]
    for day in ordered:
        yield f"As of {_day(day)}", first, day
        first = day + dt.timedelta(days=1)


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
            wanted = list(_quarters(start, end))
        elif rule == "months":
            wanted = list(_months(start, end))
        else:
            raise ValidationError(f"Unknown rule {rule!r}: use quarters, months or dates.")
    else:
        if not rule:
            raise ValidationError("Give at least one date.")
        if start is not None and start > min(rule):
            raise ValidationError("The first period would start after it ends.")
        wanted = list(_as_of(rule, start))
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
                    f"{label} would start on or before {_day(last_started)}, the end of a "
                    "period already open or closed: new periods must come after it."
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
    if quarter_of(period.start) != (period.label, period.start, period.end):
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


# --- Positions and movement -----------------------------------------------------------


class Direction(enum.StrEnum):
    """How an item's position moved between two periods."""

    IMPROVED = "improved"
    WORSENED = "worsened"
    UNCHANGED = "unchanged"
    NEW = "new"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


@dataclass(frozen=True)
class Position:
    """An item's position as of a period: its latest rating up to that period's end."""

    rag: str  # a RAG value; "" when the latest rating says "not rated"
    carried_forward: bool  # closing found no update: the one before, carried forward
    status: str  # Rating.Status of the rating that gives the position
    period_id: int  # the period of that rating: an earlier one if not rated in this one


ItemKey = tuple[str, int]  # (kind, item id); kind is "action", "measure" or a facet


def direction(then: str | None, now: str | None) -> Direction:
    """Compare two RAG values (None or "" means no position).

    Blue after anything else is *completed*; a position where there was none is *new*;
    losing a position (rated then, not rated now) counts as *worsened*, since the
    committee can no longer see where the item stands.
    """
    then, now = then or "", now or ""
    if then == now:
        return Direction.UNCHANGED
    if not then:
        return Direction.NEW
    if now == RAG.BLUE:
        return Direction.COMPLETED
    if not now or RAG_ORDER[now] < RAG_ORDER[then]:
        return Direction.WORSENED
    return Direction.IMPROVED


def positions_by_period(
    plan: Plan,
    periods: Sequence[ReportingPeriod],
    *,
    confirmed_only: bool = True,
    actions: QuerySet[Action] | Sequence[int] | None = None,
    recommendations: QuerySet[Recommendation] | Sequence[int] | None = None,
    measures: bool = True,
) -> list[dict[ItemKey, Position]]:
    """Every item's position as of each period (in the order given), read from
    `plans.Position` in one query however many periods. Items never rated up to a
    period are absent from its map. `actions` and `recommendations` narrow the items,
    and `measures=False` leaves outcome measures out. The rule is `plans.positions`'."""
    if not periods:
        return []
    rows = PositionRow.objects.filter(plan=plan, period__in=[p.pk for p in periods])
    if confirmed_only:
        rows = rows.filter(confirmed_rating__isnull=False)
        fields = ("confirmed_rag", "confirmed_carried_forward", "confirmed_period_id")
    else:
        rows = rows.filter(rating__isnull=False)
        fields = ("rag", "carried_forward", "rating_period_id", "status")
    # The rows wanted, said positively, so that a page of the grid is found on the
    # (period, item) keys rather than by reading every row of the periods.
    wanted = Q(subject=Rating.Subject.ACTION)
    if actions is not None:
        wanted &= Q(action__in=actions)
    facets = Q(subject__in=FACETS)
    if recommendations is not None:
        facets &= Q(recommendation__in=recommendations)
    wanted |= facets
    if measures:
        wanted |= Q(subject=Rating.Subject.MEASURE)
    rows = rows.filter(wanted)
    column = {p.pk: i for i, p in enumerate(periods)}
    found: list[dict[ItemKey, Position]] = [{} for _ in periods]
    values = rows.order_by().values_list(
        "period_id", "subject", "action_id", "measure_id", "recommendation_id", *fields
    )
    for period_id, subject, action_id, measure_id, rec_id, rag, carried, from_id, *status in values:
        key = (str(subject), action_id or measure_id or rec_id)
        found[column[period_id]][key] = Position(
            rag=rag or "",
            carried_forward=carried,
            status=status[0] if status else Rating.Status.CONFIRMED,
            period_id=from_id,
        )
    return found


def positions_as_of(
    plan: Plan, period: ReportingPeriod, *, confirmed_only: bool = True
) -> dict[ItemKey, Position]:
    """Every item's position as of `period`, in four queries; items never rated up to
    then are absent. See `positions_by_period`."""
    return positions_by_period(plan, [period], confirmed_only=confirmed_only)[0]


@dataclass(frozen=True)
class ItemMovement:
    """One item's position then and now.

    `kind` is "action", "measure", or a recommendation facet: "outcome" (outcome
    required), "impact" (impact for children) or "progress" (actions completed). `ref` is
    the action's ref, "1.1 M2" for its second outcome measure, or the recommendation's
    ref for a facet; `url` is the page to click through to. `then` and `now` are None
    where the item had no position (not yet created or never rated).
    """

    kind: str
    item_id: int
    recommendation_id: int
    ref: str
    text: str
    url: str
    then: Position | None
    now: Position | None
    direction: Direction

    @property
    def then_rag(self) -> str:
        return self.then.rag if self.then else ""

    @property
    def now_rag(self) -> str:
        return self.now.rag if self.now else ""

    @property
    def kind_label(self) -> str:
        if self.kind in ("action", "measure"):
            return "Action" if self.kind == "action" else "Outcome measure"
        return Rating.Subject(self.kind).label


def _direction_counts(items: Sequence[ItemMovement]) -> dict[Direction, int]:
    counted = Counter(item.direction for item in items)
    return {d: counted.get(d, 0) for d in Direction}


@dataclass
class RecommendationMovement:
    """The movement of everything under one recommendation, with counts per direction
    (every direction present, zero where none)."""

    recommendation: Recommendation
    items: list[ItemMovement]
    counts: dict[Direction, int] = field(init=False)

    def __post_init__(self) -> None:
        self.counts = _direction_counts(self.items)

    def counts_for(self, *kinds: str) -> dict[Direction, int]:
        """Counts per direction for some kinds only, e.g. `counts_for("action")`."""
        return _direction_counts([item for item in self.items if item.kind in kinds])


@dataclass
class Movement:
    """What moved between two dated positions of a plan.

    `recommendations` are in plan order; within each, the facets first (outcome
    required, impact for children, actions completed), then each action followed by its
    outcome measures. `counts` totals the directions across the plan.
    """

    plan: Plan
    from_period: ReportingPeriod
    to_period: ReportingPeriod
    confirmed_only: bool
    recommendations: list[RecommendationMovement]
    counts: dict[Direction, int] = field(init=False)

    def __post_init__(self) -> None:
        self.counts = _direction_counts(list(self.items()))

    def items(self, *kinds: str) -> Iterator[ItemMovement]:
        """Every item, or only those of the given kinds."""
        for rec in self.recommendations:
            for item in rec.items:
                if not kinds or item.kind in kinds:
                    yield item


def _ordered_items(plan: Plan) -> tuple[list[Recommendation], dict[int, list[tuple]]]:
    """The plan's recommendations and, per recommendation, its actions and measures as
    (kind, id, ref, text, url) in plan order; two queries."""
    recommendations = list(plan.recommendations.order_by("position", "pk"))
    by_rec: dict[int, list[tuple]] = {rec.pk: [] for rec in recommendations}
    measures: dict[int, list[Measure]] = {}
    for measure in Measure.objects.filter(plan=plan).order_by("action_id", "position", "pk"):
        measures.setdefault(measure.action_id, []).append(measure)
    for action in Action.objects.filter(plan=plan).order_by("position", "pk"):
        by_rec[action.recommendation_id].append(
            ("action", action.pk, action.ref, action.text, action.get_absolute_url())
        )
        for number, measure in enumerate(measures.get(action.pk, []), start=1):
            by_rec[action.recommendation_id].append(
                (
                    "measure",
                    measure.pk,
                    f"{action.ref} M{number}",
                    measure.text,
                    action.get_absolute_url(),
                )
            )
    return recommendations, by_rec


def movement(
    plan: Plan,
    from_period: ReportingPeriod,
    to_period: ReportingPeriod,
    *,
    confirmed_only: bool = True,
) -> Movement:
    """Each item's RAG as of `from_period` and as of `to_period`, and which way it moved.

    Items are every action and outcome measure of the plan, and each recommendation
    facet (outcome required, impact for children, actions completed) that has a
    position in either period. Directions: *improved*, *worsened*, *unchanged*, *new*
    (no position then), *completed* (Blue now, not then); see `direction`. Reports and
    the dashboard use confirmed ratings (the default); `confirmed_only=False` includes
    proposed ones. A fixed number of queries, whatever the size of the plan.

    Raises ValueError if a period belongs to another plan or `from_period` ends after
    `to_period`.
    """
    if from_period.plan_id != plan.pk or to_period.plan_id != plan.pk:
        raise ValueError("Both periods must belong to the plan.")
    if from_period.end > to_period.end:
        raise ValueError("from_period must end before to_period.")
    then, now = positions_by_period(plan, [from_period, to_period], confirmed_only=confirmed_only)
    recommendations, by_rec = _ordered_items(plan)
    result = []
    for rec in recommendations:
        items = []
        for facet in FACETS:
            key = (str(facet), rec.pk)
            if key in then or key in now:
                items.append(
                    _item_movement(
                        key, rec.pk, rec.ref, facet.label, rec.get_absolute_url(), then, now
                    )
                )
        for kind, pk, ref, text, url in by_rec[rec.pk]:
            items.append(_item_movement((kind, pk), rec.pk, ref, text, url, then, now))
        result.append(RecommendationMovement(recommendation=rec, items=items))
    return Movement(
        plan=plan,
        from_period=from_period,
        to_period=to_period,
        confirmed_only=confirmed_only,
        recommendations=result,
    )


def _item_movement(key, rec_id, ref, text, url, then, now) -> ItemMovement:
    before, after = then.get(key), now.get(key)
    return ItemMovement(
        kind=key[0],
        item_id=key[1],
        recommendation_id=rec_id,
        ref=ref,
        text=text,
        url=url,
        then=before,
        now=after,
        direction=direction(before.rag if before else None, after.rag if after else None),
    )


# --- The "position as of" grid ----------------------------------------------------------


@dataclass(frozen=True)
class GridCell:
    """A position as the grid shows it: the RAG, and "not updated" where it is an earlier
    position (carried forward at close, or, in the open period, not rated yet)."""

    rag: str
    marker: str  # "", "not updated" or "not updated yet"

    @classmethod
    def of(cls, position: Position | None, period: ReportingPeriod) -> GridCell | None:
        if position is None:
            return None
        stale = position.carried_forward or position.period_id != period.pk
        if not stale or not position.rag:
            return cls(position.rag, "")
        return cls(position.rag, "not updated" if period.is_closed else "not updated yet")


@dataclass(frozen=True)
class GridRow:
    """A row of the grid: a recommendation facet or an action, with one cell per
    period (None where it had no position yet)."""

    kind: str
    item_id: int
    ref: str
    text: str
    url: str
    cells: list[GridCell | None]
    direction: Direction | None  # last column against the one before; None with one column
    suggested_rag: str = ""  # what the dates suggest for an open action, "" if nothing

    @property
    def kind_label(self) -> str:
        return "Action" if self.kind == "action" else Rating.Subject(self.kind).label


@dataclass(frozen=True)
class GridSection:
    """A recommendation's rows, or the part of them on one page of the grid: actions
    `first` to `last` (counted from 1) of its `total`."""

    recommendation: Recommendation
    rows: list[GridRow]
    first: int = 1
    last: int = 0
    total: int = 0

    @property
    def continued(self) -> bool:
        """The recommendation's earlier actions are on the page before."""
        return self.first > 1

    @property
    def continues(self) -> bool:
        """Its later actions are on the next page."""
        return self.last < self.total


@dataclass(frozen=True)
class PositionGrid:
    """The plan's positions side by side, as the 2015 plan's "Position as of" tables."""

    plan: Plan
    periods: list[ReportingPeriod]  # oldest first
    sections: list[GridSection]

    @property
    def movement_from(self) -> ReportingPeriod | None:
        return self.periods[-2] if len(self.periods) > 1 else None


# How many action rows a page of the plan page's grid holds, about: a plan at council
# scale has thousands of actions, which no one reads, or a browser lays out, at once.
GRID_PAGE_ROWS = 100


@dataclass(frozen=True)
class GridSlice:
    """A recommendation's actions `start` (counted from 0) up to `stop`, of `total`."""

    recommendation: Recommendation
    start: int
    stop: int
    total: int


@dataclass(frozen=True)
class GridPage:
    """One page of the grid: consecutive slices of the recommendations' actions in plan
    order, starting after `offset` actions of the plan."""

    number: int
    slices: tuple[GridSlice, ...]
    offset: int

    @property
    def size(self) -> int:
        return sum(s.stop - s.start for s in self.slices)

    @property
    def label(self) -> str:
        """What the page holds, e.g. "Recommendations 1 to 3" or "Recommendation 4,
        actions 101 to 167 of 167"."""
        if not self.slices:
            return "No recommendations"
        first, last = self.slices[0], self.slices[-1]
        if len(self.slices) == 1 and (first.start or first.stop < first.total):
            return (
                f"Recommendation {first.recommendation.ref}, actions {first.start + 1} to "
                f"{first.stop} of {first.total}"
            )
        if len(self.slices) == 1:
            return f"Recommendation {first.recommendation.ref}"
        return f"Recommendations {first.recommendation.ref} to {last.recommendation.ref}"


def grid_pages(plan: Plan, *, rows: int | None = None) -> list[GridPage]:
    """The plan's recommendations cut into pages of at most `rows` actions
    (`GRID_PAGE_ROWS` by default), in plan order. A recommendation starts a new page
    unless the rest of it fits on the current one; one with more actions than a page
    holds is split across pages. Every recommendation is on some page, those with no
    actions too. One query."""
    recommendations = plan.recommendations.annotate(actions_count=Count("actions")).order_by(
        "position", "pk"
    )
    rows = rows or GRID_PAGE_ROWS
    pages: list[GridPage] = []
    current: list[GridSlice] = []
    used = offset = 0

    def turn() -> None:
        nonlocal current, used, offset
        pages.append(GridPage(len(pages) + 1, tuple(current), offset))
        offset += used
        current, used = [], 0

    for rec in recommendations:
        total, start = rec.actions_count, 0
        while True:
            if current and used + total - start > rows:
                turn()
            take = min(total - start, rows - used)
            current.append(GridSlice(rec, start, start + take, total))
            used += take
            start += take
            if start >= total:
                break
            turn()
    if current or not pages:
        turn()
    return pages


def grid_periods(plan: Plan) -> list[ReportingPeriod]:
    """The periods that have positions to show (closed, and the open one), oldest first."""
    return list(plan.periods.exclude(state=ReportingPeriod.State.UPCOMING).order_by("end", "pk"))


def _used_facets(plan: Plan, last: ReportingPeriod, *, confirmed_only: bool) -> list:
    """The facets with a position as of `last` for some recommendation of the plan."""
    held = "confirmed_rating" if confirmed_only else "rating"
    used = set(
        PositionRow.objects.filter(
            plan=plan, period=last, subject__in=FACETS, **{f"{held}__isnull": False}
        )
        .order_by()
        .values_list("subject", flat=True)
        .distinct()
    )
    return [facet for facet in FACETS if str(facet) in used]


def position_grid(
    plan: Plan,
    periods: Sequence[ReportingPeriod],
    *,
    confirmed_only: bool = True,
    today: dt.date | None = None,
    page: GridPage | None = None,
) -> PositionGrid:
    """Positions of each recommendation's facets (those the plan uses) and actions, one
    column per period: the whole plan, or one `page` of `grid_pages`. Seven queries,
    whatever the size of the plan and however many periods."""
    # Long because: the grid's view-model is built from one read of the positions in a fixed
    # number of queries; the steps share the same lookups.
    periods = sorted(periods, key=lambda p: p.end)
    ordered = Action.objects.filter(plan=plan).order_by(
        "recommendation__position", "recommendation_id", "position", "pk"
    )
    if page is None:
        # (recommendation, actions before the part shown, its actions in all or None)
        parts = [(rec, 0, None) for rec in plan.recommendations.order_by("position", "pk")]
        actions = ordered
    else:
        parts = [(s.recommendation, s.start, s.total) for s in page.slices]
        ids = list(ordered.values_list("pk", flat=True)[page.offset : page.offset + page.size])
        actions = Action.objects.filter(pk__in=ids)
    columns = positions_by_period(
        plan,
        periods,
        confirmed_only=confirmed_only,
        # Ids rather than queries where there are ids: found by key, not by a scan.
        actions=actions if page is None else ids,
        recommendations=[rec.pk for rec, _, _ in parts],
        measures=False,
    )
    used_facets = _used_facets(plan, periods[-1], confirmed_only=confirmed_only) if periods else []
    by_rec: dict[int, list[Action]] = {rec.pk: [] for rec, _, _ in parts}
    for action in actions.order_by("position", "pk"):
        action.plan = plan  # for the suggested RAG, without a query per action
        by_rec[action.recommendation_id].append(action)
    today = today or services.local_today()

    def row(kind, pk, ref, text, url, suggested="") -> GridRow:
        cells = [
            GridCell.of(column.get((kind, pk)), period)
            for column, period in zip(columns, periods, strict=True)
        ]
        moved = None
        if len(cells) > 1:
            moved = direction(
                cells[-2].rag if cells[-2] else None, cells[-1].rag if cells[-1] else None
            )
        return GridRow(kind, pk, ref, text, url, cells, moved, suggested)

    sections = []
    for rec, start, total in parts:
        rows = []
        if start == 0:  # the facets head the recommendation's first page
            rows = [
                row(str(facet), rec.pk, rec.ref, facet.label, rec.get_absolute_url())
                for facet in used_facets
            ]
        mine = by_rec[rec.pk]
        for action in mine:
            rows.append(
                row(
                    "action",
                    action.pk,
                    action.ref,
                    action.text,
                    action.get_absolute_url(),
                    services.action_suggested_rag(action, today=today),
                )
            )
        sections.append(
            GridSection(
                recommendation=rec,
                rows=rows,
                first=start + 1,
                last=start + len(mine),
                total=len(mine) if total is None else total,
            )
        )
    return PositionGrid(plan=plan, periods=list(periods), sections=sections)


# --- Reminders before a period closes ---------------------------------------------------


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
        f"{period.label} closes on {_day(period.end)}"
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

"""Positions: which rating is an item's position as of a period, and the rules about
dates that go with it ("overdue", "slipped", what the dates suggest).

This is the one module that knows the rules. The items are actions, outcome measures
and the facets of a recommendation (outcome required, impact for children, actions
completed). The rule, `derive`, is a pure function of the ratings; `refresh` writes
what it gives to `plans.Position` and is called by the services in the same
transaction as every change that moves a position: recording, confirming or sending
back a rating, carrying positions forward when a period closes, reopening one, an
import, and creating periods. Rows of closed periods are never rewritten by it: a closed
period's ratings cannot change, so neither can its positions.

The rule: an item's position as of period P is its latest rating, not sent back, in
the latest of the plan's periods up to P's end that has one (the newest `created`, then
the highest id, within that period). Its confirmed position is the same over confirmed
ratings only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import F, Q

from plans.models import Action, Position, Rating, ReportingPeriod

ItemKey = tuple[str, int]  # (subject, item id): ("action", 3), ("outcome", 12)

FACETS = (Rating.Subject.OUTCOME, Rating.Subject.IMPACT, Rating.Subject.PROGRESS)

RETURNED = Rating.Status.RETURNED
CONFIRMED = Rating.Status.CONFIRMED


# --- Dates: overdue, slipped --------------------------------------------------------
# The rules on one action are in `plans.rules`; here they are conditions on actions, for
# queries. `as_of` and `due` default to today's rules on the stored due date; the
# dashboard judges a past period on its end date against the due date as it stood then
# (annotations it names here).


def open_q(*, as_of: dt.date | F | None = None) -> Q:
    """Open (on `as_of`: still open, or completed only after it)."""
    if as_of is None:
        return Q(status=Action.Status.OPEN)
    return Q(status=Action.Status.OPEN) | Q(completed_on__gt=as_of)


def overdue_q(today: dt.date | F, *, due: str = "due_date") -> Q:
    """Due before `today` (combine with `open_q`)."""
    return Q(**{f"{due}__lt": today})


def slipped_q(*, due: str = "due_date") -> Q:
    """Due later than the baseline."""
    return Q(**{f"{due}__gt": F("baseline_due_date")})


# --- The rule -------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingFacts:
    """What the rule reads of a rating."""

    pk: int
    key: ItemKey
    period_id: int
    created: dt.datetime
    status: str
    rag: str
    carried_forward: bool
    suggested_rag: str
    override_reason: str


@dataclass(frozen=True)
class Derived:
    """An item's position as of one period: what a `Position` row holds."""

    rating_id: int | None
    rag: str
    status: str
    carried_forward: bool
    suggested_rag: str
    override_reason: str
    rated_at: dt.datetime | None
    rating_period_id: int | None
    rated_in_period: bool
    confirmed_rating_id: int | None
    confirmed_rag: str
    confirmed_carried_forward: bool
    confirmed_period_id: int | None


RATING_FIELDS = (
    "pk",
    "subject",
    "action_id",
    "measure_id",
    "recommendation_id",
    "period_id",
    "created",
    "status",
    "rag",
    "carried_forward",
    "suggested_rag",
    "override_reason",
)


def key_of(subject: str, action_id, measure_id, recommendation_id) -> ItemKey:
    if subject == Rating.Subject.ACTION:
        return (str(subject), action_id)
    if subject == Rating.Subject.MEASURE:
        return (str(subject), measure_id)
    return (str(subject), recommendation_id)


def facts_of(row: dict) -> RatingFacts:
    """A `RatingFacts` from a `values(*RATING_FIELDS)` row."""
    return RatingFacts(
        pk=row["pk"],
        key=key_of(row["subject"], row["action_id"], row["measure_id"], row["recommendation_id"]),
        period_id=row["period_id"],
        created=row["created"],
        status=row["status"],
        rag=row["rag"] or "",
        carried_forward=row["carried_forward"],
        suggested_rag=row["suggested_rag"] or "",
        override_reason=row["override_reason"],
    )


def derive(
    periods: Sequence[tuple[int, dt.date]], ratings: Iterable[RatingFacts]
) -> dict[tuple[ItemKey, int], Derived]:
    """Every item's position as of each of a plan's periods ((id, end) pairs), from the
    plan's ratings: {(item key, period id): Derived}. Items with no rating that counts
    up to a period are absent from it. Pure: no queries."""
    end_of = dict(periods)
    ordered = sorted(periods, key=lambda p: (p[1], p[0]))
    by_item: dict[ItemKey, list[RatingFacts]] = {}
    for rating in ratings:
        if rating.period_id in end_of:
            by_item.setdefault(rating.key, []).append(rating)
    derived: dict[tuple[ItemKey, int], Derived] = {}
    for key, item_ratings in by_item.items():
        # Oldest position first: the later period, then the later rating, wins.
        item_ratings.sort(key=lambda r: (end_of[r.period_id], r.created, r.pk))
        position = confirmed = None
        own_in: set[int] = {
            r.period_id for r in item_ratings if r.status != RETURNED and not r.carried_forward
        }
        index = 0
        for period_id, end in ordered:
            while index < len(item_ratings) and end_of[item_ratings[index].period_id] <= end:
                rating = item_ratings[index]
                if rating.status != RETURNED:
                    position = rating
                if rating.status == CONFIRMED:
                    confirmed = rating
                index += 1
            if position is None and confirmed is None:
                continue
            derived[(key, period_id)] = Derived(
                rating_id=position.pk if position else None,
                rag=position.rag if position else "",
                status=position.status if position else "",
                carried_forward=position.carried_forward if position else False,
                suggested_rag=position.suggested_rag if position else "",
                override_reason=position.override_reason if position else "",
                rated_at=position.created if position else None,
                rating_period_id=position.period_id if position else None,
                rated_in_period=period_id in own_in,
                confirmed_rating_id=confirmed.pk if confirmed else None,
                confirmed_rag=confirmed.rag if confirmed else "",
                confirmed_carried_forward=confirmed.carried_forward if confirmed else False,
                confirmed_period_id=confirmed.period_id if confirmed else None,
            )
    return derived


# --- Reading and writing the table ----------------------------------------------------

DERIVED_FIELDS = tuple(Derived.__dataclass_fields__)


def _items_filter(keys: Iterable[ItemKey]) -> Q:
    """Rows (of ratings or positions) of the items given."""
    actions, measures, facets = set(), set(), {}
    for subject, item_id in keys:
        if subject == Rating.Subject.ACTION:
            actions.add(item_id)
        elif subject == Rating.Subject.MEASURE:
            measures.add(item_id)
        else:
            facets.setdefault(subject, set()).add(item_id)
    where = Q(pk__in=[])
    if actions:
        where |= Q(subject=Rating.Subject.ACTION, action_id__in=sorted(actions))
    if measures:
        where |= Q(subject=Rating.Subject.MEASURE, measure_id__in=sorted(measures))
    for subject, ids in sorted(facets.items()):
        where |= Q(subject=subject, recommendation_id__in=sorted(ids))
    return where


def derive_plan(
    plan_id: int, keys: Iterable[ItemKey] | None = None
) -> tuple[list[tuple[int, dt.date, str]], dict[tuple[ItemKey, int], Derived]]:
    """The plan's periods ((id, end, state)) and the positions the ratings give, for
    the items given or all of them. Two queries."""
    periods = list(
        ReportingPeriod.objects.filter(plan_id=plan_id)
        .order_by("end", "pk")
        .values_list("pk", "end", "state")
    )
    ratings = Rating.objects.filter(plan_id=plan_id)
    if keys is not None:
        ratings = ratings.filter(_items_filter(keys))
    facts = [facts_of(row) for row in ratings.order_by().values(*RATING_FIELDS)]
    return periods, derive([(pk, end) for pk, end, _ in periods], facts)


def _row(plan_id: int, key: ItemKey, period_id: int, derived: Derived) -> Position:
    subject, item_id = key
    column = {"action": "action_id", "measure": "measure_id"}.get(subject, "recommendation_id")
    return Position(
        plan_id=plan_id,
        period_id=period_id,
        subject=subject,
        **{column: item_id},
        **{name: getattr(derived, name) for name in DERIVED_FIELDS},
    )


def stored(plan_id: int, period_ids: Iterable[int] | None = None) -> dict:
    """{(item key, period id): Derived} as the table holds it for a plan."""
    rows = Position.objects.filter(plan_id=plan_id)
    if period_ids is not None:
        rows = rows.filter(period_id__in=list(period_ids))
    held = {}
    fields = ("subject", "action_id", "measure_id", "recommendation_id", "period_id")
    for row in rows.order_by().values(*fields, *DERIVED_FIELDS):
        key = key_of(row["subject"], row["action_id"], row["measure_id"], row["recommendation_id"])
        held[(key, row["period_id"])] = Derived(**{name: row[name] for name in DERIVED_FIELDS})
    return held


def refresh(plan_id: int, keys: Iterable[ItemKey] | None = None) -> int:
    """Write the positions of a plan's items (those given, or all) in every period that
    is not closed, from their ratings. Call it inside the transaction of the change,
    after the change. Returns how many rows it wrote."""
    keys = None if keys is None else list(keys)
    if keys == []:
        return 0
    # Part of the caller's transaction (no savepoint of its own), or one of its own.
    with transaction.atomic(savepoint=False):
        periods, derived = derive_plan(plan_id, keys)
        live = {pk for pk, _, state in periods if state != ReportingPeriod.State.CLOSED}
        if not live:
            return 0
        old = Position.objects.filter(plan_id=plan_id, period_id__in=sorted(live))
        if keys is not None:
            old = old.filter(_items_filter(keys))
        old.delete()
        rows = [
            _row(plan_id, key, period_id, value)
            for (key, period_id), value in derived.items()
            if period_id in live
        ]
        Position.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


@dataclass(frozen=True)
class Difference:
    key: ItemKey
    period_id: int
    held: Derived | None
    derived: Derived | None

    def describe(self) -> str:
        subject, item_id = self.key
        where = f"{subject} {item_id} in period {self.period_id}"
        if self.held is None:
            return f"{where}: missing (the ratings give rating {self.derived.rating_id})"
        if self.derived is None:
            return f"{where}: a row the ratings do not give (rating {self.held.rating_id})"
        fields = [
            f"{name} {getattr(self.held, name)!r} should be {getattr(self.derived, name)!r}"
            for name in DERIVED_FIELDS
            if getattr(self.held, name) != getattr(self.derived, name)
        ]
        return f"{where}: " + "; ".join(fields)


def differences(plan_id: int) -> list[Difference]:
    """Where the table differs from what the plan's ratings give, every period."""
    _, derived = derive_plan(plan_id)
    held = stored(plan_id)
    found = []
    for where in sorted(set(derived) | set(held), key=lambda w: (w[1], w[0])):
        if derived.get(where) != held.get(where):
            found.append(Difference(where[0], where[1], held.get(where), derived.get(where)))
    return found


def rebuild(plan_id: int) -> int:
    """Rewrite every row of a plan, closed periods included, from its ratings (after a
    restore, or a bug). Returns how many rows it wrote."""
    with transaction.atomic():
        connection = connections[Position.objects.db]
        if connection.vendor == "postgresql":
            # The guard of closed periods' positions (migration 0010) lets a rebuild by.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL plans.positions_rebuild = 'on'")
        _, derived = derive_plan(plan_id)
        Position.objects.filter(plan_id=plan_id).delete()
        rows = [_row(plan_id, key, period_id, value) for (key, period_id), value in derived.items()]
        Position.objects.bulk_create(rows, batch_size=2000)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL plans.positions_rebuild = 'off'")
    return len(rows)


def key_of_rating(rating: Rating) -> ItemKey:
    return key_of(rating.subject, rating.action_id, rating.measure_id, rating.recommendation_id)

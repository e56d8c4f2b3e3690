"""Reads for plans: current positions, roll-ups and flags, computed in the database.

Pages, the dashboard and committee reports use these so that "what is this action's
position" has one answer everywhere, and so that query counts do not grow with data.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from plans.models import RAG, Action, Measure, Plan, Rating, ReportingPeriod


def _position_filter(period: ReportingPeriod | None, confirmed_only: bool) -> Q:
    q = ~Q(status=Rating.Status.RETURNED)
    if confirmed_only:
        q &= Q(status=Rating.Status.CONFIRMED)
    if period is not None:
        q &= Q(period__plan_id=period.plan_id, period__end__lte=period.end)
    return q


def latest_rating_subquery(
    key: str, *, period: ReportingPeriod | None = None, confirmed_only: bool = False
) -> QuerySet:
    """Ratings of the outer item, newest position first: the latest period up to
    `period`, then the latest rating within it."""
    return Rating.objects.filter(
        _position_filter(period, confirmed_only), **{key: OuterRef("pk")}
    ).order_by("-period__end", "-created", "-pk")


def with_position(
    queryset: QuerySet,
    *,
    key: str,
    period: ReportingPeriod | None = None,
    confirmed_only: bool = False,
) -> QuerySet:
    """Annotate items (actions or measures) with their position as of `period`:
    `current_rag`, `current_rated_at`, `current_status`, `current_carried`, and
    `rated_in_period` (a rating of its own, not carried forward, in that period)."""
    latest = latest_rating_subquery(key, period=period, confirmed_only=confirmed_only)
    queryset = queryset.annotate(
        current_rag=Subquery(latest.values("rag")[:1]),
        current_rated_at=Subquery(latest.values("created")[:1]),
        current_status=Subquery(latest.values("status")[:1]),
        current_carried=Subquery(latest.values("carried_forward")[:1]),
    )
    if period is not None:
        queryset = queryset.annotate(
            rated_in_period=Exists(
                Rating.objects.filter(
                    period=period, carried_forward=False, **{key: OuterRef("pk")}
                ).exclude(status=Rating.Status.RETURNED)
            )
        )
    return queryset


def actions_with_position(
    queryset: QuerySet[Action] | None = None,
    *,
    period: ReportingPeriod | None = None,
    confirmed_only: bool = False,
) -> QuerySet[Action]:
    queryset = Action.objects.all() if queryset is None else queryset
    return with_position(queryset, key="action", period=period, confirmed_only=confirmed_only)


def measures_with_position(
    queryset: QuerySet[Measure] | None = None,
    *,
    period: ReportingPeriod | None = None,
    confirmed_only: bool = False,
) -> QuerySet[Measure]:
    queryset = Measure.objects.all() if queryset is None else queryset
    return with_position(queryset, key="measure", period=period, confirmed_only=confirmed_only)


def rag_counts(items) -> dict[str, int]:
    """Counts per RAG value (every value present, zero where none) of annotated items."""
    counts = Counter((getattr(item, "current_rag", None) or "") for item in items)
    return {value: counts.get(value, 0) for value in RAG.values}


def plan_rollup(plan: Plan, *, period: ReportingPeriod | None = None) -> dict:
    """Confirmed RAG counts of actions and measures, per recommendation and for the plan,
    computed with two queries."""
    actions = actions_with_position(
        Action.objects.filter(plan=plan), period=period, confirmed_only=True
    ).values("recommendation_id", "current_rag")
    measures = measures_with_position(
        Measure.objects.filter(plan=plan), period=period, confirmed_only=True
    ).values("action__recommendation_id", "current_rag")
    per_rec: dict[int, dict[str, Counter]] = {}
    totals = {"actions": Counter(), "measures": Counter()}
    for row in actions:
        rag = row["current_rag"] or ""
        per_rec.setdefault(row["recommendation_id"], {"actions": Counter(), "measures": Counter()})[
            "actions"
        ][rag] += 1
        totals["actions"][rag] += 1
    for row in measures:
        rag = row["current_rag"] or ""
        per_rec.setdefault(
            row["action__recommendation_id"], {"actions": Counter(), "measures": Counter()}
        )["measures"][rag] += 1
        totals["measures"][rag] += 1

    def full(counter: Counter) -> dict[str, int]:
        return {value: counter.get(value, 0) for value in RAG.values}

    return {
        "plan": {kind: full(counter) for kind, counter in totals.items()},
        "recommendations": {
            rec_id: {kind: full(counter) for kind, counter in kinds.items()}
            for rec_id, kinds in per_rec.items()
        },
    }


def overdue_actions(plan: Plan, *, today: dt.date) -> QuerySet[Action]:
    return Action.objects.filter(plan=plan, status=Action.Status.OPEN, due_date__lt=today)

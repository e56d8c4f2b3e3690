"""Reads for plans: current positions, roll-ups and flags, computed in the database.

Pages, the dashboard and committee reports use these so that "what is this action's
position" has one answer everywhere, and so that query counts do not grow with data.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.urls import reverse

from core.dates import short_day
from plans import access, roles, rules
from plans.models import (
    RAG,
    Action,
    DueDateRevision,
    Evidence,
    Measure,
    Outcome,
    Owner,
    Plan,
    Position,
    Rating,
    Recommendation,
    RemedialAction,
    ReportingPeriod,
)

# Ratings newest position first: the latest period, then the latest rating within it
# (the order `plans.positions` decides by), for listing an item's ratings.
NEWEST_POSITION_FIRST = ("-period__end", "-created", "-pk")


# The Position columns that give each part of a position, and of a confirmed position.
POSITION_COLUMNS = {
    False: {
        "rag": "rag",
        "created": "rated_at",
        "status": "status",
        "carried_forward": "carried_forward",
        "suggested_rag": "suggested_rag",
        "override_reason": "override_reason",
        "pk": "rating_id",
        "commentary": "rating__commentary",
    },
    True: {
        "rag": "confirmed_rag",
        "created": "confirmed_rating__created",
        "status": "confirmed_rating__status",
        "carried_forward": "confirmed_carried_forward",
        "suggested_rag": "confirmed_rating__suggested_rag",
        "override_reason": "confirmed_rating__override_reason",
        "pk": "confirmed_rating_id",
        "commentary": "confirmed_rating__commentary",
    },
}


def position_rows(
    key: str,
    *,
    period: ReportingPeriod | None = None,
    confirmed_only: bool = False,
    outer: str = "pk",
) -> QuerySet[Position]:
    """The outer item's row of `plans.Position` as of `period` (as of its plan's latest
    period when None) that holds a position (a confirmed one with `confirmed_only`):
    one row at most, found on the (period, item) key."""
    rows = Position.objects.filter(**{key: OuterRef(outer)})
    if confirmed_only:
        rows = rows.filter(confirmed_rating__isnull=False)
    else:
        rows = rows.filter(rating__isnull=False)
    if period is not None:
        # One row at most: no ordering (Position's default one joins periods and plans).
        return rows.filter(period_id=period.pk).order_by()
    return rows.order_by("-period__end")


def position_value(
    key: str,
    name: str,
    *,
    period: ReportingPeriod | None = None,
    confirmed_only: bool = False,
    subject: str | None = None,
) -> Subquery:
    """One part (`name`: a key of POSITION_COLUMNS) of the outer item's position;
    `subject` picks a recommendation's facet."""
    rows = position_rows(key, period=period, confirmed_only=confirmed_only)
    if subject is not None:
        rows = rows.filter(subject=subject)
    return Subquery(rows.values(POSITION_COLUMNS[confirmed_only][name])[:1])


def with_position(
    queryset: QuerySet,
    *,
    key: str,
    period: ReportingPeriod | None = None,
    confirmed_only: bool = False,
) -> QuerySet:
    """Annotate items (actions or measures) with their position as of `period`, read
    from `plans.Position`: `current_rag`, `current_rated_at`, `current_status`,
    `current_carried`, and `rated_in_period` (a rating of its own, not carried forward,
    in that period)."""
    names = {
        "current_rag": "rag",
        "current_rated_at": "created",
        "current_status": "status",
        "current_carried": "carried_forward",
    }
    queryset = queryset.annotate(
        **{
            alias: position_value(key, name, period=period, confirmed_only=confirmed_only)
            for alias, name in names.items()
        }
    )
    if period is not None:
        queryset = queryset.annotate(
            rated_in_period=Exists(
                Position.objects.filter(
                    period_id=period.pk, rated_in_period=True, **{key: OuterRef("pk")}
                )
            )
        )
    return queryset


def override_annotations(
    key: str, *, period: ReportingPeriod | None = None, confirmed_only: bool = False
) -> dict:
    """For `queryset.annotate(...)`: the position's `current_suggested_rag` (what the
    evidence gave) and `current_override_reason` (why the rating differs from it), so
    that wherever a position is shown its written reason can be shown with it."""
    return {
        f"current_{name}": position_value(key, name, period=period, confirmed_only=confirmed_only)
        for name in ("suggested_rag", "override_reason")
    }


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


def measure_recommendation_id() -> Subquery:
    """A measure's recommendation (its action's), looked up by the action's key for each
    measure. Joining the actions instead makes PostgreSQL read every plan's actions to
    count one plan's measures: a measure's plan is not tied to its action's by any
    constraint the planner could use."""
    return Subquery(
        Action.objects.filter(pk=OuterRef("action_id")).order_by().values("recommendation_id")
    )


def plan_rollup(plan: Plan, *, period: ReportingPeriod | None = None) -> dict:
    """Confirmed RAG counts of actions and measures, per recommendation and for the plan,
    computed with two queries."""
    # Counted, so read in no order (the default orders join the plans and
    # recommendations and sort).
    actions = (
        actions_with_position(Action.objects.filter(plan=plan), period=period, confirmed_only=True)
        .order_by()
        .values("recommendation_id", "current_rag")
    )
    measures = (
        measures_with_position(
            Measure.objects.filter(plan=plan), period=period, confirmed_only=True
        )
        .annotate(rec_id=measure_recommendation_id())
        .order_by()
        .values("rec_id", "current_rag")
    )
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
        per_rec.setdefault(row["rec_id"], {"actions": Counter(), "measures": Counter()})[
            "measures"
        ][rag] += 1
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


# --- My actions and the action page ------------------------------------------------------


def open_periods(plan_ids) -> dict[int, ReportingPeriod]:
    """{plan id: its open period} for the plans given that have one. One query."""
    return {
        period.plan_id: period
        for period in ReportingPeriod.objects.filter(
            plan_id__in=plan_ids, state=ReportingPeriod.State.OPEN
        ).order_by()
    }


# The Position columns My actions reads, in this order.
_POSITION = (
    "rating_id",
    "rag",
    "status",
    "carried_forward",
    "rated_in_period",
    "period_id",
    "rated_at",  # last: My actions' facts read the others only (`_my_facts`)
)


def _open_and_latest_periods(plan_ids) -> tuple[dict[int, ReportingPeriod], dict[int, int]]:
    """For the plans given: {plan id: its open period} for those that have one, and
    {plan id: id of the period positions are read as of}: the open one, or the latest
    where none is open. One query."""
    opened: dict[int, ReportingPeriod] = {}
    at: dict[int, int] = {}
    # The open periods and each plan's latest, not every period: a model instance is dear.
    latest = ReportingPeriod.objects.filter(plan_id=OuterRef("plan_id")).order_by("-end", "-pk")
    periods = ReportingPeriod.objects.filter(
        Q(state=ReportingPeriod.State.OPEN) | Q(pk=Subquery(latest.values("pk")[:1])),
        plan_id__in=list(plan_ids),
    )
    for period in periods.order_by("-end"):
        at.setdefault(period.plan_id, period.pk)
        if period.state == ReportingPeriod.State.OPEN:
            opened.setdefault(period.plan_id, period)
    at.update({plan_id: period.pk for plan_id, period in opened.items()})
    return opened, at


def _set_open_position(action: Action, period: ReportingPeriod | None, row) -> None:
    """Set on an action what `attach_open_positions` sets, from its Position row
    (`_POSITION` values; None where it has none) as of its plan's open period, or as of
    its latest one where `period`, the open one, is None."""
    action.open_period_id = period.pk if period else None
    action.current_rag = action.current_rated_at = None
    action.current_status = action.current_carried = None
    action.rated_in_period = False
    if row is None or row[0] is None:
        return
    _, rag, status, carried, rated, period_id = row[:6]
    action.current_rag = rag
    action.current_rated_at = row[6] if len(row) > 6 else None  # My actions reads none
    action.current_status, action.current_carried = status, carried
    action.rated_in_period = bool(rated) and period_id == action.open_period_id


def attach_open_positions(actions: Sequence[Action], periods: dict[int, ReportingPeriod]) -> None:
    """Set on each action of any number of plans what `actions_with_position` annotates
    for one period, each as of its own plan's open period in `periods` (or its latest
    position where none is open): `open_period_id`, `current_rag`, `current_rated_at`,
    `current_status`, `current_carried`, `rated_in_period`, and `last_updated` (the latest
    rating someone made, not carried forward). Three queries at most, however many
    actions there are: the positions are rows of `plans.Position`, read by key."""
    for action in actions:
        _set_open_position(action, periods.get(action.plan_id), None)
        action.last_updated = None
    if not actions:
        return
    by_pk = {action.pk: action for action in actions}
    ids = list(by_pk)
    # Each plan's open period; a plan with none: its latest period.
    at = {plan_id: period.pk for plan_id, period in periods.items()}
    without = {action.plan_id for action in actions} - set(at)
    if without:
        at.update(_open_and_latest_periods(without)[1])
    rows = Position.objects.filter(action_id__in=ids, period_id__in=set(at.values()))
    for action_id, *row in rows.order_by().values_list("action_id", *_POSITION):
        action = by_pk[action_id]
        if row[5] == at.get(action.plan_id):  # period_id
            _set_open_position(action, periods.get(action.plan_id), row)
    updated = (
        Rating.objects.filter(action_id__in=ids, carried_forward=False)
        .values("action_id")
        .annotate(last=Max("created"))
        .values_list("action_id", "last")
        .order_by()
    )
    for action_id, last in updated:
        by_pk[action_id].last_updated = last


DUE_SOON_DAYS = 30
MY_ACTIONS_PAGE_SIZE = 100  # rows per page of My actions, after the filters
NO_RATING = "none"  # the RAG filter's value for "not rated yet"


@dataclass(frozen=True)
class MyActionsFilters:
    """What My actions is narrowed to; every field empty or False shows everything."""

    plan: str = ""
    rag: str = ""
    overdue: bool = False
    needs_update: bool = False

    @property
    def active(self) -> bool:
        return bool(self.plan or self.rag or self.overdue or self.needs_update)


@dataclass
class MyActionRow:
    action: Action
    period: ReportingPeriod | None
    overdue: bool
    days_overdue: int
    due_soon: bool
    needs_update: bool
    can_edit: bool
    co_owners: list[PostHolder]
    url: str = ""  # the action's page
    update_url: str = ""  # its update form, "" unless the user may rate it now


@dataclass
class RecommendationGroup:
    recommendation: Recommendation
    rows: list[MyActionRow] = field(default_factory=list)


@dataclass
class PlanGroup:
    plan: Plan
    period: ReportingPeriod | None
    recommendations: list[RecommendationGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(group.rows) for group in self.recommendations)


@dataclass
class Deadline:
    """How many of the user's actions need a rating before a period closes."""

    period: ReportingPeriod
    count: int


@dataclass
class MyActions:
    groups: list[PlanGroup]
    total: int
    shown: int
    overdue: int
    due_soon: int
    needs_update: int
    deadlines: list[Deadline]
    plans: list[Plan]
    has_posts: bool
    page: Page  # of the rows matching the filters; `groups` holds this page's rows
    overdue_as_of: dt.date | None = None


def _matches(
    fact: _Facts, plans: dict[int, Plan], flags: tuple[bool, bool, bool], filters: MyActionsFilters
) -> bool:
    overdue, _, needs_update = flags
    rag = fact.current_rag
    if filters.plan and plans[fact.plan_id].slug != filters.plan:
        return False
    if filters.rag == NO_RATING and rag:
        return False
    if filters.rag and filters.rag != NO_RATING and rag != filters.rag:
        return False
    if filters.overdue and not overdue:
        return False
    return not (filters.needs_update and not needs_update)


class _Facts(NamedTuple):
    """What the counts and the filters of My actions need of one action, read as plain
    values for all of them (the rows shown are loaded in full). A named tuple: a
    director may have thousands."""

    pk: int
    plan_id: int
    status: str
    due_date: dt.date | None
    # Its Position row as of the open period (`_POSITION` values but the time rated),
    # None if it has none.
    position: tuple | None

    @property
    def current_rag(self) -> str | None:
        return self.position[1] if self.position else None

    def rated_in(self, period: ReportingPeriod | None) -> bool:
        """A rating of its own in `period` (the open one)."""
        return bool(self.position and period and self.position[4] and self.position[5] == period.pk)


def _my_plans(user, mine) -> dict[int, Plan]:
    """The active plans `user` sees that hold an action of theirs, by id, in title order."""
    return {
        plan.pk: plan
        for plan in access.visible_plans(user)
        .filter(
            Exists(Action.objects.filter(Exists(mine), plan_id=OuterRef("pk"))),
            status=Plan.Status.ACTIVE,
        )
        .order_by("title", "pk")
    }


def per_plan(values: dict[int, object], output_field, plan: str = "plan_id") -> Case | Value:
    """An expression giving each plan's own value (its as-of date, the period its
    positions are read as of); `plan` names the plan's id in the rows queried. One value
    for every plan is a constant, which the database can use in an index lookup."""
    distinct = set(values.values())
    if len(distinct) == 1:
        return Value(distinct.pop(), output_field=output_field)
    return Case(
        *(When(**{plan: pk}, then=Value(value)) for pk, value in values.items()),
        output_field=output_field,
    )


def _my_facts(mine, plans: dict[int, Plan], at: dict[int, int]) -> list[_Facts]:
    """Every action of the user's in `plans` as plain values, joined to its Position row as
    of the period `at` its plan, in the page's order: one query."""
    # Each action's own plan's period: one lookup of the (period, action) key per action,
    # not one per plan's period.
    period = per_plan(at, IntegerField())
    return [
        _Facts(pk, plan_id, status, due_date, tuple(position) if position[0] is not None else None)
        for pk, plan_id, status, due_date, *position in (
            Action.objects.filter(Exists(mine), plan_id__in=list(plans))
            .alias(pos=FilteredRelation("positions", condition=Q(positions__period_id=period)))
            .order_by("plan__title", "plan_id", "recommendation__position", "position", "pk")
            .values_list(
                "pk", "plan_id", "status", "due_date", *(f"pos__{n}" for n in _POSITION[:-1])
            )
        )
    ]


def _my_flags(
    facts: list[_Facts], periods: dict[int, ReportingPeriod], *, today: dt.date, as_of: dt.date
) -> tuple[dict[int, tuple[bool, bool, bool]], dict[int, Deadline]]:
    """Each action's flags (overdue, due soon, needs an update) by id, and per open period
    how many of the actions still need an update in it."""
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    flags: dict[int, tuple[bool, bool, bool]] = {}
    deadlines: dict[int, Deadline] = {}
    for fact in facts:
        is_open = fact.status == Action.Status.OPEN
        period = periods.get(fact.plan_id)
        needs_update = is_open and period is not None and not fact.rated_in(period)
        flags[fact.pk] = (
            rules.is_overdue(fact, today=as_of),
            is_open and fact.due_date is not None and today <= fact.due_date <= soon,
            needs_update,
        )
        if needs_update:
            deadlines.setdefault(period.pk, Deadline(period=period, count=0)).count += 1
    return flags, deadlines


class PostHolder(NamedTuple):
    """An owner of an action on My actions: the post the page names, and who holds it
    (`roles.owns_action`)."""

    post: str
    user_id: int | None


def _load_page(on_page: list[int]) -> tuple[dict[int, Action], dict[int, list[PostHolder]]]:
    """The page's actions as objects with their last update, and their owners from the
    link table, in two queries (no related manager per action: `roles.owns_action` reads
    `_owner_user_ids`, which the caller sets)."""
    loaded = (
        Action.objects.filter(pk__in=on_page)
        .select_related("recommendation")
        # Not shown: each time stamp read costs more than any other column.
        .defer("created", "updated", "recommendation__created", "recommendation__updated")
        .annotate(
            last_updated=Subquery(
                Rating.objects.filter(action_id=OuterRef("pk"), carried_forward=False)
                .order_by()
                .values("action_id")
                .annotate(last=Max("created"))
                .values("last")
            )
        )
        .in_bulk()
    )
    owners: dict[int, list[PostHolder]] = {pk: [] for pk in on_page}
    links = Action.owners.through.objects.filter(action_id__in=on_page).order_by("pk")
    for action_id, post, user_id in links.values_list("action_id", "owner__post", "owner__user_id"):
        owners[action_id].append(PostHolder(post, user_id))
    return loaded, owners


def _url_with_pk(name: str) -> Callable[[int], str]:
    """`reverse(name, args=[pk])` for the many rows of a page: the URL is reversed once
    with a stand-in id, which each row's own id then takes the place of."""
    stand_in = "987654321"
    before, _, after = reverse(name, args=[int(stand_in)]).rpartition(stand_in)
    return lambda pk: f"{before}{pk}{after}"


@dataclass(frozen=True)
class _RowMaker:
    """What every row of one user's page is made with, worked out once per page."""

    user_id: int
    can_edit: Callable[[Action], bool]  # `roles.action_editor`
    detail_url: Callable[[int], str]
    update_url: Callable[[int], str]
    as_of: dt.date

    def row(self, action: Action, period, flags, owners: list[PostHolder]) -> MyActionRow:
        overdue, due_soon, needs_update = flags
        can_edit = self.can_edit(action)
        return MyActionRow(
            action=action,
            period=period,
            overdue=overdue,
            days_overdue=rules.days_overdue(action, today=self.as_of),
            due_soon=due_soon,
            needs_update=needs_update,
            can_edit=can_edit,
            co_owners=[owner for owner in owners if owner.user_id != self.user_id],
            url=self.detail_url(action.pk),
            update_url=self.update_url(action.pk) if can_edit and period else "",
        )


def _my_groups(
    user, on_page: list[_Facts], plans: dict[int, Plan], periods: dict, flags: dict, as_of
) -> list[PlanGroup]:
    """The page's rows, loaded in full and grouped by plan and recommendation."""
    loaded, owners = _load_page([fact.pk for fact in on_page])
    maker = _RowMaker(
        user_id=user.pk,
        can_edit=roles.action_editor(user),
        detail_url=_url_with_pk("plans:action"),
        update_url=_url_with_pk("plans:action_update"),
        as_of=as_of,
    )
    groups: list[PlanGroup] = []
    for fact in on_page:
        action = loaded[fact.pk]
        action.plan = plans[action.plan_id]
        action._owner_user_ids = {owner.user_id for owner in owners[fact.pk]}
        period = periods.get(action.plan_id)
        _set_open_position(action, period, fact.position)
        row = maker.row(action, period, flags[fact.pk], owners[fact.pk])
        if not groups or groups[-1].plan.pk != action.plan_id:
            groups.append(PlanGroup(plan=action.plan, period=period))
        recs = groups[-1].recommendations
        if not recs or recs[-1].recommendation.pk != action.recommendation_id:
            recs.append(RecommendationGroup(recommendation=action.recommendation))
        recs[-1].rows.append(row)
    return groups


def my_actions(
    user, *, filters: MyActionsFilters | None = None, today: dt.date, page: object = 1
) -> MyActions:
    """The actions `user` is accountable for (through the posts they hold) in active
    plans, each with its position as of its plan's open period and its flags, grouped by
    plan and recommendation. The counts are of all the user's actions, whatever the
    filters. The rows matching the filters are shown `MY_ACTIONS_PAGE_SIZE` at a time:
    `page` is the page asked for (a number that is not a page gives the nearest one).

    A fixed number of queries, however many actions or ratings there are, and work in
    proportion to the page: the flags, counts and filters are worked out from plain
    values of every action joined to its `plans.Position` row as of its plan's open
    period, and only the actions on the page are loaded as objects, with their owners
    and last update."""
    filters = filters or MyActionsFilters()
    mine = Action.owners.through.objects.filter(action_id=OuterRef("pk"), owner__user=user)
    plans = _my_plans(user, mine)
    periods, at = _open_and_latest_periods(plans)
    for period in periods.values():
        period.plan = plans[period.plan_id]
    facts = _my_facts(mine, plans, at)
    as_of = rules.overdue_as_of(today=today)
    flags, deadlines = _my_flags(facts, periods, today=today, as_of=as_of)
    matching = [fact for fact in facts if _matches(fact, plans, flags[fact.pk], filters)]
    shown = Paginator(matching, MY_ACTIONS_PAGE_SIZE).get_page(page)
    return MyActions(
        groups=_my_groups(user, list(shown.object_list), plans, periods, flags, as_of),
        total=len(facts),
        shown=len(matching),
        overdue=sum(flag[0] for flag in flags.values()),
        due_soon=sum(flag[1] for flag in flags.values()),
        needs_update=sum(flag[2] for flag in flags.values()),
        deadlines=sorted(deadlines.values(), key=lambda d: (d.period.end, d.period.pk)),
        plans=list(plans.values()),
        has_posts=bool(facts) or Owner.objects.filter(user=user).exists(),
        page=shown,
        overdue_as_of=as_of,
    )


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class ChangeEntry:
    """One row of an action's change history: who did what, when and why."""

    when: dt.datetime
    who: object
    what: str
    reason: str = ""
    changes: list[FieldChange] = field(default_factory=list)
    kind: str = "change"


@dataclass
class MeasureRow:
    measure: Measure
    result: rules.Result | None
    result_text: str
    derived_rag: str


# The results of outcome measures (dip samples and performance values) are audits' data,
# and plans does not import audits: audits hands over its reader when the app is ready
# (`audits.apps.AuditsConfig.ready`): {measure id: its latest result}, in one query.
_latest_results: list[Callable[[list[int]], dict[int, rules.Result]]] = []


def latest_results_reader(reader: Callable[[list[int]], dict[int, rules.Result]]) -> None:
    """Set the reader of measures' latest results (audits does, once)."""
    _latest_results[:] = [reader]


def latest_results(measure_ids: list[int]) -> dict[int, rules.Result]:
    """{measure id: its latest result} for the measures that have one."""
    if not measure_ids or not _latest_results:
        return {}
    return _latest_results[0](measure_ids)


@dataclass
class ActionPage:
    """Everything the action page shows, read in a fixed number of queries."""

    action: Action
    owners: list[Owner]
    links: list[Recommendation]
    measures: list[MeasureRow]
    ratings: list[Rating]
    position: Rating | None
    revisions: list[DueDateRevision]
    remedial_actions: list[RemedialAction]
    evidence: list[Evidence]
    changes: list[ChangeEntry]
    periods: list[ReportingPeriod]
    period: ReportingPeriod | None
    last_closed: ReportingPeriod | None

    @property
    def plan(self) -> Plan:
        return self.action.plan


# Fields of an action whose changes the history shows by name, in this order; the rest
# (version, timestamps, the baseline) are bookkeeping.
_ACTION_FIELDS = (
    "ref",
    "text",
    "why",
    "difference",
    "lead",
    "recommendation",
    "outcome",
    "timescale_text",
    "timescale_needs_review",
    "start_date",
    "due_date",
    "milestones",
    "status",
    "completed_on",
)
_REMEDIAL_FIELDS = (
    "outstanding",
    "text",
    "responsible",
    "due_text",
    "due_date",
    "completed_text",
    "completed_on",
)
_MAX_SHOWN = 300


def _label(model, name: str) -> str:
    verbose = str(model._meta.get_field(name).verbose_name)
    return verbose[:1].upper() + verbose[1:]


def _shown(model, name: str, value, labels: dict) -> str:
    if value is None or value == "" or value == []:
        return "(blank)"
    model_field = model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.is_relation:
        return labels.get((model_field.related_model, value), f"#{value}")
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.date):
        return short_day(value)
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value)
    text = str(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _people(owner_ids, labels: dict) -> str:
    return "; ".join(sorted(labels.get((Owner, pk), f"#{pk}") for pk in owner_ids)) or "(none)"


def _m2m_at(through, column: str, action_id: int) -> dict[int, set[int]]:
    """The ids an action's many-to-many field held at each history record, from the
    history's m2m table in one query."""
    held: dict[int, set[int]] = {}
    for history_id, pk in through.objects.filter(history__id=action_id).values_list(
        "history_id", column
    ):
        held.setdefault(history_id, set()).add(pk)
    return held


def _action_deltas(action: Action) -> tuple[list[tuple], dict[type, set[int]]]:
    """Each history record of the action with what changed since the one before (field
    changes from `diff_against`, then ("owners" or "links", before, after)), and the ids
    of the owners, recommendations and outcomes those changes name. Three queries."""
    records = list(
        action.history.select_related("history_user").order_by("history_date", "history_id")
    )
    history_model = type(action.history.model())
    field = history_model._meta.get_field
    owners_at = _m2m_at(field("historicalaction_owners").related_model, "owner_id", action.pk)
    links_at = _m2m_at(
        field("historicalaction_links").related_model, "recommendation_id", action.pk
    )
    named: dict[type, set[int]] = {Owner: set(), Recommendation: set(), Outcome: set()}
    deltas = []
    for previous, record in zip([None, *records], records, strict=False):
        if previous is None:
            deltas.append((record, []))
            continue
        delta = record.diff_against(previous, included_fields=_ACTION_FIELDS)
        changes = list(delta.changes)
        for change in changes:
            if change.field == "recommendation":
                named[Recommendation].update({change.old, change.new} - {None})
            if change.field == "outcome":
                named[Outcome].update({change.old, change.new} - {None})
        for name, held_at, model in (
            ("owners", owners_at, Owner),
            ("links", links_at, Recommendation),
        ):
            before = held_at.get(previous.history_id, set())
            after = held_at.get(record.history_id, set())
            if before != after:
                changes.append((name, before, after))
                named[model] |= before | after
        deltas.append((record, changes))
    return deltas, named


def _change_labels(named: dict[type, set[int]]) -> dict:
    """How the changes name each owner, recommendation and outcome, keyed by (model, id):
    one query per kind that has any."""
    labels: dict = {}
    if named[Owner]:
        labels |= {(Owner, o.pk): str(o) for o in Owner.objects.filter(pk__in=named[Owner])}
    if named[Recommendation]:
        labels |= {
            (Recommendation, r.pk): f"{r.ref}. {r.title[:60]}"
            for r in Recommendation.objects.filter(pk__in=named[Recommendation])
        }
    if named[Outcome]:
        labels |= {
            (Outcome, o.pk): f"{o.ref} {o.text[:60]}"
            for o in Outcome.objects.filter(pk__in=named[Outcome])
        }
    return labels


def _recommendations(ids, labels: dict) -> str:
    return "; ".join(sorted(labels.get((Recommendation, pk), "") for pk in ids)) or "(none)"


def _field_changes(changes: list, labels: dict) -> list[FieldChange]:
    """One record's changes as the page shows them."""
    shown = []
    for change in changes:
        if isinstance(change, tuple):
            name, before, after = change
            if name == "owners":
                shown.append(
                    FieldChange("Accountable", _people(before, labels), _people(after, labels))
                )
            else:
                shown.append(
                    FieldChange(
                        "Also serves",
                        _recommendations(before, labels),
                        _recommendations(after, labels),
                    )
                )
        else:
            shown.append(
                FieldChange(
                    _label(Action, change.field),
                    _shown(Action, change.field, change.old, labels),
                    _shown(Action, change.field, change.new, labels),
                )
            )
    return shown


def _action_changes(action: Action) -> list[ChangeEntry]:
    """The action's own history: what changed in each save (`diff_against`), who saved
    it and why, with owner and link changes read from the history's m2m tables in one
    query each rather than one per record."""
    deltas, named = _action_deltas(action)
    labels = _change_labels(named)
    entries = []
    for record, changes in deltas:
        if record.history_type == "+":
            what = "Action added to the plan"
        elif record.history_type == "-":
            what = "Action deleted"
        elif not changes:
            # A save that changed nothing shown (a rating bumps the version only): the
            # rating itself is in the history.
            continue
        else:
            what = "Action changed"
        entries.append(
            ChangeEntry(
                when=record.history_date,
                who=record.history_user,
                what=what,
                reason=record.history_change_reason or "",
                changes=_field_changes(changes, labels),
                kind="action",
            )
        )
    return entries


def _remedial_changes(action: Action) -> list[ChangeEntry]:
    records = list(
        RemedialAction.history.filter(action_id=action.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    entries = []
    last: dict[int, object] = {}
    for record in records:
        previous = last.get(record.id)
        last[record.id] = record
        if previous is None or record.history_type == "+":
            what, changes = (
                f"Remedial action added: {_shown(RemedialAction, 'text', record.text, {})}",
                [],
            )
            if record.due_date:
                changes.append(
                    FieldChange("Due", "", _shown(RemedialAction, "due_date", record.due_date, {}))
                )
        else:
            delta = record.diff_against(previous, included_fields=_REMEDIAL_FIELDS)
            if not delta.changes:
                continue
            what = "Remedial action changed"
            changes = [
                FieldChange(
                    _label(RemedialAction, c.field),
                    _shown(RemedialAction, c.field, c.old, {}),
                    _shown(RemedialAction, c.field, c.new, {}),
                )
                for c in delta.changes
            ]
        entries.append(
            ChangeEntry(
                when=record.history_date,
                who=record.history_user,
                what=what,
                reason=record.history_change_reason or "",
                changes=changes,
                kind="remedial",
            )
        )
    return entries


def _record_changes(action: Action, periods: dict[int, ReportingPeriod]) -> list[ChangeEntry]:
    """Ratings made and reviewed and evidence added, from their own history tables: one
    query each. A due-date revision is a change of the action itself, shown with the
    action's history."""
    plan = action.plan
    entries = []
    for record in (
        Rating.history.filter(action_id=action.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        period = periods.get(record.period_id)
        label = period.label if period else "a period"
        word = plan.rag_label(record.rag)
        if record.history_type == "+":
            what = (
                f"Not updated in {label}: {word} carried forward"
                if record.carried_forward
                else f"Rated {word} for {label}"
            )
        elif record.status == Rating.Status.CONFIRMED:
            what = f"{word} rating for {label} confirmed"
        elif record.status == Rating.Status.RETURNED:
            what = f"{word} rating for {label} sent back"
        else:
            what = f"{word} rating for {label} changed"
        reason = record.history_change_reason or ""
        if record.history_type == "~" and record.review_comment:
            reason = f"{reason}: {record.review_comment}" if reason else record.review_comment
        entries.append(
            ChangeEntry(
                when=record.history_date,
                who=record.history_user,
                what=what,
                reason=reason,
                kind="rating",
            )
        )
    for record in (
        Evidence.history.filter(action_id=action.pk, history_type="+")
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        entries.append(
            ChangeEntry(
                when=record.history_date,
                who=record.history_user,
                what=f"Evidence added: {record.title}",
                reason=record.history_change_reason or "",
                kind="evidence",
            )
        )
    return entries


def action_page(pk: int, *, today: dt.date) -> ActionPage:
    """An action with everything about it, for its page. Raises Action.DoesNotExist."""
    action = (
        Action.objects.select_related("plan", "recommendation", "outcome")
        .prefetch_related("owners", "links")
        .get(pk=pk)
    )
    periods = list(action.plan.periods.order_by("end", "pk"))
    period = next((p for p in periods if p.state == ReportingPeriod.State.OPEN), None)
    last_closed = next((p for p in reversed(periods) if p.is_closed), None)
    by_period = {p.pk: p for p in periods}

    measures = list(
        measures_with_position(action.measures.order_by("position", "pk"), period=period).annotate(
            **override_annotations("measure", period=period)
        )
    )
    results = latest_results([m.pk for m in measures])
    measure_rows = []
    for measure in measures:
        latest = results.get(measure.pk)
        measure_rows.append(
            MeasureRow(
                measure=measure,
                result=latest,
                result_text=rules.result_describe(latest, unit=measure.unit) if latest else "",
                derived_rag=rules.measure_result_rag(measure, latest),
            )
        )

    evidence = list(action.evidence.select_related("created_by").order_by("-created", "-pk"))
    by_rating: dict[int, list[Evidence]] = {}
    for item in evidence:
        if item.rating_id:
            by_rating.setdefault(item.rating_id, []).append(item)
    ratings = list(
        action.ratings.select_related("created_by", "reviewed_by").order_by(*NEWEST_POSITION_FIRST)
    )
    # Which rating was the position in each period (as of the period it was made in),
    # and which one is now: as of the open period, or the latest where none is open.
    rows = Position.objects.filter(action=action, rating__isnull=False).values_list(
        "period_id", "rating_id", "rating_period_id"
    )
    held, now_id = {}, None
    at = period or (periods[-1] if periods else None)
    for period_id, rating_id, rating_period_id in rows.order_by():
        if rating_period_id == period_id:
            held[period_id] = rating_id
        if at is not None and period_id == at.pk:
            now_id = rating_id
    position = None
    for rating in ratings:
        rating.period = by_period[rating.period_id]
        rating.evidence_items = by_rating.get(rating.pk, [])
        rating.is_position = held.get(rating.period_id) == rating.pk
        if rating.pk == now_id:
            position = rating

    changes = (
        _action_changes(action) + _remedial_changes(action) + _record_changes(action, by_period)
    )
    changes.sort(key=lambda entry: entry.when, reverse=True)
    return ActionPage(
        action=action,
        owners=list(action.owners.all()),
        links=list(action.links.all()),
        measures=measure_rows,
        ratings=ratings,
        position=position,
        revisions=list(action.revisions.select_related("created_by").order_by("-created", "-pk")),
        remedial_actions=list(action.remedial_actions.order_by("-created", "-pk")),
        evidence=evidence,
        changes=changes,
        periods=periods,
        period=period,
        last_closed=last_closed,
    )


def action_conflict(action: Action) -> dict:
    """What the other person saved, for the message when an update is refused: the
    action's latest rating and its last change (who and when), from the stored rows."""
    latest = (
        action.ratings.exclude(status=Rating.Status.RETURNED)
        .select_related("created_by", "period")
        .order_by("-created", "-pk")
        .first()
    )
    last_change = action.history.select_related("history_user").order_by("-history_date").first()
    return {"rating": latest, "change": last_change, "action": action}


# --- What closed periods hold ----------------------------------------------------------


def closed_rag_counts(
    period_ids: Sequence[int], key: str, items: QuerySet | None = None
) -> dict[int, dict[str, int]]:
    """{period id: {rag: count}} of the actions (`key` "action") or measures
    ("measure") by their position in each of the closed periods given: the confirmed
    position rated in the period itself (closing gave every item one), counted over
    `plans.Position`. `items` narrows the count to some actions or measures. One query.

    Only RAG values that occur are keys; "" counts items not rated.
    """
    if not period_ids:
        return {}
    rows = Position.objects.filter(
        period_id__in=list(period_ids),
        confirmed_period_id=F("period_id"),
        **{f"{key}__isnull": False},
    )
    if items is not None:
        rows = rows.filter(**{f"{key}__in": items})
    counts: dict[int, dict[str, int]] = {}
    grouped = (
        rows.order_by()
        .values("period_id", "confirmed_rag")
        .annotate(n=Count("pk"))
        .values_list("period_id", "confirmed_rag", "n")
    )
    for period_id, rag, n in grouped:
        rags = counts.setdefault(period_id, {})
        rags[rag or ""] = rags.get(rag or "", 0) + n
    return counts


def closing_counts(period: ReportingPeriod) -> dict[str, dict[str, int]]:
    """What `ReportingPeriod.closing_counts` holds for a period whose positions closing
    has just completed: {"actions": {rag: n}, "measures": {rag: n}}. Two queries."""
    return {
        kind: closed_rag_counts([period.pk], key).get(period.pk, {})
        for kind, key in (("actions", "action"), ("measures", "measure"))
    }

"""The Improvement Board dashboard: read-only pages for every signed-in role.

Filters (plan, period, recommendation, owner) live in the query string, so a link
shows the same view to whoever opens it, within the plans the reader can see
(`plans.access`): nothing from another plan is listed or counted. Every table can be
downloaded as CSV or XLSX through one export view that takes the table's name and the
same filters.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator, slugify
from django.views.decorators.http import require_safe

from core import charts
from plans import access, roles, rules
from plans.bounds import slug_or_none, spreadsheet_text
from plans.models import EXAMPLE_DATA_NOTE, Action, Owner, Plan, Recommendation, ReportingPeriod
from reporting import dashboard as board

FORMATS = ("csv", "xlsx")


# --- Filters ----------------------------------------------------------------------------


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@dataclass
class Filters:
    """The dashboard's filters as read from the query string. A value that names
    nothing (an old or mistyped link) is left out and said in `problems`, so the page
    still opens and tells the reader what it shows instead."""

    plan: Plan | None = None
    period: ReportingPeriod | None = None
    compare: ReportingPeriod | None = None  # as asked for; None: the period before
    recommendation: Recommendation | None = None
    owner: Owner | None = None
    periods: list[ReportingPeriod] | None = None  # the plan's periods, loaded once
    problems: list[str] = field(default_factory=list)
    # The plans the reader can see: every plan shown, chosen or counted is one of them.
    visible: QuerySet[Plan] = field(default_factory=Plan.objects.none)

    def query(self, **changes) -> str:
        """The query string for these filters with some changed (None removes one)."""
        values = {
            "plan": self.plan.slug if self.plan else None,
            "period": self.period.pk if self.period else None,
            "compare": self.compare.pk if self.compare else None,
            "recommendation": self.recommendation.pk if self.recommendation else None,
            "owner": self.owner.pk if self.owner else None,
        }
        values.update(changes)
        query = QueryDict(mutable=True)
        for key, value in values.items():
            if value not in (None, ""):
                query[key] = str(value)
        return query.urlencode()


def _chosen_period(
    params: QueryDict, name: str, periods: list[ReportingPeriod]
) -> tuple[ReportingPeriod | None, bool]:
    """The started period the query string names under `name`, and whether it named
    one that is not there (a bad value)."""
    raw = params.get(name, "")
    if not raw:
        return None, False
    wanted = _int(raw)
    found = next((p for p in periods if p.pk == wanted), None)
    return found, found is None


def _filters(request: HttpRequest, *, plan: Plan | None = None) -> Filters:
    params = request.GET
    filters = Filters(plan=plan, visible=access.visible_plans(request.user))
    problems = filters.problems
    if filters.plan is None and params.get("plan"):
        filters.plan = (
            filters.visible.select_related("organisation")
            .filter(slug=slug_or_none(params["plan"]))
            .first()
        )
        if filters.plan is None:
            problems.append("The plan in the link was not found: showing all plans.")
    if filters.plan is not None:
        filters.periods = list(filters.plan.periods.order_by("end"))
        started = board.started_periods(filters.periods)
        filters.period, bad = _chosen_period(params, "period", started)
        if bad:
            problems.append(
                "The period in the link is not one of this plan's open or closed periods: "
                "showing the latest closed period."
            )
        shown = filters.period or board.default_period(started)
        filters.compare, bad = _chosen_period(params, "compare", started)
        if bad or (filters.compare and shown and filters.compare.end >= shown.end):
            filters.compare = None
            problems.append(
                "“Compare with” must be a period before the one shown: "
                "compared with the period before instead."
            )
        rec_id = _int(params.get("recommendation"))
        if rec_id:
            filters.recommendation = Recommendation.objects.filter(
                pk=rec_id, plan=filters.plan
            ).first()
        if params.get("recommendation") and filters.recommendation is None:
            problems.append(
                "The recommendation in the link is not in this plan: showing all recommendations."
            )
    if params.get("owner"):
        filters.owner = owner_followed(_int(params.get("owner")), request.user)
        if filters.owner is None:
            problems.append("The owner in the link was not found: showing everyone.")
    return filters


def owner_followed(pk: int | None, user) -> Owner | None:
    """The owner with id `pk`, if `user` may see it, or the owner it was merged into
    (following merges), so that a link to a merged duplicate shows the kept owner."""
    owner = access.visible_owners(user).filter(pk=pk).first() if pk else None
    seen = set()
    while owner is not None and owner.merged_into_id and owner.pk not in seen:
        seen.add(owner.pk)
        owner = owner.merged_into
    return owner


def _require_reader(request: HttpRequest, plan: Plan | None = None) -> None:
    if plan is not None:
        access.require_visible(request.user, plan)
    allowed = (
        roles.can_view_plan(request.user, plan)
        if plan is not None
        else roles.has_role(request.user, *roles.ALL_ROLES)
    )
    if not allowed:
        raise PermissionDenied


def _scope(filters: Filters, today: dt.date) -> board.Scope | None:
    at = board.plan_at(
        filters.plan, filters.periods or [], filters.period, compare=filters.compare, today=today
    )
    if at is None:
        return None
    return board.Scope((at,), filters.recommendation, filters.owner)


def _labels(plan: Plan | None) -> dict[str, str]:
    return {"amber": plan.amber_label} if plan is not None else {}


def _svg(markup: str) -> SafeString:
    # charts.py escapes every piece of caller text it writes into the SVG.
    return mark_safe(markup)  # noqa: S308


def _filter_choices(filters: Filters) -> dict:
    plans = list(filters.visible.order_by("status", "title"))
    choices: dict = {
        "plans": plans,
        "periods": [],
        "compare": [],
        "recommendations": [],
        "owners": [],
    }
    if filters.plan is not None:
        started = board.started_periods(filters.periods or [])
        choices["periods"] = started
        shown = filters.period or board.default_period(started)
        if shown is not None:
            choices["compare"] = board.earlier_periods(started, shown)
        choices["recommendations"] = list(filters.plan.recommendations.order_by("position", "pk"))
        # From the plan's actions to their owners: a third of the time of asking, owner
        # by owner, whether any of their actions is in the plan. A merge moves the
        # duplicate's actions to the kept owner, so each owner is listed once.
        choices["owners"] = list(
            Owner.objects.filter(actions__plan=filters.plan, merged_into__isnull=True)
            .distinct()
            .order_by("post", "person_name", "pk")
        )
    return choices


# --- Pages ------------------------------------------------------------------------------


@require_safe
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The plan overview for a plan and period, or all plans side by side."""
    _require_reader(request)
    filters = _filters(request)
    if filters.plan is None and not request.GET.get("plan"):
        only = list(filters.visible.select_related("organisation")[:2])
        if len(only) == 1:  # one plan: its overview straight away
            filters = _filters(request, plan=only[0])
    return _page(request, filters, _dashboard_content)


def _page(request: HttpRequest, filters: Filters, build) -> HttpResponse:
    """A dashboard page (the caller has checked the reader may see it), its title and
    content made by `build(filters, today)` from the data at this request."""
    page = build(filters, timezone.localdate())
    return render(request, "reporting/dashboard.html", {"nav": "dashboard", **page})


def _dashboard_content(filters: Filters, today: dt.date) -> dict:
    """The dashboard's title and content, as HTML."""
    choices = _filter_choices(filters)
    context = {"filters": filters, "choices": choices, "today": today}
    context["query"] = filters.query()
    if filters.plan is None:
        context.update(_across_plans(choices["plans"], today))
    else:
        scope = _scope(filters, today)
        if scope is not None:
            filters.period = scope.single.period
            context.update(_overview(scope, choices["recommendations"]))
        context["plan"] = filters.plan
        context["query"] = filters.query()
    title = f"Dashboard: {filters.plan.title}" if filters.plan else "Dashboard"
    return {
        "page_title": title,
        "body": render_to_string("reporting/_dashboard_body.html", context),
    }


def _mark_overdue(actions: Iterable[Action]) -> None:
    """Each action's days overdue as of its plan's as-of date (`PlanAt.as_of`, the
    `plans.rules.overdue_as_of` rule), judged on the due date as it stood then."""
    for action in actions:
        action.days_overdue = (
            # `overdue_actions` are all open and not annotated with `is_open`.
            rules.days_past(action.due_as_of, action.as_of)
            if getattr(action, "is_open", True)
            else 0
        )


def _cells(counts: dict[str, int]) -> list[int]:
    """Counts in table order, then their total."""
    return [counts[key] for key in board.RAG_KEYS] + [sum(counts.values())]


def _rag_headers(plan: Plan | None) -> list[tuple[str, str]]:
    return [
        (key, plan.rag_label(key) if plan is not None else board.RAG(key).label)
        for key in board.RAG_KEYS
    ]


@dataclass
class PlanRow:
    at: board.PlanAt
    distribution: board.Distribution
    movement: board.MovementCounts | None
    flags: board.Flags

    @property
    def action_counts(self) -> list[int]:
        return _cells(self.distribution.actions)[:-1]

    @property
    def improved(self) -> int:
        return self.movement.actions[board.Direction.IMPROVED] if self.movement else 0

    @property
    def worsened(self) -> int:
        return self.movement.actions[board.Direction.WORSENED] if self.movement else 0


def _across_plans(plans: Sequence[Plan], today: dt.date) -> dict:
    ats = board.plans_at(list(plans), today=today)
    if not ats:
        return {"plan_rows": []}
    scope = board.Scope(tuple(ats))
    counts = board.summary(scope, by_recommendation=False)
    flags = board.flag_counts(scope, counts=counts)
    rows = [
        PlanRow(
            at, counts.distributions[at.plan.pk], counts.movements[at.plan.pk], flags[at.plan.pk]
        )
        for at in ats
    ]
    chart_rows = [(f"{row.at.plan.title} ({row.at.period.label})", row) for row in rows]
    return {
        "plan_rows": rows,
        "rag_headers": _rag_headers(None),
        "plans_actions_chart": _svg(
            charts.rag_stacked_bars(
                [(label, row.distribution.actions) for label, row in chart_rows],
                title="Action RAG by plan",
                chart_id="plans-actions",
            )
        ),
        "plans_measures_chart": _svg(
            charts.rag_stacked_bars(
                [(label, row.distribution.measures) for label, row in chart_rows],
                title="Outcome measure RAG by plan",
                chart_id="plans-measures",
            )
        ),
    }


@dataclass
class RecRow:
    recommendation: Recommendation
    actions: dict[str, int]
    measures: dict[str, int]
    movement: dict | None

    @property
    def action_cells(self) -> list[int]:
        return _cells(self.actions)

    @property
    def measure_cells(self) -> list[int]:
        return _cells(self.measures)

    @property
    def movement_cells(self) -> list[int]:
        counts = self.movement or dict.fromkeys(board.Direction, 0)
        return [counts[d] for d in board.Direction]


def _overview(scope: board.Scope, recommendations: list[Recommendation]) -> dict:
    """The overview of one plan; `recommendations` are the plan's, in order (the
    filter's choices)."""
    # Long because: a declarative context: one entry per block of the overview template, in the
    # page's order.
    at = scope.single
    plan = at.plan
    labels = _labels(plan)
    counts = board.summary(scope, live=True)
    distribution = counts.distributions[plan.pk]
    movement = counts.movements[plan.pk]
    live = counts.live  # the open period's counts, for the trend
    # Every list is a count here; its drill-down (`dashboard_list`) and download list it.
    flags = board.flag_counts(scope, counts=counts)[plan.pk]
    if scope.recommendation is not None:
        recommendations = [r for r in recommendations if r.pk == scope.recommendation.pk]
    rec_rows = []
    for rec in recommendations:
        counts = distribution.by_recommendation.get(rec.pk)
        rec_rows.append(
            RecRow(
                recommendation=rec,
                actions=counts["actions"] if counts else board.empty_counts(),
                measures=counts["measures"] if counts else board.empty_counts(),
                movement=movement.by_recommendation.get(rec.pk) if movement else None,
            )
        )
    trend = board.trend(at, scope, distribution, open_counts=live)
    headers = _rag_headers(plan)
    return {
        "at": at,
        "rag_headers": headers,
        "action_summary": [(word, distribution.actions[key]) for key, word in headers],
        "measure_summary": [(word, distribution.measures[key]) for key, word in headers],
        "action_cells": _cells(distribution.actions),
        "measure_cells": _cells(distribution.measures),
        "directions": list(board.Direction),
        "movement_actions": list(movement.actions.items()) if movement else [],
        "movement_measures": list(movement.measures.items()) if movement else [],
        "movement_worsened_total": (
            movement.actions[board.Direction.WORSENED] + movement.measures[board.Direction.WORSENED]
            if movement
            else 0
        ),
        "scope": scope,
        "distribution": distribution,
        "movement": movement,
        "flags": flags,
        "rec_rows": rec_rows,
        "rec_actions_chart": _svg(
            charts.rag_stacked_bars(
                [
                    (f"{r.recommendation.ref}. {r.recommendation.title}", r.actions)
                    for r in rec_rows
                ],
                title=f"Action RAG by recommendation, {at.period.label}",
                labels=labels,
                chart_id="rec-actions",
            )
        ),
        "rec_measures_chart": _svg(
            charts.rag_stacked_bars(
                [
                    (f"{r.recommendation.ref}. {r.recommendation.title}", r.measures)
                    for r in rec_rows
                ],
                title=f"Outcome measure RAG by recommendation, {at.period.label}",
                labels=labels,
                chart_id="rec-measures",
            )
        ),
        "trend_actions_chart": _svg(
            charts.rag_trend(
                trend["actions"], title="Action RAG by period", labels=labels, chart_id="trend-a"
            )
        ),
        "trend_measures_chart": _svg(
            charts.rag_trend(
                trend["measures"],
                title="Outcome measure RAG by period",
                labels=labels,
                chart_id="trend-m",
            )
        ),
    }


def _worsened(scope: board.Scope) -> dict:
    worsened = [board.Direction.WORSENED]
    return {
        "worsened_actions": board.moved(scope, "action", worsened),
        "worsened_measures": board.moved(scope, "measure", worsened),
    }


def _overdue(scope: board.Scope) -> dict:
    overdue = list(board.overdue_actions(scope))
    _mark_overdue(overdue)
    return {"overdue": overdue}


def _not_updated(scope: board.Scope) -> dict:
    return {
        "not_updated_actions": list(board.not_updated_actions(scope)),
        "not_updated_measures": list(board.not_updated_measures(scope)),
    }


def _awaiting(scope: board.Scope) -> dict:
    ratings = board.awaiting_confirmation(scope).select_related(
        "action", "measure__action", "recommendation", "created_by"
    )
    return {"awaiting": list(ratings)}


# The lists the overview counts, each a drill-down page of its own: its title, its
# download (`TABLES`) and what it lists.
LISTS: dict[str, tuple[str, str, Callable[[board.Scope], dict]]] = {
    "worsened": ("Items that worsened", "moved", _worsened),
    "overdue": ("Overdue actions", "overdue", _overdue),
    "slipped": (
        "Slipped actions",
        "slipped",
        lambda scope: {"slipped": list(board.slipped_actions(scope))},
    ),
    "below-target": (
        "Outcome measures below target",
        "below_target",
        lambda scope: {"below_target": board.below_target_measures(scope)},
    ),
    "not-updated": ("Not updated this period", "not_updated", _not_updated),
    "audits-overdue": (
        "Audits overdue",
        "audits_overdue",
        lambda scope: {
            "audits_overdue": board.audits_overdue_by_plan(scope).get(scope.single.plan.pk, [])
        },
    ),
    "awaiting": ("Ratings awaiting confirmation", "awaiting", _awaiting),
}


@require_safe
@login_required
def dashboard_list(request: HttpRequest, name: str) -> HttpResponse:
    """One of the overview's lists in full (overdue actions, measures below target...),
    for a plan and period and with the same filters as the overview."""
    if name not in LISTS:
        raise Http404("No such list.")
    _require_reader(request)
    filters = _filters(request)
    if filters.plan is None:
        raise Http404("Choose a plan.")
    return _page(request, filters, lambda filters, today: _list_content(name, filters, today))


def _list_content(name: str, filters: Filters, today: dt.date) -> dict:
    title, table, rows = LISTS[name]
    plan = filters.plan
    context = {
        "plan": plan,
        "filters": filters,
        "choices": _filter_choices(filters),
        "list": name,
        "list_title": title,
        "table": table,
    }
    scope = _scope(filters, today)
    if scope is not None:
        filters.period = scope.single.period
        context.update({"at": scope.single, "scope": scope, **rows(scope)})
    _queries(context, filters)
    return {
        "page_title": f"{title}: {plan.title}",
        "body": render_to_string("reporting/_dashboard_list_body.html", context),
    }


@require_safe
@login_required
def dashboard_recommendation(request: HttpRequest, pk: int) -> HttpResponse:
    """A recommendation: its own ratings, its outcomes with their actions, and its
    measures with their results over time against target."""
    recommendation = get_object_or_404(Recommendation.objects.select_related("plan"), pk=pk)
    _require_reader(request, recommendation.plan)
    filters = _filters(request, plan=recommendation.plan)
    filters.recommendation = recommendation
    return _page(
        request,
        filters,
        lambda filters, today: _recommendation_content(recommendation, filters, today),
    )


def _recommendation_content(recommendation: Recommendation, filters: Filters, today) -> dict:
    plan = recommendation.plan
    scope = _scope(filters, today)
    context = {
        "plan": plan,
        "recommendation": recommendation,
        "filters": filters,
        "choices": _filter_choices(filters),
    }
    if scope is not None:
        filters.period = scope.single.period
        actions = list(board.detailed_actions(scope))
        _mark_overdue(actions)
        measure_ids = list(scope.measures().values_list("pk", flat=True))
        results = board.measure_results(measure_ids, scope.single.as_of)
        measures = board.detailed_measures(scope, results)
        outcomes = list(recommendation.outcomes.order_by("position", "pk"))
        by_outcome: dict[int | None, list[Action]] = {}
        for action in actions:
            by_outcome.setdefault(action.outcome_id, []).append(action)
        groups = [(outcome, by_outcome.get(outcome.pk, [])) for outcome in outcomes]
        if None in by_outcome:
            groups.append((None, by_outcome[None]))
        for measure in measures:
            measure.points = results.get(measure.pk, [])
            if measure.points:
                measure.chart = _measure_chart(measure, plan)
        context.update(
            {
                "at": scope.single,
                "scope": scope,
                "facets": board.facet_positions(scope, recommendation),
                "groups": groups,
                "actions": actions,
                "measures": measures,
                # A measure with no rating, result or commentary, and a chart with nothing
                # to draw, only take room: those are listed by reference in one line.
                "tabled": [m for m in measures if not _empty(m)],
                "untouched": _by_action([m for m in measures if _empty(m)]),
                "charted": [m for m in measures if m.points],
                "uncharted": _by_action([m for m in measures if not m.points and not _empty(m)]),
            }
        )
    _queries(context, filters)
    return {
        "page_title": f"{recommendation.ref}. {Truncator(recommendation.title).chars(60)}: "
        "dashboard",
        "body": render_to_string("reporting/_dashboard_recommendation_body.html", context),
    }


def _empty(measure) -> bool:
    """Nothing to show for the measure yet: no rating, no result and no commentary."""
    return not (measure.pos_rag or measure.points or (measure.pos_commentary or "").strip())


def _by_action(measures: list) -> list[tuple[Action, int]]:
    """Measures as (action, how many of its measures), in order: "1.6 (2 measures)"."""
    counted: list[tuple[Action, int]] = []
    for measure in measures:
        if counted and counted[-1][0].pk == measure.action_id:
            counted[-1] = (counted[-1][0], counted[-1][1] + 1)
        else:
            counted.append((measure.action, 1))
    return counted


def _measure_chart(measure, plan: Plan) -> SafeString:
    target = None if measure.target is None else float(measure.target)
    tolerance = None if measure.tolerance is None else float(measure.tolerance)
    unit = measure.unit or ""
    y_max = 100.0
    if unit != "%":
        highest = max([value for _, value in measure.points] + [target or 0, 1.0])
        y_max = highest * 1.15
    return _svg(
        charts.measure_trend(
            measure.points,
            title=f"{measure.action.ref}: {measure.text[:90]}",
            target=target,
            tolerance=tolerance,
            higher_is_better=measure.higher_is_better,
            unit=unit if unit == "%" else (f" {unit}" if unit else ""),
            y_max=y_max,
            chart_id=f"measure-{measure.pk}",
        )
    )


@require_safe
@login_required
def dashboard_owner(request: HttpRequest, pk: int) -> HttpResponse:
    """An owner's actions with their RAG and commentary: in one plan when the filter
    names it, otherwise in every plan, each as of its current period."""
    # A merged duplicate's page is the kept owner's: its actions moved there.
    owner = owner_followed(pk, request.user)
    if owner is None:
        raise Http404("No such owner.")
    _require_reader(request)
    filters = _filters(request)
    filters.owner = owner
    return _page(
        request,
        filters,
        lambda filters, today: _owner_content(owner, filters, today),
    )


def _owner_content(owner: Owner, filters: Filters, today) -> dict:
    if filters.plan is not None:
        scope = _scope(filters, today)
    else:
        plans = filters.visible.filter(
            Exists(Action.owners.through.objects.filter(owner=owner, action__plan=OuterRef("pk")))
        ).order_by("title")
        ats = board.plans_at(list(plans), today=today)
        scope = board.Scope(tuple(ats), None, owner) if ats else None
    context = {
        "owner": owner,
        "filters": filters,
        "choices": _filter_choices(filters),
        "plan": filters.plan,
    }
    if scope is not None:
        if filters.plan is not None:
            filters.period = scope.single.period
        actions = list(board.detailed_actions(scope))
        _mark_overdue(actions)
        groups: list[tuple[board.PlanAt, list[Action]]] = []
        for at in scope.ats:
            mine = [a for a in actions if a.plan_id == at.plan.pk]
            if mine:
                groups.append((at, mine))
        context.update({"scope": scope, "groups": groups, "actions": actions})
    _queries(context, filters)
    return {
        "page_title": f"{owner.post}: dashboard",
        "body": render_to_string("reporting/_dashboard_owner_body.html", context),
    }


def _queries(context: dict, filters: Filters) -> None:
    """Query strings for the page's links, so that filters travel with them."""
    context["query"] = filters.query()
    context["back_query"] = filters.query(recommendation=None, owner=None)
    context["owner_query"] = filters.query(owner=None, recommendation=None)


# --- Tables and export ------------------------------------------------------------------


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list]


def _words(plan: Plan, rag: str | None) -> str:
    return plan.rag_label(rag or "")


def _override(plan: Plan, item) -> list[str]:
    """The "Suggested RAG" and "Override reason" cells of an item whose position
    overrides what its dates or evidence gave; blank where it does not."""
    if not item.pos_override_reason:
        return ["", ""]
    return [_words(plan, item.pos_suggested_rag), item.pos_override_reason]


OVERRIDE_HEADERS = ["Suggested RAG", "Override reason"]


def _owners(action: Action) -> str:
    posts = [owner.post for owner in action.owners.all()]
    return "; ".join(posts) if posts else action.lead


def _plan_of(scope: board.Scope) -> dict[int, Plan]:
    return {at.plan.pk: at.plan for at in scope.ats}


RAG_HEADERS = ["Blue", "Green", "Amber", "Red", "Not rated", "Total"]


def table_plans(scope: board.Scope) -> Table:
    counts = board.summary(scope, by_recommendation=False)
    distributions, movements = counts.distributions, counts.movements
    flags = board.flag_counts(scope, counts=counts)
    rows = []
    for at in scope.ats:
        pk = at.plan.pk
        moved = movements[pk]
        f = flags[pk]
        rows.append(
            [at.plan.title, at.period.label]
            + _cells(distributions[pk].actions)
            + _cells(distributions[pk].measures)
            + [
                moved.actions[board.Direction.IMPROVED] if moved else "",
                moved.actions[board.Direction.WORSENED] if moved else "",
                f.overdue,
                f.slipped,
                f.below_target,
                f.not_updated,
                f.audits_overdue,
                f.awaiting_confirmation,
            ]
        )
    headers = (
        ["Plan", "Period"]
        + [f"Actions: {h}" for h in RAG_HEADERS]
        + [f"Measures: {h}" for h in RAG_HEADERS]
        + [
            "Actions improved",
            "Actions worsened",
            "Overdue actions",
            "Slipped actions",
            "Measures below target",
            "Items not updated",
            "Audits overdue",
            "Ratings awaiting confirmation",
        ]
    )
    return Table("Plans side by side", headers, rows)


def _recommendations(scope: board.Scope) -> list[Recommendation]:
    recs = Recommendation.objects.filter(plan_id__in=scope.plan_ids).order_by(
        "plan__title", "position", "pk"
    )
    if scope.recommendation is not None:
        recs = recs.filter(pk=scope.recommendation.pk)
    return list(recs)


def table_recommendations(scope: board.Scope) -> Table:
    distribution = board.distributions(scope)
    rows = []
    for rec in _recommendations(scope):
        counts = distribution[rec.plan_id].by_recommendation.get(rec.pk) or {
            "actions": board.empty_counts(),
            "measures": board.empty_counts(),
        }
        rows.append([rec.ref, rec.title] + _cells(counts["actions"]) + _cells(counts["measures"]))
    headers = (
        ["Ref", "Recommendation"]
        + [f"Actions: {h}" for h in RAG_HEADERS]
        + [f"Measures: {h}" for h in RAG_HEADERS]
    )
    return Table("RAG by recommendation", headers, rows)


def table_movement(scope: board.Scope) -> Table:
    movement = board.movement_counts(scope)
    rows = []
    for rec in _recommendations(scope):
        moved = movement[rec.plan_id]
        if moved is None:
            continue
        counts = moved.by_recommendation.get(rec.pk, dict.fromkeys(board.Direction, 0))
        rows.append([rec.ref, rec.title] + [counts[d] for d in board.Direction])
    return Table(
        "Movement since the previous period",
        ["Ref", "Recommendation"] + [d.label for d in board.Direction],
        rows,
    )


def table_moved(scope: board.Scope) -> Table:
    plans = _plan_of(scope)
    moving = [d for d in board.Direction if d != board.Direction.UNCHANGED]
    rows = []
    for action in board.moved(scope, "action", moving):
        plan = plans[action.plan_id]
        rows.append(
            [
                "Action",
                action.ref,
                action.text,
                action.recommendation.ref,
                _words(plan, action.then_rag),
                _words(plan, action.now_rag),
                action.direction.label,
                *_override(plan, action),
            ]
        )
    for measure in board.moved(scope, "measure", moving):
        plan = plans[measure.plan_id]
        rows.append(
            [
                "Outcome measure",
                measure.action.ref,
                measure.text,
                measure.action.recommendation.ref,
                _words(plan, measure.then_rag),
                _words(plan, measure.now_rag),
                measure.direction.label,
                *_override(plan, measure),
            ]
        )
    return Table(
        "Items that moved since the previous period",
        ["Kind", "Ref", "Item", "Recommendation", "Then", "Now", "Movement", *OVERRIDE_HEADERS],
        rows,
    )


def table_worsened(scope: board.Scope) -> Table:
    table = table_moved(scope)
    movement = table.headers.index("Movement")
    table.rows = [row for row in table.rows if row[movement] == board.Direction.WORSENED.label]
    table.title = "Items that worsened since the previous period"
    return table


def table_overdue(scope: board.Scope) -> Table:
    rows = []
    for action in board.overdue_actions(scope).prefetch_related("owners"):
        rows.append(
            [
                action.ref,
                action.text,
                action.recommendation.ref,
                _owners(action),
                action.due_as_of,
                rules.days_past(action.due_as_of, action.as_of),
            ]
        )
    as_of = ", ".join(sorted({f"{at.as_of.day} {at.as_of:%b %Y}" for at in scope.ats}))
    return Table(
        "Overdue actions",
        ["Ref", "Action", "Recommendation", "Accountable", "Due", f"Days overdue as of {as_of}"],
        rows,
    )


def table_slipped(scope: board.Scope) -> Table:
    rows = []
    for action in board.slipped_actions(scope).prefetch_related("owners"):
        rows.append(
            [
                action.ref,
                action.text,
                action.recommendation.ref,
                _owners(action),
                action.baseline_due_date,
                action.due_as_of,
                (action.due_as_of - action.baseline_due_date).days,
                action.revision_count,
                action.latest_reason or "",
            ]
        )
    return Table(
        "Slipped actions",
        [
            "Ref",
            "Action",
            "Recommendation",
            "Accountable",
            "Original due date",
            "Revised due date",
            "Days slipped",
            "Revisions",
            "Latest reason",
        ],
        rows,
    )


def table_below_target(scope: board.Scope) -> Table:
    plans = _plan_of(scope)
    rows = []
    for measure in board.below_target_measures(scope):
        rows.append(
            [
                measure.action.ref,
                measure.text,
                measure.action.recommendation.ref,
                measure.result,
                measure.result_on,
                float(measure.target),
                measure.unit,
                "Higher" if measure.higher_is_better else "Lower",
                _words(plans[measure.plan_id], measure.pos_rag),
                *_override(plans[measure.plan_id], measure),
            ]
        )
    return Table(
        "Measures below target",
        [
            "Action",
            "Measure",
            "Recommendation",
            "Latest result",
            "Result date",
            "Target",
            "Unit",
            "Better when",
            "RAG",
            *OVERRIDE_HEADERS,
        ],
        rows,
    )


def table_not_updated(scope: board.Scope) -> Table:
    plans = _plan_of(scope)
    rows = []
    for action in board.not_updated_actions(scope):
        rows.append(
            [
                "Action",
                action.ref,
                action.text,
                action.recommendation.ref,
                _words(plans[action.plan_id], action.pos_rag),
                *_override(plans[action.plan_id], action),
            ]
        )
    for measure in board.not_updated_measures(scope):
        rows.append(
            [
                "Outcome measure",
                measure.action.ref,
                measure.text,
                measure.action.recommendation.ref,
                _words(plans[measure.plan_id], measure.pos_rag),
                *_override(plans[measure.plan_id], measure),
            ]
        )
    return Table(
        "Items not updated this period",
        ["Kind", "Ref", "Item", "Recommendation", "Position carried forward", *OVERRIDE_HEADERS],
        rows,
    )


def table_audits_overdue(scope: board.Scope) -> Table:
    rows = []
    for plan_rows in board.audits_overdue_by_plan(scope).values():
        for row in plan_rows:
            due = row.next_due
            rows.append(
                [
                    row.measure.plan.title if len(scope.ats) > 1 else "",
                    row.measure.text,
                    f"{due.round} of {due.rounds}",
                    due.on,
                    due.days_overdue,
                ]
            )
    headers = ["Plan", "Measure", "Round", "Due", "Days overdue"]
    if len(scope.ats) == 1:
        headers, rows = headers[1:], [row[1:] for row in rows]
    return Table("Audits overdue", headers, rows)


def table_awaiting(scope: board.Scope) -> Table:
    plans = _plan_of(scope)
    rows = []
    for rating in board.awaiting_confirmation(scope).select_related(
        "action", "measure__action", "recommendation", "created_by"
    ):
        rows.append(
            [
                rating.get_subject_display(),
                rating.item_ref,
                _words(plans[rating.plan_id], rating.rag),
                rating.commentary,
                rating.created_by.get_full_name() or rating.created_by.username
                if rating.created_by
                else "",
                timezone.localtime(rating.created).replace(tzinfo=None),
            ]
        )
    return Table(
        "Ratings awaiting confirmation",
        ["Kind", "Ref", "Proposed RAG", "Commentary", "Proposed by", "Proposed at"],
        rows,
    )


def table_trend(scope: board.Scope) -> Table:
    trend = board.trend(scope.single, scope)
    rows = []
    for kind, label in (("actions", "Actions"), ("measures", "Outcome measures")):
        for period_label, counts in trend[kind]:
            rows.append([period_label, label] + _cells(counts))
    return Table("RAG by period", ["Period", "Kind"] + RAG_HEADERS, rows)


def table_actions(scope: board.Scope) -> Table:
    plans = _plan_of(scope)
    rows = []
    for action in board.detailed_actions(scope):
        rows.append(
            [
                action.plan.title,
                action.ref,
                action.text,
                action.recommendation.ref,
                action.outcome.ref if action.outcome else "",
                _owners(action),
                action.baseline_due_date,
                action.due_as_of,
                _words(plans[action.plan_id], action.pos_rag),
                *_override(plans[action.plan_id], action),
                action.pos_commentary or "",
                "Yes" if action.updated_in_period else "No",
            ]
        )
    return Table(
        "Actions",
        [
            "Plan",
            "Ref",
            "Action",
            "Recommendation",
            "Outcome",
            "Accountable",
            "Original due date",
            "Due date",
            "RAG",
            *OVERRIDE_HEADERS,
            "Commentary",
            "Updated this period",
        ],
        rows,
    )


def table_measures(scope: board.Scope) -> Table:
    plans = _plan_of(scope)
    rows = []
    for measure in board.detailed_measures(scope):
        rows.append(
            [
                measure.action.ref,
                measure.text,
                measure.action.recommendation.ref,
                None if measure.target is None else float(measure.target),
                measure.unit,
                measure.result,
                measure.result_on,
                _words(plans[measure.plan_id], measure.pos_rag),
                *_override(plans[measure.plan_id], measure),
                measure.pos_commentary or "",
                "Yes" if measure.updated_in_period else "No",
            ]
        )
    return Table(
        "Outcome measures",
        [
            "Action",
            "Measure",
            "Recommendation",
            "Target",
            "Unit",
            "Latest result",
            "Result date",
            "RAG",
            *OVERRIDE_HEADERS,
            "Commentary",
            "Updated this period",
        ],
        rows,
    )


def table_facets(scope: board.Scope) -> Table:
    if scope.recommendation is None:
        raise Http404("Choose a recommendation.")
    plan = scope.single.plan
    facets = board.facet_positions(scope, scope.recommendation)
    rows = [
        [facet["label"], _words(plan, facet["rag"]), facet["commentary"]]
        for facet in facets.values()
    ]
    return Table("Recommendation position", ["Facet", "RAG", "Commentary"], rows)


TABLES: dict[str, Callable[[board.Scope], Table]] = {
    "plans": table_plans,
    "recommendations": table_recommendations,
    "movement": table_movement,
    "moved": table_moved,
    "worsened": table_worsened,
    "overdue": table_overdue,
    "slipped": table_slipped,
    "below_target": table_below_target,
    "not_updated": table_not_updated,
    "audits_overdue": table_audits_overdue,
    "awaiting": table_awaiting,
    "trend": table_trend,
    "actions": table_actions,
    "measures": table_measures,
    "facets": table_facets,
}


def _marked_if_example(table: Table, plans: list[Plan]) -> Table:
    """A table showing an example plan's positions carries a column saying so on every
    row (`Plan.example_data`), naming the example plans when there are several."""
    examples = [p.title for p in plans if p.example_data]
    if not examples:
        return table
    note = EXAMPLE_DATA_NOTE if len(plans) == 1 else f"{EXAMPLE_DATA_NOTE} ({'; '.join(examples)})"
    return Table(
        table.title, [*table.headers, "Example data"], [[*row, note] for row in table.rows]
    )


def _cell(value):
    """A cell as a spreadsheet should hold it. Text that a spreadsheet would run as a
    formula (starting with =, +, -, @ or a control character) gets a leading quote;
    control characters a spreadsheet cannot hold, stored before forms refused them, go."""
    value = spreadsheet_text(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    # A byte-order mark so that Excel reads the file as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=table.title[:31])
    bold = Font(bold=True)
    header = []
    for text in table.headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=_cell(value))
            if isinstance(value, dt.date):
                cell.number_format = "d mmm yyyy"
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@require_safe
@login_required
def dashboard_export(request: HttpRequest) -> HttpResponse:
    """One table of the dashboard, with the same filters, as CSV or XLSX."""
    _require_reader(request)
    name = request.GET.get("table", "")
    fmt = request.GET.get("format", "csv")
    if name not in TABLES or fmt not in FORMATS:
        raise Http404("Unknown table or format.")
    filters = _filters(request)
    today = timezone.localdate()
    if filters.plan is not None:
        scope = _scope(filters, today)
    elif name in ("plans", "actions") and (name == "plans" or filters.owner is not None):
        plans = filters.visible.order_by("status", "title")
        if filters.owner is not None:
            plans = plans.filter(
                Exists(
                    Action.owners.through.objects.filter(
                        owner=filters.owner, action__plan=OuterRef("pk")
                    )
                )
            )
        ats = board.plans_at(list(plans), today=today)
        scope = board.Scope(tuple(ats), None, filters.owner) if ats else None
    else:
        raise Http404("Choose a plan.")
    table = TABLES[name](scope) if scope is not None else Table(name, [], [])
    if scope is not None:
        table = _marked_if_example(table, [at.plan for at in scope.ats])
    parts = ["dashboard", filters.plan.slug if filters.plan else "all-plans"]
    if scope is not None and filters.plan is not None:
        parts.append(slugify(scope.single.period.label))
    parts.append(name.replace("_", "-"))
    filename = "-".join(parts)
    if fmt == "csv":
        response = HttpResponse(_csv(table), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            _xlsx(table),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response

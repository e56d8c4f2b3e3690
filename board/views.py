"""The Improvement Board dashboard: read-only pages for every signed-in role.

Filters (plan, period, recommendation, owner) live in the query string, so a link
shows the same view to whoever opens it, within the plans the reader can see
(`plans.access`): nothing from another plan is listed or counted. Every table can be
downloaded as CSV or XLSX through one export view that takes the table's name and the
same filters.
"""

from __future__ import annotations

import datetime as dt
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

from board import exports
from board import selectors as board
from core import charts
from plans import access, roles, rules
from plans.bounds import slug_or_none
from plans.models import Action, Owner, Plan, Recommendation, ReportingPeriod

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
    return render(request, "board/dashboard.html", {"nav": "dashboard", **page})


def _dashboard_content(filters: Filters, today: dt.date) -> dict:
    """The dashboard's title and content, as HTML."""
    choices = _filter_choices(filters)
    context = {"filters": filters, "choices": choices}
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
        "body": render_to_string("board/_dashboard_body.html", context),
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
        "body": render_to_string("board/_dashboard_list_body.html", context),
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
        "body": render_to_string("board/_dashboard_recommendation_body.html", context),
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
        "body": render_to_string("board/_dashboard_owner_body.html", context),
    }


def _queries(context: dict, filters: Filters) -> None:
    """Query strings for the page's links, so that filters travel with them."""
    context["query"] = filters.query()
    context["back_query"] = filters.query(recommendation=None, owner=None)
    context["owner_query"] = filters.query(owner=None, recommendation=None)


# --- Export -------------------------------------------------------------------------------


@require_safe
@login_required
def dashboard_export(request: HttpRequest) -> HttpResponse:
    """One table of the dashboard, with the same filters, as CSV or XLSX."""
    _require_reader(request)
    name = request.GET.get("table", "")
    fmt = request.GET.get("format", "csv")
    if name not in exports.TABLES or fmt not in exports.FORMATS:
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
    parts = ["dashboard", filters.plan.slug if filters.plan else "all-plans"]
    if scope is not None and filters.plan is not None:
        parts.append(slugify(scope.single.period.label))
    parts.append(name.replace("_", "-"))
    filename = "-".join(parts)
    response = HttpResponse(exports.export(name, scope, fmt), content_type=exports.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response

"""The plan page and a recommendation's page: read-only for every role."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from plans import roles, selectors, services
from plans.models import Action, Plan, Recommendation


def _readable_plan(request: HttpRequest, **lookup) -> Plan:
    plan = get_object_or_404(Plan, **lookup)
    if not roles.can_view_plan(request.user, plan):
        raise PermissionDenied
    return plan


@login_required
def plan_detail(request: HttpRequest, slug: str) -> HttpResponse:
    plan = _readable_plan(request, slug=slug)
    period = services.open_period(plan)
    actions = selectors.actions_with_position(
        Action.objects.filter(plan=plan).prefetch_related("owners"), period=period
    )
    recommendations = plan.recommendations.prefetch_related(
        Prefetch("actions", queryset=actions.order_by("position", "pk"))
    )
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "period": period,
            "recommendations": recommendations,
            "criteria": plan.rag_criteria.all(),
            "nav": "plans",
        },
    )


@login_required
def recommendation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    recommendation = get_object_or_404(Recommendation.objects.select_related("plan"), pk=pk)
    if not roles.can_view_plan(request.user, recommendation.plan):
        raise PermissionDenied
    period = services.open_period(recommendation.plan)
    actions = selectors.actions_with_position(
        recommendation.actions.select_related("outcome").prefetch_related("owners", "measures"),
        period=period,
    )
    return render(
        request,
        "plans/recommendation_detail.html",
        {
            "plan": recommendation.plan,
            "recommendation": recommendation,
            "actions": actions,
            "period": period,
            "nav": "plans",
        },
    )

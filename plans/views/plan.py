"""A recommendation's page: read-only for every role. The plan page itself, with its
dated positions, is in `plans.views.periods`."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from plans import access, roles, selectors, services
from plans.models import Recommendation


@login_required
def recommendation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    recommendation = get_object_or_404(Recommendation.objects.select_related("plan"), pk=pk)
    access.require_visible(request.user, recommendation.plan)
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

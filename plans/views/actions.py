"""An action's page: everything about it, read-only unless the user may edit it."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from plans import roles, services
from plans.models import Action


@login_required
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(
        Action.objects.select_related("plan", "recommendation", "outcome").prefetch_related(
            "owners", "measures", "revisions__created_by", "remedial_actions", "evidence"
        ),
        pk=pk,
    )
    if not roles.can_view_plan(request.user, action.plan):
        raise PermissionDenied
    ratings = action.ratings.select_related("period", "created_by").order_by(
        "-period__end", "-created", "-pk"
    )
    return render(
        request,
        "plans/action_detail.html",
        {
            "plan": action.plan,
            "action": action,
            "ratings": ratings,
            "period": services.open_period(action.plan),
            "can_edit": roles.can_edit_action(request.user, action),
            "nav": "plans",
        },
    )

"""Landing page, health check and the plan list."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from plans import access, roles


def safe_next(request: HttpRequest, value: str) -> str:
    """The address to go back to, if it is a path of this site, else "". Only a path:
    redirect() reads anything else ("0", "plans") as the name of a URL pattern and fails
    when there is none."""
    if value.startswith("/") and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose health checks: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to the page it uses most."""
    user = request.user
    if roles.has_role(user, roles.SERVICE_DIRECTOR) and not roles.is_plan_admin(user):
        return redirect("plans:my_actions")
    if roles.has_role(user, roles.QA_LEAD) and not roles.is_plan_admin(user):
        return redirect("audits:overview")
    if roles.has_role(user, roles.COMMITTEE_CLERK) and not roles.is_plan_admin(user):
        return redirect("reporting:report_list")
    if roles.has_role(user, roles.BOARD_MEMBER):
        return redirect("board:dashboard")
    return redirect("plans:plan_list")


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    if not roles.has_role(request.user, *roles.ALL_ROLES):
        return render(request, "403.html", status=403)
    plans = access.visible_plans(request.user).select_related("organisation")
    plans = plans.order_by("status", "title")
    return render(request, "plans/plan_list.html", {"plans": plans, "nav": "plans"})

"""Dated positions in the browser: the plan page's "position as of" grid and its XLSX
export, the "to confirm" queue, and closing, reopening and creating periods.

Every write goes through `plans.periods` or `plans.services`; permissions through
`plans.roles`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from plans import access, bounds, periods, roles, services
from plans.forms import PeriodsForm, ReopenForm
from plans.grid import grid_pages, grid_periods, position_grid
from plans.io.exporting import grid_workbook
from plans.models import (
    Action,
    Measure,
    Plan,
    Rating,
    RemedialAction,
    ReportingPeriod,
)
from plans.views.common import safe_next

DEFAULT_COLUMNS = 4
MAX_COLUMNS = 12  # keeps the page's query count bounded whatever is asked for


def _readable_plan(request: HttpRequest, slug: str) -> Plan:
    plan = get_object_or_404(Plan.objects.select_related("organisation"), slug=slug)
    access.require_visible(request.user, plan)
    if not roles.can_view_plan(request.user, plan):
        raise PermissionDenied
    return plan


def _chosen_periods(request: HttpRequest, plan: Plan) -> tuple[list, list]:
    """All periods with positions, and those chosen with ?period=<id> (repeatable); the
    last four by default."""
    available = grid_periods(plan)
    wanted = {value for value in request.GET.getlist("period") if value.isdigit()}
    chosen = [p for p in available if str(p.pk) in wanted][-MAX_COLUMNS:]
    return available, chosen or available[-DEFAULT_COLUMNS:]


def _page_index(number: str, count: int) -> int:
    """The index of page `number` (as the links write it, from 1) of `count` pages: the
    nearest page for a number out of range, the first for anything that is not one.
    Only ASCII digits: "²" is a digit to str.isdigit() but not to int()."""
    if not (number.isascii() and number.isdigit()):
        return 0
    digits = number.lstrip("0") or "0"
    if len(digits) > len(str(count)):
        return count - 1
    return min(max(int(digits), 1), count) - 1


@login_required
def plan_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The plan page: each recommendation's facets and actions, one column per period."""
    plan = _readable_plan(request, slug)
    available, chosen = _chosen_periods(request, plan)
    # Page links keep the periods chosen.
    query = urlencode([("period", p.pk) for p in chosen]) if "period" in request.GET else ""
    grid_html = ""
    if chosen:
        pages = grid_pages(plan)
        index = _page_index(request.GET.get("page", ""), len(pages))
        grid_html = _grid_html(plan, chosen, pages, index, query)
    open_period = services.open_period(plan)
    is_admin = roles.is_plan_admin(request.user)
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "period": open_period,
            "grid_html": grid_html,
            "available": available,
            "chosen_ids": {p.pk for p in chosen},
            "query": query,
            "awaiting": periods.awaiting_confirmation_count(plan),
            "can_confirm": roles.can_confirm_ratings(request.user, plan),
            "can_close": is_admin and open_period is not None,
            "is_admin": is_admin,
            "criteria": plan.rag_criteria.all(),
            "nav": "plans",
        },
    )


def _grid_html(plan: Plan, chosen: list, pages: list, index: int, query: str) -> str:
    """The position grid of `chosen` periods on `pages[index]`, with the links between
    pages."""
    page = pages[index]
    grid = position_grid(plan, chosen, page=page)
    return render_to_string(
        "plans/_position_grid.html",
        {
            "plan": plan,
            "grid": grid,
            "columns": len(grid.periods) + (4 if grid.movement_from else 3),
            "query": query,
            "page": page,
            "pages": pages if len(pages) > 1 else [],
        },
    )


@login_required
def plan_positions_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    """The grid of the plan page, with the same columns, as a spreadsheet."""
    plan = _readable_plan(request, slug)
    _, chosen = _chosen_periods(request, plan)
    grid = position_grid(plan, chosen)
    response = HttpResponse(
        grid_workbook(grid),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = services.local_today().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{plan.slug}-positions-{stamp}.xlsx"'
    return response


# --- The "to confirm" queue ---------------------------------------------------------------


def _may_review(user) -> bool:
    return roles.has_role(user, roles.QA_LEAD, roles.PLAN_ADMINISTRATOR)


def _queue(request: HttpRequest, *, errors: dict | None = None, status: int = 200) -> HttpResponse:
    visible = access.visible_plans(request.user)
    plans = visible.exclude(status=Plan.Status.CLOSED).order_by("title")
    plan = None
    if request.GET.get("plan"):
        plan = get_object_or_404(visible, slug=bounds.slug_or_none(request.GET["plan"]))
    # What the reviewer weighs beside the rating: the evidence given with it and the
    # action's recovery plan (its open remedial action, written with a Red or Amber).
    ratings = list(
        periods.ratings_to_confirm(plan)
        .filter(plan__in=visible)
        .prefetch_related(
            "evidence",
            Prefetch(
                "action__remedial_actions",
                queryset=RemedialAction.objects.filter(completed_on__isnull=True).order_by("-pk"),
                to_attr="open_remedials",
            ),
        )
    )
    today = services.local_today()
    for rating in ratings:
        rating.dates_suggest = (
            services.action_suggested_rag(rating.action, today=today) if rating.action_id else ""
        )
    return render(
        request,
        "plans/to_confirm.html",
        {
            "ratings": ratings,
            "plans": plans,
            "plan_filter": plan,
            "errors": errors or {},
            # Shown again after a refused "Send back", the queue is at the POST-only
            # address of that button: its forms go back where the reviewer came from.
            "back": _back(request) if request.method == "POST" else request.get_full_path(),
            "nav": "to_confirm",
        },
        status=status,
    )


@login_required
def confirm_queue(request: HttpRequest) -> HttpResponse:
    """Proposed ratings waiting for a QA lead or plan administrator."""
    if not _may_review(request.user):
        raise PermissionDenied
    return _queue(request)


def _back(request: HttpRequest) -> str:
    return safe_next(request, request.POST.get("next", "")) or reverse("plans:to_confirm")


def _describe(rating: Rating) -> str:
    return f"{rating.get_subject_display()} {rating.item_ref}"


@login_required
@require_POST
def rating_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    rating = get_object_or_404(
        Rating.objects.select_related("plan", "action", "measure__action", "recommendation"),
        pk=pk,
    )
    access.require_visible(request.user, rating.plan)
    try:
        periods.rating_confirm(
            rating=rating, user=request.user, comment=request.POST.get("comment", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Confirmed: {_describe(rating)}.")
    return redirect(_back(request))


@login_required
@require_POST
def rating_return(request: HttpRequest, pk: int) -> HttpResponse:
    rating = get_object_or_404(
        Rating.objects.select_related("plan", "action", "measure__action", "recommendation"),
        pk=pk,
    )
    access.require_visible(request.user, rating.plan)
    try:
        periods.rating_return(
            rating=rating, user=request.user, comment=request.POST.get("comment", "")
        )
    except ValidationError as error:
        if hasattr(error, "error_dict") and "comment" in error.error_dict:
            return _queue(request, errors={rating.pk: " ".join(error.messages)}, status=400)
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Sent back: {_describe(rating)}.")
    return redirect(_back(request))


# --- Closing, reopening and creating periods ----------------------------------------------


def _admin_period(request: HttpRequest, pk: int) -> ReportingPeriod:
    period = get_object_or_404(ReportingPeriod.objects.select_related("plan"), pk=pk)
    access.require_visible(request.user, period.plan)
    if not roles.is_plan_admin(request.user):
        raise PermissionDenied
    return period


def _close_preview(period: ReportingPeriod) -> dict:
    confirmed = Rating.objects.filter(
        period=period, status=Rating.Status.CONFIRMED, carried_forward=False
    )
    return {
        "actions": Action.objects.filter(plan_id=period.plan_id).count(),
        "actions_rated": confirmed.filter(action__isnull=False)
        .values("action_id")
        .distinct()
        .count(),
        "measures": Measure.objects.filter(plan_id=period.plan_id).count(),
        "measures_rated": confirmed.filter(measure__isnull=False)
        .values("measure_id")
        .distinct()
        .count(),
        "proposed": periods.ratings_to_confirm(period.plan).filter(period=period).count(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def period_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask, then close: freeze the plan's position as of the period's end."""
    period = _admin_period(request, pk)
    if request.method == "POST":
        try:
            closed = services.period_close(period=period, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if closed:
                opened = services.open_period(period.plan)
                messages.success(
                    request,
                    f"{period.label} is closed and its positions are frozen."
                    + (f" {opened.label} is now open." if opened else ""),
                )
            else:
                messages.info(request, f"{period.label} was already closed: nothing changed.")
        return redirect(period.plan)
    return render(
        request,
        "plans/period_close.html",
        {
            "plan": period.plan,
            "period": period,
            "preview": _close_preview(period),
            "nav": "plans",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def period_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    period = _admin_period(request, pk)
    form = ReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            periods.period_reopen(
                period=period, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{period.label} is open again.")
            return redirect(period.plan)
    return render(
        request,
        "plans/period_reopen.html",
        {"plan": period.plan, "period": period, "form": form, "nav": "plans"},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_periods(request: HttpRequest, slug: str) -> HttpResponse:
    """A plan's periods, with close and reopen for administrators and a form to create
    more from a rule."""
    plan = _readable_plan(request, slug)
    is_admin = roles.is_plan_admin(request.user)
    if request.method == "POST" and not is_admin:
        raise PermissionDenied
    form = PeriodsForm(request.POST or None) if is_admin else None
    if form is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        rule = data["parsed_dates"] if data["rule"] == "dates" else data["rule"]
        try:
            created = periods.periods_create(
                plan=plan,
                rule=rule,
                start=data.get("start"),
                end=data.get("end"),
                user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{len(created)} period(s) created.")
            return redirect("plans:plan_periods", slug=plan.slug)
    rows = plan.periods.select_related("closed_by").order_by("end")
    latest_closed = plan.periods.filter(state=ReportingPeriod.State.CLOSED).order_by("end").last()
    return render(
        request,
        "plans/plan_periods.html",
        {
            "plan": plan,
            "periods": rows,
            "latest_closed": latest_closed,
            "form": form,
            "is_admin": is_admin,
            "nav": "plans",
        },
        status=400 if form is not None and form.errors else 200,
    )

"""The service director's journey: My actions, an action's page, the monthly update
form, and evidence downloads.

Every request is checked on the server, whatever sent it (a link, a form, htmx or a
hand-made POST): reading needs `roles.can_view_plan`, updating `roles.can_edit_action`.
A refused request gets 403 and changes nothing. Writes go through
`plans.services.action_update`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from core.models import ConflictError
from plans import access, evidence, roles, selectors, services
from plans.forms import ActionUpdateForm, MyActionsFilterForm
from plans.models import Action, Evidence, Plan, RagCriterion, Rating, ReportingPeriod
from plans.views.common import safe_next


def _forbidden(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "403.html", {"reason": reason}, status=403)


@login_required
@require_GET
def my_actions(request: HttpRequest) -> HttpResponse:
    """The actions the signed-in user is accountable for, with what needs doing first."""
    if not roles.has_role(request.user, *roles.ALL_ROLES):
        return _forbidden(request, "Your account has no role yet, so it has no actions.")
    form = MyActionsFilterForm(request.GET)
    filters = form.filters()
    page = selectors.my_actions(
        request.user, filters=filters, today=services.local_today(), page=request.GET.get("page")
    )
    others = request.GET.copy()
    others.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "form": form,
        "page_query": others.urlencode(),  # the filters, for the links to other pages
        "back": request.get_full_path(),
        # Once for every row's update link (`?next=`).
        "back_encoded": quote(request.get_full_path(), safe="/"),
        "today": services.local_today(),
        "nav": "my_actions",
    }
    if request.htmx and request.htmx.target == "my-actions-results":
        return render(request, "plans/partials/my_actions_results.html", context)
    return render(request, "plans/my_actions.html", context)


@login_required
@require_GET
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything about an action. Read-only unless the user may update it."""
    today = services.local_today()
    try:
        page = selectors.action_page(pk, today=today)
    except Action.DoesNotExist:
        raise Http404("No such action.") from None
    access.require_visible(request.user, page.plan)
    if not roles.can_view_plan(request.user, page.plan):
        raise PermissionDenied
    action = page.action
    return render(
        request,
        "plans/action_detail.html",
        {
            "page": page,
            "plan": page.plan,
            "action": action,
            "can_edit": roles.can_edit_action(request.user, action),
            "suggested_rag": services.action_suggested_rag(action, today=today),
            "days_behind": services.action_days_behind(action, today=today),
            "overdue": services.action_overdue(action, today=today),
            "today": today,
            "nav": "plans",
        },
    )


def _saved_message(rating: Rating, action: Action) -> str:
    plan = action.plan
    text = f"Update saved: {action.ref} is {plan.rag_label(rating.rag)} for {rating.period.label}."
    if rating.status == Rating.Status.PROPOSED:
        text += " It is proposed until a QA lead or plan administrator confirms it."
    return text


def _keep_upload(
    upload: UploadedFile | None, kept: evidence.Kept | None, *, user_id: int, action_id: int
) -> evidence.Kept | None:
    """The file to carry through the page shown again with errors: the one just chosen
    if it is one we accept (replacing any kept before), else the one kept before."""
    if upload is None:
        return kept
    new = evidence.evidence_keep(upload, user_id=user_id, action_id=action_id)
    if new is None:  # refused: its error says why, and an earlier file stays kept
        return kept
    if kept is not None:
        evidence.evidence_kept_discard(kept.token, user_id=user_id, action_id=action_id)
    return new


@dataclass
class _Posted:
    """What a POST of the update form gives when it is shown again: the form, its status,
    the newer version that conflicted with it, and the evidence file kept for it."""

    form: ActionUpdateForm
    status: int
    conflict: object = None
    kept: evidence.Kept | None = None


def _save_update(
    request: HttpRequest, action: Action, data: dict, kept, owner: dict, today
) -> Rating:
    """The valid form's update, through the one service, with the file just chosen or the
    one kept from an earlier try."""
    upload = data["evidence_file"]
    if upload is None and kept is not None:
        upload = evidence.evidence_kept_upload(kept.token, **owner)
    loaded_period = (
        ReportingPeriod.objects.filter(pk=data["period"], plan=action.plan).first()
        if data["period"]
        else None
    )
    return services.action_update(
        action=action,
        user=request.user,
        expected_version=data["version"],
        rag=data["rag"],
        commentary=data["commentary"],
        override_reason=data["override_reason"],
        recovery=data["recovery"],
        recovery_due=data["recovery_due"],
        completed_on=data["completed_on"],
        evidence_file=upload,
        evidence_link=data["evidence_link"],
        evidence_title=data["evidence_title"],
        new_due_date=data["new_due_date"],
        due_date_reason=data["due_date_reason"],
        period=loaded_period,
        today=today,
    )


def _post_update(
    request: HttpRequest, action: Action, *, today, next_url: str
) -> HttpResponse | _Posted:
    """Handle a POST of the update form: a redirect once saved, 403 when the person may no
    longer update the action, otherwise the form to show again with its errors."""
    plan = action.plan
    form = ActionUpdateForm(request.POST, request.FILES, plan=plan)
    owner = {"user_id": request.user.pk, "action_id": action.pk}
    kept_token = request.POST.get("evidence_kept", "")
    if kept_token and request.POST.get("evidence_kept_remove"):
        evidence.evidence_kept_discard(kept_token, **owner)
        kept_token = ""
    kept = evidence.evidence_kept(kept_token, **owner) if kept_token else None
    conflict = None
    if not form.is_valid():
        status = 400
    else:
        try:
            rating = _save_update(request, action, form.cleaned_data, kept, owner, today)
        except PermissionDenied:
            return _forbidden(request, "You can no longer update this action.")
        except ConflictError as error:
            conflict = selectors.action_conflict(error.current)
            # Keep what the person typed, now based on the version they have seen.
            fresh = request.POST.copy()
            fresh["version"] = str(error.current.version)
            form = ActionUpdateForm(fresh, plan=plan)
            form.is_valid()
            status = 409
        except ValidationError as error:
            form.add_service_error(error)
            status = 400
        else:
            if kept is not None:
                evidence.evidence_kept_discard(kept.token, **owner)
            messages.success(request, _saved_message(rating, action))
            if next_url:
                return redirect(f"{next_url}#action-{action.pk}")
            return redirect(f"{action.get_absolute_url()}#rating-{rating.pk}")
    kept = _keep_upload(request.FILES.get("evidence_file"), kept, **owner)
    return _Posted(form=form, status=status, conflict=conflict, kept=kept)


def _blank_form(action: Action, period: ReportingPeriod | None, today) -> ActionUpdateForm:
    """The form as a GET shows it, with the open remedial action and today as the date
    of completion."""
    remedial = action.remedial_actions.filter(completed_on__isnull=True).order_by("-pk").first()
    return ActionUpdateForm(
        initial={
            "version": action.version,
            "period": period.pk if period else None,
            "recovery": remedial.text if remedial else "",
            "recovery_due": remedial.due_date if remedial else None,
            "completed_on": action.completed_on or today,
        },
        plan=action.plan,
    )


def _update_page(
    request: HttpRequest,
    plan: Plan,
    action: Action,
    shown: _Posted,
    *,
    period: ReportingPeriod | None,
    today,
    next_url: str,
) -> HttpResponse:
    """The update form's page, for the action as it is now."""
    position = (
        selectors.actions_with_position(Action.objects.filter(pk=action.pk), period=period)
        .values("current_rag", "current_rated_at", *(["rated_in_period"] if period else []))
        .get()
    )
    last = (
        action.ratings.exclude(status=Rating.Status.RETURNED)
        .exclude(carried_forward=True)
        .select_related("created_by", "period")
        .order_by("-created", "-pk")
        .first()
    )
    return render(
        request,
        "plans/rating_form.html",
        {
            "plan": plan,
            "action": action,
            "form": shown.form,
            "period": period,
            "last_closed": plan.periods.filter(state=ReportingPeriod.State.CLOSED)
            .order_by("-end")
            .first(),
            "days_left": (period.end - today).days if period else None,
            "position": position,
            "last": last,
            "suggested_rag": services.action_suggested_rag(action, today=today),
            "days_behind": services.action_days_behind(action, today=today),
            "overdue": services.action_overdue(action, today=today),
            "proposed": plan.requires_signoff and not roles.can_confirm_ratings(request.user, plan),
            "conflict": shown.conflict,
            "criteria": {
                c.rag: c.criteria for c in plan.rag_criteria.filter(kind=RagCriterion.Kind.ACTION)
            },
            "next": next_url,
            "evidence_limits": evidence.describe_limits(),
            "kept": shown.kept,
            "today": today,
            "nav": "my_actions",
        },
        status=shown.status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def action_update(request: HttpRequest, pk: int) -> HttpResponse:
    """The monthly update: RAG, commentary, recovery, evidence and a new due date."""
    action = get_object_or_404(
        Action.objects.select_related("plan", "recommendation", "outcome").prefetch_related(
            "owners"
        ),
        pk=pk,
    )
    plan = action.plan
    access.require_visible(request.user, plan)
    if not roles.can_view_plan(request.user, plan) or not roles.can_edit_action(
        request.user, action
    ):
        return _forbidden(
            request,
            "Only the action's accountable owners and plan administrators can update it, "
            "and only while its plan is active. Nothing was changed.",
        )
    today = services.local_today()
    period = services.open_period(plan)
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    if request.method == "POST":
        shown = _post_update(request, action, today=today, next_url=next_url)
        if isinstance(shown, HttpResponse):
            return shown
        # The period may have closed or moved on since the form was loaded.
        period = services.open_period(plan)
    else:
        shown = _Posted(form=_blank_form(action, period, today), status=200)
    if request.method == "POST":  # show the action as it is now, after any other save
        action = Action.objects.select_related("plan", "recommendation", "outcome").get(pk=pk)
    return _update_page(request, plan, action, shown, period=period, today=today, next_url=next_url)


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """An evidence file, for signed-in users who may see its plan, as a download."""
    item = get_object_or_404(Evidence.objects.select_related("action__plan"), pk=pk)
    access.require_visible(request.user, item.action.plan)
    if not roles.can_view_plan(request.user, item.action.plan):
        return _forbidden(request, "Your account cannot see this plan's evidence.")
    if not item.file:
        if item.link:
            return redirect(reverse("plans:action", args=[item.action_id]) + "#evidence")
        raise Http404("No file.")
    try:
        return evidence.evidence_response(item)
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None

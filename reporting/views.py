"""Committee clerks' pages: reports per plan, setting one up, rendering, downloading.

Reading a report, its preview and its PDFs needs `roles.can_view_plan`; setting up,
editing and rendering need `roles.can_manage_reports`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.models import ConflictError
from plans import access, bounds, roles
from plans.models import Plan
from reporting import appendices, publishing, services, stale
from reporting.forms import AppendixForm, EditReportForm, ReportForm
from reporting.models import CommitteeReport, ReportAppendix, ReportRender


def _report(request: HttpRequest, pk: int, *, manage: bool = False) -> CommitteeReport:
    report = get_object_or_404(
        CommitteeReport.objects.select_related("plan", "period", "created_by", "approved_by"), pk=pk
    )
    access.require_visible(request.user, report.plan)
    allowed = (
        roles.can_manage_reports(request.user, report.plan)
        if manage
        else roles.can_view_plan(request.user, report.plan)
    )
    if not allowed:
        raise PermissionDenied
    return report


def _status_context(request: HttpRequest, report: CommitteeReport) -> dict:
    render_ = report.renders.select_related("requested_by").order_by("-number").first()
    return {
        "report": report,
        "render": render_,
        "stale": render_ is not None and services.render_is_stale(render_),
        "active": render_ is not None
        and services.render_is_active(render_)
        and not services.render_is_stale(render_),
        "can_manage": roles.can_manage_reports(request.user, report.plan),
        "filename": services.download_filename(report),
    }


def _status_fragment(request: HttpRequest, report: CommitteeReport) -> HttpResponse:
    """The render status panel; for htmx also the renders table, swapped out of band, so
    that the page never shows a finished render above a table that does not list it."""
    response = render(request, "reporting/_render_status.html", _status_context(request, report))
    if request.htmx:
        history = render_to_string(
            "reporting/_render_history.html",
            {"renders": _renders(report), "oob": True},
            request=request,
        )
        response.content += history.encode()
    return response


def _renders(report: CommitteeReport):
    return report.renders.select_related("requested_by").order_by("-number")


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    if not roles.has_role(request.user, *roles.ALL_ROLES):
        raise PermissionDenied
    latest = ReportRender.objects.filter(report=OuterRef("pk")).order_by("-number")
    reports = CommitteeReport.objects.select_related("period").annotate(
        render_state=Subquery(latest.values("state")[:1]),
        render_number=Subquery(latest.values("number")[:1]),
        render_finished=Subquery(latest.values("finished_at")[:1]),
    )
    plans = (
        access.visible_plans(request.user)
        .order_by("status", "title")
        .prefetch_related(Prefetch("committee_reports", queryset=reports))
    )
    rows = [
        {"plan": plan, "can_manage": roles.can_manage_reports(request.user, plan)}
        for plan in plans
        if roles.can_view_plan(request.user, plan)
    ]
    return render(request, "reporting/report_list.html", {"rows": rows, "nav": "reports"})


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest, slug: str) -> HttpResponse:
    plan = get_object_or_404(Plan, slug=slug)
    access.require_visible(request.user, plan)
    if not roles.can_manage_reports(request.user, plan):
        raise PermissionDenied
    if request.method == "POST":
        form = ReportForm(request.POST, plan=plan)
        if form.is_valid():
            try:
                report = services.report_create(
                    plan=plan,
                    period=form.cleaned_data["period"],
                    user=request.user,
                    **form.fields_for_service(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Report set up. Render it when the narrative is ready.")
                return redirect(report)
    else:
        form = ReportForm(plan=plan, initial=services.report_defaults(plan=plan))
    previous = CommitteeReport.objects.filter(plan=plan).order_by("-meeting_date", "-pk").first()
    return render(
        request,
        "reporting/report_form.html",
        {"form": form, "plan": plan, "previous": previous, "nav": "reports"},
    )


@login_required
@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    return _detail(request, report, AppendixForm())


def _detail(
    request: HttpRequest, report: CommitteeReport, form: AppendixForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "reporting/report_detail.html",
        {
            **_status_context(request, report),
            "renders": _renders(report),
            "nav": "reports",
            "appendix_entries": report.appendix_entries.all(),
            "appendix_form": form,
            "stale_references": stale.stale_references(report),
            "previous_period": stale.previous_period(report),
            "can_publish": roles.can_publish_reports(request.user, report.plan),
            "publish_refusal": publishing.publish_refusal(report),
            "public_url": publishing.public_url(report) if report.is_published else "",
            "publications": publishing.publication_history(report),
        },
        status=status,
    )


@login_required
@require_POST
def appendix_add(request: HttpRequest, pk: int) -> HttpResponse:
    """List a new appendix of the report, with its PDF if given."""
    report = _report(request, pk, manage=True)
    form = AppendixForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            appendices.appendix_add(
                report=report,
                label=form.cleaned_data["label"],
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
                user=request.user,
            )
        except ValidationError as error:
            named = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
            for field, texts in named.items():
                for text in texts:
                    form.add_error(field if field in form.fields else None, text)
    if form.errors:
        return _detail(request, report, form, status=400)
    messages.success(request, "Appendix added. Render the report again to include it.")
    return redirect(report.get_absolute_url() + "#appendices")


@login_required
@require_POST
def appendix_delete(request: HttpRequest, pk: int) -> HttpResponse:
    appendix = get_object_or_404(ReportAppendix.objects.select_related("report"), pk=pk)
    report = _report(request, appendix.report_id, manage=True)
    try:
        appendices.appendix_delete(appendix=appendix, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Appendix {appendix.label} removed.")
    return redirect(report.get_absolute_url() + "#appendices")


def _change_report(request: HttpRequest, report, change, *, done: str, reason: bool) -> bool:
    """Make one of the report's changes of state (approve, back to draft, publish,
    unpublish) from the POST: against the version the page showed, with the reason where
    one is asked. Someone else's change meanwhile, or a refusal, becomes the message
    instead; True when it was made."""
    try:
        why = {}
        if reason:
            why["reason"] = bounds.check_text(
                request.POST.get("reason", ""), label="The reason", limit=500
            )
        change(report=report, expected_version=_posted_version(request), user=request.user, **why)
    except ConflictError:
        messages.error(request, "Someone changed the report meanwhile: check it and try again.")
        return False
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    messages.success(request, done)
    return True


@login_required
@require_POST
def report_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve the report, and render it again so that its PDF no longer says Draft."""
    report = _report(request, pk, manage=True)
    done = "Report approved. It is being rendered again, without the Draft marking."
    if _change_report(request, report, services.report_approve, done=done, reason=False):
        services.render_request(report=report, user=request.user)
    return redirect(report)


@login_required
@require_POST
def report_to_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """Move an approved report back to draft, with the reason, so that it can be changed."""
    report = _report(request, pk, manage=True)
    done = "The report is a draft again: it can be changed."
    _change_report(request, report, services.report_to_draft, done=done, reason=True)
    return redirect(report)


def _publishing_report(request: HttpRequest, pk: int) -> CommitteeReport:
    report = _report(request, pk, manage=True)
    if not roles.can_publish_reports(request.user, report.plan):
        raise PermissionDenied
    return report


@login_required
@require_POST
def report_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Put the approved report on the public pages, saying why."""
    report = _publishing_report(request, pk)
    if request.POST.get("confirm") != "yes":
        messages.error(
            request,
            "Tick the box to confirm that the report may be read by anyone, then publish.",
        )
        return redirect(report.get_absolute_url() + "#publication")
    done = "Published: anyone can now read the report at its public address."
    _change_report(request, report, publishing.report_publish, done=done, reason=True)
    return redirect(report)


@login_required
@require_POST
def report_unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    """Take the report off the public pages at once, saying why."""
    report = _publishing_report(request, pk)
    done = "Unpublished: the public page and its PDF are gone."
    _change_report(request, report, publishing.report_unpublish, done=done, reason=True)
    return redirect(report)


def _posted_version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return 0  # never a stored version: reported as a change made meanwhile


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk, manage=True)
    if report.is_approved:
        messages.error(
            request,
            "This report is approved, so it cannot be changed. Move it back to draft first.",
        )
        return redirect(report)
    conflict = None
    if request.method == "POST":
        form = EditReportForm(request.POST, instance=report, plan=report.plan)
        if form.is_valid():
            fields = form.fields_for_service()
            try:
                services.report_update(
                    report=CommitteeReport.objects.get(pk=report.pk),
                    expected_version=form.cleaned_data["version"],
                    user=request.user,
                    reason=form.cleaned_data["reason"] or "report edited",
                    period=form.cleaned_data["period"],
                    **fields,
                )
            except ConflictError as error:
                conflict = error.current
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Report saved. Render it again to update the PDF.")
                return redirect(report)
    else:
        form = EditReportForm(
            instance=report, plan=report.plan, initial={"version": report.version}
        )
    return render(
        request,
        "reporting/report_form.html",
        {
            "form": form,
            "plan": report.plan,
            "report": report,
            "conflict": conflict,
            "nav": "reports",
        },
    )


@login_required
@require_POST
def report_render(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk, manage=True)
    services.render_request(report=report, user=request.user)
    if request.htmx:
        return _status_fragment(request, report)
    messages.success(request, "Rendering has been requested. This page shows when it is ready.")
    return redirect(report)


@login_required
@require_GET
def report_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The render status fragment, polled by htmx while a render is queued or running.
    Answers 204 (nothing to swap) while the state is the one the page already shows."""
    report = _report(request, pk)
    context = _status_context(request, report)
    render_ = context["render"]
    shown = request.GET.get("state")
    if (
        request.htmx
        and render_ is not None
        and context["active"]
        and shown == f"{render_.number}-{render_.state}"
    ):
        return HttpResponse(status=204)
    return _status_fragment(request, report)


@login_required
@require_GET
def report_preview(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    html = services.report_html(report, generated_at=timezone.now(), preview=True)
    return HttpResponse(html)


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
@require_GET
def render_download(request: HttpRequest, pk: int, kind: str = "pdf") -> FileResponse:
    """A ready render's PDF, or (`kind` "docx") the same report as a Word document."""
    render_ = get_object_or_404(
        ReportRender.objects.select_related("report__plan", "report__period"), pk=pk
    )
    access.require_visible(request.user, render_.report.plan)
    if not roles.can_view_plan(request.user, render_.report.plan):
        raise PermissionDenied
    stored = render_.docx if kind == "docx" else render_.pdf
    label = "Word version" if kind == "docx" else "PDF"
    if render_.state != ReportRender.State.READY or not stored:
        raise Http404(f"This render has no {label}.")
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404(f"The {label} file is missing.") from None
    filename = services.download_filename(render_.report)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename.removesuffix(".pdf") + ".docx" if kind == "docx" else filename,
        content_type=DOCX_TYPE if kind == "docx" else "application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response

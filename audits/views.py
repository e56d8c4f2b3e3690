"""The QA lead's pages: the overview of audited measures, a measure's page, and the
forms that record dip samples, performance figures, schedules, targets and overrides.

Everyone with a role reads; only QA leads and plan administrators write
(``plans.roles.can_record_samples``), checked before any form is shown or saved.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audits import charts, forms, selectors, services
from audits.models import DipSample
from core.models import ConflictError
from plans import access, roles, rules
from plans.models import Measure
from plans.services import open_period


def _measure(request: HttpRequest, pk: int, *, write: bool = False) -> Measure:
    measure = get_object_or_404(Measure.objects.select_related("plan", "action"), pk=pk)
    access.require_visible(request.user, measure.plan)
    if not roles.can_view_plan(request.user, measure.plan):
        raise PermissionDenied
    if write and not roles.can_record_samples(request.user, measure.plan):
        raise PermissionDenied
    return measure


def _form_failed(form, error: ValidationError) -> None:
    """Put a service's refusal on the form: by field where it names one."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Every audited measure with its latest result, RAG, trend and next audit due."""
    if not roles.has_role(request.user, *roles.ALL_ROLES):
        raise PermissionDenied
    visible = access.visible_plans(request.user)
    choices = selectors.overview_filter_choices(visible)
    form = forms.OverviewFilterForm(request.GET or None, choices=choices)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = selectors.qa_overview(
        plans=visible,
        plan=filters.get("plan"),
        recommendation=filters.get("recommendation"),
        owner=filters.get("owner"),
        overdue_only=bool(filters.get("overdue")),
    )
    for row in rows:
        row.sparkline = charts.measure_sparkline(row.measure, row.recent)
    return render(
        request,
        "audits/overview.html",
        {
            "rows": rows,
            "form": form,
            "overdue_count": sum(row.overdue for row in rows),
            "nav": "audits",
        },
    )


@login_required
@require_GET
def measure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """All of a measure's results, its schedules and the story of its RAG."""
    try:
        page = selectors.measure_page(pk)
    except Measure.DoesNotExist:
        raise Http404("No such measure.") from None
    measure = page.measure
    access.require_visible(request.user, measure.plan)
    if not roles.can_view_plan(request.user, measure.plan):
        raise PermissionDenied
    can_record = roles.can_record_samples(request.user, measure.plan)
    sample_rows = [
        {
            "sample": sample,
            "rag": selectors.measure_derived_rag(measure, selectors.result_of_sample(sample)),
            "editable": can_record and services.dip_sample_is_editable(sample),
        }
        for sample in reversed(page.samples)
    ]
    value_rows = [
        {
            "value": value,
            "rag": selectors.measure_derived_rag(measure, selectors.result_of_value(value)),
        }
        for value in reversed(page.values)
    ]
    return render(
        request,
        "audits/measure_detail.html",
        {
            "page": page,
            "measure": measure,
            "plan": measure.plan,
            "sample_rows": sample_rows,
            "value_rows": value_rows,
            "chart": charts.measure_chart(measure, page.results),
            "explanation": services.measure_rag_explain(measure=measure, result=page.latest),
            "latest_words": (
                rules.result_describe(page.latest, unit=measure.unit) if page.latest else ""
            ),
            "overridden": bool(page.current and page.current.override_reason),
            "can_record": can_record,
            "nav": "audits",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def sample_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a dip sample; "Work out the result" shows the percentage before saving."""
    measure = _measure(request, pk, write=True)
    form = forms.DipSampleForm(request.POST or None)
    if request.method == "POST" and "preview" not in request.POST and form.is_valid():
        try:
            sample = services.dip_sample_record(
                measure=measure, user=request.user, **form.service_fields()
            )
        except ValidationError as error:
            _form_failed(form, error)
        else:
            measure_rag = selectors.measure_derived_rag(measure)
            messages.success(
                request,
                f"Dip sample recorded: {sample.compliant} of {sample.sample_size} compliant "
                f"({sample.result:.1f}%). The evidence gives "
                f"{measure.plan.rag_label(measure_rag)}.",
            )
            return redirect(measure)
    return _sample_form(request, measure, form, title="Record a dip sample")


def _sample_form(request, measure, form, *, title: str, sample=None) -> HttpResponse:
    result = form.result() if form.is_bound else None
    preview_rag = None
    if result is not None:
        preview_rag = rules.measure_rag_derive(
            result=result,
            target=measure.target,
            tolerance=measure.tolerance,
            higher_is_better=measure.higher_is_better,
            mitigation_in_place=bool(form.cleaned_data.get("mitigation", "").strip()),
        )
    return render(
        request,
        "audits/sample_form.html",
        {
            "measure": measure,
            "plan": measure.plan,
            "form": form,
            "result": result,
            "preview_rag": preview_rag,
            "period": open_period(measure.plan),
            "sample": sample,
            "title": title,
            "nav": "audits",
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def sample_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a dip sample while its reporting period is open."""
    sample = get_object_or_404(DipSample.objects.select_related("period", "measure"), pk=pk)
    measure = _measure(request, sample.measure_id, write=True)
    if not services.dip_sample_is_editable(sample):
        return render(
            request,
            "403.html",
            {
                "reason": f"{sample.period.label} is closed: its dip samples can no longer "
                "be changed. Nothing was changed."
            },
            status=403,
        )
    initial = {
        "sampled_on": sample.sampled_on,
        "sample_size": sample.sample_size,
        "compliant": sample.compliant,
        "findings": sample.findings,
        "mitigation": sample.mitigation,
        "case_codes": sample.case_codes,
        "version": sample.version,
    }
    form = forms.DipSampleEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and "preview" not in request.POST and form.is_valid():
        try:
            services.dip_sample_update(
                sample=sample,
                user=request.user,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                **form.service_fields(),
            )
        except ConflictError as conflict:
            form.add_error(
                None,
                "Someone else changed this sample after you opened it: nothing was saved. "
                f"It now reads {conflict.current.compliant} of "
                f"{conflict.current.sample_size} on {conflict.current.sampled_on:%d/%m/%Y}.",
            )
        except ValidationError as error:
            _form_failed(form, error)
        else:
            messages.success(request, "Dip sample corrected.")
            return redirect(measure)
    return _sample_form(request, measure, form, title="Correct a dip sample", sample=sample)


@login_required
@require_GET
def schedule_propose(request: HttpRequest, pk: int) -> HttpResponse:
    """A schedule read from the measure's words, for the QA lead to check and confirm."""
    measure = _measure(request, pk, write=True)
    draft = services.schedule_propose(measure=measure)
    form = forms.ScheduleForm(initial=forms.schedule_initial(measure=measure, draft=draft))
    return _schedule_form(request, measure, form, draft)


def _schedule_form(request, measure, form, draft, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "audits/schedule_form.html",
        {
            "measure": measure,
            "plan": measure.plan,
            "form": form,
            "draft": draft,
            "existing": measure.schedules.order_by("first_due", "pk"),
            "nav": "audits",
        },
        status=status,
    )


@login_required
@require_POST
def schedule_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    measure = _measure(request, pk, write=True)
    form = forms.ScheduleForm(request.POST)
    if form.is_valid():
        try:
            schedule = services.schedule_confirm(
                measure=measure, user=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _form_failed(form, error)
        else:
            messages.success(request, f"Audit schedule confirmed: {schedule}.")
            return redirect(measure)
    return _schedule_form(request, measure, form, None, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def value_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a performance figure with its comparators."""
    measure = _measure(request, pk, write=True)
    form = forms.MeasureValueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.measure_value_record(measure=measure, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _form_failed(form, error)
        else:
            messages.success(request, "Performance figure recorded.")
            return redirect(measure)
    return _simple_form(request, measure, form, "audits/value_form.html")


def _simple_form(request, measure, form, template: str, **extra) -> HttpResponse:
    return render(
        request,
        template,
        {"measure": measure, "plan": measure.plan, "form": form, "nav": "audits", **extra},
        status=422 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def targets_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a measure's target or tolerance; its current RAG is re-derived."""
    measure = _measure(request, pk, write=True)
    initial = {
        "target": measure.target,
        "tolerance": measure.tolerance,
        "direction": "higher" if measure.higher_is_better else "lower",
        "version": measure.version,
    }
    form = forms.TargetsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rating = services.measure_targets_update(
                measure=measure,
                user=request.user,
                expected_version=data["version"],
                target=data["target"],
                tolerance=data["tolerance"],
                higher_is_better=data["direction"] == "higher",
                reason=data["reason"],
            )
        except ConflictError:
            form.add_error(
                None,
                "Someone else changed this measure after you opened it: nothing was saved. "
                "Reload the page to see their change.",
            )
        except ValidationError as error:
            _form_failed(form, error)
        else:
            if rating is not None:
                messages.success(
                    request,
                    f"Target saved. The evidence now gives {measure.plan.rag_label(rating.rag)}.",
                )
            else:
                messages.success(request, "Target saved. The RAG the evidence gives is unchanged.")
            return redirect(measure)
    return _simple_form(request, measure, form, "audits/targets_form.html")


@login_required
@require_http_methods(["GET", "POST"])
def rag_override(request: HttpRequest, pk: int) -> HttpResponse:
    """Rate a measure other than its evidence gives, with a written reason."""
    measure = _measure(request, pk, write=True)
    form = forms.OverrideForm(request.POST or None, plan=measure.plan)
    if request.method == "POST" and form.is_valid():
        try:
            services.measure_rag_override(measure=measure, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _form_failed(form, error)
        else:
            messages.success(request, "RAG overridden; the reason is shown with the rating.")
            return redirect(measure)
    latest = selectors.measure_latest_result(measure)
    return _simple_form(
        request,
        measure,
        form,
        "audits/override_form.html",
        derived=selectors.measure_derived_rag(measure, latest),
        explanation=services.measure_rag_explain(measure=measure, result=latest),
    )

"""Admin for audit schedules, dip samples and performance values, with history.

New records go through ``audits.services`` (the same functions as the QA lead's pages),
so a dip sample added here rates its measure as one recorded in the browser does, and
the forms check the same rules before anything is saved.
"""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils import dateformat
from simple_history.admin import SimpleHistoryAdmin

from audits import selectors, services
from audits.forms import DipSampleRules, ScheduleRules, add_rule_errors, schedule_initial
from audits.models import AuditSchedule, DipSample, MeasureValue
from plans.admin import VisiblePlansAdmin
from plans.bounds import BoundedAdmin
from plans.models import Measure
from plans.services import open_period


class AuditScheduleForm(ScheduleRules, forms.ModelForm):
    class Meta:
        model = AuditSchedule
        fields = [
            "measure",
            "cadence",
            "interval_months",
            "rounds",
            "first_due",
            "review_date",
            "source_text",
        ]


@admin.register(AuditSchedule)
class AuditScheduleAdmin(VisiblePlansAdmin, BoundedAdmin, SimpleHistoryAdmin):
    form = AuditScheduleForm
    list_display = ["measure", "cadence", "rounds", "rounds_done", "first_due", "review_date"]
    list_filter = ["cadence", "measure__plan"]
    list_select_related = ["measure__action"]
    raw_id_fields = ["measure"]
    readonly_fields = ["confirmed_by", "round_dates"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(done=Count("dip_samples"))

    @admin.display(description="rounds sampled")
    def rounds_done(self, obj: AuditSchedule) -> int:
        return obj.done

    @admin.display(description="rounds due")
    def round_dates(self, obj: AuditSchedule) -> str:
        if obj.pk is None:
            return "–"
        return ", ".join(
            dateformat.format(day, "j M Y") for day in selectors.schedule_round_dates(obj)
        )

    def get_changeform_initial_data(self, request):
        """``?measure=<pk>`` fills the form in from the measure's own words."""
        initial = super().get_changeform_initial_data(request)
        pk = str(initial.get("measure", ""))
        measure = (
            Measure.objects.select_related("action").filter(pk=pk).first() if pk.isdigit() else None
        )
        if measure is not None:
            initial |= schedule_initial(
                measure=measure, draft=services.schedule_propose(measure=measure)
            )
        return initial

    def save_model(self, request, obj, form, change):
        if change:
            obj._change_reason = "edited in admin"
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        saved = services.schedule_confirm(
            measure=data["measure"],
            user=request.user,
            cadence=data["cadence"],
            interval_months=data.get("interval_months"),
            rounds=data["rounds"],
            first_due=data["first_due"],
            review_date=data.get("review_date"),
            source_text=data.get("source_text", ""),
        )
        obj.pk = saved.pk
        obj._state.adding = False


class DipSampleForm(DipSampleRules, forms.ModelForm):
    class Meta:
        model = DipSample
        fields = [
            "measure",
            "sampled_on",
            "sample_size",
            "compliant",
            "findings",
            "mitigation",
            "case_codes",
        ]

    def clean(self):
        data = super().clean()
        measure = data.get("measure")
        if self.instance.pk is None and measure is not None and open_period(measure.plan) is None:
            self.add_error(None, services.NO_OPEN_PERIOD)
        return data


@admin.register(DipSample)
class DipSampleAdmin(VisiblePlansAdmin, BoundedAdmin, SimpleHistoryAdmin):
    form = DipSampleForm
    list_display = [
        "measure",
        "sampled_on",
        "sample_size",
        "compliant",
        "result",
        "period",
        "auditor",
    ]
    list_filter = ["measure__plan", "sampled_on", "period"]
    list_select_related = ["measure__action", "period", "auditor"]
    raw_id_fields = ["measure"]
    readonly_fields = ["result", "period", "schedule", "auditor", "version"]

    def _closed(self, obj) -> bool:
        return obj is not None and not services.dip_sample_is_editable(obj)

    def has_change_permission(self, request, obj=None):
        return not self._closed(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._closed(obj) and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "measure"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in (
                "sampled_on",
                "sample_size",
                "compliant",
                "findings",
                "mitigation",
                "case_codes",
            )
        }
        if change:
            services.dip_sample_update(
                sample=obj,
                user=request.user,
                expected_version=obj.version,
                reason="corrected in admin",
                **data,
            )
            return
        saved = services.dip_sample_record(
            measure=form.cleaned_data["measure"], user=request.user, **data
        )
        obj.pk = saved.pk
        obj._state.adding = False


class MeasureValueForm(forms.ModelForm):
    class Meta:
        model = MeasureValue
        fields = [
            "measure",
            "as_of",
            "value",
            "national_average",
            "statistical_neighbours",
            "note",
        ]

    def clean(self):
        data = super().clean()
        measure = data.get("measure") or getattr(self.instance, "measure", None)
        if measure is not None:
            add_rule_errors(
                self,
                services.measure_value_errors(
                    measure=measure,
                    as_of=data.get("as_of"),
                    value=data.get("value"),
                    national_average=data.get("national_average"),
                    statistical_neighbours=data.get("statistical_neighbours"),
                    exclude_pk=self.instance.pk,
                ),
            )
        return data


@admin.register(MeasureValue)
class MeasureValueAdmin(VisiblePlansAdmin, BoundedAdmin, SimpleHistoryAdmin):
    form = MeasureValueForm
    list_display = ["measure", "as_of", "value", "national_average", "statistical_neighbours"]
    list_filter = ["measure__plan"]
    list_select_related = ["measure__action"]
    raw_id_fields = ["measure"]
    readonly_fields = ["period", "recorded_by"]

    def save_model(self, request, obj, form, change):
        if change:
            obj._change_reason = "edited in admin"
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        saved = services.measure_value_record(
            measure=data["measure"],
            user=request.user,
            as_of=data["as_of"],
            value=data["value"],
            national_average=data.get("national_average"),
            statistical_neighbours=data.get("statistical_neighbours"),
            note=data.get("note", ""),
        )
        obj.pk = saved.pk
        obj._state.adding = False

"""Admin for audit schedules, dip samples and performance values, with history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from audits.models import AuditSchedule, DipSample, MeasureValue


@admin.register(AuditSchedule)
class AuditScheduleAdmin(SimpleHistoryAdmin):
    list_display = ["measure", "cadence", "rounds", "first_due", "review_date"]
    list_filter = ["cadence", "measure__plan"]
    raw_id_fields = ["measure"]
    readonly_fields = ["confirmed_by"]


@admin.register(DipSample)
class DipSampleAdmin(SimpleHistoryAdmin):
    list_display = ["measure", "sampled_on", "sample_size", "compliant", "result", "auditor"]
    list_filter = ["measure__plan", "sampled_on"]
    raw_id_fields = ["measure", "schedule", "period"]
    readonly_fields = ["result", "version"]


@admin.register(MeasureValue)
class MeasureValueAdmin(SimpleHistoryAdmin):
    list_display = ["measure", "as_of", "value", "national_average", "statistical_neighbours"]
    list_filter = ["measure__plan"]
    raw_id_fields = ["measure", "period"]

"""Admin for committee reports; renders are read-only records of each run."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from plans.admin import VisiblePlansAdmin
from plans.bounds import BoundedAdmin
from reporting.models import CommitteeReport, ReportRender


class RenderInline(VisiblePlansAdmin, BoundedAdmin, admin.TabularInline):
    model = ReportRender
    extra = 0
    fields = ["number", "state", "page_count", "requested_by", "requested_at", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CommitteeReport)
class CommitteeReportAdmin(VisiblePlansAdmin, BoundedAdmin, SimpleHistoryAdmin):
    list_display = ["committee", "meeting_date", "plan", "period"]
    list_filter = ["plan", "committee"]
    readonly_fields = ["version", "created_by"]
    inlines = [RenderInline]

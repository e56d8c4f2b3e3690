"""Forms for committee clerks: a report's cover and narrative."""

from __future__ import annotations

from django import forms

from plans.bounds import BoundedModelForm
from plans.models import Plan, ReportingPeriod
from reporting.models import CommitteeReport
from reporting.services import REPORT_FIELDS

NARRATIVE_HINT = (
    "Plain text. Leave a blank line between paragraphs: each is numbered in the report "
    "(4.1, 4.2…) unless it starts with its own number. Leave blank to leave the section out."
)


class ReportForm(BoundedModelForm):
    """Cover details and narrative sections of a committee report."""

    class Meta:
        model = CommitteeReport
        fields = ["period", *REPORT_FIELDS]
        labels = {
            "period": "Position as of",
            "agenda_item": "Agenda item number",
            "access": "Public or exempt",
            "report_of": "Report of",
            "cabinet_member": "Cabinet member(s) responsible",
            "contact_officers": "Contact officer(s)",
            "recommendations": "Recommendations to the committee",
            "origin": "Origin of report",
            "purpose": "Purpose and reason for report",
            "background": "Background and key issues",
            "key_issues": "Key issues",
            "implications": "Implications",
            "appendices": "Appendices",
        }
        help_texts = {
            "period": "The report shows the confirmed positions as of the end of this period.",
            "report_of": "Name and post, e.g. “Executive Director for Children and Young People”.",
            "contact_officers": "Names, posts and telephone numbers, one officer per line.",
            "recommendations": "What the committee is asked to do.",
            "origin": NARRATIVE_HINT,
            "purpose": NARRATIVE_HINT,
            "background": NARRATIVE_HINT,
            "key_issues": NARRATIVE_HINT,
            "implications": NARRATIVE_HINT,
            "appendices": NARRATIVE_HINT,
        }
        widgets = {
            "meeting_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "access": forms.RadioSelect,
            "title": forms.TextInput(attrs={"size": 80}),
            "committee": forms.TextInput(attrs={"size": 60}),
            "report_of": forms.TextInput(attrs={"size": 80}),
            "cabinet_member": forms.TextInput(attrs={"size": 80}),
            "contact_officers": forms.Textarea(attrs={"rows": 3}),
            "recommendations": forms.Textarea(attrs={"rows": 4}),
            "origin": forms.Textarea(attrs={"rows": 3}),
            "purpose": forms.Textarea(attrs={"rows": 6}),
            "background": forms.Textarea(attrs={"rows": 12}),
            "key_issues": forms.Textarea(attrs={"rows": 6}),
            "implications": forms.Textarea(attrs={"rows": 6}),
            "appendices": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.fields["period"].queryset = plan.periods.exclude(
            state=ReportingPeriod.State.UPCOMING
        ).order_by("-end")
        self.fields["period"].empty_label = None
        self.fields["period"].label_from_instance = _period_choice

    def fields_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in REPORT_FIELDS}


def _period_choice(period: ReportingPeriod) -> str:
    state = "" if period.is_closed else f" ({period.get_state_display().lower()}: a draft)"
    return f"{period.label}, to {period.end:%-d %B %Y}{state}"


class EditReportForm(ReportForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="What changed (optional)",
        required=False,
        max_length=200,
        help_text="Kept in the report's history.",
    )

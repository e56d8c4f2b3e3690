"""Forms for committee clerks: a report's cover and the council's numbered sections."""

from __future__ import annotations

from django import forms

from plans.bounds import BoundedForm, BoundedModelForm, bound_field
from plans.date_fields import DayMonthYearField
from plans.models import Plan, ReportingPeriod
from reporting.models import CommitteeReport
from reporting.services import COVER_FIELDS, REPORT_FIELDS
from reporting.template import COUNCIL_TEMPLATE, NARRATIVE_FIELDS, PARTS_BY_FIELD

NARRATIVE_HINT = (
    "Plain text. Leave a blank line between paragraphs: each is numbered in the report "
    "(4.1, 4.2…) unless it starts with its own number. Leave blank to leave the section out."
)


SECTION_HINT = NARRATIVE_HINT.replace(
    "Leave blank to leave the section out.",
    "Or tick “Not applicable” to print N/A, as the council does.",
)


class ReportForm(BoundedModelForm):
    """Cover details and the council's numbered sections of a committee report.

    Each narrative field has a "not applicable" box beside it (`na_<field>`), which
    fills the model's `not_applicable` list; `groups()` lays the fields out as the
    report numbers them."""

    class Meta:
        model = CommitteeReport
        fields = ["period", *(f for f in REPORT_FIELDS if f != "not_applicable")]
        labels = {
            "period": "Position as of",
            "agenda_item": "Agenda item number",
            "access": "Public or exempt",
            "report_of": "Report of",
            "cabinet_member": "Cabinet member(s) responsible",
            "contact_officers": "Contact officer(s)",
            "recommendations": "Recommendations to the committee",
            "deadline_date": "Deadline date",
            "major_policy_item": "This is a major policy item or statutory plan",
            "cabinet_date": "If so, date of the Cabinet meeting",
            **{part.field: part.label for part in PARTS_BY_FIELD.values()},
        }
        help_texts = {
            "period": "The report shows the confirmed positions as of the end of this period.",
            "report_of": "Name and post, e.g. “Executive Director for Children and Young People”.",
            "contact_officers": "Names, posts and telephone numbers, one officer per line.",
            "recommendations": "What the committee is asked to do.",
            "deadline_date": "Printed beside the recommendations. Leave blank for N/A.",
            "cabinet_date": "Leave blank for N/A.",
            **dict.fromkeys(NARRATIVE_FIELDS, SECTION_HINT),
        }
        widgets = {
            "access": forms.RadioSelect,
            "title": forms.TextInput(attrs={"size": 80}),
            "committee": forms.TextInput(attrs={"size": 60}),
            "report_of": forms.TextInput(attrs={"size": 80}),
            "cabinet_member": forms.TextInput(attrs={"size": 80}),
            "contact_officers": forms.Textarea(attrs={"rows": 3}),
            "recommendations": forms.Textarea(attrs={"rows": 4}),
            **{name: forms.Textarea(attrs={"rows": 4}) for name in NARRATIVE_FIELDS},
            "background": forms.Textarea(attrs={"rows": 14}),
        }

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.fields["period"].queryset = plan.periods.exclude(
            state=ReportingPeriod.State.UPCOMING
        ).order_by("-end")
        self.fields["period"].empty_label = None
        self.fields["period"].error_messages["invalid_choice"] = (
            "Choose one of the plan's periods that has started"
        )
        for name, noun in DATE_NOUNS.items():
            old = self.fields[name]
            self.fields[name] = bound_field(
                name,
                DayMonthYearField(
                    label=old.label, noun=noun, required=old.required, help_text=old.help_text
                ),
            )
        for name, message in REQUIRED.items():
            self.fields[name].error_messages["required"] = message
        self.fields["period"].label_from_instance = _period_choice
        marked = set(self.instance.not_applicable or []) if self.instance.pk else set()
        marked |= set(self.initial.get("not_applicable") or [])
        for name in NARRATIVE_FIELDS:
            self.fields[f"na_{name}"] = forms.BooleanField(
                label=f"{PARTS_BY_FIELD[name].label}: not applicable",
                required=False,
                initial=name in marked,
            )

    def groups(self) -> list[tuple[str, list]]:
        """The visible fields under the headings the report prints them under."""
        groups = [
            ("Cover", [self[name] for name in ("period", *COVER_FIELDS)]),
            ("Recommendations", [self["recommendations"], self["deadline_date"]]),
        ]
        for section in COUNCIL_TEMPLATE:
            if section.key == "timescales":
                fields = [self["major_policy_item"], self["cabinet_date"]]
            else:
                fields = []
                for part in section.parts:
                    fields += [self[part.field], self[f"na_{part.field}"]]
            groups.append((f"{section.number}. {section.heading}", fields))
        return groups

    def clean(self):
        cleaned = super().clean()
        for name in NARRATIVE_FIELDS:
            if cleaned.get(f"na_{name}") and (cleaned.get(name) or "").strip():
                self.add_error(
                    name,
                    "Either write this section or mark it not applicable, not both.",
                )
        if cleaned.get("cabinet_date") and not cleaned.get("major_policy_item"):
            self.add_error(
                "cabinet_date",
                "A Cabinet date is only for a major policy item or statutory plan: "
                "tick the box above or clear the date.",
            )
        return cleaned

    def _post_clean(self):
        # The model's own check of not_applicable needs the list before it runs.
        self.instance.not_applicable = self._marked()
        super()._post_clean()

    def _marked(self) -> list[str]:
        return [name for name in NARRATIVE_FIELDS if self.cleaned_data.get(f"na_{name}")]

    def fields_for_service(self) -> dict:
        fields = {
            name: self.cleaned_data[name] for name in REPORT_FIELDS if name != "not_applicable"
        }
        fields["not_applicable"] = self._marked()
        return fields


# How the errors name the report's dates (GOV.UK: "Enter the …", "… must include a month").
DATE_NOUNS = {
    "meeting_date": "the report's meeting date",
    "deadline_date": "the deadline date",
    "cabinet_date": "the date of the Cabinet meeting",
}
# What a missing required field says, in the clerk's words.
REQUIRED = {
    "period": "Choose the period whose position the report shows",
    "committee": "Enter the committee the report goes to",
    "title": "Enter the report's title",
    "access": "Choose whether the report is public or exempt",
}


def _period_choice(period: ReportingPeriod) -> str:
    state = "" if period.is_closed else f" ({period.get_state_display().lower()}: a draft)"
    return f"{period.label}, to {period.end:%-d %B %Y}{state}"


class EditReportForm(ReportForm):
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "The form is incomplete: reload the report and make your change again",
            "invalid": "The form is incomplete: reload the report and make your change again",
        },
    )
    reason = forms.CharField(
        label="What changed (optional)",
        required=False,
        max_length=200,
        help_text="Kept in the report's history.",
    )


class AppendixForm(BoundedForm):
    """An appendix the clerk adds: its label and title, and the PDF if it is to hand."""

    label = forms.CharField(
        max_length=10,
        help_text="As section 12 names it: 1, 2a, C…",
        error_messages={"required": "Enter the appendix's label, as section 12 names it"},
    )
    title = forms.CharField(
        max_length=300,
        widget=forms.TextInput(attrs={"size": 60}),
        error_messages={"required": "Enter the appendix's title"},
    )
    file = forms.FileField(
        required=False,
        label="PDF (optional)",
        help_text="A PDF, merged into the report's PDF after its own pages. Without one "
        "the appendix is listed but not attached.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

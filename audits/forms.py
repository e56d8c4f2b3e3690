"""Forms for the QA lead's pages. Each rule is checked by the function the service uses
(``audits.services.*_errors``), so a form and a service cannot disagree."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from audits import services
from audits.models import AuditSchedule
from plans.bounds import BoundedForm
from plans.date_fields import DayMonthYearField
from plans.models import RAG, Measure, Owner, Plan, Recommendation


def add_rule_errors(form: forms.BaseForm, errors: dict[str, list[str]]) -> None:
    """Add rule errors (``audits.services.*_errors``) to fields that have none yet (a
    field's own error comes first); one about a field the form lacks goes above it."""
    for name, messages in errors.items():
        if name in form.fields and name in form.errors:
            continue
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


class DipSampleRules:
    """The rules of a dip sample, for the QA lead's form and the admin's alike: the case
    codes normalised, then ``services.dip_sample_errors``."""

    def clean(self):
        data = super().clean()
        data["case_codes"] = services.case_codes_normalise(data.get("case_codes", ""))
        add_rule_errors(
            self,
            services.dip_sample_errors(
                sampled_on=data.get("sampled_on"),
                sample_size=data.get("sample_size"),
                compliant=data.get("compliant"),
                case_codes=data["case_codes"],
            ),
        )
        return data


class ScheduleRules:
    """The rules of an audit schedule, for the QA lead's form and the admin's alike: a
    fixed cadence sets the interval, then ``services.schedule_errors``."""

    def clean(self):
        data = super().clean()
        if data.get("cadence") in services.CADENCE_MONTHS:
            data["interval_months"] = services.CADENCE_MONTHS[data["cadence"]]
        if {"cadence", "rounds", "first_due"} <= set(data):
            add_rule_errors(
                self,
                services.schedule_errors(
                    cadence=data["cadence"],
                    interval_months=data.get("interval_months"),
                    rounds=data["rounds"],
                    first_due=data["first_due"],
                    review_date=data.get("review_date"),
                ),
            )
        return data


def schedule_initial(*, measure: Measure, draft: services.ScheduleDraft | None) -> dict:
    """What a schedule form starts from: the measure's words and the schedule read from
    them, if any (``services.schedule_propose``)."""
    initial = {"source_text": measure.text}
    if draft is not None:
        initial |= {
            "cadence": draft.cadence,
            "interval_months": draft.interval_months,
            "rounds": draft.rounds,
            "first_due": draft.first_due,
            "review_date": draft.review_date,
        }
    return initial


class DipSampleForm(DipSampleRules, BoundedForm):
    """One dip sample. The result is worked out from the two counts, never typed."""

    sampled_on = DayMonthYearField(label="Date sampled", noun="the date sampled")
    sample_size = forms.IntegerField(
        label="Case files sampled",
        widget=forms.NumberInput(attrs={"min": 1, "inputmode": "numeric"}),
    )
    compliant = forms.IntegerField(
        label="Of which compliant",
        widget=forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
    )
    findings = forms.CharField(
        label="Findings (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the audit found. Do not write children's or families' names.",
    )
    mitigation = forms.CharField(
        label="Mitigation (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "If the result is below target, the mitigation in place. Mitigation in place "
            "makes a below-target result Amber rather than Red."
        ),
    )
    case_codes = forms.CharField(
        label="Case codes (optional)",
        required=False,
        max_length=300,
        help_text="Anonymised codes only, separated by commas, e.g. C-1042, AB12. Never names.",
    )

    def result(self) -> Decimal | None:
        """The percentage the counts give, once both are valid."""
        if not self.is_bound or not self.is_valid():
            return None
        return services.sample_percentage(
            compliant=self.cleaned_data["compliant"],
            sample_size=self.cleaned_data["sample_size"],
        )

    def service_fields(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in (
                "sampled_on",
                "sample_size",
                "compliant",
                "findings",
                "mitigation",
                "case_codes",
            )
        }


class DipSampleEditForm(DipSampleForm):
    """A correction to a dip sample, checked against the version that was loaded."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why it is being corrected",
        required=False,
        max_length=300,
        help_text="Kept in the sample's history.",
    )


class ScheduleForm(ScheduleRules, BoundedForm):
    """An audit schedule, usually filled in from the measure's own words."""

    cadence = forms.ChoiceField(
        choices=AuditSchedule.Cadence.choices, widget=forms.RadioSelect, label="How often"
    )
    interval_months = forms.IntegerField(
        label="Months between rounds",
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": services.MAX_INTERVAL_MONTHS}),
        help_text="Only for a custom interval; the other cadences set it.",
    )
    rounds = forms.IntegerField(
        label="Number of rounds",
        widget=forms.NumberInput(attrs={"min": 1, "max": services.MAX_ROUNDS}),
    )
    first_due = DayMonthYearField(label="First round due", noun="the date the first round is due")
    review_date = DayMonthYearField(
        label="Review date (optional)",
        noun="the review date",
        required=False,
        help_text="When the results are reviewed after the last round.",
    )
    source_text = forms.CharField(required=False, widget=forms.HiddenInput)


class MeasureValueForm(BoundedForm):
    """A performance figure with the comparators the committee report quotes."""

    as_of = DayMonthYearField(label="As of", noun="the date the figure is as of")
    value = forms.DecimalField(label="Figure", max_digits=9, decimal_places=2)
    national_average = forms.DecimalField(
        label="National average (optional)", required=False, max_digits=9, decimal_places=2
    )
    statistical_neighbours = forms.DecimalField(
        label="Statistical neighbours (optional)",
        required=False,
        max_digits=9,
        decimal_places=2,
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where the figure comes from, or what it covers.",
    )


class TargetsForm(BoundedForm):
    """A measure's target, tolerance and direction."""

    target = forms.DecimalField(required=False, max_digits=7, decimal_places=2)
    tolerance = forms.DecimalField(
        required=False,
        max_digits=7,
        decimal_places=2,
        help_text="How far short of the target still counts as Amber rather than Red.",
    )
    direction = forms.ChoiceField(
        choices=[("higher", "Higher is better"), ("lower", "Lower is better")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Why it is changing",
        max_length=300,
        help_text="Kept in the measure's history.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class OverrideForm(BoundedForm):
    """A RAG other than the evidence gives, with the reason that must go with it."""

    rag = forms.ChoiceField(label="RAG", widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Why the RAG differs from the evidence",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown with the rating wherever it appears, in pages and committee reports.",
    )

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rag"].choices = [
            (value, plan.rag_label(value)) for value, _ in RAG.choices if value
        ]


class OverviewFilterForm(BoundedForm):
    """The QA overview's filters, read from the query string."""

    plan = forms.ModelChoiceField(
        queryset=Plan.objects.none(), required=False, to_field_name="slug", empty_label="All"
    )
    recommendation = forms.ModelChoiceField(
        queryset=Recommendation.objects.none(), required=False, empty_label="All"
    )
    owner = forms.ModelChoiceField(queryset=Owner.objects.none(), required=False, empty_label="All")
    overdue = forms.BooleanField(required=False, label="Overdue only")

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = choices["plans"]
        self.fields["recommendation"].queryset = choices["recommendations"]
        self.fields["recommendation"].label_from_instance = lambda r: (
            f"{r.plan.slug} · {r.ref}. {r.title[:60]}"
        )
        self.fields["owner"].queryset = choices["owners"]

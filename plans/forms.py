"""Forms for the director's pages and the plan administrator's people pages. They check
shapes and lengths only: the rules (what an Amber rating needs, what a file may be, when
a reason is required) live in `plans.services.action_update`, `plans.evidence` and
`plans.people`, whose errors the views put back on these fields by name."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from plans import bounds, evidence, people, roles, selectors
from plans.bounds import TEXT_LIMIT, BoundedForm
from plans.date_fields import DayMonthYearField
from plans.models import RAG, Owner, Plan


class MyActionsFilterForm(BoundedForm):
    """The filters of My actions, read from the query string so they stay in the URL."""

    plan = forms.SlugField(label="Plan", required=False)
    rag = forms.ChoiceField(
        label="Current RAG",
        required=False,
        choices=[
            ("", "Any"),
            (RAG.RED, "Red"),
            (RAG.AMBER, "Amber"),
            (RAG.GREEN, "Green"),
            (RAG.BLUE, "Blue (complete)"),
            (selectors.NO_RATING, "Not rated"),
        ],
    )
    overdue = forms.BooleanField(label="Overdue only", required=False)
    needs_update = forms.BooleanField(label="Needs an update this period", required=False)

    def filters(self) -> selectors.MyActionsFilters:
        """The filters asked for; a value that is not a choice is ignored, not an error."""
        self.is_valid()
        data = self.cleaned_data
        return selectors.MyActionsFilters(
            plan=data.get("plan") or "",
            rag=data.get("rag") or "",
            overdue=bool(data.get("overdue")),
            needs_update=bool(data.get("needs_update")),
        )


class ActionUpdateForm(BoundedForm):
    """The monthly update of an action. Field names are the keyword arguments of
    `plans.services.action_update`, so its errors land on the right field."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    period = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Required by the service, not here, so that every problem is reported at once.
    rag = forms.ChoiceField(label="Rating", widget=forms.RadioSelect, required=False)
    commentary = forms.CharField(
        label="Commentary",
        help_text="What has happened since the last update. Plain text: line breaks are kept.",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=TEXT_LIMIT,
        required=False,
    )
    override_reason = forms.CharField(
        label="Why is it better than the dates suggest?",
        help_text="Needed only if your rating is better than the dates suggest.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=TEXT_LIMIT,
    )
    recovery = forms.CharField(
        label="What will bring it back on track?",
        help_text="Needed for Amber and Red. Kept as the action's remedial action.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=TEXT_LIMIT,
    )
    recovery_due = DayMonthYearField(
        label="By when", noun="the date it will be back on track", required=False
    )
    completed_on = DayMonthYearField(
        label="Date completed",
        noun="the date completed",
        help_text="Blue means complete.",
        required=False,
    )
    evidence_file = forms.FileField(label="Attach a file", required=False)
    evidence_link = forms.URLField(
        label="Or a link",
        help_text="For example a SharePoint or intranet page.",
        required=False,
        max_length=500,
        assume_scheme="https",
    )
    evidence_title = forms.CharField(
        label="What the evidence is",
        help_text="Optional: the file name or link is used if you leave this empty.",
        required=False,
        max_length=200,
    )
    new_due_date = DayMonthYearField(label="New due date", noun="the new due date", required=False)
    due_date_reason = forms.CharField(
        label="Why is the due date changing?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=TEXT_LIMIT,
    )

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.fields["rag"].choices = [
            (value, plan.rag_label(value)) for value in (RAG.RED, RAG.AMBER, RAG.GREEN, RAG.BLUE)
        ]
        self.fields["evidence_file"].help_text = evidence.describe_limits()
        self.fields["evidence_file"].widget.attrs["accept"] = evidence.ACCEPT

    def add_service_error(self, error) -> None:
        """Put a ValidationError from the service on the fields it names."""
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class ReopenForm(BoundedForm):
    reason = forms.CharField(
        label="Why does this period need to reopen?",
        help_text="Recorded in the period's history with your name.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )


def _parse_day(text: str) -> dt.date:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d %B %Y", "%d %b %Y"):
        try:
            day = dt.datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
        bounds.check_date(day)
        return day
    raise ValidationError(f"{text.strip()!r} is not a date: write 1 March 2016 or 2016-03-01.")


class PeriodsForm(BoundedForm):
    RULES = [
        ("quarters", "Financial quarters (Q1 = April to June)"),
        ("months", "Calendar months"),
        ("dates", 'Dated positions ("as of 1 March 2016")'),
    ]
    rule = forms.ChoiceField(choices=RULES, widget=forms.RadioSelect, initial="quarters")
    start = DayMonthYearField(
        label="From",
        noun="the first day",
        required=False,
        help_text="Quarters and months: the first day to cover. Dated positions: when the "
        "first one starts (optional).",
    )
    end = DayMonthYearField(
        label="To",
        noun="the last day",
        required=False,
        help_text="Quarters and months: the last day to cover.",
    )
    dates = forms.CharField(
        label="Dates of the positions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One a line, e.g. 1 November 2015.",
    )

    def clean(self):
        data = super().clean()
        if data.get("rule") == "dates":
            lines = [line for line in (data.get("dates") or "").splitlines() if line.strip()]
            if not lines:
                self.add_error("dates", "Give at least one date.")
            else:
                try:
                    data["parsed_dates"] = [_parse_day(line) for line in lines]
                except ValidationError as error:
                    self.add_error("dates", error)
        else:
            for name in ("start", "end"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, "Enter a date.")
        return data


# People and owners (plans/views/people.py) ------------------------------------------------

User = get_user_model()
REASON_MAX_LENGTH = 500

ROLE_CHOICES = [(name, name) for name in roles.ALL_ROLES]


class RolesField(forms.MultipleChoiceField):
    """The roles a person may hold, as boxes to tick."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(choices=ROLE_CHOICES, **kwargs)


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label="Why",
        help_text="Kept in the history with your name.",
        required=False,
        max_length=REASON_MAX_LENGTH,
        error_messages={"max_length": f"Keep the reason to {REASON_MAX_LENGTH} characters."},
    )


class InviteForm(forms.Form):
    """A new person: who they are, where the invitation goes, and their roles."""

    name = forms.CharField(
        label="Full name",
        max_length=300,
        error_messages={
            "required": "Enter the person's full name.",
            "max_length": "A name has at most 300 characters.",
        },
    )
    email = forms.EmailField(
        label="E-mail address",
        help_text="The invitation goes here. It is also the username they sign in with.",
        max_length=254,
        error_messages={
            "required": "Enter the person's e-mail address.",
            "invalid": "Enter an e-mail address in the right form, like name@council.gov.uk.",
            "max_length": "An e-mail address has at most 254 characters.",
        },
    )
    roles = RolesField(
        label="Roles",
        help_text="What they will do. You can change this later.",
        error_messages={
            "required": "Choose at least one role.",
            "invalid_choice": "Choose roles from the list.",
        },
    )


class RolesForm(forms.Form):
    """A person's roles, changed by a plan administrator, with why."""

    # Marks a submitted roles form: with every box cleared the browser sends no roles,
    # and that must mean "no roles", while a request without the form means nothing.
    shown = forms.CharField(widget=forms.HiddenInput, initial="1")
    roles = RolesField(
        label="Roles",
        required=False,
        error_messages={"invalid_choice": "Choose roles from the list."},
    )
    reason = _reason_field()


class OwnerLinkForm(forms.Form):
    """The person who holds an owner's post."""

    person = forms.ModelChoiceField(
        label="Who holds this post?",
        queryset=User.objects.none(),
        empty_label="Choose a person",
        error_messages={
            "required": "Choose the person who holds this post.",
            "invalid_choice": "Choose a person from the list.",
        },
    )
    reason = _reason_field()

    def __init__(self, *args, persons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = persons.filter(is_active=True).order_by(
            "first_name", "last_name"
        )
        self.fields["person"].label_from_instance = lambda user: (
            f"{people.display_name(user)} ({user.get_username()})"
        )


class MergeForm(forms.Form):
    """The owner a duplicate is merged into."""

    kept = forms.ModelChoiceField(
        label="Owner to keep",
        queryset=Owner.objects.none(),
        empty_label="Choose the owner to keep",
        error_messages={
            "required": "Choose the owner to keep.",
            "invalid_choice": "Choose an owner from the list.",
        },
    )

    def __init__(self, *args, duplicate: Owner, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kept"].queryset = Owner.objects.filter(
            merged_into__isnull=True, pk__in=owners
        ).exclude(pk=duplicate.pk)

"""The bounds on what people give the product, stated once.

Every form of the site and of the admin passes its fields through `bound_form` (or
`bound_field`); the import checks its cells with the same functions; and the
spreadsheet writers pass stored text through `spreadsheet_text`. docs/security.md lists
these figures: change them here and there together.

- Dates lie in DATE_MIN..DATE_MAX. Outside it a schedule's rounds or a period's end run
  past the year 9999 that Python's dates can hold, and a typing slip (0202, 9999) is
  far likelier than a plan running a century.
- Free text has a length limit, stated in the error: the field's own, else TEXT_LIMIT
  in a form and LONG_TEXT_LIMIT for a model's unbounded text (admin, report narrative).
  The database's TextFields have no limit of their own.
- Control characters other than tab, line feed and carriage return are refused naming
  the field: an .xlsx cell cannot hold them, PostgreSQL refuses NUL, and Word's
  Shift+Enter pastes U+000B without anyone seeing it.
- Text that is only invisible characters (zero-width spaces, soft hyphens, byte-order
  marks, blank fillers) counts as empty, so a required reason cannot be one.
- Whole numbers fit a 32-bit database integer unless the field says less.
- At most PERIODS_AT_ONCE reporting periods are created by one request.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models

from core.dates import long_day

DATE_MIN = dt.date(2000, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
TEXT_LIMIT = 5000
# A model's unbounded text (an action's wording, a report's narrative) in the admin and
# model forms: Excel's limit for one cell, the most an import brings in.
LONG_TEXT_LIMIT = 32_767
PERIODS_AT_ONCE = 60
INTEGER_MIN = -(2**31)
INTEGER_MAX = 2**31 - 1

# Control characters other than tab, line feed and carriage return (C0, DEL and C1).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Characters that show nothing but are not whitespace to str.strip(): format characters
# (category Cf: zero-width space and joiners, soft hyphen, byte-order mark, word joiner,
# bidirectional marks) and letters drawn blank (Hangul fillers, braille blank).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,200}")
# Word's Shift+Enter and the form feed are line breaks to whoever typed them.
_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})


WINDOW = f"between {long_day(DATE_MIN)} and {long_day(DATE_MAX)}"


def date_problem(day: dt.date | None) -> str | None:
    """Why a date cannot be accepted, or None if it can (or there is none)."""
    if day is None:
        return None
    if isinstance(day, dt.datetime):
        day = day.date()
    if DATE_MIN <= day <= DATE_MAX:
        return None
    return f"{long_day(day)} is outside the dates this service accepts: give a date {WINDOW}."


def check_date(day: dt.date | None) -> None:
    """A validator: the date lies in the window."""
    if problem := date_problem(day):
        raise ValidationError(problem, code="date_window")


def date_errors(**days: dt.date | None) -> dict[str, list[str]]:
    """The dates outside the window, by field name, as services report errors."""
    return {name: [problem] for name, day in days.items() if (problem := date_problem(day))}


def control_character(text: str) -> str | None:
    """The first control character in the text other than tab, line feed and carriage
    return, written as people look it up ("U+000B"), or None if there is none."""
    found = _CONTROL.search(text)
    return f"U+{ord(found[0]):04X}" if found else None


def control_problem(text: str, label: str) -> str | None:
    character = control_character(text)
    if character is None:
        return None
    return (
        f"{label} contains a control character ({character}), which cannot be stored: "
        "delete it (tabs and line breaks are fine). Text pasted from Word can carry one "
        "where a line was broken with Shift+Enter."
    )


def length_problem(text: str, label: str, limit: int) -> str | None:
    if len(text) <= limit:
        return None
    return f"{label} can be at most {limit:,} characters long; this is {len(text):,}."


def is_invisible(character: str) -> bool:
    return (
        character.isspace()
        or unicodedata.category(character) == "Cf"
        or character in _BLANK_LETTERS
    )


def is_blank(text: str | None) -> bool:
    """Whether the text shows nothing: empty, whitespace or invisible characters only."""
    return not text or all(is_invisible(character) for character in text)


def check_text(text: str, *, label: str, limit: int = TEXT_LIMIT) -> str:
    """Text given outside a form (a comment posted with a button): the same checks as a
    form field's, raised as one ValidationError; the text comes back stripped, and empty
    if it shows nothing."""
    text = "" if is_blank(text) else text.strip()
    problem = length_problem(text, label, limit) or control_problem(text, label)
    if problem:
        raise ValidationError(problem)
    return text


def slug_or_none(text: str) -> str | None:
    """A slug from a query string, or None if it cannot be one: looked up as it is, a NUL
    in it is an error on PostgreSQL rather than "no such plan"."""
    return text if _SLUG.fullmatch(text) else None


def search_text(text: str) -> str:
    """Words to search for, from a query string: control characters cannot be in what is
    stored (and a NUL is an error on PostgreSQL), so they are left out of the search."""
    return _CONTROL.sub("", text)


def spreadsheet_text(value: object) -> object:
    """Stored text as a spreadsheet cell can hold it: vertical tabs and form feeds become
    line breaks and other control characters are dropped. Text stored before the fields
    refused them must not stop an export; other values pass through."""
    if not isinstance(value, str) or _CONTROL.search(value) is None:
        return value
    return _CONTROL.sub("", value.translate(_BREAKS))


# --- Forms -------------------------------------------------------------------------------


def _label(name: str, field: forms.Field) -> str:
    label = field.label or name.replace("_", " ").capitalize()
    return str(label).rstrip(":?").removesuffix(" (optional)")


def _without_blank(to_python: Callable) -> Callable:
    def clean(value):
        value = to_python(value)
        return "" if isinstance(value, str) and is_blank(value) else value

    return clean


_DJANGO_REQUIRED = str(forms.Field.default_error_messages["required"])
_DJANGO_INVALID_CHOICES = {
    str(forms.ChoiceField.default_error_messages["invalid_choice"]),
    str(forms.ModelChoiceField.default_error_messages["invalid_choice"]),
}


def _lowered(label: str) -> str:
    """A label inside a sentence: "Date sampled" becomes "date sampled"; "RAG" stays."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def required_message(label: str, field: forms.Field) -> str:
    """What a missing answer says when the form gives nothing better than Django's
    "This field is required.": what to do, naming the field."""
    if isinstance(field, forms.BooleanField):
        return f"Tick “{label}” to go on"
    if isinstance(field, forms.FileField):
        return f"Choose a file for {_lowered(label)}"
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return f"Choose {_lowered(label)}"
    return f"Enter {_lowered(label)}"


def _plain_messages(label: str, field: forms.Field) -> None:
    if str(field.error_messages.get("required")) == _DJANGO_REQUIRED:
        field.error_messages["required"] = required_message(label, field)
    if str(field.error_messages.get("invalid_choice")) in _DJANGO_INVALID_CHOICES:
        field.error_messages["invalid_choice"] = f"Choose {_lowered(label)} from the options given"


def bound_field(name: str, field: forms.Field, *, limit: int = TEXT_LIMIT) -> forms.Field:
    """Add the bounds to one form field, in place, and return it. `limit` is the length
    limit of a text field that has none. Django's default "This field is required." and
    "Select a valid choice" become messages naming the field."""
    label = _label(name, field)
    _plain_messages(label, field)
    if isinstance(field, forms.DateField | forms.DateTimeField):
        field.validators.append(check_date)
    elif isinstance(field, forms.CharField) and not isinstance(field.widget, forms.PasswordInput):
        if field.max_length is None:
            # A hidden field carries text the page was given (a measure's wording), which
            # may be as long as any stored text.
            hidden = isinstance(field.widget, forms.HiddenInput)
            field.max_length = LONG_TEXT_LIMIT if hidden else limit
        field.validators = [
            validator
            for validator in field.validators
            if not isinstance(validator, MaxLengthValidator)
        ]
        limit = field.max_length

        def within_limit(text: str, label=label, limit=limit) -> None:
            if problem := length_problem(text, label, limit):
                raise ValidationError(problem, code="max_length")

        def printable(text: str, label=label) -> None:
            if problem := control_problem(text, label):
                raise ValidationError(problem, code="control_character")

        field.validators += [within_limit, printable]
        # Instance attribute: Field.clean calls self.to_python, so "only invisible
        # characters" is empty before the required check runs.
        field.to_python = _without_blank(field.to_python)
    elif isinstance(field, forms.IntegerField):
        if field.max_value is None:
            field.validators.append(MaxValueValidator(INTEGER_MAX))
        if field.min_value is None:
            field.validators.append(MinValueValidator(INTEGER_MIN))
    return field


def bound_form(form: forms.BaseForm) -> forms.BaseForm:
    """Add the bounds to every field of a form instance, in place, and return it."""
    for name, field in form.fields.items():
        bound_field(name, field)
    return form


class BoundedForm(forms.Form):
    """A form whose fields carry the bounds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_form(self)


def _model_limit(model, name: str) -> int:
    try:
        unbounded_text = isinstance(model._meta.get_field(name), models.TextField)
    except FieldDoesNotExist:
        unbounded_text = False
    return LONG_TEXT_LIMIT if unbounded_text else TEXT_LIMIT


class BoundedModelForm(forms.ModelForm):
    """A model form whose fields carry the bounds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            bound_field(name, field, limit=_model_limit(self._meta.model, name))


class BoundedAdmin:
    """For every ModelAdmin and inline: the fields of the admin's forms carry the bounds."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is None:
            return None
        return bound_field(db_field.name, field, limit=_model_limit(db_field.model, db_field.name))

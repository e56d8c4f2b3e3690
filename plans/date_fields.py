"""The one date input of the product's own pages: three boxes, Day, Month and Year, in
that order, as the GOV.UK Design System asks (a browser's date picker shows mm/dd/yyyy
in an en-US browser and is hard to use on a phone).

`DayMonthYearField` is a `forms.DateField`, so `plans.bounds.bound_field` adds the date
window to it like any other date. Its errors name what is wrong: "… must include a
month", "… must be a real date". It also accepts one ISO date in the field's own name
("2025-03-27"), as scripts and the older form posted it.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

PARTS = ("day", "month", "year")
EXAMPLE = "For example, 27 3 2025."


def _part(size: int) -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "inputmode": "numeric",
            "maxlength": str(size),
            "autocomplete": "off",
            "spellcheck": "false",
            "class": f"date-part date-part-{size}",
        }
    )


class DayMonthYearWidget(forms.MultiWidget):
    """Three text boxes named <name>_day, <name>_month and <name>_year."""

    template_name = "plans/widgets/day_month_year.html"

    def __init__(self, attrs=None):
        super().__init__({"day": _part(2), "month": _part(2), "year": _part(4)}, attrs)

    def decompress(self, value):
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                return [None, None, None]
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def value_from_datadict(self, data, files, name):
        parts = super().value_from_datadict(data, files, name)
        if not any(parts) and data.get(name):
            return data.get(name)
        return parts

    def value_omitted_from_data(self, data, files, name):
        return name not in data and super().value_omitted_from_data(data, files, name)

    def id_for_label(self, id_):
        # The error summary's link goes to the first box (MultiWidget numbers the ids).
        return f"{id_}_0" if id_ else id_


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class DayMonthYearField(forms.DateField):
    """A date typed as day, month and year. `noun` is how the errors name it ("the
    date sampled"); the hint always ends with the example."""

    widget = DayMonthYearWidget

    def __init__(self, *, noun: str, **kwargs):
        help_text = kwargs.pop("help_text", "")
        super().__init__(help_text=f"{help_text} {EXAMPLE}".strip(), **kwargs)
        self.noun = noun
        self.error_messages["required"] = f"Enter {noun}"

    @property
    def _name(self) -> str:
        return self.noun[:1].upper() + self.noun[1:]

    def to_python(self, value):
        if isinstance(value, dt.date):
            return value
        if isinstance(value, list | tuple):
            parts = [str(part or "").strip() for part in value]
            if not any(parts):
                return None
            missing = [name for name, part in zip(PARTS, parts, strict=True) if not part]
            if missing:
                raise ValidationError(f"{self._name} must include a {_listed(missing)}")
            day, month, year = parts
            if not all(part.isascii() and part.isdigit() for part in parts):
                raise ValidationError(f"{self._name} must be a real date")
            if len(year) != 4:
                raise ValidationError(f"{self._name}: the year must have 4 numbers, like 2025")
            try:
                return dt.date(int(year), int(month), int(day))
            except (ValueError, OverflowError):  # 31 2 2025; a day of twenty digits
                raise ValidationError(f"{self._name} must be a real date") from None
        value = str(value or "").strip()
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"{self._name} must be a real date") from None

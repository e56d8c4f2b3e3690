"""The product's way of writing a date in a page, as a template filter.

`{{ value|short_day }}` gives "7 Mar 2024", as `{{ value|date:"j M Y" }}` does, at a
tenth of the cost: Django's `date` filter looks up the active language's formats and
month names at every call, and a table of a hundred rows calls it hundreds of times. The
product is written in British English only. Loaded in every template (`builtins`).
"""

from __future__ import annotations

import datetime as dt

from django import template

from core.dates import short_day as _short_day

register = template.Library()


@register.filter(expects_localtime=True)
def short_day(value: dt.date | dt.datetime | None) -> str:
    """ "7 Mar 2024"; an aware datetime is written as the local day (`expects_localtime`);
    "" for None or "", as the `date` filter gives, so `|default:` can follow."""
    if not isinstance(value, dt.date):
        return ""
    return _short_day(value)

"""The product's filters for writing dates and text in pages, loaded in every template
(`builtins` in the settings).

`{{ value|short_day }}` writes "7 Mar 2024", as `{{ value|date:"j M Y" }}` does, and
`{{ text|clip:140 }}` cuts a text as `{{ text|truncatechars:140 }}` does, each at a
fraction of the cost: Django's `date` looks up the active language's formats and month
names at every call, and `truncatechars` reads every text character by character even
when it is short enough to be left whole. A table of a hundred rows calls them hundreds
of times. The product is written in British English only.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from django import template
from django.template.defaultfilters import stringfilter
from django.utils.text import Truncator

from core.dates import short_day as _short_day

register = template.Library()


@register.filter(expects_localtime=True)
def short_day(value: dt.date | dt.datetime | None) -> str:
    """ "7 Mar 2024"; an aware datetime is written as the local day (`expects_localtime`);
    "" for None or "", as the `date` filter gives, so `|default:` can follow."""
    if not isinstance(value, dt.date):
        return ""
    return _short_day(value)


@register.filter(is_safe=True)
@stringfilter
def clip(value: str, length) -> str:
    """The text cut to `length` characters, ending with "…", exactly as `truncatechars`
    cuts it; a text no longer than that comes back whole (normalised, as there) without
    being counted character by character."""
    try:
        length = int(length)
    except ValueError:
        return value
    text = unicodedata.normalize("NFC", value)
    if length > 0 and len(text) <= length:
        return text
    return Truncator(value).chars(length)

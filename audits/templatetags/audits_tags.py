"""Numbers on the audit pages written as people write them: "90%", "46.3%", "92.5"."""

from django import template

from plans.rules import format_number

register = template.Library()


@register.filter
def number(value) -> str:
    """A target, tolerance or figure without trailing zeros; "" for none."""
    return "" if value is None or value == "" else format_number(value)

"""Template helpers for committee reports."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from core import charts
from plans.templatetags.action_tags import person
from reporting import publishing

register = template.Library()

_CSS = {"blue": "blue", "green": "green", "amber": "amber", "red": "red"}


@register.filter
def rag_css(rag: str | None) -> str:
    """The CSS suffix for a RAG value: "red", ..., "none" when not rated."""
    return _CSS.get(rag or "", "none")


@register.filter
def number(value) -> str:
    """A figure without trailing zeros: 46.30 -> "46.3", 90.00 -> "90"."""
    if value is None:
        return ""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text or "0"


@register.filter
def chart_image(svg: str) -> SafeString | str:
    """A chart's SVG (from core.charts) as an image: see charts.as_image."""
    # as_image escapes the alternative text; the rest is base64.
    return mark_safe(charts.as_image(svg)) if svg else ""  # noqa: S308


# Who set up a report or asked for a render: the same rule as on the plan pages.
register.filter("person", person)


@register.filter
def public_url(report) -> str:
    """A published report's public address (reporting.publishing)."""
    return publishing.public_url(report)

"""Template helpers for committee reports."""

from django import template

from plans.templatetags.action_tags import person

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


# Who set up a report or asked for a render: the same rule as on the plan pages.
register.filter("person", person)

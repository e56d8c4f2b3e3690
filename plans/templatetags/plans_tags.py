"""Template helpers for RAG badges and plan vocabulary."""

from django import template
from django.utils.html import format_html

from plans.models import RAG

register = template.Library()

_CSS = {RAG.BLUE: "blue", RAG.GREEN: "green", RAG.AMBER: "amber", RAG.RED: "red"}


def rag_word(rag: str, plan=None) -> str:
    if plan is not None:
        return plan.rag_label(rag or "")
    return RAG(rag or "").label


@register.simple_tag
def rag_badge(rag: str | None, plan=None, suffix: str = "") -> str:
    """A RAG badge: coloured, and always with its word (the plan's word for Amber)."""
    rag = rag or ""
    css = _CSS.get(rag, "none")
    return format_html('<span class="rag rag-{}">{}{}</span>', css, rag_word(rag, plan), suffix)


@register.filter
def rag_label(rag: str | None, plan=None) -> str:
    return rag_word(rag or "", plan)

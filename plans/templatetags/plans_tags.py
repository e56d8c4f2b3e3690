"""Template helpers for RAG badges and plan vocabulary."""

import functools

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.dates import short_day
from plans.models import EXAMPLE_DATA_NOTE, RAG

register = template.Library()

_CSS = {RAG.BLUE: "blue", RAG.GREEN: "green", RAG.AMBER: "amber", RAG.RED: "red"}


def rag_word(rag: str, plan=None) -> str:
    if plan is not None:
        return plan.rag_label(rag or "")
    return RAG(rag or "").label


def _badge(rag: str, word: str, suffix: str = "") -> SafeString:
    return format_html('<span class="rag rag-{}">{}{}</span>', _CSS.get(rag, "none"), word, suffix)


@register.simple_tag
def rag_badge(rag: str | None, plan=None, suffix: str = "") -> str:
    """A RAG badge: coloured, and always with its word (the plan's word for Amber)."""
    rag = rag or ""
    if suffix:
        return _badge(rag, rag_word(rag, plan), suffix)
    return _cell(rag, "", str(rag_word(rag, plan)))  # built once per RAG and word


@register.simple_tag
def overdue_tag(days: int, as_of) -> SafeString | str:
    """Days overdue with the date they are judged on (`plans.rules.overdue_as_of`),
    written the same way on every page; nothing when the item is not overdue."""
    if not days:
        return ""
    unit = "day" if days == 1 else "days"
    return format_html(
        '<span class="tag tag-overdue">{} {} overdue</span> '
        '<span class="small muted overdue-as-of">as of {}</span>',
        days,
        unit,
        short_day(as_of),
    )


@register.filter
def rag_label(rag: str | None, plan=None) -> str:
    return rag_word(rag or "", plan)


@functools.lru_cache(maxsize=256)
def _cell(rag: str, marker: str, word: str) -> SafeString:
    badge = _badge(rag, word)
    if marker:
        return format_html('{} <span class="tag tag-stale">{}</span>', badge, marker)
    return badge


NO_POSITION = SafeString(
    '<span class="muted">–<span class="visually-hidden"> no position</span></span>'
)


@register.filter
def grid_cell(cell, plan) -> SafeString:
    """A cell of the position grid: the RAG badge (the plan's word for Amber) and, for a
    position carried from an earlier period, its "not updated" marker; a dash with a
    spoken "no position" where there is none. The few distinct cells a grid has are
    built once, since a page of it has hundreds."""
    if cell is None:
        return NO_POSITION
    rag = cell.rag or ""
    return _cell(rag, cell.marker, rag_word(rag, plan))


# Context names under which pages put what they show; each leads to its plan.
_SHOWN = ("plan", "report", "action", "measure", "period", "recommendation", "render")


def _plans_shown(context) -> list:
    plans = []
    for name in _SHOWN:
        item = context.get(name)
        for _ in range(3):  # render -> report -> plan, measure -> action -> plan
            if item is None or hasattr(item, "example_data"):
                break
            item = getattr(item, "plan", None) or getattr(item, "report", None)
        if item is not None and hasattr(item, "example_data"):
            plans.append(item)
    plans += [p for p in context.get("plans") or () if hasattr(p, "example_data")]
    return plans


@register.simple_tag(takes_context=True)
def example_banner(context, within: bool = False) -> SafeString | str:
    """The banner every page showing an example plan carries (`Plan.example_data`);
    `within` for one inside a page's content rather than under the site header."""
    examples = sorted({p.title for p in _plans_shown(context) if p.example_data})
    if not examples:
        return ""
    return format_html(
        '<div class="banner banner-example{}" role="note"><strong>{}.</strong> {}</div>',
        "" if within else " container",
        EXAMPLE_DATA_NOTE,
        f"Plan: {', '.join(examples)}.",
    )


@register.filter
def example_mark(plan) -> SafeString | str:
    """A short marker beside an example plan's name where several plans are listed."""
    if not getattr(plan, "example_data", False):
        return ""
    return format_html(' <span class="example-mark">{}</span>', EXAMPLE_DATA_NOTE)

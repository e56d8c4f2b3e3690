"""Period references that may be out of date in a report's narrative.

A new report starts from the previous one's cover and sections, so its narrative can
still say "at the end of Q2 2024/25" in a Q3 report. Before rendering, the report page
lists every mention of the period before the report's own (its quarter in the forms
councils write it, its months with their year, and its label), naming the section and
the words, for the clerk to check. A mention may be right ("since September 2024"): the
list asks for a look, it does not refuse anything.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from plans.models import ReportingPeriod
from reporting.models import CommitteeReport
from reporting.template import COUNCIL_TEMPLATE

# Around a mention, this many characters of its sentence are shown.
CONTEXT = 60

_MONTHS = (
    ("January", "Jan"),
    ("February", "Feb"),
    ("March", "Mar"),
    ("April", "Apr"),
    ("May", "May"),
    ("June", "Jun"),
    ("July", "Jul"),
    ("August", "Aug"),
    ("September", "Sept?"),
    ("October", "Oct"),
    ("November", "Nov"),
    ("December", "Dec"),
)


@dataclass(frozen=True)
class StaleReference:
    """One mention of an earlier period in a section of the narrative."""

    section: str  # "4. Background", as the report numbers it
    field: str
    text: str  # the words as written
    context: str  # the words around them


def _sections() -> list[tuple[str, str]]:
    """(field, section name) for every text the clerk writes, in report order."""
    named = [("recommendations", "Recommendations")]
    for section in COUNCIL_TEMPLATE:
        for part in section.parts:
            name = f"{section.number}. {section.heading}"
            if part.label != section.heading:
                name += f": {part.label}"
            named.append((part.field, name))
    return named


def _financial_year(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _quarter(day: dt.date) -> int:
    return (day.month - 4) % 12 // 3 + 1


def _year_forms(start_year: int) -> str:
    """2024/25 as councils write it: 2024/25, 2024-25, 2024/2025, 24/25, FY24/25."""
    end = start_year + 1
    forms = [
        f"{start_year}\\s*[/-]\\s*{end % 100:02d}",
        f"{start_year}\\s*[/-]\\s*{end}",
        f"{start_year % 100:02d}\\s*[/-]\\s*{end % 100:02d}",
    ]
    return "(?:FY\\s*)?(?:" + "|".join(forms) + ")"


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def period_pattern(period: ReportingPeriod) -> re.Pattern:
    """The ways a narrative names `period`: its financial quarters ("Q2 2024/25",
    "2024/25 Q2", "quarter 2 of 2024-25"), its months with their year ("September
    2024", "Sept 2024") and its label."""
    alternatives = [re.escape(period.label)] if period.label else []
    quarters = {(_financial_year(m), _quarter(m)) for m in _months(period.start, period.end)}
    for year, number in sorted(quarters):
        quarter = f"(?:Q|quarter\\s*){number}"
        years = _year_forms(year)
        alternatives.append(f"{quarter}\\s*(?:of\\s+|,\\s*)?{years}")
        alternatives.append(f"{years}\\s*,?\\s*{quarter}")
    for month in _months(period.start, period.end):
        full, short = _MONTHS[month.month - 1]
        alternatives.append(f"(?:{full}|{short}\\.?)\\s+{month.year}")
    return re.compile(r"(?<![\w/])(?:" + "|".join(alternatives) + r")(?![\w/])", re.IGNORECASE)


def previous_period(report: CommitteeReport) -> ReportingPeriod | None:
    """The plan's period just before the report's: the one copied narrative was about."""
    return (
        report.plan.periods.filter(end__lt=report.period.start)
        .exclude(state=ReportingPeriod.State.UPCOMING)
        .order_by("-end")
        .first()
    )


def _context(text: str, match: re.Match) -> str:
    start, end = max(0, match.start() - CONTEXT), min(len(text), match.end() + CONTEXT)
    words = " ".join(text[start:end].split())
    return ("…" if start else "") + words + ("…" if end < len(text) else "")


def stale_references(report: CommitteeReport) -> list[StaleReference]:
    """Every mention of the period before the report's own, section by section."""
    previous = previous_period(report)
    if previous is None:
        return []
    pattern = period_pattern(previous)
    found = []
    for field, section in _sections():
        if field in (report.not_applicable or []):
            continue
        text = getattr(report, field) or ""
        for match in pattern.finditer(text):
            found.append(
                StaleReference(
                    section=section,
                    field=field,
                    text=" ".join(match.group().split()),
                    context=_context(text, match),
                )
            )
    return found

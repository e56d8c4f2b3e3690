"""Read the cells of a council improvement plan as councils actually write them.

Plans arrive as Word tables (often exported to HTML) and Excel sheets. Their cells hold
RAG words ("Yellow" in older plans), timescales typed by hand ("Nov -Dec 24", "August 2016
[slipped from June 2016]"), accountability cells that run several posts together ("Service
Director QA Head of Service"), targets inside prose ("Target 100% - tolerance 10%") and
cross-references ("Links to IN10, OR 2").

Everything here is plain Python with no Django import, so the importer, the admin, forms
and tests can share one reading of each kind of cell. The functions never guess silently:
what cannot be read is either a ``ParseError`` with a message a plan administrator can act
on, or (for timescales, which are free text) a result flagged ``needs_review``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from typing import Literal

from core.dates import long_day
from plans.bounds import control_character
from plans.text import clean_cell, one_line, owner_key

__all__ = [
    "AMBER",
    "BLUE",
    "GREEN",
    "NOT_RATED",
    "RAG_VALUES",
    "POST_TITLE_STARTS",
    "RED",
    "ParseError",
    "Timescale",
    "clean_cell",
    "control_character",
    "find_target_tolerance",
    "normalise_ref",
    "owner_key",
    "parse_percent",
    "parse_rag",
    "parse_timescale",
    "rag_colours",
    "ref_sort_key",
    "split_accountability",
    "split_refs",
    "split_responsible",
    "timescale_with_revision",
]


class ParseError(ValueError):
    """A cell that cannot be read; the message names the value and what to write instead."""


# --- RAG --------------------------------------------------------------------------------

BLUE = "blue"
GREEN = "green"
AMBER = "amber"
RED = "red"
NOT_RATED = ""
RAG_VALUES = (BLUE, GREEN, AMBER, RED, NOT_RATED)

# Older plans (the 2015 Ofsted update) call the middle rating Yellow; it means Amber.
_RAG_WORDS = {
    "blue": BLUE,
    "b": BLUE,
    "green": GREEN,
    "g": GREEN,
    "amber": AMBER,
    "a": AMBER,
    "yellow": AMBER,
    "y": AMBER,
    "red": RED,
    "r": RED,
}

# Cell shading as Word and Excel write it. Office's standard "orange" is the usual amber.
_RAG_COLOURS = {
    "blue": BLUE,
    "#0070c0": BLUE,
    "#00b0f0": BLUE,
    "green": GREEN,
    "#00b050": GREEN,
    "#92d050": GREEN,
    "#00ff00": GREEN,
    "#008000": GREEN,
    "yellow": AMBER,
    "#ffff00": AMBER,
    "amber": AMBER,
    "orange": AMBER,
    "#ffc000": AMBER,
    "#ffa500": AMBER,
    "red": RED,
    "#ff0000": RED,
    "#c00000": RED,
}


def parse_rag(value: str | None) -> str:
    """Read a RAG cell: a word or initial in any case, or (failing that) the cell's shading.

    Returns one of ``RAG_VALUES``; blank means not rated. Some Word exports carry the rating
    only as a coloured cell, so a cell with no text but one background colour is read from
    that colour. Anything else is a ``ParseError``: a wrong rating in a report to committee is
    worse than an import that stops and says which cell to fix.
    """
    text = clean_cell(value).strip().rstrip(".").strip()
    if not text:
        colours = list(dict.fromkeys(rag_colours(value if isinstance(value, str) else None)))
        if len(colours) > 1:
            shown = ", ".join(c.title() for c in colours)
            raise ParseError(f"The RAG cell is shaded with several colours ({shown}): pick one.")
        return colours[0] if colours else NOT_RATED
    rag = _RAG_WORDS.get(text.casefold())
    if rag is None:
        raise ParseError(
            f'Unknown RAG "{text}": use Blue, Green, Amber (or Yellow), Red, or leave blank.'
        )
    return rag


def rag_colours(value: str | None) -> list[str]:
    """The RAG values of the background colours in an HTML cell, in document order.

    The 2015 plan's export shows ratings as ``<div style="background-color: green">``
    blocks with no text. Colours that are not a RAG colour are left out.
    """
    if not value or "<" not in value:
        return []
    parser = _ColourParser()
    parser.feed(value)
    parser.close()
    return parser.rags


class _ColourParser(HTMLParser):
    """Collects ``background-color`` / ``background`` / ``bgcolor`` values that name a RAG."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, attr_value in attrs:
            if not attr_value:
                continue
            if name == "bgcolor":
                self._add(attr_value)
            elif name == "style":
                for declaration in attr_value.split(";"):
                    prop, _, colour = declaration.partition(":")
                    if prop.strip().casefold() in {"background-color", "background"}:
                        self._add(colour)

    def _add(self, colour: str) -> None:
        rag = _RAG_COLOURS.get(colour.strip().casefold())
        if rag:
            self.rags.append(rag)


# --- Timescales -------------------------------------------------------------------------


@dataclass(frozen=True)
class Timescale:
    """A timescale cell as written and as dates.

    ``milestones`` holds one due date per date or range in the cell, in the order written,
    so that they can be matched to the measures listed in the same row. ``due`` is the
    latest milestone: the date by which everything in the cell should be done. ``start``
    is given by a range or "From …" ("June 24 – Dec 24", "From Jan 2016"): the first day
    of the first date written, so "Sep 24 Nov 24 - Feb 25" starts on 1 September 2024.
    ``needs_review`` says that a person should check the dates against the text.
    """

    text: str
    start: dt.date | None
    due: dt.date | None
    milestones: tuple[dt.date, ...]
    slipped_from: dt.date | None
    needs_review: bool


_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# Full names, three-letter abbreviations and "Sept". English on purpose, not the locale's.
_MONTHS = {
    name: number for number, full in enumerate(_MONTH_NAMES, start=1) for name in (full, full[:3])
} | {"sept": 9}

# Words that join or qualify dates without changing them: "End of May 2016", "from Jan",
# "Dec 2016 – unchanged". Any other word means the cell says something the dates do not.
_CONNECTORS = frozenset({"from", "to", "until", "till", "by", "end", "of", "and", "the"})
_RANGE_WORDS = frozenset({"to", "until", "till"})
_NEUTRAL_WORDS = frozenset({"unchanged"})
_IGNORED_PUNCTUATION = frozenset(",;.:&()")

_SLIPPED = re.compile(r"\[?\s*\bslipped\s+from\s+(?P<when>[^\[\];,]*?)\s*(?:\]|;|,|$)", re.I)
_NEW_ACTION = re.compile(r"\[\s*new\s+action\s*\]", re.I)
# "Feb 2016 ... New target date end September 2016": the earlier date slipped to the later.
_NEW_TARGET = re.compile(r"\bnew\s+target\s+date\b", re.I)
_DATE_TOKENS = re.compile(
    r"""
    (?P<iso>\d{4}-\d{1,2}-\d{1,2})
    |(?P<numeric>\d{1,2}[./]\d{1,2}[./]\d{2,4})
    |(?P<num>\d+)(?:st|nd|rd|th)?\b
    |(?P<word>[^\W\d_]+)
    |(?P<dash>[-‐‑‒–—―])
    |(?P<other>\S)
    """,
    re.X,
)


@dataclass
class _Partial:
    """A date as written: the year or day may be missing ("Nov" in "Nov -Dec 24")."""

    month: int
    year: int | None = None
    day: int | None = None

    def start(self) -> dt.date | None:
        """The first day it can mean: "June 24" starts on 1 June 2024."""
        if self.year is None:
            return None
        return _safe_date(self.year, self.month, self.day or 1)

    def end(self) -> dt.date | None:
        """The last day it can mean: a month-only due date is the end of that month."""
        if self.year is None:
            return None
        if self.day is not None:
            return _safe_date(self.year, self.month, self.day)
        return _safe_date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def order(self) -> tuple[int, int]:
        return (self.month, self.day or 0)


@dataclass
class _Item:
    """One date, range or open start found in a cell."""

    kind: Literal["single", "range", "from", "open"]
    first: _Partial
    last: _Partial | None = None

    def partials(self) -> list[_Partial]:
        return [self.first] if self.last is None else [self.first, self.last]


@dataclass
class _Token:
    kind: str
    text: str


def parse_timescale(text: object) -> Timescale:
    """Read a timescale cell into start, due and milestone dates. Never raises.

    Rules, each chosen for how council officers write these cells:

    - Day-first numeric dates (UK): "31.03.12" is 31 March 2012. Two-digit years are 20xx.
    - A month without a day means the end of the month for a due date and the first of the
      month for a start: "May 24" is due 31 May 2024; "June 24 – Dec 24" runs from
      1 June 2024 to 31 December 2024.
    - A range's start may leave out the year: "Nov -Dec 24", "January – March 25"; the start
      takes the end's year (the year before if its month comes later: "Nov - Feb 25").
    - A month with no year borrows it from the next date in the cell ("April and May 24"),
      else from the date before it, else from the "[slipped from ...]" date.
    - "Sep 24 - 25": a bare year after a dash means the same month in that year, so Sep 2024
      to 30 Sep 2025. Officers write "24 - 25" for a span of a year, and in the 2024 plan
      the same row reads "review progress ... after 12 months" with "Sep 25". It could also
      mean "to the end of 2024/25" (March 2025), so the reading is flagged for review.
    - Several dates for several measures ("Mar 24 Apr 24 Sep 24 Mar – Dec 25") give one
      milestone each, in the order written (a range gives its end). When such a cell has
      a range, the start is the first date's first day (1 March 2024 here), not the
      range's: the work starts with the first thing due.
    - "From Jan 2016" is a start only; "End May 2016 [new action]" and "Dec 2016 – unchanged"
      are plain due dates; "[slipped from June 2016]" sets ``slipped_from``, and so does the
      earlier date in "Feb 2016 … New target date end September 2016".

    ``needs_review`` is set when words other than connectors remain ("Monthly review",
    "positive progress beforehand"), when a date is impossible ("31.02.12"), when a year
    cannot be found, when a range runs backwards, when a dash is left open ("June 24-"), or
    when the text gives no date at all. Empty text is simply empty.
    """
    shown = one_line(text)
    if not shown:
        return Timescale("", None, None, (), None, needs_review=False)

    moved = _new_target(shown)
    if moved is not None:
        return moved
    working, slip, slip_review = _take_slip(_NEW_ACTION.sub(" ", shown))
    items, scan_review = _scan(_tokenise(working))
    anchor = slip.start() if slip is not None else None
    unresolved = _resolve_years(items, anchor)
    starts, milestones, dates_review = _dates(items)

    start = _start(items, starts)
    due = max(milestones) if milestones else None
    backwards = start is not None and due is not None and start > due
    if backwards:
        start = None
    slipped_from = _slip_date(slip, due)
    review = (
        slip_review
        or scan_review
        or unresolved
        or dates_review
        or backwards
        or not (starts or milestones)
        or (slip is not None and slipped_from is None)
    )
    return Timescale(shown, start, due, tuple(milestones), slipped_from, review)


def _start(items: list[_Item], starts: list[dt.date]) -> dt.date | None:
    """The start of a cell that gives one: the first day of the first date written.

    A cell gives a start with a range or "From …". Where a date comes before the range, as
    in "Sep 24 Nov 24 - Feb 25" (staff in place by September, then dip samples from
    November), the work begins with it, so the start is 1 September 2024, not the start
    of the range; a range that begins earlier still ("Jul 24 Apr – Jun 24") gives its own
    start. A cell of single dates ("May 24 June 24") gives none.
    """
    if not starts:
        return None
    first = next((d for item in items if (d := item.first.start()) is not None), None)
    return min(starts) if first is None else min(first, min(starts))


def _new_target(shown: str) -> Timescale | None:
    """A cell "<date> … New target date <later date>" read as the later date slipped from
    the earlier one, as if it said "[slipped from …]"; None if it is not written so."""
    parts = _NEW_TARGET.split(shown)
    if len(parts) != 2 or _SLIPPED.search(shown):
        return None
    before, after = parse_timescale(parts[0]), parse_timescale(parts[1])
    if before.due is None or after.due is None or before.due >= after.due:
        return None
    return Timescale(
        shown,
        after.start,
        after.due,
        after.milestones,
        before.due,
        needs_review=before.needs_review or after.needs_review,
    )


def _take_slip(text: str) -> tuple[str, _Partial | None, bool]:
    """Take out a "[slipped from June 2016]" note: the rest, the date, and whether to review."""
    slips = list(_SLIPPED.finditer(text))
    if not slips:
        return text, None, False
    slip, review = _parse_single(slips[0].group("when"))
    for match in reversed(slips):
        text = text[: match.start()] + " " + text[match.end() :]
    return text, slip, review or slip is None or len(slips) > 1


def _slip_date(slip: _Partial | None, due: dt.date | None) -> dt.date | None:
    """The slipped-from date; without a year it is the last such month before the due date."""
    if slip is None:
        return None
    if slip.year is None and due is not None:
        slip.year = _year_on_or_before(slip, due.year, due.month)
    return slip.end()


def timescale_with_revision(
    text: str, start: dt.date | None, due: dt.date | None, baseline: dt.date | None
) -> str:
    """The timescale cell for an action whose due date was revised after ``text`` was
    written, in words `parse_timescale` reads back as the same start, due date and
    baseline: ``text`` itself if it still gives the due date.

    The first form that reads back right is used: the issue's own "December 2024 [slipped
    from June 24]" with the original cell in the brackets (when that cell is one date);
    "Jul 24 Oct 24 New target date March 2025" with the original cell kept whole (a
    later date only); else the dates alone, "June 2024 – March 2025 [slipped from
    December 2024]". A flat table holds one revision: intermediate dates and the reasons
    given for each revision are not in the cell (they stay in the app), and the dates
    parsed from the original cell give way to those of the revised one.
    """
    written = parse_timescale(text)
    if due is None or due == written.due:
        return text
    baseline = baseline or due
    new = _date_text(due)
    begin = f"{_date_text(start, first=True)} – " if start else ""
    if baseline == due:  # an undated cell given a date in the app
        candidates = [f"{begin}{new} ({text})" if text else "", f"{begin}{new}"]
    else:
        old = _date_text(baseline)
        candidates = [
            f"{new} [slipped from {text}]",
            f"{text} New target date {new}",
            f"{begin}{new} [slipped from {old}]",
        ]
    for cell in filter(None, candidates):
        read = parse_timescale(cell)
        if (
            (read.start, read.due, read.slipped_from or read.due) == (start, due, baseline)
            and (written.needs_review or not read.needs_review)
            and len(cell) <= 300
        ):
            return cell
    return candidates[-1]


def _date_text(day: dt.date, *, first: bool = False) -> str:
    """ "March 2025" for the month's last day (or its first, for a start), else "15 March
    2025": how an officer writes a date, and how `parse_timescale` reads it back."""
    whole_month = day.day == (1 if first else calendar.monthrange(day.year, day.month)[1])
    return f"{day:%B %Y}" if whole_month else long_day(day)


def _dates(items: list[_Item]) -> tuple[list[dt.date], list[dt.date], bool]:
    """Starts and milestones from the items, and whether any could not be dated."""
    starts: list[dt.date] = []
    milestones: list[dt.date] = []
    review = False
    for item in items:
        first_start = item.first.start()
        if item.kind in {"from", "open"}:
            if first_start is None:
                review = True
            else:
                starts.append(first_start)
            continue
        end = (item.last or item.first).end()
        if end is None:
            review = True
            continue
        milestones.append(end)
        if item.kind == "range":
            if first_start is None or first_start > end:
                review = True
            else:
                starts.append(first_start)
    return starts, milestones, review


def _tokenise(text: str) -> list[_Token]:
    """Split into dates, numbers, words, dashes and other marks, lower-cased."""
    tokens = []
    for match in _DATE_TOKENS.finditer(text.casefold()):
        kind = match.lastgroup or "other"
        value = match.group(kind)
        if kind == "word" and value in _MONTHS:
            kind = "month"
        tokens.append(_Token(kind, value))
    return tokens


def _parse_single(text: str) -> tuple[_Partial | None, bool]:
    """One date ("June 2016", "end March", "Feb 16"), and whether anything else was there."""
    items, review = _scan(_tokenise(text))
    if len(items) != 1 or items[0].kind != "single":
        return None, True
    return items[0].first, review


def _scan(tokens: list[_Token]) -> tuple[list[_Item], bool]:
    """Walk the tokens left to right, collecting dates and ranges; say if anything was left."""
    items: list[_Item] = []
    review = False
    pending_from = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "word" and token.text in _CONNECTORS:
            pending_from = pending_from or token.text == "from"
            i += 1
            continue
        if token.kind == "dash" or (token.kind == "other" and token.text in _IGNORED_PUNCTUATION):
            i += 1
            continue
        if token.kind == "word" and token.text in _NEUTRAL_WORDS:
            i += 1
            continue
        found = _date_at(tokens, i)
        if found is None:
            review = True
            i += 1
            continue
        first, i = found
        if first is None:
            review = True  # written like a date but impossible, e.g. 31.02.12
            continue
        item, i, item_review = _range_after(tokens, i, first, pending_from)
        review = review or item_review
        pending_from = False
        items.append(item)
    return items, review


def _range_after(
    tokens: list[_Token], i: int, first: _Partial, pending_from: bool
) -> tuple[_Item, int, bool]:
    """After a date: a range ("– Dec 24", "to March 2016", "- 25"), an open dash, or nothing."""
    is_joiner = i < len(tokens) and (
        tokens[i].kind == "dash" or (tokens[i].kind == "word" and tokens[i].text in _RANGE_WORDS)
    )
    if not is_joiner:
        return _Item("from" if pending_from else "single", first), i, False
    k = i + 1
    bare_year = _bare_year_after(tokens, k, first)
    if bare_year is not None:
        return _Item("range", first, _Partial(first.month, bare_year)), k + 1, True
    found = _date_at(tokens, k)
    if found is not None:
        last, after = found
        if last is None:
            return _Item("single", first), after, True
        return _Item("range", first, last), after, False
    if k >= len(tokens) and tokens[i].kind == "dash":
        return _Item("open", first), k, True
    return _Item("from" if pending_from else "single", first), i, False


def _bare_year_after(tokens: list[_Token], k: int, first: _Partial) -> int | None:
    """The year in "Sep 24 - 25": a number just after the dash, up to two years on."""
    if first.year is None or first.day is not None or k >= len(tokens):
        return None
    if tokens[k].kind != "num":
        return None
    year = _year_from(tokens[k].text)
    if year is not None and first.year < year <= first.year + 2:
        return year
    return None


def _date_at(tokens: list[_Token], i: int) -> tuple[_Partial | None, int] | None:
    """The date starting at token i and the index after it, or None if no date starts there.

    The partial is None for something written as a date that cannot be one (31.02.12).
    """
    if i >= len(tokens):
        return None
    token = tokens[i]
    if token.kind == "iso":
        year, month, day = (int(part) for part in token.text.split("-"))
        return _checked(_Partial(month, year, day)), i + 1
    if token.kind == "numeric":
        day, month, year_text = re.split(r"[./]", token.text)
        year = _year_from(year_text)
        if year is None:
            return None, i + 1
        return _checked(_Partial(int(month), year, int(day))), i + 1
    if token.kind == "num" and i + 1 < len(tokens) and tokens[i + 1].kind == "month":
        day = int(token.text)
        if not 1 <= day <= 31:
            return None
        partial, after = _month_at(tokens, i + 1)
        partial.day = day
        return _checked(partial), after
    if token.kind == "month":
        return _month_at(tokens, i)
    return None


def _month_at(tokens: list[_Token], i: int) -> tuple[_Partial, int]:
    """A month name and the year after it, if there is one."""
    partial = _Partial(_MONTHS[tokens[i].text])
    if i + 1 < len(tokens) and tokens[i + 1].kind == "num":
        year = _year_from(tokens[i + 1].text)
        if year is not None:
            partial.year = year
            return partial, i + 2
    return partial, i + 1


def _year_from(text: str) -> int | None:
    """A year written with two or four digits; two digits are this century."""
    if len(text) == 2:
        return 2000 + int(text)
    if len(text) == 4 and 1900 <= int(text) <= 2199:
        return int(text)
    return None


def _checked(partial: _Partial) -> _Partial | None:
    """The partial if it can be a real date, else None (31 February, month 13)."""
    if not 1 <= partial.month <= 12:
        return None
    if partial.day is not None:
        year = partial.year if partial.year is not None else 2000  # a leap year
        if _safe_date(year, partial.month, partial.day) is None:
            return None
    return partial


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _resolve_years(items: list[_Item], anchor: dt.date | None) -> bool:
    """Fill in missing years; return True if some could not be found."""
    for item in items:
        _resolve_range(item)
    unresolved = False
    for index, item in enumerate(items):
        for partial in item.partials():
            if partial.year is not None:
                continue
            later = _first_dated(p for other in items[index + 1 :] for p in other.partials())
            earlier = _first_dated(
                p for other in reversed(items[:index]) for p in reversed(other.partials())
            )
            if later is not None:
                partial.year = _year_on_or_before(partial, later.year, later.month)
            elif earlier is not None:
                partial.year = _year_on_or_after(partial, earlier.year, earlier.month)
            elif anchor is not None:
                partial.year = _year_on_or_after(partial, anchor.year, anchor.month)
            else:
                unresolved = True
        _resolve_range(item)
    return unresolved


def _resolve_range(item: _Item) -> None:
    """Within a range, a missing year comes from the other end ("Nov -Dec 24")."""
    last = item.last
    if last is None:
        return
    first = item.first
    if first.year is None and last.year is not None:
        first.year = last.year - (1 if first.order() > last.order() else 0)
    elif last.year is None and first.year is not None:
        last.year = first.year + (1 if last.order() < first.order() else 0)


def _first_dated(partials: Iterable[_Partial]) -> _Partial | None:
    return next((p for p in partials if p.year is not None), None)


def _year_on_or_before(partial: _Partial, year: int, month: int) -> int:
    """The year that puts the partial's month on or before the given one ("April" < "May 24")."""
    return year if partial.month <= month else year - 1


def _year_on_or_after(partial: _Partial, year: int, month: int) -> int:
    """The year that puts the partial's month on or after the given one."""
    return year if partial.month >= month else year + 1


# --- Owners -----------------------------------------------------------------------------

_NO_OWNER = frozenset({"", "na", "n a", "none", "tbc", "tba", "not applicable"})

# Words that begin a post's title in these plans. Accountability cells run posts together
# with no separator ("Service Director QA Head of Service"), so a new post is taken to start
# wherever one of these appears mid-cell. Where two could match at one place the longer wins
# ("Service Directors", "ICB Chief"). Add to this as new plans bring new posts.
POST_TITLE_STARTS: tuple[str, ...] = (
    "Children's Services Leadership Team",
    "Corporate Leadership Team",
    "Admission and Attendance Manager",
    "Assistant Directors",
    "Assistant Director",
    "Service Directors",
    "Service Director",
    "Directors",
    "Director",
    "Heads of",
    "Head of",
    "ICB Chief",
    "NHS Chief",
    "Chief",
    "Transformation Lead",
    "Cabinet",
    "CLT",
    "CSLT",
    "DASS",
    "DCS",
    "IROs",
    "IRO",
)


def _title_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    alternatives = sorted(phrases, key=len, reverse=True)
    body = "|".join(re.escape(p).replace("'", "['’]") for p in alternatives)
    return re.compile(rf"(?<![\w'’-])(?:{body})(?![\w'’])")


_TITLE = _title_pattern(POST_TITLE_STARTS)
_AND = re.compile(r"\s+(?:and|&)\s+|\s*&\s*")
_SEPARATORS = re.compile(r"[;/,\n]")
_WRAP_END = re.compile(r"(?:\b(?:and|of|for|the|to|in)|[&–—-])\s*$")
_LAST_AND_SEGMENT = re.compile(r".*(?:\band\b|&)\s*(?P<tail>.*?)\s*$")
_EDGE_JUNK_START = re.compile(r"^(?:and\b|[&\s,.:;–—-])+")
_EDGE_JUNK_END = re.compile(r"(?:\s+(?:and|&)|[\s,.:;–—-])+$")
# A person named after a lower-case qualifier: "Alison Bennett for audit Bev Paris".
_NEXT_PERSON = re.compile(r"(?<=[a-z]) (?=[A-Z][a-z]+(?:[-'’][A-Za-z]+)? [A-Z][a-z]+\b)")
_NOT_QUALIFIERS = frozenset({"and", "or", "of", "the", "in", "for", "to", "with", "by", "at"})


def split_accountability(text: object) -> list[str]:
    """The separate posts (or people) named in an Accountability or Lead cell, as written.

    The approach, in order:

    1. Rejoin lines that Word or PDF wrapped mid-name (a line ending in "and", "of" or a
       dash, a line starting lower-case, or "Service Director and Fostering" / "Head of
       Service" where a one-word qualifier dangles after "and").
    2. Split on explicit separators: newlines, ";", "/", ",".
    3. Split on "and" / "&" when the text before it is not a post title (so it lists
       people: "Alison Bennett & Claire Gregory") or the text after it holds a post title
       ("Head of Children's Commissioning and Head of Housing"); otherwise "and" belongs to
       the title ("Service Director HR & Transformation", "Heads of Service MASH and CwD").
    4. Within a part that begins with a post title, start a new post wherever another title
       begins (``POST_TITLE_STARTS``), except inside brackets: "Cabinet Corporate
       Leadership Team (CLT)" is two posts, not three. In a part naming people, a capitalised
       name after a lower-case qualifier starts the next person.
    5. Drop trailing full stops and dangling connectors, and duplicates by ``owner_key``.

    Qualifiers stay ("Jenny Goodes – practice"): a dash is as often part of a post's name
    ("Service Director – Practice") and the parser cannot tell which.
    """
    cleaned = clean_cell(text)
    if owner_key(cleaned) in _NO_OWNER:
        return []
    posts: list[str] = []
    seen: set[str] = set()
    for line in _join_wrapped_lines(cleaned.split("\n")):
        for chunk in _split_outside_brackets(line, _SEPARATORS):
            for part in _split_on_and(chunk):
                for post in _split_before_titles(part):
                    post = _tidy_post(post)
                    key = owner_key(post)
                    if key and key not in _NO_OWNER and key not in seen:
                        seen.add(key)
                        posts.append(post)
    return posts


def _join_wrapped_lines(lines: list[str]) -> list[str]:
    joined: list[str] = []
    for line in (raw.strip() for raw in lines):
        if not line:
            continue
        if joined and _is_wrap(joined[-1], line):
            joined[-1] = f"{joined[-1]} {line}"
        else:
            joined.append(line)
    return joined


def _is_wrap(previous: str, line: str) -> bool:
    if _WRAP_END.search(previous) or line[0].islower():
        return True
    dangling = _LAST_AND_SEGMENT.search(previous)
    return bool(
        dangling
        and len(dangling["tail"].split()) == 1
        and not _TITLE.match(dangling["tail"])
        and _TITLE.match(line)
    )


def _bracket_depths(text: str) -> list[int]:
    """For each character, how many brackets it sits inside."""
    depths, depth = [], 0
    for char in text:
        if char in "([":
            depth += 1
        depths.append(depth)
        if char in ")]":
            depth = max(0, depth - 1)
    return depths


def _split_outside_brackets(text: str, separator: re.Pattern[str]) -> list[str]:
    depths = _bracket_depths(text)
    parts, begin = [], 0
    for match in separator.finditer(text):
        if depths[match.start()] == 0:
            parts.append(text[begin : match.start()])
            begin = match.end()
    parts.append(text[begin:])
    return parts


def _title_spans(text: str) -> list[tuple[int, int]]:
    depths = _bracket_depths(text)
    return [m.span() for m in _TITLE.finditer(text) if depths[m.start()] == 0]


def _split_on_and(chunk: str) -> list[str]:
    """Split a chunk at "and"/"&" where it joins two posts or two people (step 3)."""
    titles = _title_spans(chunk)
    depths = _bracket_depths(chunk)
    joins = [
        m
        for m in _AND.finditer(chunk)
        if depths[m.start()] == 0 and not any(start <= m.start() < end for start, end in titles)
    ]
    parts: list[str] = []
    current_start = 0
    for index, join in enumerate(joins):
        left = chunk[current_start : join.start()].strip()
        right_end = joins[index + 1].start() if index + 1 < len(joins) else len(chunk)
        right = chunk[join.end() : right_end]
        if not left:
            continue
        if not _TITLE.match(left) or _TITLE.search(right):
            parts.append(left)
            current_start = join.end()
    parts.append(chunk[current_start:])
    return parts


def _split_before_titles(part: str) -> list[str]:
    """Split where a new post title begins mid-part (step 4)."""
    part = part.strip()
    if not part:
        return []
    if not _TITLE.match(part):
        return _split_people(part)
    cuts = [start for start, _ in _title_spans(part) if start > 0]
    bounds = [0, *cuts, len(part)]
    return [part[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if part[a:b].strip()]


def _split_people(part: str) -> list[str]:
    """Split "Alison Bennett for audit Bev Paris for practice" into its two people."""
    cuts = [m.start() for m in _NEXT_PERSON.finditer(part) if _is_qualifier(part[: m.start()])]
    bounds = [0, *cuts, len(part)]
    return [part[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _is_qualifier(before: str) -> bool:
    """Whether the text ends in a lower-case qualifier word such as "audit" or "practice"."""
    word = before.split()[-1]
    return word.isalpha() and word.islower() and len(word) > 1 and word not in _NOT_QUALIFIERS


def _tidy_post(post: str) -> str:
    post = _EDGE_JUNK_START.sub("", post.strip())
    return _EDGE_JUNK_END.sub("", post).strip()


# --- Percentages, targets and tolerances ------------------------------------------------

_PERCENT = re.compile(r"^(?P<number>\d+(?:\.\d+)?|\.\d+)\s*%?$")
_NUMBER = r"(?<![\d.])(?P<{name}>\d+(?:\.\d+)?)\s*%"
_TARGET = re.compile(
    r"\btarget\b\s*(?:of|is|:|=|-|–)?\s*(?:at\s+least|of|minimum|min\.?)?\s*"
    + _NUMBER.format(name="target"),
    re.I,
)
_TOLERANCE_AFTER = re.compile(
    r"\btolerance\b\s*(?:of|is|:|=|-|–)?\s*(?:\+/-|±)?\s*" + _NUMBER.format(name="tolerance"),
    re.I,
)
_TOLERANCE_BEFORE = re.compile(_NUMBER.format(name="tolerance") + r"\s+tolerance\b", re.I)


def parse_percent(text: object) -> Decimal | None:
    """A percentage cell ("90", "90%", "91.6 %") as a number from 0 to 100; blank is None.

    Anything else is a ``ParseError``: a target or result that silently became nothing
    would turn a measure's RAG green or red for no reason.
    """
    cleaned = one_line(text)
    if not cleaned:
        return None
    match = _PERCENT.match(cleaned)
    if match is None:
        raise ParseError(f'"{cleaned}" is not a percentage: write a number such as 90 or 90%.')
    value = Decimal(match["number"])
    if value > 100:
        raise ParseError(f'"{cleaned}" is more than 100%.')
    return value


def find_target_tolerance(text: object) -> tuple[Decimal | None, Decimal | None]:
    """The target and tolerance percentages written in a measure ("Target 90%.").

    Handles "Target 100% - tolerance 10%", "target of 95% with 5% tolerance" and
    "Case Audit Target: at least 85%". The first of each is taken.
    """
    cleaned = one_line(text)
    target = _TARGET.search(cleaned)
    tolerance = _TOLERANCE_AFTER.search(cleaned) or _TOLERANCE_BEFORE.search(cleaned)
    return (
        Decimal(target["target"]) if target else None,
        Decimal(tolerance["tolerance"]) if tolerance else None,
    )


# --- References -------------------------------------------------------------------------

_REF_LEAD_IN = re.compile(r"^\s*(?:(?:links?|linked)\s+(?:to|with)|see(?:\s+also)?|also)\b:?", re.I)
_REF_SEPARATORS = re.compile(r"[;,/&\n]|\s+and\s+", re.I)
_REF_PARTS = re.compile(r"[0-9]+|[^\W\d_]+")


_SPACED_SUFFIX = re.compile(r"(?<=\d) (?=[^\W\d_]$)")


def normalise_ref(text: object) -> str:
    """A reference, tidied: outer space and a trailing full stop go, runs of spaces become
    one, and a space before a one-letter suffix goes: "8.3 a" is "8.3a".

    The 2024 plan prints "8.3 a" once beside "8.3b", "1.1a" and every other sub-ref
    written without a space; the space is a typing slip, not a different kind of ref, and
    keeping it made 8.3a the one ref that had to be typed with a space to be found. A
    space between letters and a number ("OR 2", an area's cross-reference) is kept.
    """
    tidied = " ".join(one_line(text).split()).rstrip(".").strip()
    return _SPACED_SUFFIX.sub("", tidied)


def split_refs(text: object) -> list[str]:
    """The references in a cross-reference cell: "Links to IN10, OR 2" -> ["IN10", "OR 2"]."""
    cleaned = _REF_LEAD_IN.sub("", clean_cell(text))
    refs: list[str] = []
    for part in _REF_SEPARATORS.split(cleaned):
        ref = normalise_ref(part)
        if ref and ref not in refs:
            refs.append(ref)
    return refs


def ref_sort_key(ref: object) -> tuple[tuple[tuple[int, int, str], ...], str]:
    """Sort references as a reader expects: 1.2 < 1.10 < 2.1, 1.1 < 1.1a < 1.1b < 1.2,
    8.3 < 8.3a < 8.3b < 8.4, and 2.1.3 after 2.1.

    Numbers compare as numbers and come before letters at the same place; dots and spaces
    only separate parts. The tidied text breaks ties, so the order is total.
    """
    text = normalise_ref(ref).casefold()
    parts = tuple(
        (0, int(part), "") if part.isascii() and part.isdigit() else (1, 0, part)
        for part in _REF_PARTS.findall(text)
    )
    return parts, text


# --- Person responsible & to be completed by --------------------------------------------

_MONTH_WORD = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DUE_PHRASE = re.compile(
    rf"""(?P<sep>\s*[–—-]\s*|\s*:\s*|\s+)
    (?P<due>
        (?:(?:audit\s+)?to\s+be\s+completed\s+)?
        (?:(?:by|before|from)\s+)?(?:the\s+)?(?:(?:end|beginning)\s+(?:of\s+)?)?
        {_MONTH_WORD}(?:\s*/\s*(?:(?:end|beginning)\s+(?:of\s+)?)?{_MONTH_WORD})?
        (?:\s+\d{{4}})?(?:\s+for\s+delivery\s+in\s+\S+)?
      | on-?going
      | (?:progress\s+to\s+be\s+evident\s+)?
        by\s+(?:the\s+)?time\s+of\s+(?:the\s+)?next\s+\w+(?:\s+\w+){{0,3}}
    )\s*[.;]?\s*$""",
    re.I | re.X,
)


def split_responsible(text: object, *, year: int | None = None) -> tuple[str, str, dt.date | None]:
    """A "Person responsible & to be completed by" cell as (who, when as written, the
    date it gives): "Alison Bennett – by end of August 2016" is ("Alison Bennett", "by end
    of August 2016", 31 August 2016).

    The date is the phrase that ends the cell ("by September 2016", "End July 2016",
    "On-going", "by time of next action plan update"); the rest is who. A month with no
    year takes ``year`` (the year of the update the cell comes from). Where the phrase gives
    several dates ("by end July/beginning August for delivery in September/October") the
    first is the one it is to be completed by. A cell with no such phrase is all who, and
    "On-going" or "from October 2016" is kept as written with no date.
    """
    cleaned = clean_cell(text).strip()
    match = _DUE_PHRASE.search(cleaned)
    if match is None or not match.start():
        return cleaned, "", None
    who = cleaned[: match.start()].rstrip(" –—-:")
    due = match["due"].strip()
    timescale = parse_timescale(due)
    if not timescale.milestones and year is not None and not re.search(r"\d{4}", due):
        timescale = parse_timescale(f"{due} {year}")
    day = timescale.milestones[0] if timescale.milestones else None
    return who, due, day

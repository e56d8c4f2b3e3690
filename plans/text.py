"""Text as people typed it into a table cell, with no database: a cell's text without
markup (`clean_cell`), and the key that matches one post however it was typed
(`owner_key`). The models key owners by it and the import reads cells with it
(`plans.io.parsing`), so it sits below both.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from html.parser import HTMLParser

# --- Cell text --------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "table",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "dl",
        "dt",
        "dd",
        "section",
        "header",
        "footer",
        "pre",
    }
)
_CELL_TAGS = frozenset({"td", "th"})
_INLINE_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "big",
        "code",
        "em",
        "font",
        "i",
        "ins",
        "del",
        "mark",
        "o:p",
        "s",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "u",
        "tbody",
        "thead",
        "tfoot",
        "colgroup",
        "col",
        "caption",
        "img",
        "html",
        "head",
        "body",
        "meta",
        "link",
        "title",
    }
)
_SKIP_TAGS = frozenset({"script", "style"})
_KNOWN_TAGS = _BLOCK_TAGS | _CELL_TAGS | _INLINE_TAGS | _SKIP_TAGS | {"br", "hr"}

_BULLETS = "•◦▪▫●○■□·‣⁃∙"
_SPACES = re.compile(r"[^\S\n]+")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\ufeff\u00ad]")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def clean_cell(value: object) -> str:
    """The text of a cell, without markup, keeping its line breaks.

    Word-exported HTML puts each paragraph and list item on its own line; plain text keeps
    the newlines it has. Only known HTML tags count as markup, so text such as
    "score < 5" or "a<b" survives. Script and style elements are dropped with their content.
    Values from openpyxl are turned into the text a reader would expect: 90.0 is "90",
    a date is ISO "2024-03-31".
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        return _format_scalar(value)
    parser = _CellTextParser()
    parser.feed(value)
    parser.close()
    return _tidy_lines(parser.text())


def _format_scalar(value: object) -> str:
    """Text for a non-string spreadsheet value."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes" if not value.second else "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    return clean_cell(str(value))


class _CellTextParser(HTMLParser):
    """Turns cell HTML into lines of text; unknown tags are kept as the text they were."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[tuple[bool, str]] = []  # (is a line break from markup, text)
        self._skipping = 0
        self._line_has_text = False
        self.saw_markup = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _KNOWN_TAGS:
            self._data(self.get_starttag_text() or "")
            return
        self.saw_markup = True
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in {"br", "hr"}:
            self._break()
        elif tag in _BLOCK_TAGS:
            self._soft_break()
        elif tag in _CELL_TAGS:
            self._parts.append((False, " "))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _SKIP_TAGS:
            self._skipping -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag not in _KNOWN_TAGS:
            self._data(f"</{tag}>")
            return
        self.saw_markup = True
        if tag in _SKIP_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self._soft_break()
        elif tag in _CELL_TAGS:
            self._parts.append((False, " "))

    def handle_data(self, data: str) -> None:
        self._data(data)

    def _data(self, data: str) -> None:
        if self._skipping:
            return
        self._parts.append((False, data))
        if data.strip():
            self._line_has_text = True

    def _break(self) -> None:
        self._parts.append((True, "\n"))
        self._line_has_text = False

    def _soft_break(self) -> None:
        """End the line unless it is empty, so nested blocks (<ul><li><p>) give one break."""
        if self._line_has_text:
            self._break()

    def text(self) -> str:
        """The text collected; in HTML a newline in the source is only a space."""
        if not self.saw_markup:
            return "".join(text for _, text in self._parts)
        return "".join(
            text if is_break else text.replace("\r", " ").replace("\n", " ")
            for is_break, text in self._parts
        )


def _tidy_lines(text: str) -> str:
    """One space between words, no bullet glyphs, no blank lines at the ends."""
    text = _ZERO_WIDTH.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = []
    for line in text.split("\n"):
        line = _SPACES.sub(" ", line).strip()
        line = line.lstrip(_BULLETS).strip()
        lines.append(line)
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip("\n")


def one_line(value: object) -> str:
    """A cell's text on one line: for reading prose that Word wrapped."""
    return " ".join(clean_cell(value).split())


# --- Owners -----------------------------------------------------------------------------

_APOSTROPHES = re.compile(r"['’‘`´]")
_NOT_WORD = re.compile(r"[\W_]+")


def owner_key(text: object) -> str:
    """A key for matching one post however it was typed.

    Case, apostrophes and punctuation are ignored and dashes count as spaces, so
    "Service Director – Practice", "service director - practice" and
    "Service Director-Practice" match; "&" counts as "and" ("HR & Transformation").
    """
    key = unicodedata.normalize("NFKC", clean_cell(text)).casefold()
    key = key.replace("&", " and ")
    key = _APOSTROPHES.sub("", key)
    key = _NOT_WORD.sub(" ", key)
    return " ".join(key.split())

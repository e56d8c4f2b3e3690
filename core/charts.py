"""Server-rendered, accessible SVG charts for dashboards and committee reports.

WeasyPrint runs no JavaScript, so the same markup goes inline into web pages and through
WeasyPrint into PDFs: all geometry is computed here. Each function returns SVG as a
``str`` in which every piece of caller text is XML-escaped, so templates may mark it safe.

Every chart has ``role="img"`` and ``aria-labelledby`` pointing at its ``<title>`` and a
``<desc>`` that states the data in words; numbers and words are drawn as text so that
colour never carries meaning alone. The output depends only on the arguments, so equal
input gives byte-identical markup (element ids are derived from the content unless a
``chart_id`` is given).
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from types import MappingProxyType

FONT_FAMILY = "DejaVu Sans"
TEXT_COLOUR = "#0b0c0c"
SECONDARY_TEXT_COLOUR = "#505a5f"
RULE_COLOUR = "#b1b4b6"
LINE_COLOUR = "#1d70b8"
TOLERANCE_FILL = "#fde0d0"


@dataclass(frozen=True)
class RagStyle:
    """How one rating is drawn: its fill, the text colour on it, and its default name."""

    fill: str
    text: str
    label: str


# GOV.UK palette. Text colours are chosen for a WCAG contrast of at least 4.5:1 on the
# fill (white on blue 5.2, green 6.2, red 4.9; near-black on amber 7.0, grey 9.4).
RAG_STYLES: Mapping[str, RagStyle] = MappingProxyType(
    {
        "blue": RagStyle(fill="#1d70b8", text="#ffffff", label="Blue"),
        "green": RagStyle(fill="#00703c", text="#ffffff", label="Green"),
        "amber": RagStyle(fill="#f47738", text=TEXT_COLOUR, label="Amber"),
        "red": RagStyle(fill="#d4351c", text="#ffffff", label="Red"),
        "": RagStyle(fill="#b1b4b6", text=TEXT_COLOUR, label="Not rated"),
    }
)
RAG_ORDER: tuple[str, ...] = tuple(RAG_STYLES)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Advance widths of DejaVu Sans Book for " " to "~", in 1/2048 em (read from the font
# file with fontTools). Text is measured to decide what fits, without a font library.
_ASCII_WIDTHS = (
    651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690, 690, 1716, 1716, 1716,
    1087, 2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604, 604, 1343, 1141, 1767,
    1532, 1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799, 690,
    799, 1716, 1024, 1024, 1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186,
    569, 1995, 1298, 1253, 1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075,
    1303, 690, 1303, 1716,
)  # fmt: skip
_WIDTHS = {chr(code): width for code, width in enumerate(_ASCII_WIDTHS, start=32)}
_OTHER_WIDTH = 1300  # a typical accented letter; an estimate for anything non-ASCII
_ELLIPSIS = "\u2026"
_ELLIPSIS_WIDTH = 2048
_BOLD_FACTOR = 1.1  # DejaVu Sans Bold is about 10% wider than Book

# Characters XML 1.0 forbids; user text containing them would make the SVG unparsable.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_SVG_NS = "http://www.w3.org/2000/svg"


# Helpers ----------------------------------------------------------------------------


def _text(value: object) -> str:
    """Caller text, made safe for XML text and attribute values."""
    return escape(_XML_FORBIDDEN.sub("", str(value)), quote=True)


def _n(value: float) -> str:
    """A coordinate or value as an integer or with one decimal: "12", "12.5"."""
    tenths = round(value * 10)
    if tenths % 10:
        return f"{tenths / 10:.1f}"
    return str(tenths // 10)


def _text_width(text: str, size: float, *, bold: bool = False) -> float:
    units = sum(_WIDTHS.get(char, _OTHER_WIDTH) for char in text)
    return units * size / 2048 * (_BOLD_FACTOR if bold else 1)


def _truncate(text: str, max_width: float, size: float) -> str:
    """``text`` if it fits in ``max_width``, otherwise cut and ended with an ellipsis."""
    if _text_width(text, size) <= max_width:
        return text
    limit = max_width - _ELLIPSIS_WIDTH * size / 2048
    used = 0.0
    for index, char in enumerate(text):
        used += _text_width(char, size)
        if used > limit:
            return text[:index].rstrip() + _ELLIPSIS
    return text  # pragma: no cover - the whole text fitted after all


def _wrap(text: str, max_width: float, size: float, *, max_lines: int = 8) -> list[str]:
    """``text`` in lines of whole words that fit ``max_width``: a long title is read in
    full, not cut to "…to ensu…". Only past ``max_lines`` is the last line cut, and a
    single word wider than a line is cut to fit it."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if _text_width(candidate, size) <= max_width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = _truncate(word, max_width, size)
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        rest = " ".join(lines[max_lines - 1 :])
        lines = [*lines[: max_lines - 1], _truncate(rest, max_width, size)]
    return lines or [""]


def _nice_step(raw: float, *, whole: bool = False) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) of at least ``raw``.

    With ``whole``, for counts: a whole number, never 2.5.
    """
    if raw <= 0 or (whole and raw <= 1):
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if raw <= step * (1 + 1e-9) and not (whole and step % 1):
            return step
    return 10 * power  # pragma: no cover - unreachable, factor 10 always matches


def _ticks(low: float, high: float, step: float) -> list[float]:
    count = math.floor((high - low) / step + 1e-9)
    return [low + step * index for index in range(count + 1)]


def _month_label(day: date) -> str:
    """UK month and year, "Jan 25", independent of the process locale."""
    return f"{MONTHS[day.month - 1]} {day.year % 100:02d}"


def _finite(value: float, what: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return number


def _rag_names(labels: Mapping[str, str] | None) -> dict[str, str]:
    labels = labels or {}
    return {key: str(labels.get(key, style.label)) for key, style in RAG_STYLES.items()}


def _rag_counts(counts: Mapping[str, int]) -> dict[str, int]:
    unknown = set(counts) - set(RAG_ORDER)
    if unknown:
        raise ValueError(f"Unknown RAG keys {sorted(map(repr, unknown))}; use {RAG_ORDER}")
    result = {key: int(counts.get(key, 0)) for key in RAG_ORDER}
    if any(count < 0 for count in result.values()):
        raise ValueError(f"RAG counts cannot be negative: {dict(counts)}")
    return result


def _rag_words(counts: Mapping[str, int], names: Mapping[str, str]) -> str:
    """Counts in words: "2 Blue, 5 Green, 1 Amber, 0 Red, 3 Not rated"."""
    return ", ".join(f"{counts[key]} {names[key]}" for key in RAG_ORDER)


def _rag_sentence(label: str, counts: Mapping[str, int], names: Mapping[str, str]) -> str:
    total = sum(counts.values())
    if not total:
        return f"{label}: no ratings."
    return f"{label}: {_rag_words(counts, names)} ({total} in total)."


def _rag_legend(names: Mapping[str, str], y: float, width: float) -> tuple[str, float]:
    """The legend's markup, wrapped to ``width``, starting at ``y``; and its height."""
    items = []
    x, line_y = 0.0, y
    for key in RAG_ORDER:
        item_width = 16 + _text_width(names[key], 12) + 16
        if x and x + item_width > width:
            x, line_y = 0.0, line_y + 20
        items.append(
            f'<rect x="{_n(x)}" y="{_n(line_y)}" width="12" height="12" '
            f'fill="{RAG_STYLES[key].fill}"/>'
            f'<text x="{_n(x + 16)}" y="{_n(line_y + 10.5)}">{_text(names[key])}</text>'
        )
        x += item_width
    return f'<g class="legend">{"".join(items)}</g>', line_y + 12 - y


def _edges(start: float, length: float, counts: Iterable[int], total: int) -> list[float]:
    """Boundaries of stacked segments, rounded once so that the segments tile exactly."""
    edges, running = [round(start, 1)], 0
    for count in counts:
        running += count
        edges.append(round(start + length * running / total, 1))
    return edges


def _svg(
    kind: str,
    width: float,
    height: float,
    title: str,
    desc: str,
    body: str,
    chart_id: str | None,
) -> str:
    if chart_id is None:
        digest = hashlib.blake2s(f"{title}\0{desc}\0{body}".encode(), digest_size=5)
        chart_id = f"chart-{kind}-{digest.hexdigest()}"
    elif not _ID.fullmatch(chart_id):
        raise ValueError(f"chart_id must be a simple identifier, got {chart_id!r}")
    return (
        f'<svg xmlns="{_SVG_NS}" class="chart chart-{kind}" '
        f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="{FONT_FAMILY}" font-size="12" fill="{TEXT_COLOUR}">'
        f'<title id="{chart_id}-title">{_text(title)}</title>'
        f'<desc id="{chart_id}-desc">{_text(desc)}</desc>'
        f"{body}</svg>"
    )


def _message(
    kind: str, title: str, message: str, width: float, height: float, chart_id: str | None
) -> str:
    body = (
        f'<text x="{_n(width / 2)}" y="{_n(height / 2 + 4)}" text-anchor="middle" '
        f'fill="{SECONDARY_TEXT_COLOUR}">{_text(message)}</text>'
    )
    return _svg(kind, width, height, title, f"{message}.", body, chart_id)


def as_image(svg: str) -> str:
    """A chart from this module as an ``<img>``: its markup as a ``data:`` URL and its
    title and description as the alternative text (so a PDF's figure tag carries the
    figures in words, where inline SVG gives it the title only).

    WeasyPrint parses, styles and tags every element of inline SVG as part of the HTML,
    and an image's SVG with a fast XML parser instead: for a report of a hundred charts
    that is a third less work. A page that scripts or styles the chart keeps it inline.
    """
    root = ET.fromstring(svg)  # noqa: S314 - markup this module wrote, not outside input
    words = (root.findtext(f"{{{_SVG_NS}}}{tag}") for tag in ("title", "desc"))
    alt = " ".join(word.strip() for word in words if word and word.strip())
    data = base64.b64encode(svg.encode()).decode("ascii")
    return (
        f'<img class="chart-image" alt="{_text(alt)}" width="{root.get("width")}" '
        f'height="{root.get("height")}" src="data:image/svg+xml;base64,{data}">'
    )


# Charts -----------------------------------------------------------------------------


def rag_stacked_bars(
    rows: Sequence[tuple[str, Mapping[str, int]]],
    *,
    title: str,
    labels: Mapping[str, str] | None = None,
    width: int = 640,
    chart_id: str | None = None,
) -> str:
    """One horizontal 100% bar per row, split by rating, with counts, totals and a legend.

    ``rows`` are ``(label, counts)`` with counts keyed by ``RAG_ORDER`` ("" is not rated);
    ``labels`` renames ratings (e.g. ``{"amber": "Yellow"}``). A count too narrow to be
    written inside its segment is written in a line of words under the bar instead.
    """
    # Long because: an SVG chart drawn step by step (scale, bars, segments, labels, legend) in
    # drawing order over shared coordinates.
    width = int(width)  # whole pixels keep every derived coordinate short
    names = _rag_names(labels)
    safe_names = {key: _text(name) for key, name in names.items()}
    if not rows:
        return _message("rag-bars", title, "No data", width, 48, chart_id)

    label_width = round(width * 0.3)
    bar_x, bar_end = label_width + 8, width - 48
    bar_width, bar_height = bar_end - bar_x, 20
    parts = [
        f'<text x="{_n(width)}" y="12" text-anchor="end" font-size="11" '
        f'fill="{SECONDARY_TEXT_COLOUR}">Total</text>'
    ]
    sentences = []
    y = 20  # rows are laid out on whole pixels
    for row_label, raw_counts in rows:
        row_label = str(row_label)
        counts = _rag_counts(raw_counts)
        total = sum(counts.values())
        sentences.append(_rag_sentence(row_label, counts, names))
        lines = _wrap(row_label, label_width - 4, 12)
        shown = (
            _text(lines[0])
            if len(lines) == 1
            else "".join(
                f'<tspan x="0" dy="{0 if index == 0 else 14}">{_text(line)}</tspan>'
                for index, line in enumerate(lines)
            )
        )
        label_bottom = y + 14 * len(lines) + 6
        row = [
            f"<title>{_text(row_label)}</title>",
            f'<text x="0" y="{y + 14}">{shown}</text>',
            f'<text x="{_n(width)}" y="{y + 14}" text-anchor="end" font-weight="bold">'
            f"{total}</text>",
        ]
        crowded = False
        if total:
            edges = _edges(bar_x, bar_width, counts.values(), total)
            for index, key in enumerate(RAG_ORDER):
                count = counts[key]
                if not count:
                    continue
                style = RAG_STYLES[key]
                left, right = edges[index], edges[index + 1]
                percent = round(100 * count / total)
                row.append(
                    f'<rect class="segment segment-{key or "not-rated"}" x="{_n(left)}" '
                    f'y="{y}" width="{_n(right - left)}" height="{bar_height}" '
                    f'fill="{style.fill}"><title>{safe_names[key]}: {count} of {total} '
                    f"({percent}%)</title></rect>"
                )
                if right - left >= _text_width(str(count), 12, bold=True) + 6:
                    row.append(
                        f'<text x="{_n((left + right) / 2)}" y="{y + 14}" '
                        f'text-anchor="middle" font-weight="bold" fill="{style.text}">'
                        f"{count}</text>"
                    )
                else:
                    crowded = True
        else:
            row.append(
                f'<rect x="{bar_x}" y="{y}" width="{bar_width}" height="{bar_height}" '
                f'fill="#ffffff" stroke="{RULE_COLOUR}"/>'
                f'<text x="{bar_x + 6}" y="{y + 14}" fill="{SECONDARY_TEXT_COLOUR}">'
                "No ratings</text>"
            )
        y += bar_height
        if crowded:
            words = _truncate(_rag_words(counts, names), bar_width, 10)
            row.append(
                f'<text x="{bar_x}" y="{y + 12}" font-size="10" '
                f'fill="{SECONDARY_TEXT_COLOUR}">{_text(words)}</text>'
            )
            y += 14
        y = max(y, label_bottom) + 10
        parts.append(f'<g class="row">{"".join(row)}</g>')

    legend, legend_height = _rag_legend(names, y + 4, width)
    parts.append(legend)
    height = math.ceil(y + 4 + legend_height + 4)
    return _svg("rag-bars", width, height, title, " ".join(sentences), "".join(parts), chart_id)


def rag_trend(
    periods: Sequence[tuple[str, Mapping[str, int]]],
    *,
    title: str,
    labels: Mapping[str, str] | None = None,
    width: int = 640,
    chart_id: str | None = None,
) -> str:
    """Vertical stacked bars of rating counts per period, with totals on top and a legend.

    ``periods`` are ``(period label, counts)`` in display order, counts keyed like
    ``rag_stacked_bars``.
    """
    # Long because: an SVG chart drawn step by step (scale, ticks, a stacked bar per period,
    # legend) in drawing order over shared coordinates.
    width = int(width)
    names = _rag_names(labels)
    safe_names = {key: _text(name) for key, name in names.items()}
    if not periods:
        return _message("rag-trend", title, "No data", width, 48, chart_id)

    data = [(str(label), _rag_counts(counts)) for label, counts in periods]
    highest = max(sum(counts.values()) for _, counts in data)
    step = _nice_step(highest / 4, whole=True)
    top_value = max(step, math.ceil(highest / step) * step)

    left, right, top, plot_height = 36, width - 8, 24, 160
    base = top + plot_height
    plot_width = right - left
    parts = []
    for tick in _ticks(0, top_value, step):
        tick_y = base - plot_height * tick / top_value
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{_n(tick_y)}" y2="{_n(tick_y)}" '
            f'stroke="{RULE_COLOUR if tick else TEXT_COLOUR}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{_n(tick_y + 4)}" text-anchor="end" font-size="11" '
            f'fill="{SECONDARY_TEXT_COLOUR}">{_n(tick)}</text>'
        )

    slot = plot_width / len(data)
    bar_width = min(56.0, slot * 0.6)
    sentences = []
    for index, (period, counts) in enumerate(data):
        total = sum(counts.values())
        sentences.append(_rag_sentence(period, counts, names))
        centre = left + slot * (index + 0.5)
        bar_left = centre - bar_width / 2
        group = [f"<title>{_text(period)}</title>"]
        if total:
            # Edges run upwards from the base line: blue at the bottom.
            bar_height = plot_height * total / top_value
            edges = _edges(0, bar_height, counts.values(), total)
            for position, key in enumerate(RAG_ORDER):
                count = counts[key]
                if not count:
                    continue
                style = RAG_STYLES[key]
                low, high = base - edges[position], base - edges[position + 1]
                group.append(
                    f'<rect class="segment segment-{key or "not-rated"}" '
                    f'x="{_n(bar_left)}" y="{_n(high)}" width="{_n(bar_width)}" '
                    f'height="{_n(low - high)}" fill="{style.fill}">'
                    f"<title>{safe_names[key]}: {count}</title></rect>"
                )
                fits = bar_width >= _text_width(str(count), 11, bold=True) + 4
                if low - high >= 14 and fits:
                    group.append(
                        f'<text x="{_n(centre)}" y="{_n((low + high) / 2 + 4)}" '
                        f'text-anchor="middle" font-size="11" font-weight="bold" '
                        f'fill="{style.text}">{count}</text>'
                    )
        total_y = base - plot_height * total / top_value - 5
        group.append(
            f'<text class="total" x="{_n(centre)}" y="{_n(total_y)}" text-anchor="middle" '
            f'font-weight="bold">{total}</text>'
            f'<text x="{_n(centre)}" y="{base + 16}" text-anchor="middle" font-size="11">'
            f"{_text(_truncate(period, slot - 4, 11))}</text>"
        )
        parts.append(f'<g class="period">{"".join(group)}</g>')

    legend, legend_height = _rag_legend(names, base + 30, width)
    parts.append(legend)
    height = math.ceil(base + 30 + legend_height + 4)
    return _svg("rag-trend", width, height, title, " ".join(sentences), "".join(parts), chart_id)


def _tolerance_band(
    target: float | None, tolerance: float | None, higher_is_better: bool
) -> tuple[float, float] | None:
    if target is None or not tolerance:
        return None
    if higher_is_better:
        return target - abs(tolerance), target
    return target, target + abs(tolerance)


def _thin(positions: Sequence[tuple[float, float]]) -> set[int]:
    """Indexes of labels to draw, latest first, skipping any that would overlap.

    ``positions`` are ``(centre x, width)``; the latest result matters most, so the
    greedy pass runs from the right.
    """
    kept, last_left = set(), math.inf
    for index in range(len(positions) - 1, -1, -1):
        centre, label_width = positions[index]
        if centre + label_width / 2 + 4 <= last_left:
            kept.add(index)
            last_left = centre - label_width / 2
    return kept


def measure_trend(
    points: Sequence[tuple[date, float]],
    *,
    title: str,
    target: float | None,
    tolerance: float | None,
    higher_is_better: bool = True,
    unit: str = "%",
    y_min: float = 0,
    y_max: float = 100,
    width: int = 640,
    height: int = 220,
    chart_id: str | None = None,
) -> str:
    """A measure's results over time against its target and tolerance band.

    Points are placed by date and each value is written above its marker (where two
    labels would overlap, the earlier is left out; all values are in the description).
    The band runs from target - tolerance to target when higher is better, from target to
    target + tolerance otherwise. The y range is ``y_min``..``y_max``, extended to round
    numbers when a value, the target or the band falls outside it. ``unit`` is appended
    to numbers as given ("%", " days").
    """
    # Long because: an SVG chart drawn step by step (description, y range, ticks, target band,
    # line, points, labels); its parts share the same coordinates and read best in order.
    width, height = int(width), int(height)
    if y_max <= y_min:
        raise ValueError(f"y_max ({y_max}) must be above y_min ({y_min})")
    data = sorted(((day, _finite(value, "A result")) for day, value in points), key=lambda p: p[0])
    target = None if target is None else _finite(target, "The target")
    band = _tolerance_band(target, tolerance, higher_is_better)

    def fmt(value: float) -> str:
        return f"{_n(value)}{unit}"

    direction = "higher is better" if higher_is_better else "lower is better"
    about_target = ""
    if target is not None:
        about_target = f" Target {fmt(target)}, {direction}"
        if band:
            about_target += f"; tolerance {fmt(band[0])} to {fmt(band[1])}"
        about_target += "."
    if data:
        results = ", ".join(f"{_month_label(day)} {fmt(value)}" for day, value in data)
        desc = f"Results: {results}.{about_target}"
    else:
        desc = f"No results yet.{about_target}"

    low, high = float(y_min), float(y_max)
    extremes = [value for _, value in data] + ([target] if target is not None else [])
    extremes += list(band or ())
    if extremes and (min(extremes) < low or max(extremes) > high):
        low, high = min(low, *extremes), max(high, *extremes)
        step = _nice_step((high - low) / 4)
        low, high = math.floor(low / step) * step, math.ceil(high / step) * step
    step = _nice_step((high - low) / 4)

    # The target and the band are labelled in the right margin, clear of the points.
    tick_labels = [(tick, fmt(tick)) for tick in _ticks(low, high, step)]
    target_label = "" if target is None else f"Target {fmt(target)}"
    band_label = "" if band is None else f"{_n(band[0])}\u2013{_n(band[1])}{unit}"
    margin_width = max(
        _text_width(target_label, 11, bold=True),
        _text_width("Tolerance", 10),
        _text_width(band_label, 10),
    )
    left = math.ceil(max(_text_width(label, 11) for _, label in tick_labels)) + 10
    right = width - max(16, math.ceil(margin_width) + 10)
    top, bottom = 16, height - 28
    plot_width, plot_height = right - left, bottom - top

    def y_of(value: float) -> float:
        return top + plot_height * (high - value) / (high - low)

    parts = []
    for tick, label in tick_labels:
        tick_y = y_of(tick)
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{_n(tick_y)}" y2="{_n(tick_y)}" '
            f'stroke="{RULE_COLOUR}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{_n(tick_y + 4)}" text-anchor="end" font-size="11" '
            f'fill="{SECONDARY_TEXT_COLOUR}">{_text(label)}</text>'
        )

    target_y = None if target is None else y_of(target)
    if band and target_y is not None:
        band_top = y_of(min(max(band[1], low), high))
        band_bottom = y_of(min(max(band[0], low), high))
        # Words beside the band: below the target label when the band lies below it.
        if higher_is_better or target_y - 28 < top:
            words_y = (target_y + 17, target_y + 28)
        else:
            words_y = (target_y - 17, target_y - 6)
        parts.append(
            f'<rect class="tolerance-band" x="{left}" y="{_n(band_top)}" '
            f'width="{plot_width}" height="{_n(band_bottom - band_top)}" '
            f'fill="{TOLERANCE_FILL}"/>'
            f'<text x="{right + 4}" y="{_n(words_y[0])}" font-size="10" '
            f'fill="{SECONDARY_TEXT_COLOUR}">Tolerance</text>'
            f'<text x="{right + 4}" y="{_n(words_y[1])}" font-size="10" '
            f'fill="{SECONDARY_TEXT_COLOUR}">{_text(band_label)}</text>'
        )
    if target_y is not None:
        parts.append(
            f'<line class="target" x1="{left}" x2="{right}" y1="{_n(target_y)}" '
            f'y2="{_n(target_y)}" stroke="{TEXT_COLOUR}" stroke-width="1.5" '
            f'stroke-dasharray="6 4"/>'
            f'<text x="{right + 4}" y="{_n(target_y + 4)}" font-size="11" '
            f'font-weight="bold">{_text(target_label)}</text>'
        )

    if not data:
        parts.append(
            f'<text x="{_n(left + plot_width / 2)}" y="{_n(top + plot_height / 2 + 4)}" '
            f'text-anchor="middle" fill="{SECONDARY_TEXT_COLOUR}">No results yet</text>'
        )
        return _svg("measure", width, height, title, desc, "".join(parts), chart_id)

    inset = 24
    first, span = data[0][0], (data[-1][0] - data[0][0]).days
    xs = [
        left + inset + (plot_width - 2 * inset) * (day - first).days / span
        if span
        else left + plot_width / 2
        for day, _ in data
    ]
    ys = [y_of(value) for _, value in data]
    if len(data) > 1:
        coordinates = " ".join(f"{_n(x)},{_n(y)}" for x, y in zip(xs, ys, strict=True))
        parts.append(
            f'<polyline class="line" points="{coordinates}" fill="none" '
            f'stroke="{LINE_COLOUR}" stroke-width="2"/>'
        )
    values = [fmt(value) for _, value in data]
    dates = [_month_label(day) for day, _ in data]
    value_kept = _thin([(x, _text_width(v, 11)) for x, v in zip(xs, values, strict=True)])
    date_kept = _thin([(x, _text_width(d, 11)) for x, d in zip(xs, dates, strict=True)])
    for index, (x, y) in enumerate(zip(xs, ys, strict=True)):
        parts.append(
            f'<circle class="point" cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{LINE_COLOUR}" '
            f'stroke="#ffffff" stroke-width="1.5"/>'
        )
        if index in value_kept:
            above, below = y - 8, y + 16
            value_y = above if y - top >= 12 else below
            if target_y is not None and value_y - 10 <= target_y <= value_y + 3:
                value_y = below if value_y == above else above  # keep off the target line
            parts.append(
                f'<text class="value" x="{_n(x)}" y="{_n(value_y)}" text-anchor="middle" '
                f'font-size="11" font-weight="bold">{_text(values[index])}</text>'
            )
        if index in date_kept:
            parts.append(
                f'<text class="date" x="{_n(x)}" y="{bottom + 16}" text-anchor="middle" '
                f'font-size="11">{dates[index]}</text>'
            )
    return _svg("measure", width, height, title, desc, "".join(parts), chart_id)


def sparkline(
    values: Sequence[float],
    *,
    title: str,
    target: float | None = None,
    width: int = 120,
    height: int = 28,
    chart_id: str | None = None,
) -> str:
    """A tiny trend for a table cell: the line, the latest point, and a dashed target.

    The numbers themselves belong in the cell's text; the description lists them too.
    """
    width, height = int(width), int(height)
    data = [_finite(value, "A value") for value in values]
    target = None if target is None else _finite(target, "The target")
    about_target = "" if target is None else f" Target {_n(target)}."
    if not data:
        body = (
            f'<text x="{_n(width / 2)}" y="{_n(height / 2 + 3.5)}" text-anchor="middle" '
            f'font-size="10" fill="{SECONDARY_TEXT_COLOUR}">No results</text>'
        )
        desc = f"No results yet.{about_target}"
        return _svg("sparkline", width, height, title, desc, body, chart_id)

    listed = ", ".join(_n(value) for value in data)
    desc = f"Results {listed}; latest {_n(data[-1])}.{about_target}"
    scale = data + ([target] if target is not None else [])
    low, high = min(scale), max(scale)
    if high == low:
        low, high = low - 1, high + 1
    pad = 3

    def y_of(value: float) -> float:
        return pad + (height - 2 * pad) * (high - value) / (high - low)

    if len(data) == 1:
        xs = [width / 2]
    else:
        xs = [pad + (width - 2 * pad) * index / (len(data) - 1) for index in range(len(data))]
    parts = []
    if target is not None:
        parts.append(
            f'<line class="target" x1="0" x2="{width}" y1="{_n(y_of(target))}" '
            f'y2="{_n(y_of(target))}" stroke="{SECONDARY_TEXT_COLOUR}" stroke-width="1" '
            f'stroke-dasharray="3 2"/>'
        )
    if len(data) > 1:
        coordinates = " ".join(f"{_n(x)},{_n(y_of(v))}" for x, v in zip(xs, data, strict=True))
        parts.append(
            f'<polyline class="line" points="{coordinates}" fill="none" '
            f'stroke="{LINE_COLOUR}" stroke-width="1.5"/>'
        )
    parts.append(
        f'<circle class="point" cx="{_n(xs[-1])}" cy="{_n(y_of(data[-1]))}" r="2.5" '
        f'fill="{LINE_COLOUR}"/>'
    )
    return _svg("sparkline", width, height, title, desc, "".join(parts), chart_id)

"""Every use of WeasyPrint's and pydyf's internals, in one place, each applied defensively.

Three patches make long reports fast and let a report be laid out in two processes:

- ``page_references``: pydyf's page list built once per page count (PDF/UA tagging
  read it once per structure element, which grew with the square of the page count);
- ``svg_text``: SVG text whose letters simply follow one another is laid out as one
  run instead of letter by letter (a third of the CPU of drawing the charts);
- ``margin_boxes``: a hook at the moment pagination is over, which lets one part of
  a report number its pages as the whole document would (``part_continuity``).

Two helpers read private state: ``release_layout_context`` (an SVG image's layout
context, let go before the PDF is written) and ``linked_stylesheet_urls`` (WeasyPrint's
own rules for finding ``<link rel="stylesheet">``).

Each is written against WeasyPrint 70 and pydyf 0.13. On another version, or when a
private name is missing, that patch is left off and the report is still rendered whole
(more slowly; in one process, without ``margin_boxes``): ``APPLIED`` says which are on,
and one warning naming what was left off is logged when this module is imported. The
tests in ``tests/reporting/test_pdf_internals.py`` import it with the internals taken
away, in a process of their own.
"""

from __future__ import annotations

import functools
import importlib
import logging
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import urljoin

import pydyf
import weasyprint

logger = logging.getLogger(__name__)

WEASYPRINT_VERSION = weasyprint.__version__
# The versions the patches were written against (major version of WeasyPrint).
KNOWN_WEASYPRINT = "70"

# Which patches are in place ({name: True}) and, for those left off, why ({name: reason}).
APPLIED: dict[str, bool] = {}
LEFT_OFF: dict[str, str] = {}


def _known_version() -> bool:
    return WEASYPRINT_VERSION.split(".")[0] == KNOWN_WEASYPRINT


# pydyf: page references built once per page count --------------------------------------


def _cached_page_references(pdf: pydyf.PDF) -> tuple[bytes, ...]:
    """pydyf's ``PDF.page_references``, built once per page count instead of per call.

    pydyf 0.13 rebuilds the tuple of every page's reference each time it is read, and
    WeasyPrint's PDF/UA tagging reads it once per structure element (``'Pg'``): tens of
    thousands of times in a 300-page report, which made tagging grow with the square of
    the page count (about 5 s of CPU at 1,000 actions). Pages are only ever appended
    (``add_page``), so the tuple is kept until the page list's length changes.
    """
    kids = pdf.pages["Kids"]
    cached = pdf.__dict__.get("_page_references_cache")
    if cached is None or cached[0] is not kids or cached[1] != len(kids):
        cached = (kids, len(kids), pydyf.PDF.uncached_page_references.fget(pdf))
        pdf.__dict__["_page_references_cache"] = cached
    return cached[2]


def _patch_page_references() -> None:
    if hasattr(pydyf.PDF, "uncached_page_references"):
        return
    original = pydyf.PDF.page_references
    if not isinstance(original, property):
        raise AttributeError("pydyf.PDF.page_references is not a property")
    pydyf.PDF.uncached_page_references = original
    pydyf.PDF.page_references = property(_cached_page_references)


# SVG text drawn as runs -------------------------------------------------------------------
#
# WeasyPrint 70 draws SVG text one letter at a time (weasyprint/svg/text.py): a Pango
# layout and a text object per character, so that each letter can take its own x, y,
# dx, dy or rotate. Our charts never position letters one by one, yet their labels were
# about a third of the CPU of drawing 115 trend charts. For a text whose letters follow
# one another (one x and one y at most, nothing set per letter), `_svg_text_as_run`
# lays out and draws the whole string once, at the place and with the bounding box the
# per-letter code gives its first letter and the run as a whole; any other text is left
# to WeasyPrint. The whole string is shaped together, so it is kerned as HTML text is.

_PER_LETTER_ATTRIBUTES = (
    "dx",
    "dy",
    "rotate",
    "textLength",
    "letter-spacing",
    "display-anchor",
    "dominant-baseline",
    "alignment-baseline",
)
# WeasyPrint's own letter-by-letter function, kept when the patch is applied.
SVG_TEXT_BY_LETTER: Callable | None = None


def _svg_coordinates(node, name: str, font_size: float, extent: float) -> list[float]:
    """An x or y attribute's values, read as WeasyPrint's text() reads them."""
    from weasyprint.svg.utils import normalize, size

    if name not in node.attrib:
        return []
    values = normalize(node.attrib[name]).strip().split(" ")
    return [size(value, font_size, extent) for value in values]


def _svg_text_style(svg, node, font_size: float) -> dict:
    """The style WeasyPrint 70's SVG text() builds for a text node (same rules)."""
    from weasyprint.css.properties import INITIAL_VALUES

    style = sys.modules["weasyprint.svg.text"].Style()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    families = node.get("font-family", "sans-serif").split(",")
    style["font_family"] = [family.strip("\"'") for family in families]
    style["font_style"] = node.get("font-style", "normal")
    weight = node.get("font-weight", 400)
    if weight == "normal":
        weight = 400
    elif weight == "bold":
        weight = 700
    else:
        try:
            weight = int(weight)
        except ValueError:
            weight = 400
    style["font_weight"] = weight
    style["font_size"] = font_size
    if node.get("direction") in ("ltr", "rtl"):
        style["direction"] = node.get("direction")
    return style


def _svg_text_as_run(svg, node, font_size: float) -> None:
    """Draw an SVG text node's own text as one run where the letters simply follow one
    another; otherwise as WeasyPrint does, letter by letter."""
    xs = _svg_coordinates(node, "x", font_size, svg.inner_width)
    ys = _svg_coordinates(node, "y", font_size, svg.inner_height)
    if (
        not node.text
        or len(xs) > 1
        or len(ys) > 1
        or any(node.get(name) is not None for name in _PER_LETTER_ATTRIBUTES)
    ):
        SVG_TEXT_BY_LETTER(svg, node, font_size)
        return
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.svg.bounding_box import extend_bounding_box
    from weasyprint.text.line_break import split_first_line

    text_module = sys.modules["weasyprint.svg.text"]
    style = _svg_text_style(svg, node, font_size)
    layout, _, _, width, height, baseline = split_first_line(
        node.text, style, svg.context, math.inf, 0
    )
    # As text() places its first letter (a zero x or y does not reset the offset there).
    x, y = (xs or [None])[0], (ys or [None])[0]
    if x:
        svg.cursor_d_position[0] = 0
    if y:
        svg.cursor_d_position[1] = 0
    x = svg.cursor_position[0] if x is None else x
    y = svg.cursor_position[1] if y is None else y
    svg.cursor_position = x + width, y
    x_position, y_position = x + svg.cursor_d_position[0], y + svg.cursor_d_position[1]
    points = (
        (x_position, y_position - baseline),
        (x_position + width, y_position - baseline + height),
    )
    node.text_bounding_box = extend_bounding_box(node.text_bounding_box, points)

    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    layout.reactivate(style)
    svg.fill_stroke(fill, stroke, text=True)
    text_box = text_module.TextBox(layout, style)
    text_box.baseline = baseline
    matrix = Matrix(a=1, d=-1, e=x_position, f=y_position)
    emojis = draw_first_line(svg.stream, text_box, "none", "none", matrix)
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x, y, emojis)


def _patch_svg_text() -> None:
    global SVG_TEXT_BY_LETTER
    if not _known_version():
        raise AttributeError(f"written for WeasyPrint {KNOWN_WEASYPRINT}")
    # Imported for the names checked below: a missing one stops the patch here, not
    # in the middle of drawing a chart.
    from weasyprint.draw.text import draw_emojis, draw_first_line  # noqa: F401
    from weasyprint.matrix import Matrix  # noqa: F401
    from weasyprint.svg.bounding_box import extend_bounding_box  # noqa: F401
    from weasyprint.svg.utils import normalize, size  # noqa: F401
    from weasyprint.text.line_break import split_first_line  # noqa: F401

    svg_module = importlib.import_module("weasyprint.svg")
    # The package's `text` is the function, so the module is looked up by name.
    text_module = importlib.import_module("weasyprint.svg.text")
    by_letter = text_module.text
    text_module.Style, text_module.TextBox  # noqa: B018 - both must exist
    if svg_module.text is not by_letter:
        raise AttributeError("weasyprint.svg.text is not the letter-by-letter function")
    SVG_TEXT_BY_LETTER = by_letter
    # draw_node compares a node's drawing function with the module's `text` to decide
    # whether it is text (anchoring, bounding boxes): both names must change together.
    for tag, draw in list(svg_module.TAGS.items()):
        if draw is by_letter:
            svg_module.TAGS[tag] = _svg_text_as_run
    svg_module.text = _svg_text_as_run


# Pages of a part numbered as in the whole document ---------------------------------------
#
# `render_pdf_in_two` (parts.py) lays out two parts of a report at once. Each part must
# number its pages and show its running strings as the whole document would: the parts
# tell each other their page counts, and the first its running strings, once pagination
# is over and before the margin boxes are laid out (WeasyPrint makes those last, from
# each page's counter values). `_make_margin_boxes` hands that moment to the continuity
# of the render in progress, a callable `(pages, strings at the end) -> (number of the
# first page, total pages, strings in effect before the first page)`.
_PART_CONTINUITY: ContextVar[Callable | None] = ContextVar("pdf_part_continuity", default=None)
_MAKE_MARGIN_BOXES: Callable | None = None


def _make_margin_boxes(context, page, state):
    continuity = _PART_CONTINUITY.get()
    if continuity is not None and context.current_page == 1:
        _continue_numbering(context, state, continuity)
    return _MAKE_MARGIN_BOXES(context, page, state)


def _continue_numbering(context, state, continuity: Callable) -> None:
    """Shift this part's page counters to their place in the whole document, set the
    total page count, and carry the previous part's running strings into this one."""
    pages = state[1]["pages"][0]
    strings = {
        name: by_page[max(by_page)][-1] for name, by_page in context.string_set.items() if by_page
    }
    first, total, before = continuity(pages, strings)
    # One entry per page (and the state before the first): each its own deep copy.
    for entry in context.page_maker:
        counters = entry[3][1]
        if "page" in counters:
            counters["page"] = [value + first - 1 for value in counters["page"]]
        counters["pages"] = [total]
    for name, text in before.items():
        # Our margin boxes read string() with its default keyword, "first": a value set
        # on the part's first page itself comes before one carried over.
        context.string_set[name].setdefault(1, [text])


def _patch_margin_boxes() -> None:
    global _MAKE_MARGIN_BOXES
    if not _known_version():
        raise AttributeError(f"written for WeasyPrint {KNOWN_WEASYPRINT}")
    layout_module = importlib.import_module("weasyprint.layout")
    original = layout_module.make_margin_boxes
    if original is not _make_margin_boxes:
        _MAKE_MARGIN_BOXES = original
        layout_module.make_margin_boxes = _make_margin_boxes


def can_continue_numbering() -> bool:
    """Whether a render can be told where its pages sit in a longer document."""
    return APPLIED.get("margin_boxes", False) and (
        sys.modules["weasyprint.layout"].make_margin_boxes is _make_margin_boxes
    )


@contextmanager
def part_continuity(continuity: Callable | None) -> Iterator[None]:
    """Number the pages of the render inside the block with ``continuity`` (see above);
    ``None`` lays the document out on its own. Without the ``margin_boxes`` patch a
    continuity is ignored: page totals then count this document's pages only."""
    token = _PART_CONTINUITY.set(continuity)
    try:
        yield
    finally:
        _PART_CONTINUITY.reset(token)


# Private state read after layout --------------------------------------------------------


class _SvgDrawingContext:
    """What an SVG image reads of WeasyPrint's layout context when it is drawn, and no
    more: the hyphenation cache (SVG text is never hyphenated) and the image loader for
    images an SVG links to (without the layout context behind it)."""

    def __init__(self, get_image_from_uri) -> None:
        self.dictionaries: dict = {}
        self.get_image_from_uri = get_image_from_uri


def release_layout_context(images: dict) -> None:
    """Let the layout's working state go before the PDF is written.

    WeasyPrint 70 gives each SVG image (our charts) a reference to the layout context,
    which holds every element's computed and cascaded style, the page maker's states and
    the table caches: about 80 MB at 1,000 actions, kept alive while ``write_pdf`` adds
    its own 200 MB. Layout is over once ``render`` returns; drawing an SVG needs only
    what ``_SvgDrawingContext`` keeps. ``images`` is the render's image cache (the
    ``cache`` option), where every ``<img>`` it loaded is found; inline ``<svg>`` is not
    there, which is one reason the report's charts go in as images. With nothing else
    pointing at the context, it is emptied at once rather than left to a full garbage
    collection (more than a second of CPU over the boxes of a 300-page report). Does
    nothing unless the ``layout_context`` check passed at import.
    """
    if not APPLIED.get("layout_context"):
        return
    from weasyprint.images import SVGImage

    contexts, stand_ins = {}, {}
    for image in images.values():
        context = getattr(image, "_context", None) if isinstance(image, SVGImage) else None
        loader = getattr(getattr(context, "get_image_from_uri", None), "func", None)
        if context is None or loader is None:
            continue
        key = id(context)
        if key not in stand_ins:
            contexts[key] = context
            stand_ins[key] = _SvgDrawingContext(functools.partial(loader, context=None))
        image._context = stand_ins[key]
    while contexts:
        context = contexts.popitem()[1]
        # Left pointing at it: this variable, getrefcount's argument and the context's
        # own image loader (bound to it). Anything more is not ours to empty.
        if sys.getrefcount(context) == 3:
            vars(context).clear()


def _check_layout_context() -> None:
    if not _known_version():
        raise AttributeError(f"written for WeasyPrint {KNOWN_WEASYPRINT}")
    from weasyprint.images import SVGImage

    if "_context" not in SVGImage.__init__.__code__.co_names:
        raise AttributeError("weasyprint.images.SVGImage keeps no _context")


def linked_stylesheet_urls(document) -> set[str]:
    """The URLs of a parsed document's ``<link rel="stylesheet">`` elements, as
    WeasyPrint's fetches will ask for them (its own rules where they can be imported)."""
    try:
        from weasyprint.html import element_has_link_type, parse_url
    except ImportError:
        element_has_link_type = _has_link_type
        parse_url = _parse_url
    urls = set()
    for element in document.etree_element.iter("link"):
        if element_has_link_type(element, "stylesheet"):
            url = parse_url(element.get("href"), document.base_url)
            if url:
                urls.add(url)
    return urls


def _has_link_type(element, link_type: str) -> bool:
    return link_type in (element.get("rel") or "").lower().split()


def _parse_url(href: str | None, base_url: str | None) -> str | None:
    href = (href or "").strip()
    return urljoin(base_url or "", href) if href else None


# Applied once, when the module is first imported -----------------------------------------

_PATCHES: dict[str, Callable[[], None]] = {
    "page_references": _patch_page_references,
    "svg_text": _patch_svg_text,
    "margin_boxes": _patch_margin_boxes,
    "layout_context": _check_layout_context,
}


def _apply_all() -> None:
    for name, apply in _PATCHES.items():
        try:
            apply()
        except (AttributeError, ImportError, KeyError, TypeError) as error:
            APPLIED[name] = False
            LEFT_OFF[name] = f"{type(error).__name__}: {error}"
        else:
            APPLIED[name] = True
    if LEFT_OFF:
        logger.warning(
            "WeasyPrint %s, pydyf %s: reports render whole but without %s (%s). "
            "Long reports are slower and are laid out in one process.",
            WEASYPRINT_VERSION,
            getattr(pydyf, "__version__", "?"),
            ", ".join(sorted(LEFT_OFF)),
            "; ".join(f"{name}: {reason}" for name, reason in sorted(LEFT_OFF.items())),
        )


_apply_all()

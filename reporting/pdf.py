"""Render committee reports to PDF with WeasyPrint, fetching nothing but our own files.

A report's HTML carries user text (narratives, comments). Left to WeasyPrint's default
fetcher, ``<img src="http://internal-host/">`` or ``file:///etc/passwd`` in it would make
the server fetch that URL. ``SafeURLFetcher`` serves only ``data:`` URLs and files whose
real path lies under roots we name (the static and fonts directories); anything else is
refused. WeasyPrint logs a refused image and leaves it out, while a stylesheet that cannot
be loaded stops the render (``PdfRenderError``), so a job fails instead of producing an
unstyled report.
"""

from __future__ import annotations

import functools
import gc
import math
import mimetypes
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pydyf
import weasyprint
from pypdf import PdfReader
from weasyprint import CSS, HTML

# parse_url and element_has_link_type are WeasyPrint's own rules for finding linked
# stylesheets: using them gives the exact URL strings its fetches will ask for.
from weasyprint.html import element_has_link_type, parse_url
from weasyprint.images import SVGImage
from weasyprint.matrix import Matrix
from weasyprint.svg.bounding_box import extend_bounding_box
from weasyprint.svg.utils import normalize as svg_normalize
from weasyprint.svg.utils import size as svg_size
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse, path2url

PDF_VARIANT = "pdf/ua-1"
# Garbage-collector thresholds while a PDF is rendered (generation 0, 1, 2). Layout
# allocates millions of boxes and text objects; at Python's defaults (700, 10, 10) the
# collector runs thousands of times over them, which cost about 13% of the CPU of a
# 1,000-action report. The previous thresholds come back once the render ends.
RENDER_GC_THRESHOLDS = (50_000, 20, 100)


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


if not hasattr(pydyf.PDF, "uncached_page_references"):
    pydyf.PDF.uncached_page_references = pydyf.PDF.page_references
    pydyf.PDF.page_references = property(_cached_page_references)


# WeasyPrint 70 draws SVG text one letter at a time (weasyprint/svg/text.py): a Pango
# layout and a text object per character, so that each letter can take its own x, y,
# dx, dy or rotate. Our charts never position letters one by one, yet their labels were
# about a third of the CPU of drawing 115 trend charts. For a text whose letters follow
# one another (one x and one y at most, nothing set per letter), `_svg_text_as_run`
# lays out and draws the whole string once, at the place and with the bounding box the
# per-letter code gives its first letter and the run as a whole; any other text is left
# to WeasyPrint. The whole string is shaped together, so it is kerned as HTML text is.
_svg_module = sys.modules["weasyprint.svg"]
_svg_text_module = sys.modules["weasyprint.svg.text"]  # the package's `text` is the function
_SVG_TEXT_BY_LETTER = _svg_text_module.text
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


def _svg_coordinates(node, name: str, font_size: float, extent: float) -> list[float]:
    """An x or y attribute's values, read as WeasyPrint's text() reads them."""
    if name not in node.attrib:
        return []
    values = svg_normalize(node.attrib[name]).strip().split(" ")
    return [svg_size(value, font_size, extent) for value in values]


def _svg_text_style(svg, node, font_size: float) -> dict:
    """The style WeasyPrint 70's SVG text() builds for a text node (same rules)."""
    from weasyprint.css.properties import INITIAL_VALUES

    style = _svg_text_module.Style()
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
        _SVG_TEXT_BY_LETTER(svg, node, font_size)
        return
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.text.line_break import split_first_line

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
    text_box = _svg_text_module.TextBox(layout, style)
    text_box.baseline = baseline
    matrix = Matrix(a=1, d=-1, e=x_position, f=y_position)
    emojis = draw_first_line(svg.stream, text_box, "none", "none", matrix)
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x, y, emojis)


if weasyprint.__version__.split(".")[0] == "70" and _svg_module.text is _SVG_TEXT_BY_LETTER:
    # draw_node compares a node's drawing function with the module's `text` to decide
    # whether it is text (anchoring, bounding boxes): both names must change together.
    for _tag, _draw in list(_svg_module.TAGS.items()):
        if _draw is _SVG_TEXT_BY_LETTER:
            _svg_module.TAGS[_tag] = _svg_text_as_run
    _svg_module.text = _svg_text_as_run


class RenderedPdf(NamedTuple):
    """A rendered PDF and its number of pages, as WeasyPrint laid them out.

    The count comes with the PDF because reading it back is slow: pypdf resolves the
    catalog by parsing the object stream that holds it, every object before it included,
    which took 6-7 s for a 250-page report."""

    data: bytes
    page_count: int


class URLRefusedError(ValueError):
    """The URL is not one the report renderer may fetch."""


class PdfRenderError(Exception):
    """The PDF could not be rendered, e.g. because a stylesheet could not be loaded.

    WeasyPrint's ``FatalURLFetchingError`` derives from ``BaseException``, which
    ``except Exception`` in job code would miss; ``render_pdf`` turns it into this.
    """


class SafeURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves only ``data:`` URLs and files under given roots.

    A ``file:`` URL is served when its real path (symlinks and ``..`` resolved) is a
    file under one of ``allowed_roots``. Everything else (http, https, ftp, files
    elsewhere, other hosts, other schemes) raises ``URLRefusedError`` without being
    opened. WeasyPrint catches that, logs it, and leaves the resource out.

    With ``fail_on_stylesheet`` (the default), a stylesheet that is refused or missing
    raises ``FatalURLFetchingError`` instead, which stops the whole render. A URL counts
    as a stylesheet when its path ends in ``.css`` or it is in ``stylesheet_urls``
    (``render_pdf`` adds the document's ``<link rel="stylesheet">`` URLs there).
    """

    def __init__(
        self,
        allowed_roots: Iterable[Path | str],
        *,
        fail_on_stylesheet: bool = True,
        stylesheet_urls: Iterable[str] = (),
    ) -> None:
        # Only data: URLs ever reach urllib (see fetch), and never a redirect.
        super().__init__(allowed_protocols=("data",), allow_redirects=False)
        self.allowed_roots = tuple(Path(os.path.realpath(root)) for root in allowed_roots)
        if not self.allowed_roots:
            raise ValueError("SafeURLFetcher needs at least one allowed root")
        self.fail_on_stylesheet = fail_on_stylesheet
        self.stylesheet_urls = set(stylesheet_urls)

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        try:
            return self._fetch_allowed(url, headers)
        except Exception as error:
            if self.fail_on_stylesheet and self.is_stylesheet(url):
                raise FatalURLFetchingError(f"Stylesheet not loaded: {error}") from error
            raise

    def is_stylesheet(self, url: str) -> bool:
        path = url.split("#", 1)[0].split("?", 1)[0]
        return url in self.stylesheet_urls or path.lower().endswith(".css")

    def _fetch_allowed(self, url: str, headers: dict[str, str] | None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            return self._fetch_file(url)
        raise URLRefusedError(
            f"Refused {_shorten(url)}: only data: URLs and files under the static "
            "directories are served"
        )

    def _fetch_file(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise URLRefusedError(f"Refused {_shorten(url)}: a file on another host")
        real = Path(os.path.realpath(url2pathname(parts.path)))
        if not any(real.is_relative_to(root) for root in self.allowed_roots):
            raise URLRefusedError(f"Refused {_shorten(url)}: outside the allowed directories")
        if not real.is_file():
            raise FileNotFoundError(f"No file at {_shorten(url)}")
        content_type = mimetypes.guess_type(real.name)[0] or "application/octet-stream"
        # WeasyPrint closes the response, and so the file, once it has read it.
        return URLFetcherResponse(
            url=path2url(real), body=real.open("rb"), headers={"Content-Type": content_type}
        )


def _shorten(url: str, limit: int = 200) -> str:
    return repr(url if len(url) <= limit else url[:limit] + "...")


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect what the caller left in reference cycles, then raise the garbage
    collector's thresholds to RENDER_GC_THRESHOLDS (never lower them) for the duration,
    and restore them.

    Building a report's content and HTML leaves tens of thousands of Django objects in
    cycles; with collections made rare they would stay through the render, the time
    memory peaks: collected first, the peak of a 1,000-action report is 13 MB lower.
    """
    gc.collect()
    old = gc.get_threshold()
    pairs = zip(old, RENDER_GC_THRESHOLDS, strict=True)
    gc.set_threshold(*(max(now, raised) for now, raised in pairs))
    try:
        yield
    finally:
        gc.set_threshold(*old)


class _SvgDrawingContext:
    """What an SVG image reads of WeasyPrint's layout context when it is drawn, and no
    more: the hyphenation cache (SVG text is never hyphenated) and the image loader for
    images an SVG links to (without the layout context behind it)."""

    def __init__(self, get_image_from_uri) -> None:
        self.dictionaries: dict = {}
        self.get_image_from_uri = get_image_from_uri


def _release_layout_context(images: dict) -> None:
    """Let the layout's working state go before the PDF is written.

    WeasyPrint 70 gives each SVG image (our charts) a reference to the layout context,
    which holds every element's computed and cascaded style, the page maker's states and
    the table caches: about 80 MB at 1,000 actions, kept alive while ``write_pdf`` adds
    its own 200 MB. Layout is over once ``render`` returns; drawing an SVG needs only
    what ``_SvgDrawingContext`` keeps. ``images`` is the render's image cache (the
    ``cache`` option), where every ``<img>`` it loaded is found; inline ``<svg>`` is not
    there, which is one reason the report's charts go in as images. With nothing else
    pointing at the context, it is emptied at once rather than left to a full garbage
    collection (more than a second of CPU over the boxes of a 300-page report).
    """
    contexts, stand_ins = {}, {}
    for image in images.values():
        if isinstance(image, SVGImage) and image._context is not None:
            key = id(image._context)
            if key not in stand_ins:
                loader = image._context.get_image_from_uri.func
                contexts[key] = image._context
                stand_ins[key] = _SvgDrawingContext(functools.partial(loader, context=None))
            image._context = stand_ins[key]
    while contexts:
        context = contexts.popitem()[1]
        # Left pointing at it: this variable, getrefcount's argument and the context's
        # own image loader (bound to it). Anything more is not ours to empty.
        if sys.getrefcount(context) == 3:
            vars(context).clear()


def _linked_stylesheet_urls(document: HTML) -> set[str]:
    urls = set()
    for element in document.etree_element.iter("link"):
        if element_has_link_type(element, "stylesheet"):
            url = parse_url(element.get("href"), document.base_url)
            if url:
                urls.add(url)
    return urls


def render_pdf(
    html: str,
    *,
    base_url: str | Path,
    allowed_roots: Sequence[Path],
    stylesheets: Sequence[Path] = (),
    title: str | None = None,
) -> RenderedPdf:
    """Render ``html`` to a tagged PDF/UA-1 document; return its bytes and page count.

    Relative URLs resolve against ``base_url`` and are served by a ``SafeURLFetcher``
    limited to ``allowed_roots``; ``stylesheets`` are extra files (under those roots)
    applied as author stylesheets. ``title`` replaces the HTML ``<title>`` as the PDF
    title. The HTML must declare ``<html lang="...">`` and a title (PDF/UA requires both):
    ``ValueError`` otherwise. A stylesheet that cannot be loaded raises
    ``PdfRenderError``; a refused or missing image is logged by WeasyPrint and left out.
    """
    fetcher = SafeURLFetcher(allowed_roots)
    try:
        with _fewer_collections():
            document = HTML(string=html, base_url=str(base_url), url_fetcher=fetcher)
            fetcher.stylesheet_urls |= _linked_stylesheet_urls(document)
            extra_urls = [path2url(Path(stylesheet)) for stylesheet in stylesheets]
            fetcher.stylesheet_urls |= set(extra_urls)
            extra = [CSS(url=url, url_fetcher=fetcher) for url in extra_urls]
            images: dict = {}
            rendered = document.render(stylesheets=extra, pdf_variant=PDF_VARIANT, cache=images)
            _release_layout_context(images)
            if title:
                rendered.metadata.title = title
            if not rendered.metadata.title:
                raise ValueError("A PDF/UA report needs a <title> in its HTML, or title=")
            if not rendered.metadata.lang:
                raise ValueError('A PDF/UA report needs a language: <html lang="en-GB">')
            data = rendered.write_pdf(pdf_variant=PDF_VARIANT)
            return RenderedPdf(data, len(rendered.pages))
    except FatalURLFetchingError as error:
        raise PdfRenderError(str(error)) from error


def pdf_page_count(data: bytes) -> int:
    """The number of pages in a PDF, read back with pypdf (slow for a long report: see
    ``RenderedPdf``)."""
    return len(PdfReader(BytesIO(data)).pages)


def pdf_text(data: bytes) -> str:
    """The text of a PDF, page after page, as pypdf extracts it."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(data)).pages)

"""Render committee reports to PDF with WeasyPrint, fetching nothing but our own files.

A report's HTML carries user text (narratives, comments). Left to WeasyPrint's default
fetcher, ``<img src="http://internal-host/">`` or ``file:///etc/passwd`` in it would make
the server fetch that URL. ``SafeURLFetcher`` serves only ``data:`` URLs and files whose
real path lies under roots we name (the static and fonts directories); anything else is
refused. WeasyPrint logs a refused image and leaves it out, while a stylesheet that cannot
be loaded stops the render (``PdfRenderError``), so a job fails instead of producing an
unstyled report.

``render_pdf`` lays out one document in this process. ``render_pdf_in_two`` lays out two
documents at once, the parts of one report, each in a forked process, and joins their
PDFs into one (``join_tagged_pdfs``) with pages numbered through both: WeasyPrint uses
one core, and a long report's appendix is most of its pages.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import hashlib
import math
import mimetypes
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path
from typing import NamedTuple, NoReturn
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pikepdf
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


def _trim_heap() -> None:
    """Give the C heap's free memory back to the system (glibc's malloc_trim)."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


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
    extra_pages: int = 0,
) -> RenderedPdf:
    """Render ``html`` to a tagged PDF/UA-1 document; return its bytes and page count.
    ``extra_pages`` are pages to be appended afterwards (a report's uploaded
    appendices): the total page count printed ("Page 3 of N") counts them.

    Relative URLs resolve against ``base_url`` and are served by a ``SafeURLFetcher``
    limited to ``allowed_roots``; ``stylesheets`` are extra files (under those roots)
    applied as author stylesheets. ``title`` replaces the HTML ``<title>`` as the PDF
    title. The HTML must declare ``<html lang="...">`` and a title (PDF/UA requires both):
    ``ValueError`` otherwise. A stylesheet that cannot be loaded raises
    ``PdfRenderError``; a refused or missing image is logged by WeasyPrint and left out.
    """
    try:
        with _fewer_collections():
            return _render(
                html,
                base_url=base_url,
                allowed_roots=allowed_roots,
                stylesheets=stylesheets,
                title=title,
                continuity=(
                    (lambda pages, strings: (1, pages + extra_pages, {})) if extra_pages else None
                ),
            )
    except FatalURLFetchingError as error:
        raise PdfRenderError(str(error)) from error


def _render(
    html: str,
    *,
    base_url: str | Path,
    allowed_roots: Sequence[Path],
    stylesheets: Sequence[Path],
    title: str | None,
    continuity: Callable[[int, dict[str, str]], tuple[int, int, dict[str, str]]] | None = None,
) -> RenderedPdf:
    """``render_pdf`` without its error translation and garbage-collector settings;
    ``continuity`` numbers the pages as a part of a longer document (see
    ``_PART_CONTINUITY``)."""
    fetcher = SafeURLFetcher(allowed_roots)
    document = HTML(string=html, base_url=str(base_url), url_fetcher=fetcher)
    fetcher.stylesheet_urls |= _linked_stylesheet_urls(document)
    extra_urls = [path2url(Path(stylesheet)) for stylesheet in stylesheets]
    fetcher.stylesheet_urls |= set(extra_urls)
    extra = [CSS(url=url, url_fetcher=fetcher) for url in extra_urls]
    images: dict = {}
    token = _PART_CONTINUITY.set(continuity)
    try:
        rendered = document.render(stylesheets=extra, pdf_variant=PDF_VARIANT, cache=images)
    finally:
        _PART_CONTINUITY.reset(token)
    _release_layout_context(images)
    _trim_heap()
    if title:
        rendered.metadata.title = title
    if not rendered.metadata.title:
        raise ValueError("A PDF/UA report needs a <title> in its HTML, or title=")
    if not rendered.metadata.lang:
        raise ValueError('A PDF/UA report needs a language: <html lang="en-GB">')
    data = rendered.write_pdf(pdf_variant=PDF_VARIANT)
    return RenderedPdf(data, len(rendered.pages))


class PdfPartError(Exception):
    """A part of a PDF rendered in another process failed (the message says how), or
    that process stopped without a word."""


PART_STOPPED = "A process rendering part of the report stopped without a word."
PEER_STOPPED = "The process rendering the other part of the report stopped."


# Parts of one document ------------------------------------------------------------------
#
# WeasyPrint lays a document out on one core. `render_pdf_in_two` lays out two parts of
# a report at once (the sections, and the appendices that start on a page of their own)
# and joins their PDFs. Each part must number its pages and show its running strings as
# the whole document would: the parts tell each other their page counts, and the first
# its running strings, once pagination is over and before the margin boxes are laid out
# (WeasyPrint makes those last, from each page's counter values). `_make_margin_boxes`
# hands that moment to the `_PART_CONTINUITY` of the render in progress, a callable
# `(pages, strings at the end) -> (number of the first page, total pages, strings in
# effect before the first page)`.
_PART_CONTINUITY: ContextVar[Callable | None] = ContextVar("pdf_part_continuity", default=None)
_layout_module = sys.modules["weasyprint.layout"]
_MAKE_MARGIN_BOXES = _layout_module.make_margin_boxes


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


if weasyprint.__version__.split(".")[0] == "70" and (
    _layout_module.make_margin_boxes is _MAKE_MARGIN_BOXES
):
    _layout_module.make_margin_boxes = _make_margin_boxes
# Whether render_pdf_in_two can work here: it forks, which is safe on Linux (macOS's
# system libraries may crash in a forked child; Windows has no fork), and it needs the
# hook above, which knows WeasyPrint 70's layout.
CAN_RENDER_IN_PARTS = (
    sys.platform.startswith("linux") and _layout_module.make_margin_boxes is _make_margin_boxes
)


def render_pdf_in_two(
    front_html: str,
    back_html: str,
    *,
    base_url: str | Path,
    allowed_roots: Sequence[Path],
    front_stylesheets: Sequence[Path] = (),
    back_stylesheets: Sequence[Path] = (),
    title: str | None = None,
    timeout: float | None = None,
    extra_pages: int = 0,
) -> RenderedPdf:
    """Render two HTML documents as one tagged PDF, each in a forked process of its
    own at the same time, and join them with ``join_tagged_pdfs``.

    The second must begin on a page of its own. Pages are numbered through both, and
    the running strings (``string-set``) in effect at the end of the first carry into
    the second, so the result reads as one document rendered whole. Each part is laid
    out in a child, not here, so that all of its memory goes back when it exits: the
    first part waits, laid out, for the second's page count, and is gone by the time
    the second writes its PDF, its peak. As ``render_pdf``: a stylesheet that cannot be
    loaded raises ``PdfRenderError``; any other failure of a part ``PdfPartError``, as
    does a part not done within ``timeout`` seconds (a child stuck on a lock that
    another thread held when this one forked, say). The children die with this process,
    and are killed if it fails or is interrupted (by a Celery time limit, say).
    """
    if not CAN_RENDER_IN_PARTS:
        raise RuntimeError("Rendering in parts needs Linux and WeasyPrint 70")
    options = {"base_url": base_url, "allowed_roots": allowed_roots, "title": title}
    with tempfile.TemporaryDirectory(prefix="report-pdf-") as folder:
        parts = (
            ("front", front_html, front_stylesheets, Path(folder) / "front.pdf"),
            ("back", back_html, back_stylesheets, Path(folder) / "back.pdf"),
        )
        ends = dict(zip(("front", "back"), multiprocessing.Pipe(), strict=True))
        reports: dict = {}  # connection from each child -> its pid
        gc.collect()
        _trim_heap()
        # The children share this process's memory until one writes to it; frozen, the
        # objects here are left alone by their garbage collections, which would touch,
        # and so copy, every page holding one.
        gc.freeze()
        try:
            for role, html, stylesheets, path in parts:
                ours, theirs = multiprocessing.Pipe(duplex=False)
                pid = os.fork()
                if pid == 0:  # pragma: no cover - the child ends in os._exit
                    ours.close()
                    ends["back" if role == "front" else "front"].close()
                    _render_part_and_exit(
                        role, ends[role], theirs, html, path, stylesheets, options, extra_pages
                    )
                theirs.close()
                reports[ours] = pid
            for end in ends.values():
                end.close()
            _await_parts(reports, timeout=timeout)
        except BaseException:
            for pid in reports.values():
                _kill(pid)
            raise
        finally:
            gc.unfreeze()
            for connection in (*ends.values(), *reports):
                connection.close()
        return join_tagged_pdfs(*(path.read_bytes() for *_, path in parts))


def _render_part_and_exit(
    role: str,
    peer,
    report,
    html: str,
    path: Path,
    stylesheets: Sequence[Path],
    options: dict,
    extra_pages: int = 0,
) -> NoReturn:  # pragma: no cover - runs in a forked child, tested by its results
    """A forked child: render the ``role`` part, trading page counts and running
    strings with the other part through ``peer``, write it to ``path``, tell the
    parent through ``report`` (``("done", pages)`` or ``("error", stylesheet?,
    text)``), and exit."""
    code = 1
    try:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(signum, signal.SIG_DFL)  # not the Celery worker's handlers
        _die_with_parent()

        def continuity(pages: int, strings: dict[str, str]) -> tuple[int, int, dict]:
            try:
                peer.send(("pages", pages, strings if role == "front" else {}))
            except OSError:  # the other part's process has gone
                raise PdfPartError(PEER_STOPPED) from None
            other_pages, other_strings = _expect(peer, "pages", stopped=PEER_STOPPED)
            total = pages + other_pages + extra_pages
            if role == "front":
                return 1, total, {}
            return other_pages + 1, total, other_strings

        with _fewer_collections():
            rendered = _render(html, stylesheets=stylesheets, continuity=continuity, **options)
        path.write_bytes(rendered.data)
        report.send(("done", rendered.page_count))
        code = 0
    except BaseException as error:
        with suppress(Exception):
            stylesheet = isinstance(error, FatalURLFetchingError)
            report.send(("error", stylesheet, f"{type(error).__name__}: {error}"))
    finally:
        # No atexit handlers, no flushing of buffers or closing of connections that
        # are the parent's.
        os._exit(code)


def _await_parts(reports: dict, *, timeout: float | None = None) -> None:
    """Wait for every child to say it is done; raise a failure if one does not, or if
    they are not all done within ``timeout`` seconds. When one part fails, the other
    stops too for want of its page count, and says only that (``PEER_STOPPED``): the
    failing part's own error, or that its process died without a word, is raised in
    preference, if it comes within 5 seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    pending, failures = dict(reports), []
    while pending:
        wait = None if deadline is None else max(deadline - time.monotonic(), 0)
        if failures:
            wait = 5 if wait is None else min(wait, 5)
        ready = multiprocessing.connection.wait(list(pending), timeout=wait)
        if not ready:
            break
        for connection in ready:
            pid = pending.pop(connection)
            try:
                _expect(connection, "done")
            except (PdfPartError, PdfRenderError) as error:
                failures.append(error)
            else:
                _reap(pid)
    if failures:
        raise min(failures, key=lambda error: str(error).endswith(PEER_STOPPED))
    if pending:
        raise PdfPartError(f"The report's parts were not rendered within {timeout:g} seconds.")


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    """Have Linux kill this process if its parent dies (PR_SET_PDEATHSIG), so that a
    worker killed at its hard time limit leaves no render running on."""
    parent = os.getppid()
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _expect(conn, kind: str, stopped: str = PART_STOPPED) -> tuple:
    """The next message from another process, which must be of ``kind``; if it has
    gone, ``PdfPartError(stopped)``."""
    try:
        message = conn.recv()
    except (EOFError, OSError):
        raise PdfPartError(stopped) from None
    if message[0] == "error":
        _, stylesheet, text = message
        raise (PdfRenderError if stylesheet else PdfPartError)(text)
    if message[0] != kind:
        raise PdfPartError(f"Expected {kind!r} from a part's process, got {message!r}")
    return message[1:]


def _reap(pid: int) -> None:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:  # reaped by a SIGCHLD handler of the host process
        return
    if code := os.waitstatus_to_exitcode(status):
        raise PdfPartError(f"A process rendering part of the report exited with {code}.")


def _kill(pid: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with suppress(ChildProcessError):
        os.waitpid(pid, 0)


def join_tagged_pdfs(first: bytes, second: bytes) -> RenderedPdf:
    """One tagged PDF of ``first``'s pages and then ``second``'s, with ``first``'s
    catalog (language, metadata, viewer preferences).

    Both come from WeasyPrint's PDF/UA writer: a structure tree root whose one
    ``Document`` element holds the page elements, and a flat parent tree (``Nums``)
    keyed by each page's ``StructParents`` and each annotation's ``StructParent``. The
    second's ``Document`` children move under the first's, its keys move past the
    first's highest, and its outline items and named destinations are added after the
    first's. qpdf (through pikepdf) copies the second's objects once each, so that every
    reference to one of its pages lands on the copied page; objects left unreferenced
    (the second's own root and outline) are not written. The second's font subsets get
    tags of their own (``_retag_font_subsets``).
    """
    whole = pikepdf.open(BytesIO(first))
    part = pikepdf.open(BytesIO(second))
    tree, part_tree = whole.Root.StructTreeRoot, part.Root.StructTreeRoot
    for name, each in (("first", tree), ("second", part_tree)):
        if "/Nums" not in each.ParentTree or len(each.K) != 1:
            raise ValueError(f"The {name} PDF's structure tree is not as WeasyPrint writes it")
    nums = tree.ParentTree.Nums
    shift = max((int(key) for key in nums[::2]), default=-1) + 1
    count = len(whole.pages)
    whole.pages.extend(part.pages)
    _retag_font_subsets(whole.pages[count:], taken=_font_subset_tags(whole.pages[:count]))
    for page in whole.pages[count:]:
        page.obj.StructParents = int(page.obj.StructParents) + shift
        for annotation in page.obj.get("/Annots", ()):
            if "/StructParent" in annotation:
                annotation.StructParent = int(annotation.StructParent) + shift
    document = tree.K[0]
    copied = whole.copy_foreign(part_tree.K[0])
    for element in copied.K:
        element.P = document
        document.K.append(element)
    copied_nums = copied.P.ParentTree.Nums
    for index in range(0, len(copied_nums), 2):
        nums.append(int(copied_nums[index]) + shift)
        nums.append(copied_nums[index + 1])
    _join_outlines(whole, part)
    _join_destinations(whole, part)
    out = BytesIO()
    whole.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, deterministic_id=True)
    return RenderedPdf(out.getvalue(), len(whole.pages))


def _page_fonts(pages) -> list[pikepdf.Dictionary]:
    """The fonts of ``pages`` and their descendant fonts, each once."""
    fonts, seen = [], set()
    for page in pages:
        resources = page.obj.get("/Resources", pikepdf.Dictionary())
        for font in resources.get("/Font", pikepdf.Dictionary()).values():
            for each in (font, *font.get("/DescendantFonts", ())):
                if each.objgen not in seen:
                    seen.add(each.objgen)
                    fonts.append(each)
    return fonts


def _subset_tag(font: pikepdf.Dictionary) -> str | None:
    tag, plus, _ = str(font.get("/BaseFont", "")).lstrip("/").partition("+")
    return tag if plus and len(tag) == 6 and tag.isalpha() and tag.isupper() else None


def _font_subset_tags(pages) -> set[str]:
    return {tag for font in _page_fonts(pages) if (tag := _subset_tag(font))}


def _retag_font_subsets(pages, *, taken: set[str]) -> None:
    """Give the font subsets of ``pages`` tags that none in ``taken`` has.

    WeasyPrint tags a subset (``ABCDEF+DejaVu-Sans``) by the font alone, so both parts
    of a report name their different subsets of the same font alike; a PDF must not
    (ISO 32000-1, 9.6.4), and a reader may take one for the other and draw the wrong
    glyphs. A new tag is derived from the old one, the same every time."""
    renamed: dict[str, str] = {}
    for font in _page_fonts(pages):
        tag = _subset_tag(font)
        if tag is None:
            continue
        if tag not in renamed:
            seed, new = tag, tag
            while new in taken or new == tag:
                seed = hashlib.md5(f"{seed}+part".encode(), usedforsecurity=False).hexdigest()
                new = "".join(chr(65 + int(seed[i : i + 2], 16) % 26) for i in range(0, 12, 2))
            renamed[tag] = new
            taken.add(new)
        name = pikepdf.Name("/" + renamed[tag] + str(font.BaseFont)[len(tag) + 1 :])
        font.BaseFont = name
        if "/FontDescriptor" in font:
            font.FontDescriptor.FontName = name


def _join_outlines(whole: pikepdf.Pdf, part: pikepdf.Pdf) -> None:
    """Add ``part``'s top-level outline items, with what they hold, after ``whole``'s."""
    if "/Outlines" not in part.Root or "/First" not in part.Root.Outlines:
        return
    copied = whole.copy_foreign(part.make_indirect(part.Root.Outlines))
    if "/Outlines" not in whole.Root:
        whole.Root.Outlines = whole.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.Outlines, Count=0)
        )
    outlines = whole.Root.Outlines
    item = copied.First
    while True:
        item.Parent = outlines
        if "/Next" not in item:
            break
        item = item.Next
    if "/Last" in outlines:
        outlines.Last.Next = copied.First
        copied.First.Prev = outlines.Last
    else:
        outlines.First = copied.First
    outlines.Last = copied.Last
    outlines.Count = int(outlines.get("/Count", 0)) + int(copied.get("/Count", 0))


def _join_destinations(whole: pikepdf.Pdf, part: pikepdf.Pdf) -> None:
    """Merge ``part``'s named destinations (one flat, sorted name tree) into ``whole``'s."""
    if "/Names" not in part.Root or "/Dests" not in part.Root.Names:
        return
    copied = whole.copy_foreign(part.make_indirect(part.Root.Names.Dests))
    if "/Names" not in whole.Root:
        whole.Root.Names = pikepdf.Dictionary()
    if "/Dests" not in whole.Root.Names:
        whole.Root.Names.Dests = pikepdf.Dictionary(Names=pikepdf.Array())
    pairs = []
    for tree in (whole.Root.Names.Dests, copied):
        if "/Names" not in tree:
            raise ValueError("Named destinations are not a flat name tree")
        names = tree.Names
        pairs += [(names[index], names[index + 1]) for index in range(0, len(names), 2)]
    pairs.sort(key=lambda pair: bytes(pair[0]))
    whole.Root.Names.Dests.Names = pikepdf.Array([value for pair in pairs for value in pair])


def pdf_page_count(data: bytes) -> int:
    """The number of pages in a PDF, read back with pypdf (slow for a long report: see
    ``RenderedPdf``)."""
    return len(PdfReader(BytesIO(data)).pages)


def pdf_text(data: bytes) -> str:
    """The text of a PDF, page after page, as pypdf extracts it."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(data)).pages)

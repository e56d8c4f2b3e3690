"""Lay out one HTML document as a tagged PDF/UA-1 file, in this process.

``render_pdf`` is the whole of it for short documents; ``parts.render_pdf_in_two`` uses
``_render`` to lay out the two parts of a long report at once.
"""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import NamedTuple

from weasyprint import CSS, HTML

from reporting.pdf import internals
from reporting.pdf.fetcher import FatalURLFetchingError, PdfRenderError, SafeURLFetcher, path2url

PDF_VARIANT = "pdf/ua-1"
# Garbage-collector thresholds while a PDF is rendered (generation 0, 1, 2). Layout
# allocates millions of boxes and text objects; at Python's defaults (700, 10, 10) the
# collector runs thousands of times over them, which cost about 13% of the CPU of a
# 1,000-action report. The previous thresholds come back once the render ends.
RENDER_GC_THRESHOLDS = (50_000, 20, 100)


class RenderedPdf(NamedTuple):
    """A rendered PDF and its number of pages, as WeasyPrint laid them out.

    The count comes with the PDF because reading it back is slow: pypdf resolves the
    catalog by parsing the object stream that holds it, every object before it included,
    which took 6-7 s for a 250-page report."""

    data: bytes
    page_count: int


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


def _trim_heap() -> None:
    """Give the C heap's free memory back to the system (glibc's malloc_trim)."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


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
    ``internals.part_continuity``)."""
    fetcher = SafeURLFetcher(allowed_roots)
    document = HTML(string=html, base_url=str(base_url), url_fetcher=fetcher)
    fetcher.stylesheet_urls |= internals.linked_stylesheet_urls(document)
    extra_urls = [path2url(Path(stylesheet)) for stylesheet in stylesheets]
    fetcher.stylesheet_urls |= set(extra_urls)
    extra = [CSS(url=url, url_fetcher=fetcher) for url in extra_urls]
    images: dict = {}
    with internals.part_continuity(continuity):
        rendered = document.render(stylesheets=extra, pdf_variant=PDF_VARIANT, cache=images)
    internals.release_layout_context(images)
    _trim_heap()
    if title:
        rendered.metadata.title = title
    if not rendered.metadata.title:
        raise ValueError("A PDF/UA report needs a <title> in its HTML, or title=")
    if not rendered.metadata.lang:
        raise ValueError('A PDF/UA report needs a language: <html lang="en-GB">')
    data = rendered.write_pdf(pdf_variant=PDF_VARIANT)
    return RenderedPdf(data, len(rendered.pages))

"""Committee reports as tagged PDF/UA-1 files, laid out by WeasyPrint.

- ``fetcher``: ``SafeURLFetcher``, the only way a render reads anything (``data:`` URLs
  and files under the roots we name; nothing from the network).
- ``render``: ``render_pdf``, one document laid out in this process.
- ``parts``: ``render_pdf_in_two``, the two parts of a long report laid out at once in
  forked processes and joined (``join``).
- ``internals``: every use of WeasyPrint's and pydyf's private names, applied
  defensively; on another WeasyPrint the reports still render whole, more slowly.
"""

from reporting.pdf.fetcher import PdfRenderError, SafeURLFetcher, URLRefusedError
from reporting.pdf.join import join_tagged_pdfs, pdf_page_count, pdf_text
from reporting.pdf.parts import CAN_RENDER_IN_PARTS, PdfPartError, render_pdf_in_two
from reporting.pdf.render import RENDER_GC_THRESHOLDS, RenderedPdf, render_pdf

__all__ = [
    "CAN_RENDER_IN_PARTS",
    "RENDER_GC_THRESHOLDS",
    "PdfPartError",
    "PdfRenderError",
    "RenderedPdf",
    "SafeURLFetcher",
    "URLRefusedError",
    "join_tagged_pdfs",
    "pdf_page_count",
    "pdf_text",
    "render_pdf",
    "render_pdf_in_two",
]

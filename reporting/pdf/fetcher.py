"""The only way a report's PDF reads anything: ``data:`` URLs and files under our roots.

A report's HTML carries user text (narratives, comments). Left to WeasyPrint's default
fetcher, ``<img src="http://internal-host/">`` or ``file:///etc/passwd`` in it would make
the server fetch that URL. ``SafeURLFetcher`` serves only ``data:`` URLs and files whose
real path lies under roots we name (the static and fonts directories); anything else is
refused. WeasyPrint logs a refused image and leaves it out, while a stylesheet that cannot
be loaded stops the render (``PdfRenderError``), so a job fails instead of producing an
unstyled report.

It is built on WeasyPrint's public fetcher classes (WeasyPrint 68 and later). On a
WeasyPrint without them the site still starts, and every render is refused with
``PdfRenderError`` saying why: reports are never rendered with a fetcher that could reach
the network.
"""

from __future__ import annotations

import logging
import mimetypes
import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import weasyprint

logger = logging.getLogger(__name__)


class URLRefusedError(ValueError):
    """The URL is not one the report renderer may fetch."""


class PdfRenderError(Exception):
    """The PDF could not be rendered, e.g. because a stylesheet could not be loaded.

    WeasyPrint's ``FatalURLFetchingError`` derives from ``BaseException``, which
    ``except Exception`` in job code would miss; ``render_pdf`` turns it into this.
    """


# Why reports cannot be rendered here, or None.
UNAVAILABLE: str | None = None

try:
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse, path2url
except ImportError as error:
    UNAVAILABLE = (
        f"Reports cannot be rendered: WeasyPrint {weasyprint.__version__} lacks what the "
        f"safe URL fetcher is built on ({error}); it needs WeasyPrint 68 or later."
    )
    logger.error(UNAVAILABLE)

    class FatalURLFetchingError(BaseException):
        """Stands in for WeasyPrint's; never raised by it."""

    class URLFetcherResponse:  # noqa: D101 - never built: URLFetcher refuses first
        pass

    class URLFetcher:
        """Refuses to be built, so that no render starts without the safe fetcher."""

        def __init__(self, *args, **kwargs) -> None:
            raise PdfRenderError(UNAVAILABLE)

    def path2url(path) -> str:
        return Path(os.path.realpath(path)).as_uri()


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

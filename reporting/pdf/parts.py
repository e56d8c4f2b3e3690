"""Two parts of one report laid out at once, each in a forked process, joined into one PDF.

WeasyPrint lays a document out on one core, and a long report's appendix is most of its
pages. ``render_pdf_in_two`` lays out the sections and the appendices (which start on a
page of their own) in two children at once; they tell each other their page counts and
running strings through ``internals.part_continuity``, so that the joined PDF
(``join.join_tagged_pdfs``) reads as one document rendered whole.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import NoReturn

from reporting.pdf import internals
from reporting.pdf.fetcher import FatalURLFetchingError, PdfRenderError
from reporting.pdf.join import join_tagged_pdfs
from reporting.pdf.render import RenderedPdf, _fewer_collections, _render, _trim_heap


class PdfPartError(Exception):
    """A part of a PDF rendered in another process failed (the message says how), or
    that process stopped without a word."""


PART_STOPPED = "A process rendering part of the report stopped without a word."
PEER_STOPPED = "The process rendering the other part of the report stopped."


def can_render_in_parts() -> bool:
    """Whether ``render_pdf_in_two`` can work here: it forks, which is safe on Linux
    (macOS's system libraries may crash in a forked child; Windows has no fork), and it
    needs the ``margin_boxes`` patch of ``internals``, which knows WeasyPrint 70's layout."""
    return sys.platform.startswith("linux") and internals.can_continue_numbering()


CAN_RENDER_IN_PARTS = can_render_in_parts()


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
    if not can_render_in_parts():
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

"""Tests for PDF rendering: text, PDF/UA, shipped fonts, and a fetcher that fetches nothing
outside the static directories."""

import base64
import gc
import os
import shutil
import subprocess
import sys
import threading
import weakref
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

import pydyf
import pytest
import weasyprint
from PIL import Image
from pypdf import PdfReader
from weasyprint.layout import LayoutContext
from weasyprint.urls import FatalURLFetchingError

from core.charts import as_image, rag_stacked_bars
from reporting.pdf import (
    RENDER_GC_THRESHOLDS,
    PdfRenderError,
    SafeURLFetcher,
    URLRefusedError,
    pdf_page_count,
    pdf_text,
    render_pdf,
)
from reporting.pdf import internals as pdf_internals

PROJECT_STATIC = Path(__file__).resolve().parents[2] / "static"

# Python's audit hooks see every open() and socket connect in the process, so a test can
# prove that nothing was read or requested. A hook cannot be removed: it records only
# inside audit_events().
_recording: list[tuple[str, tuple]] | None = None


def _audit(event: str, args: tuple) -> None:
    if _recording is not None and event in {"open", "socket.connect", "urllib.Request"}:
        _recording.append((event, args))


sys.addaudithook(_audit)


@contextmanager
def audit_events():
    global _recording
    _recording = events = []
    try:
        yield events
    finally:
        _recording = None


def opened_paths(events) -> list[str]:
    return [os.fsdecode(args[0]) for event, args in events if event == "open" and args[0]]


def network_events(events) -> list[tuple[str, tuple]]:
    return [(event, args) for event, args in events if event != "open"]


def page(body: str, head: str = "", *, lang: str = "en-GB", title: str = "Report") -> str:
    lang_attr = f' lang="{lang}"' if lang else ""
    title_tag = f"<title>{title}</title>" if title else ""
    return (
        f"<!doctype html><html{lang_attr}><head>{title_tag}{head}</head><body>{body}</body></html>"
    )


def png_bytes(colour: str = "red") -> bytes:
    out = BytesIO()
    Image.new("RGB", (4, 4), colour).save(out, "PNG")
    return out.getvalue()


def image_count(data: bytes) -> int:
    return sum(len(p.images) for p in PdfReader(BytesIO(data)).pages)


@pytest.fixture
def site(tmp_path):
    """A static root with a stylesheet and an image, and a secret directory beside it."""
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "img").mkdir()
    (static / "css" / "report.css").write_text('h1::after { content: " (styled)"; }')
    (static / "img" / "dot.png").write_bytes(png_bytes())
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(png_bytes("blue"))
    (outside / "secret.css").write_text('h1::after { content: " LEAKED"; }')
    return static, outside


def render(html: str, static: Path, **kwargs) -> bytes:
    return render_pdf(html, base_url=static, allowed_roots=[static], **kwargs).data


class _Recorder(BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.requests.append(self.path)
        body = png_bytes() if self.path.endswith(".png") else b"h1 { color: red }"
        self.send_response(200)
        self.send_header("Content-Type", "image/png" if self.path.endswith(".png") else "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    """A server on an ephemeral loopback port that records every request it receives."""
    handler = type("Handler", (_Recorder,), {"requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_recording_server_does_record_requests(http_server):
    """The zero-request assertions below mean something only if requests would show."""
    url, requests = http_server
    from urllib.request import urlopen

    with urlopen(f"{url}/probe.png", timeout=5) as response:  # noqa: S310 - loopback
        assert response.status == 200
    assert requests == ["/probe.png"]


# Rendering --------------------------------------------------------------------------


def test_it_renders_text_and_pages(site):
    static, _ = site
    html = page('<h1>Improvement plan</h1><p style="break-before: page">Second page</p>')

    data, page_count = render_pdf(html, base_url=static, allowed_roots=[static])

    assert data.startswith(b"%PDF-")
    assert pdf_page_count(data) == page_count == 2
    text = pdf_text(data)
    assert "Improvement plan" in text
    assert "Second page" in text


def test_it_declares_pdf_ua_with_language_and_structure(site):
    static, _ = site

    reader = PdfReader(BytesIO(render(page("<p>Hello</p>"), static)))
    catalog = reader.trailer["/Root"]

    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert catalog["/Lang"] == "en-GB"
    assert "/StructTreeRoot" in catalog
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert 'pdfuaid:part="1"' in xmp
    assert reader.metadata.title == "Report"


def test_the_collector_runs_less_often_during_a_render_and_as_before_after(site, monkeypatch):
    static, _ = site
    seen = []
    original = weasyprint.Document.write_pdf

    def write_pdf(self, *args, **kwargs):
        seen.append(gc.get_threshold())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.Document, "write_pdf", write_pdf)
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        render(page("<p>Hello</p>"), static)
        assert seen == [RENDER_GC_THRESHOLDS]
        assert gc.get_threshold() == (700, 10, 10)

        with pytest.raises(ValueError, match="language"):
            render_pdf(
                "<html><head><title>T</title></head><body>x</body></html>",
                base_url=static,
                allowed_roots=[static],
            )
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_garbage_the_caller_left_is_collected_before_the_render(site, monkeypatch):
    static, _ = site
    freed = []
    seen = []
    original = weasyprint.HTML.render

    def render_document(self, *args, **kwargs):
        seen.append(bool(freed))
        return original(self, *args, **kwargs)

    class Cycle:
        pass

    monkeypatch.setattr(weasyprint.HTML, "render", render_document)
    gc.disable()  # no automatic collection may free it first
    try:
        left = Cycle()
        left.itself = left
        weakref.finalize(left, freed.append, True)
        del left
        assert freed == []
        render(page("<p>Hello</p>"), static)
    finally:
        gc.enable()

    assert seen == [True]


def test_page_references_are_built_once_and_follow_added_pages():
    pdf = pydyf.PDF()
    for _ in range(3):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))

    first = pdf.page_references
    assert first == pydyf.PDF.uncached_page_references.fget(pdf)
    assert len(first) == 3
    assert pdf.page_references is first  # not rebuilt on every read

    pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    assert pdf.page_references == pydyf.PDF.uncached_page_references.fget(pdf)
    assert len(pdf.page_references) == 4


def test_tagged_structure_points_at_the_page_each_element_is_on(site):
    static, _ = site
    html = page(
        "<p>First page</p>"
        '<p style="break-before: page">Second page</p>'
        '<p style="break-before: page">Third page</p>'
    )

    reader = PdfReader(BytesIO(render(html, static)))

    pages = [p.indirect_reference.idnum for p in reader.pages]
    found = {}

    def walk(element):
        element = element.get_object()
        kids = element.get("/K")
        if "/Pg" in element and element.get("/S") == "/P":
            found[len(found)] = element.raw_get("/Pg").idnum
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    assert list(found.values()) == pages


def test_a_title_argument_replaces_the_html_title(site):
    static, _ = site

    data = render(page("<p>Hello</p>"), static, title="Scrutiny committee, March")

    assert PdfReader(BytesIO(data)).metadata.title == "Scrutiny committee, March"


@pytest.mark.parametrize(
    ("html", "message"),
    [
        (page("<p>Hello</p>", lang=""), "language"),
        (page("<p>Hello</p>", title=""), "title"),
    ],
    ids=["no lang", "no title"],
)
def test_html_without_language_or_title_is_refused(site, html, message):
    static, _ = site

    with pytest.raises(ValueError, match=message):
        render(html, static)


def test_fonts_from_static_are_embedded():
    html = page(
        "<p>Plain <b>bold</b> <i>italic</i></p>",
        '<link rel="stylesheet" href="css/fonts.css">'
        '<style>body { font-family: "DejaVu Sans" }</style>',
    )

    with audit_events() as events:
        data = render(html, PROJECT_STATIC)

    fonts_dir = str(PROJECT_STATIC / "fonts")
    read = {Path(p).name for p in opened_paths(events) if p.startswith(fonts_dir)}
    assert {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"} <= read
    names = {
        str(font.get_object()["/BaseFont"])
        for pdf_page in PdfReader(BytesIO(data)).pages
        for font in pdf_page["/Resources"]["/Font"].values()
    }
    assert names and all("DejaVu" in name and "Sans" in name for name in names)


def test_the_font_licence_ships_with_the_fonts():
    licence = (PROJECT_STATIC / "fonts" / "LICENSE-DejaVu.txt").read_text()

    assert "Bitstream" in licence
    assert "DejaVu" in licence


def test_a_chart_renders_into_the_pdf_as_text(site):
    static, _ = site
    chart = rag_stacked_bars(
        [("1 Care leavers", {"blue": 2, "green": 5, "amber": 1, "": 3})], title="Ratings"
    )

    text = pdf_text(render(page(chart), static))

    assert "1 Care leavers" in text
    assert "Not rated" in text
    for count in ("2", "5", "1", "3", "11"):
        assert count in text


def layout_contexts() -> list:
    """WeasyPrint's layout contexts alive now. By type, not isinstance: isinstance asks
    each object its __class__, which wakes lazy objects such as a request's CSP nonce
    (and that one raises once its response is written)."""
    return [o for o in gc.get_objects() if issubclass(type(o), LayoutContext)]


def test_the_layout_state_is_let_go_before_the_pdf_is_written_and_chart_images_still_draw(
    site, monkeypatch
):
    static, _ = site
    charts = "".join(
        as_image(rag_stacked_bars([(f"Area {n}", {"green": n, "red": 1})], title=f"Chart {n}"))
        for n in (2, 3)
    )
    held = []
    original = weasyprint.Document.write_pdf

    def write_pdf(self, *args, **kwargs):
        # A layout context of this render still holding its state (styles, page states)
        # while the PDF is written is memory the render no longer needs.
        held.extend(o for o in layout_contexts() if vars(o) and id(o) not in earlier)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.Document, "write_pdf", write_pdf)
    gc.collect()  # contexts other tests left for the collector
    earlier = {id(o) for o in layout_contexts()}  # still alive elsewhere: not this render's
    text = pdf_text(render(page(f"<p>Two charts</p>{charts}"), static))

    assert held == []
    assert "Area 2" in text and "Area 3" in text


def test_stylesheets_and_images_under_the_root_are_used(site):
    static, _ = site
    html = page(
        '<h1>Plan</h1><img src="img/dot.png" alt="">',
        '<link rel="stylesheet" href="css/report.css">',
    )

    data = render(html, static)

    assert "Plan (styled)" in pdf_text(data)
    assert image_count(data) == 1


def test_extra_stylesheets_are_applied(site):
    static, _ = site

    data = render(page("<h1>Plan</h1>"), static, stylesheets=[static / "css" / "report.css"])

    assert "Plan (styled)" in pdf_text(data)


def test_data_urls_are_served(site):
    static, _ = site
    html = page(
        "<h1>Plan</h1>",
        '<link rel="stylesheet" href="data:text/css,h1::after{content:%22 (data)%22}">',
    )

    assert "Plan (data)" in pdf_text(render(html, static))


# Refusals ---------------------------------------------------------------------------

IMAGES = {
    "img over http": '<img src="{url}/x.png" alt="">',
    "img over https": '<img src="https://127.0.0.1:1/x.png" alt="">',
    "img over ftp": '<img src="ftp://127.0.0.1:1/x.png" alt="">',
    "img of /etc/passwd": '<img src="file:///etc/passwd" alt="">',
    "img on another host": '<img src="file://127.0.0.1/etc/passwd" alt="">',
    "img with unknown scheme": '<img src="gopher://127.0.0.1:1/x.png" alt="">',
    "css background": '<div style="background-image: url({url}/bg.png)">x</div>',
    "svg image": '<svg width="9" height="9"><image href="{url}/svg.png" width="9" height="9"/>'
    "</svg>",
    "object": '<object data="{url}/object.png"></object>',
    "embed": '<embed src="{url}/embed.png">',
    "attachment": '<a rel="attachment" href="{url}/file.txt">file</a>',
    "font": "<style>@font-face {{ font-family: X; src: url({url}/x.ttf) }} p {{ font-family: X"
    " }}</style><p>x</p>",
}


@pytest.mark.parametrize("snippet", IMAGES.values(), ids=IMAGES.keys())
def test_images_and_other_resources_outside_the_root_are_never_fetched(
    site, http_server, snippet, caplog
):
    static, _ = site
    url, requests = http_server

    with audit_events() as events:
        data = render(page("<p>Still rendered</p>" + snippet.format(url=url)), static)

    assert "Still rendered" in pdf_text(data)
    assert image_count(data) == 0
    assert requests == []
    assert network_events(events) == []
    assert "/etc/passwd" not in opened_paths(events)


def test_a_refused_image_is_logged_with_the_reason(site, caplog):
    static, _ = site

    render(page('<img src="file:///etc/passwd" alt="">'), static)

    assert "Refused 'file:///etc/passwd': outside the allowed directories" in caplog.text


STYLESHEETS = {
    "http link": '<link rel="stylesheet" href="{url}/report.css">',
    "http link without .css": '<link rel="stylesheet" href="{url}/styles">',
    "/etc/passwd link": '<link rel="stylesheet" href="file:///etc/passwd">',
    "missing file under the root": '<link rel="stylesheet" href="css/missing.css">',
    "http @import": "<style>@import url({url}/imported.css);</style>",
    "file outside the root": '<link rel="stylesheet" href="../outside/secret.css">',
    "percent-encoded ../": '<link rel="stylesheet" href="css/%2e%2e/%2e%2e/outside/secret.css">',
}


@pytest.mark.parametrize("snippet", STYLESHEETS.values(), ids=STYLESHEETS.keys())
def test_a_stylesheet_that_cannot_be_loaded_fails_the_render(site, http_server, snippet):
    static, outside = site
    url, requests = http_server

    with audit_events() as events, pytest.raises(PdfRenderError, match="Stylesheet"):
        render(page("<h1>Plan</h1>", snippet.format(url=url)), static)

    assert requests == []
    assert network_events(events) == []
    opened = opened_paths(events)
    assert "/etc/passwd" not in opened
    assert str(outside / "secret.css") not in opened


def test_an_extra_stylesheet_outside_the_root_fails_the_render(site):
    static, outside = site

    with pytest.raises(PdfRenderError):
        render(page("<h1>Plan</h1>"), static, stylesheets=[outside / "secret.css"])


def test_a_render_failure_is_an_ordinary_exception(site):
    """FatalURLFetchingError is a BaseException; job code catching Exception must see it."""
    static, _ = site

    with pytest.raises(Exception) as caught:  # noqa: PT011, B017
        render(page("<h1>Plan</h1>", '<link rel="stylesheet" href="missing.css">'), static)

    assert isinstance(caught.value, PdfRenderError)
    assert isinstance(caught.value.__cause__, FatalURLFetchingError)


def test_dotdot_and_symlink_escapes_from_the_root_are_refused(site):
    static, outside = site
    (static / "img" / "link.png").symlink_to(outside / "secret.png")
    (static / "linked-dir").symlink_to(outside, target_is_directory=True)
    html = page(
        '<img src="../outside/secret.png" alt="">'
        '<img src="img/../../outside/secret.png" alt="">'
        '<img src="img/%2e%2e/%2e%2e/outside/secret.png" alt="">'
        '<img src="img/link.png" alt="">'
        '<img src="linked-dir/secret.png" alt="">'
        f'<img src="file://{outside}/secret.png" alt="">'
    )

    with audit_events() as events:
        data = render(html, static)

    assert image_count(data) == 0
    assert str(outside / "secret.png") not in opened_paths(events)


def test_a_symlinked_stylesheet_leading_outside_fails_the_render(site):
    static, outside = site
    (static / "css" / "evil.css").symlink_to(outside / "secret.css")

    with pytest.raises(PdfRenderError):
        render(page("<h1>Plan</h1>", '<link rel="stylesheet" href="css/evil.css">'), static)


def test_a_symlink_staying_inside_the_root_is_served(site):
    static, _ = site
    (static / "img" / "alias.png").symlink_to(static / "img" / "dot.png")

    assert image_count(render(page('<img src="img/alias.png" alt="">'), static)) == 1


# The fetcher on its own -------------------------------------------------------------


@pytest.fixture
def fetcher(site):
    static, _ = site
    return SafeURLFetcher([static])


def test_the_fetcher_serves_files_under_its_roots_with_their_type(site, fetcher):
    static, _ = site

    response = fetcher.fetch((static / "css" / "report.css").as_uri())
    try:
        assert response.read().startswith(b"h1::after")
        assert response.content_type == "text/css"
    finally:
        response.close()


def test_the_fetcher_serves_data_urls(fetcher):
    response = fetcher.fetch("data:text/plain;base64,aGVsbG8=")

    assert response.read() == b"hello"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/x.png",
        "https://example.invalid/x.png",
        "ftp://127.0.0.1:1/x.png",
        "file:///etc/passwd",
        "file://otherhost/etc/passwd",
        "gopher://127.0.0.1:1/x",
        "javascript:alert(1)",
        "relative/path.png",
    ],
)
def test_the_fetcher_refuses_everything_else(fetcher, url):
    with pytest.raises(URLRefusedError):
        fetcher.fetch(url)


def test_the_fetcher_reports_a_missing_file(site, fetcher):
    static, _ = site

    with pytest.raises(FileNotFoundError):
        fetcher.fetch((static / "img" / "missing.png").as_uri())


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:1/a.css", "file:///etc/a.css?v=1", "file:///nowhere/a.CSS"]
)
def test_the_fetcher_makes_a_failed_stylesheet_fatal(fetcher, url):
    with pytest.raises(FatalURLFetchingError):
        fetcher.fetch(url)


def test_stylesheet_failures_can_be_left_to_weasyprint(site):
    static, _ = site
    lenient = SafeURLFetcher([static], fail_on_stylesheet=False)

    with pytest.raises(URLRefusedError):
        lenient.fetch("http://127.0.0.1:1/a.css")


def test_the_fetcher_needs_a_root():
    with pytest.raises(ValueError, match="root"):
        SafeURLFetcher([])


# SVG text as runs (reporting/pdf.py replaces WeasyPrint 70's letter-by-letter drawing
# where nothing is positioned per letter).

RUN_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="90" '
    'font-family="DejaVu Sans" font-size="12">'
    '<text x="290" y="20" text-anchor="end" font-weight="bold">Target 90%</text>'
    '<text x="150" y="45" text-anchor="middle">Aug 24</text>'
    '<text x="10" y="70" font-size="10" fill="#505a5f">Tolerance 80–90%</text>'
    "</svg>"
)


def svg_page(svg: str) -> str:
    data = base64.b64encode(svg.encode()).decode("ascii")
    return page(f'<img alt="chart" src="data:image/svg+xml;base64,{data}">')


def laid_out_strings(monkeypatch) -> list[str]:
    """The strings WeasyPrint lays out with Pango while the test renders."""
    import weasyprint.text.line_break as line_break

    seen = []
    original = line_break.split_first_line

    def split_first_line(text, *args, **kwargs):
        seen.append(text)
        return original(text, *args, **kwargs)

    monkeypatch.setattr(line_break, "split_first_line", split_first_line)
    return seen


def by_letter(monkeypatch) -> None:
    """Put WeasyPrint's own letter-by-letter SVG text back for this test."""
    svg_module = sys.modules["weasyprint.svg"]
    for tag, draw in list(svg_module.TAGS.items()):
        if draw is svg_module.text:
            monkeypatch.setitem(svg_module.TAGS, tag, pdf_internals.SVG_TEXT_BY_LETTER)
    monkeypatch.setattr(svg_module, "text", pdf_internals.SVG_TEXT_BY_LETTER)


def test_svg_text_is_laid_out_once_per_text_not_once_per_letter(site, monkeypatch):
    static, _ = site
    seen = laid_out_strings(monkeypatch)

    text = pdf_text(render(svg_page(RUN_SVG), static))

    assert seen.count("Target 90%") == 1
    assert "T" not in seen and "%" not in seen  # no letter laid out on its own
    assert "Target 90%" in text and "Aug 24" in text and "Tolerance" in text


def test_svg_text_placed_letter_by_letter_is_left_to_weasyprint(site, monkeypatch):
    static, _ = site
    seen = laid_out_strings(monkeypatch)
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40" '
        'font-family="DejaVu Sans"><text x="10 30 50" y="20">abc</text>'
        '<text x="100" y="20" dx="0 4 4">xyz</text></svg>'
    )

    render(svg_page(svg), static)

    assert {"a", "b", "c", "x", "y", "z"} <= set(seen)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler's pdftoppm")
def test_svg_text_runs_are_drawn_where_weasyprint_draws_their_letters(site, monkeypatch, tmp_path):
    static, _ = site

    def ink(pdf: bytes) -> tuple[int, int, int, int]:
        (tmp_path / "chart.pdf").write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "100", "-singlefile", "chart.pdf", "chart"],
            cwd=tmp_path,
            check=True,
        )
        grey = Image.open(tmp_path / "chart.png").convert("L")
        return grey.point(lambda value: 255 if value < 200 else 0).getbbox()

    for anchor in ("end", "middle", "start"):
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40" '
            f'font-family="DejaVu Sans" font-size="12"><text x="150" y="20" '
            f'text-anchor="{anchor}" font-weight="bold">Target 90% (Q2 2024/25)</text></svg>'
        )
        as_runs = ink(render(svg_page(svg), static))
        with monkeypatch.context() as letters:
            by_letter(letters)
            as_letters = ink(render(svg_page(svg), static))
        # Kerning moves a run's letters by a fraction of a pixel at 100 dpi.
        assert all(abs(a - b) <= 2 for a, b in zip(as_runs, as_letters, strict=True)), anchor

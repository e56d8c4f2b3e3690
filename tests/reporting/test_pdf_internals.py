"""reporting.pdf on a WeasyPrint whose internals are not the ones its patches know.

Each case runs in a process of its own: the patches are applied when the module is first
imported, and WeasyPrint's modules are changed before that, as another release would have
them. The installed WeasyPrint is never patched back and forth inside this test process."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from reporting.pdf import internals

ROOT = Path(__file__).resolve().parents[2]

RENDER = """
import django
django.setup()
import improvement.urls  # the whole site imports: services -> views -> urls
from pathlib import Path
from reporting import services
from reporting.pdf import CAN_RENDER_IN_PARTS, PdfRenderError, internals, pdf_text, render_pdf

static = Path("static").resolve()
html = (
    '<!doctype html><html lang="en-GB"><head><title>Report</title></head><body>'
    '<h1>Progress</h1><img alt="chart" src="data:image/svg+xml;utf8,'
    '<svg xmlns=%22http://www.w3.org/2000/svg%22 width=%22200%22 height=%2240%22>'
    '<text x=%2210%22 y=%2220%22>Target 90%25</text></svg>">'
    + "<p style='break-before: page'>Appendix page</p>" * 3
    + "</body></html>"
)
outcome = {
    "applied": internals.APPLIED,
    "in_parts": CAN_RENDER_IN_PARTS,
    "services_in_parts": services.CAN_RENDER_IN_PARTS,
}
try:
    for _ in range(2):
        rendered = render_pdf(html, base_url=static, allowed_roots=[static])
    outcome["pages"] = rendered.page_count
    outcome["text"] = pdf_text(rendered.data)
except PdfRenderError as error:
    outcome["refused"] = str(error)
print("OUTCOME " + json.dumps(outcome))
"""


def run_with(changes: str) -> tuple[dict, str]:
    """Run RENDER in a new process after ``changes`` to WeasyPrint's modules; return
    what it printed and its log (stderr)."""
    script = "import json, sys\n" + textwrap.dedent(changes) + RENDER
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "improvement.settings", "DEBUG": "true"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("OUTCOME "))
    return json.loads(line.removeprefix("OUTCOME ")), done.stderr


def test_every_patch_is_applied_on_the_weasyprint_we_lock():
    assert internals.APPLIED == {
        "page_references": True,
        "svg_text": True,
        "margin_boxes": True,
        "layout_context": True,
    }
    assert internals.LEFT_OFF == {}
    assert internals.can_continue_numbering()


def test_on_another_weasyprint_the_site_starts_and_reports_render_whole_more_slowly():
    outcome, log = run_with(
        """
        import weasyprint
        weasyprint.__version__ = "71.0"
        # Private modules another release has moved: importing them fails.
        sys.modules["weasyprint.svg.bounding_box"] = None
        """
    )

    assert outcome["applied"] == {
        "page_references": True,  # pydyf's, not WeasyPrint's
        "svg_text": False,
        "margin_boxes": False,
        "layout_context": False,
    }
    assert outcome["in_parts"] is False and outcome["services_in_parts"] is False
    assert outcome["pages"] == 4
    assert "Progress" in outcome["text"] and outcome["text"].count("Appendix page") == 3
    assert "Target 90%" in outcome["text"]  # the chart's text, drawn letter by letter
    warnings = [line for line in log.splitlines() if "reports render whole but without" in line]
    assert len(warnings) == 1, log
    assert "WeasyPrint 71.0" in warnings[0]
    assert "margin_boxes" in warnings[0] and "svg_text" in warnings[0]


def test_without_weasyprints_fetcher_class_the_site_starts_and_reports_are_refused():
    """The safe fetcher is built on WeasyPrint's URLFetcher: without it nothing is
    rendered, rather than rendered with a fetcher that could reach the network."""
    outcome, log = run_with(
        """
        import weasyprint.urls
        del weasyprint.urls.URLFetcher
        """
    )

    assert "pages" not in outcome
    assert "Reports cannot be rendered" in outcome["refused"]
    assert "URLFetcher" in outcome["refused"]
    assert "Reports cannot be rendered" in log


@pytest.mark.parametrize("name", sorted(internals.APPLIED))
def test_a_patch_that_fails_is_left_off_and_named(monkeypatch, name):
    applied, left_off = dict(internals.APPLIED), dict(internals.LEFT_OFF)
    monkeypatch.setattr(internals, "APPLIED", {})
    monkeypatch.setattr(internals, "LEFT_OFF", {})

    def broken():
        raise AttributeError("no such thing here")

    patches = {each: (lambda: None) for each in applied}
    patches[name] = broken
    monkeypatch.setattr(internals, "_PATCHES", patches)
    internals._apply_all()

    assert {each: each != name for each in applied} == internals.APPLIED
    assert {name: "AttributeError: no such thing here"} == internals.LEFT_OFF
    assert left_off == {}


def test_linked_stylesheets_are_found_alike_without_weasyprints_own_rules():
    from weasyprint import HTML

    document = HTML(
        string=(
            '<link rel="stylesheet" href="css/report.css">'
            '<link rel="Alternate StyleSheet" href="/print.css">'
            '<link rel="icon" href="favicon.ico"><link rel="stylesheet" href="">'
        ),
        base_url="file:///srv/static/",
    )
    found = internals.linked_stylesheet_urls(document)
    fallback = {
        internals._parse_url(element.get("href"), document.base_url)
        for element in document.etree_element.iter("link")
        if internals._has_link_type(element, "stylesheet")
    } - {None}

    assert found == fallback == {"file:///srv/static/css/report.css", "file:///print.css"}

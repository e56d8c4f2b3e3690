"""The committee report as a Word document, from the same HTML the PDF is laid out from.

Councils' committee-management systems take Word documents. Building the .docx from
the report's own HTML (reporting/report_pdf.html) rather than from a second template
means the two cannot say different things: every heading becomes a Word heading style
of its level, every table a Word table (header rows repeated across pages, merged
cells where the HTML spans them), every numbered paragraph keeps its number, and every
chart becomes a picture with the chart's title and description as alternative text.

Charts are SVG, which Word documents cannot hold portably, so they are drawn to PNG:
laid out by WeasyPrint, one per page of a PDF, and rasterised by poppler's pdftoppm.
python-docx's private XML (a picture's alternative text, a page-number field, repeated
header rows) is touched here and nowhere else.
"""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import lxml.html
from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

_SVG_NS = "http://www.w3.org/2000/svg"
_DATA_SVG = "data:image/svg+xml;base64,"
# Charts at this resolution stay sharp printed at their width on A4.
CHART_DPI = 150
# The widest a picture may be: A4 less the document's margins.
TEXT_WIDTH = Mm(180)
BLOCK_TAGS = {
    "address", "article", "aside", "div", "figure", "footer", "header", "main", "nav",
    "section", "table", "ul", "ol", "p", "h1", "h2", "h3", "h4", "h5", "h6", "img", "svg",
    "figcaption", "blockquote", "dl",
}  # fmt: skip
_MARK = "data-word-chart"
HEADING_LEVELS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


class WordRenderError(Exception):
    """The Word version could not be made (the chart rasteriser is missing or failed)."""


@dataclass
class Chart:
    svg: str
    alt: str
    width: float  # CSS pixels, from the SVG
    height: float
    png: bytes = b""


def _classes(element) -> set[str]:
    return set((element.get("class") or "").split())


def _text(element) -> str:
    """An element's text as the PDF shows it: runs of spaces collapsed, but the line
    breaks the report keeps (its `prewrap` paragraphs) kept."""
    text = element.text_content()
    if "prewrap" in _classes(element):
        lines = [" ".join(line.split()) for line in text.strip().split("\n")]
        return "\n".join(lines)
    return " ".join(text.split())


# Charts --------------------------------------------------------------------------------


def _chart_of(element) -> Chart | None:
    if element.tag == "img" and (element.get("src") or "").startswith(_DATA_SVG):
        svg = base64.b64decode(element.get("src")[len(_DATA_SVG) :]).decode()
    elif element.tag == "svg":
        svg = lxml.html.tostring(element, encoding="unicode")
    else:
        return None
    root = ET.fromstring(svg)  # noqa: S314 - the report's own charts (core.charts)
    words = (root.findtext(f"{{{_SVG_NS}}}{tag}") for tag in ("title", "desc"))
    alt = element.get("alt") or " ".join(w.strip() for w in words if w and w.strip())
    return Chart(
        svg=svg,
        alt=alt,
        width=float(root.get("width") or 600),
        height=float(root.get("height") or 300),
    )


def rasterise(charts: list[Chart], *, to_pdf: Callable[[str], bytes], dpi: int = CHART_DPI) -> None:
    """Draw every chart to PNG in one pass: a PDF with a page per chart, the page the
    chart's own size, laid out by `to_pdf` (the report's own renderer, with its fonts)
    and rasterised by pdftoppm. Fills each chart's `png`."""
    if not charts:
        return
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise WordRenderError(
            "pdftoppm (poppler-utils) is not installed: it draws the report's charts "
            "for the Word version."
        )
    pages = []
    styles = []
    for number, chart in enumerate(charts):
        styles.append(
            f"@page c{number} {{ size: {chart.width:.0f}px {chart.height:.0f}px; margin: 0 }}"
            f" .c{number} {{ page: c{number} }}"
        )
        # Inline, so that nothing is fetched: the markup is the report's own chart.
        pages.append(f'<div class="c{number}">{chart.svg}</div>')
    html = (
        '<html lang="en-GB"><head><title>Charts</title>'
        f"<style>{' '.join(styles)} body {{ margin: 0 }} "
        "div { break-after: page } svg { display: block }</style></head><body>"
        + "".join(pages)
        + "</body></html>"
    )
    pdf = to_pdf(html)
    with tempfile.TemporaryDirectory(prefix="report-charts-") as folder:
        source = Path(folder) / "charts.pdf"
        source.write_bytes(pdf)
        result = subprocess.run(  # noqa: S603 - a fixed program and our own file
            [pdftoppm, "-r", str(dpi), "-png", str(source), str(Path(folder) / "chart")],
            capture_output=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise WordRenderError(f"pdftoppm failed: {result.stderr.decode()[:300]}")
        files = sorted(
            Path(folder).glob("chart-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1])
        )
        if len(files) != len(charts):
            raise WordRenderError(f"{len(charts)} charts drew {len(files)} pictures.")
        for chart, file in zip(charts, files, strict=True):
            chart.png = file.read_bytes()


# The document --------------------------------------------------------------------------


class _Builder:
    def __init__(self, charts: dict[str, Chart]) -> None:
        self.doc = Document()
        self.charts = charts
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(15)
        section.top_margin, section.bottom_margin = Mm(20), Mm(18)
        normal = self.doc.styles["Normal"]
        normal.font.name = "Arial"
        normal.font.size = Pt(10)

    def _chart(self, element) -> Chart | None:
        key = element.get(_MARK) if isinstance(element.tag, str) else None
        return self.charts.get(key) if key is not None else None

    # Blocks

    def block(self, element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        classes = _classes(element)
        if tag in ("script", "style", "nav", "head", "title") or "preview-bar" in classes:
            return
        if tag in HEADING_LEVELS:
            self.doc.add_heading(_text(element), level=HEADING_LEVELS[tag])
        elif tag == "table":
            self.table(element)
        elif self._chart(element):
            self.picture(self._chart(element))
        elif tag in ("ul", "ol"):
            style = "List Bullet" if tag == "ul" else "List Number"
            for item in element.iterchildren("li"):
                self.doc.add_paragraph(_text(item), style=style)
        elif "para" in classes:
            self.numbered(element)
        elif tag in ("p", "figcaption") or not self._has_blocks(element):
            self.paragraph(element)
        else:
            self.children(element)

    def _has_blocks(self, element) -> bool:
        return any(
            isinstance(child.tag, str) and (child.tag in BLOCK_TAGS or self._chart(child))
            for child in element.iter()
            if child is not element
        )

    def children(self, element) -> None:
        """Block children in order; loose text and inline elements between them are
        gathered into paragraphs of their own."""
        loose: list[str] = [element.text or ""]
        for child in element.iterchildren():
            if isinstance(child.tag, str) and (
                child.tag in BLOCK_TAGS or self._chart(child) or self._has_blocks(child)
            ):
                self._loose(loose)
                loose = []
                self.block(child)
            else:
                loose.append(child.text_content() if isinstance(child.tag, str) else "")
            loose.append(child.tail or "")
        self._loose(loose)

    def _loose(self, parts: list[str]) -> None:
        text = " ".join("".join(parts).split())
        if text:
            self.doc.add_paragraph(text)

    def paragraph(self, element) -> None:
        text = _text(element)
        if not text and not any(self._chart(c) for c in element.iter()):
            return
        paragraph = self.doc.add_paragraph()
        run = paragraph.add_run(text)
        classes = _classes(element)
        if classes & {"example-note", "missing", "from", "deadline"} or element.tag == "figcaption":
            run.bold = True
        if classes & {"example-note", "missing"}:
            run.font.color.rgb = RGBColor(0x94, 0x25, 0x14)
        if "lead" in classes:
            run.italic = True
        for child in element.iter():
            if self._chart(child):
                self.picture(self._chart(child))

    def numbered(self, element) -> None:
        """A numbered paragraph ("4.2"): the number, a tab, the text, hanging indent."""
        number = element.find(".//span[@class='para-number']")
        body = element.find(".//p")
        paragraph = self.doc.add_paragraph()
        paragraph.paragraph_format.left_indent = Mm(14)
        paragraph.paragraph_format.first_line_indent = Mm(-14)
        paragraph.paragraph_format.tab_stops.add_tab_stop(Mm(14))
        if number is not None:
            paragraph.add_run(_text(number)).bold = True
        run = paragraph.add_run("\t" + (_text(body) if body is not None else _text(element)))
        if body is not None and "missing" in _classes(body):
            run.bold = True
            run.font.color.rgb = RGBColor(0x94, 0x25, 0x14)

    def picture(self, chart: Chart) -> None:
        width = min(Mm(chart.width * 25.4 / 96), TEXT_WIDTH)
        shape = self.doc.add_picture(io.BytesIO(chart.png), width=width)
        # Word's "alternative text" is the drawing's description.
        shape._inline.docPr.set("descr", chart.alt)
        shape._inline.docPr.set("title", chart.alt.split(".")[0][:200])

    def table(self, element) -> None:
        rows = []
        for part in ("thead", "tbody", "tfoot", None):
            found = element.findall(f"{part}/tr") if part else element.findall("tr")
            rows += [(row, part == "thead") for row in found]
        if not rows:
            return
        # Lay the cells on a grid, as the HTML spans them.
        grid: dict[tuple[int, int], tuple] = {}
        width = 0
        for r, (row, _) in enumerate(rows):
            c = 0
            for cell in row.iterchildren("th", "td"):
                while (r, c) in grid:
                    c += 1
                colspan = int(cell.get("colspan") or 1)
                rowspan = int(cell.get("rowspan") or 1)
                for dr in range(rowspan):
                    for dc in range(colspan):
                        grid[(r + dr, c + dc)] = None
                grid[(r, c)] = (cell, rowspan, colspan)  # the span's first cell
                c += colspan
            width = max(width, c)
        table = self.doc.add_table(rows=len(rows), cols=width)
        table.style = "Table Grid"
        for (r, c), value in sorted(grid.items()):
            if value is None or r >= len(rows) or c >= width:
                continue
            cell, rowspan, colspan = value
            target = table.cell(r, c)
            end = table.cell(min(r + rowspan, len(rows)) - 1, min(c + colspan, width) - 1)
            if end is not target:
                target = target.merge(end)
            target.text = _text(cell)
            if cell.tag == "th":
                for run in target.paragraphs[0].runs:
                    run.bold = True
        for r, (_, header) in enumerate(rows):
            if header:
                properties = table.rows[r]._tr.get_or_add_trPr()
                repeat = OxmlElement("w:tblHeader")
                repeat.set(qn("w:val"), "true")
                properties.append(repeat)

    def footer(self, lines: list[str]) -> None:
        footer = self.doc.sections[0].footer
        paragraph = footer.paragraphs[0]
        for number, line in enumerate(lines):
            run = paragraph.add_run(line)
            run.font.size = Pt(7.5)
            if number < len(lines) - 1:
                run.add_break(WD_BREAK.LINE)
        paragraph.add_run("\tPage ").font.size = Pt(7.5)
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        paragraph._p.append(field)

    def save(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


def html_to_docx(
    html: str, *, title: str, footer: list[str], to_pdf: Callable[[str], bytes]
) -> bytes:
    """The report's HTML (reporting.services.report_html) as a .docx; `to_pdf` lays out
    HTML as a PDF (see `rasterise`)."""
    root = lxml.html.document_fromstring(html)
    body = root.find("body")
    # lxml makes a new Python object for an element each time it is reached, so the
    # charts are found again by a mark on the element, not by object.
    charts: dict[str, Chart] = {}
    for element in body.iter("img", "svg", f"{{{_SVG_NS}}}svg"):
        chart = _chart_of(element)
        if chart is not None:
            key = str(len(charts))
            element.set(_MARK, key)
            charts[key] = chart
    rasterise(list(charts.values()), to_pdf=to_pdf)
    builder = _Builder(charts)
    builder.doc.core_properties.title = title
    builder.children(body)
    builder.footer(footer)
    return builder.save()


def docx_text(data: bytes) -> list[tuple[str, str]]:
    """(style name, text) of every paragraph of a .docx, tables' cells included, in
    order: what the tests and the `render_report` check read back."""
    document = Document(io.BytesIO(data))
    found = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = Paragraph(child, document._body)
            found.append((paragraph.style.name, paragraph.text))
        elif child.tag == qn("w:tbl"):
            for row in Table(child, document._body).rows:
                cells = []
                for cell in row.cells:
                    if not cells or cells[-1] != cell.text:
                        cells.append(cell.text)
                found.append(("Table", " | ".join(cells)))
    return found

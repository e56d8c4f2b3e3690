"""Join two tagged PDFs into one, and read PDFs back (page count, text)."""

from __future__ import annotations

import hashlib
from io import BytesIO

import pikepdf
from pypdf import PdfReader

from reporting.pdf.render import RenderedPdf


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

"""A committee report's appendices: listing them, the clerk's uploaded PDFs, and merging
those into the report's PDF pack after its own pages, page-numbered with it.

The action plan with its positions and the RAG criteria are generated with the report
(reporting/report_pdf.html); every other appendix is a PDF the clerk uploads. An upload
is accepted only if it is a readable, unencrypted PDF within
settings.REPORT_APPENDIX_MAX_BYTES; its page count is kept, so that the report's own
pages can say "Page 3 of 40" counting the appendices before they are merged.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils.text import get_valid_filename
from simple_history.utils import bulk_create_with_history

from reporting.models import CommitteeReport, ReportAppendix

PLAN_TITLE = "The action plan, with the confirmed position of every action and outcome measure"
CRITERIA_TITLE = "RAG criteria of the action plan"
DEFAULT_APPENDICES = (
    ("A", PLAN_TITLE, ReportAppendix.Kind.PLAN),
    ("B", CRITERIA_TITLE, ReportAppendix.Kind.CRITERIA),
)


@dataclass(frozen=True)
class Listed:
    """An appendix as section 12 lists it."""

    label: str
    title: str
    kind: str
    attached: bool


def listed(report: CommitteeReport) -> list[Listed]:
    """The report's appendices in order; a report not saved yet (the render_report
    command's one-off) has the two generated ones."""
    entries = list(report.appendix_entries.all()) if report.pk is not None else []
    if not entries:
        return [Listed(label, title, kind, True) for label, title, kind in DEFAULT_APPENDICES]
    return [
        Listed(a.label, a.title, a.kind, a.kind != ReportAppendix.Kind.UPLOAD or bool(a.file))
        for a in entries
    ]


def appendices_set_up(
    *, report: CommitteeReport, entries: list[tuple[str, str, str]] | None = None
) -> None:
    """Give a new report its appendices: `entries` (label, title, kind) if given, else
    the previous report's generated ones as they were labelled, else the defaults.
    Uploads are not carried over: their files belong to that meeting."""
    if entries is None:
        previous = (
            CommitteeReport.objects.filter(plan_id=report.plan_id)
            .exclude(pk=report.pk)
            .order_by("-meeting_date", "-pk")
            .first()
        )
        carried = (
            list(
                previous.appendix_entries.exclude(kind=ReportAppendix.Kind.UPLOAD).values_list(
                    "label", "title", "kind"
                )
            )
            if previous is not None
            else []
        )
        entries = carried or list(DEFAULT_APPENDICES)
    bulk_create_with_history(
        [
            ReportAppendix(report=report, position=number, label=label, title=title, kind=kind)
            for number, (label, title, kind) in enumerate(entries, start=1)
        ],
        ReportAppendix,
        default_change_reason="report set up",
    )


def _pdf_pages(upload: UploadedFile) -> int:
    """The page count of an uploaded PDF; ValidationError naming what is wrong."""
    if upload.size > settings.REPORT_APPENDIX_MAX_BYTES:
        limit = settings.REPORT_APPENDIX_MAX_BYTES // (1024 * 1024)
        raise ValidationError({"file": f"The file is larger than {limit} MB."})
    upload.seek(0)
    if not upload.read(5).startswith(b"%PDF-"):
        raise ValidationError({"file": "Only PDF files can be appended: save it as a PDF."})
    upload.seek(0)
    locked = ValidationError(
        {"file": "The PDF is password-protected: upload it without a password."}
    )
    try:
        with pikepdf.open(io.BytesIO(upload.read())) as pdf:
            if pdf.is_encrypted:
                raise locked
            pages = len(pdf.pages)
    except pikepdf.PasswordError:
        raise locked from None
    except (pikepdf.PdfError, ValueError, OSError) as error:
        raise ValidationError({"file": f"The PDF cannot be read ({error})."}) from None
    finally:
        upload.seek(0)
    if pages == 0:
        raise ValidationError({"file": "The PDF has no pages."})
    return pages


def appendix_add(
    *, report: CommitteeReport, label: str, title: str, upload: UploadedFile | None, user=None
) -> ReportAppendix:
    """List a new appendix after the others, with its PDF if given."""
    report.check_editable()
    label, title = label.strip(), title.strip()
    if not label or not title:
        raise ValidationError("An appendix needs its label (1, 2a…) and its title.")
    pages = _pdf_pages(upload) if upload is not None else None
    with transaction.atomic():
        CommitteeReport.objects.select_for_update().filter(pk=report.pk).first()
        if not report.appendix_entries.exists():
            # A report set up before appendices were listed, or outside the services.
            appendices_set_up(report=report, entries=list(DEFAULT_APPENDICES))
        taken = report.appendix_entries.filter(label__iexact=label).first()
        if taken is not None:
            raise ValidationError({"label": f"The report already has an Appendix {taken.label}."})
        last = report.appendix_entries.aggregate(last=Max("position"))["last"] or 0
        appendix = ReportAppendix(
            report=report, position=last + 1, label=label, title=title, pages=pages
        )
        if upload is not None:
            name = get_valid_filename(upload.name)[-80:] or "appendix.pdf"
            appendix.file.save(
                name if name.lower().endswith(".pdf") else f"{name}.pdf", upload, save=False
            )
        appendix.full_clean()
        appendix._history_user = user if getattr(user, "is_authenticated", False) else None
        appendix._change_reason = "appendix added"
        appendix.save()
    return appendix


def appendix_delete(*, appendix: ReportAppendix, user=None) -> None:
    """Remove an uploaded appendix (the generated ones stay: they are the report)."""
    appendix.report.check_editable()
    if appendix.kind != ReportAppendix.Kind.UPLOAD:
        raise ValidationError("The generated appendices are part of the report.")
    if appendix.file:
        appendix.file.delete(save=False)
    appendix._history_user = user if getattr(user, "is_authenticated", False) else None
    appendix._change_reason = "appendix removed"
    appendix.delete()


def uploaded_pages(report: CommitteeReport) -> int:
    """How many pages the uploaded appendices add to the report's own."""
    if report.pk is None:
        return 0
    return sum(a.pages or 0 for a in _attached(report))


def uploaded_page_sizes(report: CommitteeReport) -> list[tuple[float, float]]:
    """(width, height) in points of every uploaded appendix page, in pack order."""
    sizes = []
    for appendix in _attached(report):
        with appendix.file.open("rb") as handle, pikepdf.open(io.BytesIO(handle.read())) as pdf:
            for page in pdf.pages:
                box = [float(v) for v in page.mediabox]
                sizes.append((abs(box[2] - box[0]), abs(box[3] - box[1])))
    return sizes


def _attached(report: CommitteeReport) -> list[ReportAppendix]:
    return [a for a in report.appendix_entries.filter(kind=ReportAppendix.Kind.UPLOAD) if a.file]


def merge_appendices(report_pdf: bytes, report: CommitteeReport, *, stamps: bytes) -> bytes:
    """The report's own PDF with its uploaded appendices after it, in order.

    `stamps` is a PDF with one page per appended page carrying its running footer and
    "Page n of N" (laid out like the report's own; see services.appendix_stamps),
    overlaid on that page. The report's structure tree, outline and metadata are kept;
    each appendix gets an outline entry. An appended page's own content is the
    uploader's and untagged."""
    attached = _attached(report)
    if not attached:
        return report_pdf
    whole = pikepdf.open(io.BytesIO(report_pdf))
    overlay = pikepdf.open(io.BytesIO(stamps))
    stamp = 0
    with whole.open_outline() as outline:
        for appendix in attached:
            with appendix.file.open("rb") as handle:
                part = pikepdf.open(io.BytesIO(handle.read()))
            first = len(whole.pages)
            whole.pages.extend(part.pages)
            for page in whole.pages[first:]:
                page.add_overlay(overlay.pages[stamp])
                stamp += 1
            outline.root.append(pikepdf.OutlineItem(str(appendix), first))
    out = io.BytesIO()
    whole.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, deterministic_id=True)
    return out.getvalue()

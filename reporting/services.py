"""Committee reports: setting them up, and rendering them to PDF exactly once per request.

A render is a `ReportRender` row that moves queued -> rendering -> ready (or failed,
with the reason). The Celery task and the `render_report` command both call the
functions here, so there is one way to build a report's PDF.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import tempfile
from pathlib import Path

from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Max, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import slugify
from kombu.exceptions import OperationalError as BrokerError

from core.models import save_versioned
from plans.models import EXAMPLE_DATA_NOTE, Plan, ReportingPeriod
from reporting import appendices
from reporting.content import ReportContent, report_content
from reporting.models import CommitteeReport, ReportRender, render_path
from reporting.pdf import (
    CAN_RENDER_IN_PARTS,
    PdfRenderError,
    RenderedPdf,
    render_pdf,
    render_pdf_in_two,
)
from reporting.template import NARRATIVE_FIELDS
from reporting.word import WordRenderError, html_to_docx

logger = logging.getLogger(__name__)

STATIC_ROOT = Path(settings.BASE_DIR) / "static"
APP_STATIC_ROOT = Path(__file__).resolve().parent / "static"
# The only directories WeasyPrint may read from, and the stylesheets every report needs:
# if one cannot be loaded the render fails rather than producing an unstyled PDF.
ALLOWED_ROOTS = (STATIC_ROOT, APP_STATIC_ROOT)
REPORT_STYLESHEETS = (
    STATIC_ROOT / "css" / "fonts.css",
    APP_STATIC_ROOT / "reporting" / "report.css",
)
# No running header on the cover: for the report's first page only, not the appendices'.
COVER_STYLESHEET = APP_STATIC_ROOT / "reporting" / "report-cover.css"

# A render that keeps killing its worker (memory, hard time limit) is redelivered by
# the broker; after this many claims it is marked failed instead of looping forever.
MAX_ATTEMPTS = 3
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
# The broker (Redis) cannot be reached: kombu wraps connection failures in its
# OperationalError; a bare socket error can come through other transports.
BROKER_ERRORS = (BrokerError, ConnectionError)
NOT_SENT = (
    "Not sent to a worker yet: the job queue could not be reached. It is sent "
    "automatically once the queue is back."
)
# A render still queued this long after it was asked for is sent again (see
# `renders_requeue`); well above the time a healthy queue takes to start a job.
REQUEUE_AFTER = dt.timedelta(minutes=2)

# What the clerk edits: the cover, the recommendations, and the council's twelve
# sections (reporting.template), in the order the report prints them.
COVER_FIELDS = (
    "committee",
    "meeting_date",
    "agenda_item",
    "access",
    "title",
    "report_of",
    "cabinet_member",
    "contact_officers",
)
REPORT_FIELDS = (
    *COVER_FIELDS,
    "recommendations",
    "deadline_date",
    "major_policy_item",
    "cabinet_date",
    *NARRATIVE_FIELDS,
    "not_applicable",
)
# A new report starts from the previous one's cover and sections; not from its meeting,
# agenda item or deadlines, which belong to that meeting alone.
CARRIED_FIELDS = tuple(
    f
    for f in REPORT_FIELDS
    if f not in ("meeting_date", "agenda_item", "deadline_date", "cabinet_date")
)


# Setting up a report -------------------------------------------------------------------


def latest_closed_period(plan: Plan) -> ReportingPeriod | None:
    return plan.periods.filter(state=ReportingPeriod.State.CLOSED).order_by("-end").first()


def report_defaults(*, plan: Plan) -> dict:
    """Initial values for a new report: the cover and narrative of the plan's previous
    report, and the latest closed period (the quarter being reported on)."""
    previous = CommitteeReport.objects.filter(plan=plan).order_by("-meeting_date", "-pk").first()
    initial: dict = {}
    if previous is not None:
        initial = {name: getattr(previous, name) for name in CARRIED_FIELDS}
    period = latest_closed_period(plan) or plan.periods.order_by("-end").first()
    if period is not None:
        initial["period"] = period
    return initial


def _check_period(plan: Plan, period: ReportingPeriod) -> None:
    if period.plan_id != plan.pk:
        raise ValidationError({"period": "That period belongs to another plan."})


def report_create(
    *,
    plan: Plan,
    period: ReportingPeriod,
    user,
    reason: str = "report created",
    appendix_entries: list[tuple[str, str, str]] | None = None,
    **fields,
) -> CommitteeReport:
    """Set up a committee report for a plan and period, with its appendices
    (`appendices.appendices_set_up`)."""
    _check_period(plan, period)
    unknown = set(fields) - set(REPORT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown report fields: {sorted(unknown)}")
    report = CommitteeReport(
        plan=plan,
        period=period,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        **fields,
    )
    report.full_clean()
    report._history_user = report.created_by
    report._change_reason = reason
    with transaction.atomic():
        report.save()
        appendices.appendices_set_up(report=report, entries=appendix_entries)
    return report


def report_update(
    *,
    report: CommitteeReport,
    expected_version: int,
    user,
    reason: str = "report edited",
    period: ReportingPeriod | None = None,
    **fields,
) -> CommitteeReport:
    """Change a report's cover or narrative, refusing if someone saved it meanwhile
    (`core.models.ConflictError`)."""
    unknown = set(fields) - set(REPORT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown report fields: {sorted(unknown)}")
    CommitteeReport.objects.get(pk=report.pk).check_editable()
    if period is not None:
        _check_period(report.plan, period)
        report.period = period
    for name, value in fields.items():
        setattr(report, name, value)
    return save_versioned(report, expected_version=expected_version, user=user, reason=reason)


def report_approve(*, report: CommitteeReport, expected_version: int, user) -> CommitteeReport:
    """Approve a draft report: who and when are kept on it and in its history. Its
    period must have closed, so that the positions it shows can no longer change."""
    if report.is_approved:
        raise ValidationError("This report is already approved.")
    if not report.period.is_closed:
        raise ValidationError(
            f"{report.period.label} is still open, so its positions can still change: "
            "approve the report once the period has closed."
        )
    report.status = CommitteeReport.Status.APPROVED
    report.approved_by = user
    report.approved_at = timezone.now()
    return save_versioned(report, expected_version=expected_version, user=user, reason="approved")


def report_to_draft(
    *, report: CommitteeReport, expected_version: int, user, reason: str
) -> CommitteeReport:
    """Move an approved report back to draft so that it can be changed, saying why."""
    if not report.is_approved:
        raise ValidationError("This report is already a draft.")
    if report.is_published:
        raise ValidationError(
            "This report is published: unpublish it first, so that the public pages never "
            "show a report being changed."
        )
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the approved report needs changing."})
    report.status = CommitteeReport.Status.DRAFT
    report.approved_by = None
    report.approved_at = None
    reason = f"moved back to draft: {reason}"
    return save_versioned(report, expected_version=expected_version, user=user, reason=reason)


# A period's draft report is set up by the scheduled job for this long after the period
# closes: a run missed for a day or two catches up, but a plan seen for the first time
# long after its latest close gets no draft for a stale period.
DRAFT_WITHIN = dt.timedelta(days=7)


def drafts_request(*, now: dt.datetime | None = None) -> list[ReportRender]:
    """Set up and queue a draft committee report for each active plan whose latest
    period closed within DRAFT_WITHIN and has no report yet, and return the renders.

    The draft carries over the cover and narrative of the plan's previous report, as a
    clerk's new report would; its meeting date is provisional, as far after the period's
    end as the previous meeting was after its period's. A plan with no earlier report
    has no committee or meeting to carry over and gets no draft. Running it again does
    nothing: the period then has its report.
    """
    now = now or timezone.now()
    renders = []
    plans = Plan.objects.filter(
        status=Plan.Status.ACTIVE,
        periods__state=ReportingPeriod.State.CLOSED,
        periods__closed_at__gte=now - DRAFT_WITHIN,
    ).distinct()
    for plan in plans.order_by("pk"):
        with transaction.atomic():
            # Two runs at once queue up here; the second then finds the draft.
            Plan.objects.select_for_update().filter(pk=plan.pk).first()
            period = latest_closed_period(plan)
            if (
                period.closed_at is None
                or period.closed_at < now - DRAFT_WITHIN
                or period.committee_reports.exists()
            ):
                continue
            previous = (
                CommitteeReport.objects.filter(plan=plan, period__end__lt=period.end)
                .select_related("period")
                .order_by("-meeting_date", "-pk")
                .first()
            )
            if previous is None:
                logger.info("No draft report for %s: the plan has no earlier report", period)
                continue
            fields = {name: getattr(previous, name) for name in CARRIED_FIELDS}
            fields["meeting_date"] = period.end + (previous.meeting_date - previous.period.end)
            report = report_create(
                plan=plan,
                period=period,
                user=None,
                reason=f"draft set up when {period.label} closed",
                **fields,
            )
            renders.append(render_request(report=report, user=None))
    return renders


# Building the PDF ----------------------------------------------------------------------


def download_filename(report: CommitteeReport) -> str:
    """`<plan>-<period>-<committee>-<date>.pdf`, slugified."""
    stem = slugify(
        f"{report.plan.slug} {report.period.label} {report.committee} "
        f"{report.meeting_date.isoformat()}"
    )
    return f"{stem}.pdf"


def report_html(
    report: CommitteeReport,
    *,
    generated_at: dt.datetime,
    preview: bool = False,
    content: ReportContent | None = None,
    part: str | None = None,
) -> str:
    """The report as one HTML document: what WeasyPrint lays out, and the preview.

    ``part`` "front" is the cover and the numbered sections alone, "back" the
    appendices alone (see ``report_pdf``)."""
    content = content or report_content(report, generated_at=generated_at)
    return render_to_string(
        "reporting/report_pdf.html",
        {
            "report": report,
            "plan": content.plan,
            "period": content.period,
            "content": content,
            "preview": preview,
            "part": part,
            "example_note": EXAMPLE_DATA_NOTE if content.plan.example_data else "",
            "appendix_labels": {a.kind: a.label for a in appendices.listed(report)},
        },
    )


def report_pdf(report: CommitteeReport, *, generated_at: dt.datetime) -> RenderedPdf:
    """The report as a tagged PDF/UA-1 document. Raises `PdfRenderError` when a
    stylesheet or font cannot be loaded.

    With ``REPORT_PDF_PROCESSES`` of 2 or more (where ``CAN_RENDER_IN_PARTS``), the
    cover and sections are laid out in one forked process and the appendices in
    another at the same time, and the two PDFs joined (``render_pdf_in_two``): the same
    pages, numbers, running headers, outline and structure tree as the whole report
    rendered at once, in about the time of the appendices alone, which are most of a
    long report's pages."""
    options = {"base_url": STATIC_ROOT, "allowed_roots": ALLOWED_ROOTS, "title": report.title}
    extra = appendices.uploaded_pages(report)
    if settings.REPORT_PDF_PROCESSES < 2 or not CAN_RENDER_IN_PARTS:
        html = report_html(report, generated_at=generated_at)
        own = render_pdf(
            html,
            stylesheets=(*REPORT_STYLESHEETS, COVER_STYLESHEET),
            extra_pages=extra,
            **options,
        )
    else:
        content = report_content(report, generated_at=generated_at)
        front, back = (
            report_html(report, generated_at=generated_at, content=content, part=part)
            for part in ("front", "back")
        )
        del content  # only the HTML goes on: the forked parts need none of its objects
        own = render_pdf_in_two(
            front,
            back,
            front_stylesheets=(*REPORT_STYLESHEETS, COVER_STYLESHEET),
            back_stylesheets=REPORT_STYLESHEETS,
            # Beyond this the job's hard time limit has killed this process, and its
            # parts with it; this bounds a render run outside a worker (the command,
            # tasks run in the web process without Redis).
            timeout=settings.CELERY_TASK_TIME_LIMIT,
            extra_pages=extra,
            **options,
        )
    if not extra:
        return own
    stamps = appendix_stamps(report, first=own.page_count + 1, total=own.page_count + extra)
    data = appendices.merge_appendices(own.data, report, stamps=stamps)
    return RenderedPdf(data, own.page_count + extra)


def appendix_stamps(report: CommitteeReport, *, first: int, total: int) -> bytes:
    """A page per uploaded appendix page, each that page's size, carrying the report's
    running footer and its page number ("Page 23 of 40"), to overlay on it. Every word
    reaches the margins as text of the document (string-set), never as CSS."""
    footer = f"{report.committee}, {report.meeting_date:%-d %B %Y}"
    if report.plan.example_data:
        footer = f"{EXAMPLE_DATA_NOTE}\n{footer}"
    sizes = appendices.uploaded_page_sizes(report)
    rules, pages = [], []
    for offset, (width, height) in enumerate(sizes):
        rules.append(
            f"@page p{offset} {{ size: {width:.1f}pt {height:.1f}pt }} "
            f".p{offset} {{ page: p{offset} }}"
        )
        pages.append(
            f'<div class="p{offset}"><span class="f">{escape(footer)}</span>'
            f'<span class="n">Page {first + offset} of {total}</span></div>'
        )
    html = (
        '<html lang="en-GB"><head><title>Page numbers</title><style>'
        "@page { margin: 0 15mm 6mm; "
        "@bottom-left { content: string(f); white-space: pre-line; width: 72%; "
        'font-family: "DejaVu Sans"; font-size: 7.5pt; color: #505a5f; vertical-align: bottom } '
        "@bottom-right { content: string(n); width: 28%; text-align: right; "
        'font-family: "DejaVu Sans"; font-size: 7.5pt; color: #505a5f; vertical-align: bottom } } '
        ".f { string-set: f content(text) } .n { string-set: n content(text) } "
        "div { break-after: page; height: 1px; overflow: hidden; color: transparent } "
        f"{' '.join(rules)}</style></head><body>{''.join(pages)}</body></html>"
    )
    return _plain_pdf(html)


def report_docx(report: CommitteeReport, *, generated_at: dt.datetime) -> bytes:
    """The report as a Word document, from the same HTML as the PDF (reporting.word).
    Raises `WordRenderError` when its charts cannot be drawn."""
    content = report_content(report, generated_at=generated_at)
    html = report_html(report, generated_at=generated_at, content=content)
    footer = [
        f"{report.committee}, {report.meeting_date:%-d %B %Y}"
        + (f" · Agenda item No. {report.agenda_item}" if report.agenda_item else ""),
        f"Position as of {content.period.label} · generated "
        f"{timezone.localtime(generated_at):%-d %b %Y, %H:%M}",
    ]
    if content.plan.example_data:
        footer.insert(0, EXAMPLE_DATA_NOTE)
    return html_to_docx(html, title=report.title, footer=footer, to_pdf=_plain_pdf)


def _plain_pdf(html: str) -> bytes:
    """A helper document (the Word version's charts, the appended pages' footers) laid
    out as the report is, with its fonts and nothing else."""
    return render_pdf(
        html,
        base_url=STATIC_ROOT,
        allowed_roots=ALLOWED_ROOTS,
        stylesheets=(STATIC_ROOT / "css" / "fonts.css",),
    ).data


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`: a reader
    sees the old file or the new one, never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".partial-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# Rendering -----------------------------------------------------------------------------


def render_is_active(render: ReportRender) -> bool:
    return render.state in (ReportRender.State.QUEUED, ReportRender.State.RENDERING)


def render_is_stale(render: ReportRender, *, now: dt.datetime | None = None) -> bool:
    """A render still marked rendering after the hard time limit has passed: its worker
    was stopped without reporting back."""
    now = now or timezone.now()
    limit = dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    return (
        render.state == ReportRender.State.RENDERING
        and render.started_at is not None
        and render.started_at < now - limit
    )


def _render_job():
    """The render job, `reporting.tasks.render_report`, found by its name: the tasks call
    these services, so this module does not import them (`ReportingConfig.ready` does,
    which registers them in every process)."""
    return current_app.tasks["reporting.tasks.render_report"]


def render_request(*, report: CommitteeReport, user) -> ReportRender:
    """Queue a render of the report and enqueue the job once the row is committed.

    A render already queued or under way (and not stale) is returned instead of a
    second one, so a double click renders once.
    """
    with transaction.atomic():
        CommitteeReport.objects.select_for_update().filter(pk=report.pk).first()
        for render in report.renders.filter(
            state__in=[ReportRender.State.QUEUED, ReportRender.State.RENDERING]
        ):
            if not render_is_stale(render):
                return render
        number = (report.renders.aggregate(highest=Max("number"))["highest"] or 0) + 1
        render = ReportRender.objects.create(
            report=report,
            number=number,
            requested_by=user if getattr(user, "is_authenticated", False) else None,
        )

        def enqueue() -> None:
            try:
                _render_job().delay(render.pk)
            except BROKER_ERRORS as error:
                # Nothing is lost: the render stays queued, the page says why, and
                # `renders_requeue` sends it once the queue answers again.
                logger.warning("Could not enqueue render %s: %s", render.pk, error)
                ReportRender.objects.filter(pk=render.pk, state=ReportRender.State.QUEUED).update(
                    error=NOT_SENT
                )
            except Exception as error:
                logger.exception("Could not enqueue render %s", render.pk)
                ReportRender.objects.filter(pk=render.pk, state=ReportRender.State.QUEUED).update(
                    state=ReportRender.State.FAILED,
                    finished_at=timezone.now(),
                    error=f"The job queue could not be reached ({type(error).__name__}). "
                    "Try again in a few minutes.",
                )

        transaction.on_commit(enqueue)
    return render


def renders_requeue(
    *, older_than: dt.timedelta = REQUEUE_AFTER, now: dt.datetime | None = None
) -> int:
    """Send the job again for every render still queued `older_than` after it was
    requested, and return how many were sent. Raises a BROKER_ERRORS error if the queue
    still cannot be reached.

    This catches jobs the broker never received (it was down when the render was asked
    for) and jobs it lost (restarted without persistence). A render whose job is only
    waiting behind others gets a second message, which does nothing: the claim in
    `render_run` lets one delivery render it.
    """
    now = now or timezone.now()
    waiting = ReportRender.objects.filter(
        state=ReportRender.State.QUEUED, requested_at__lte=now - older_than
    ).order_by("requested_at", "pk")
    sent = 0
    for render_id in waiting.values_list("pk", flat=True):
        _render_job().delay(render_id)
        ReportRender.objects.filter(
            pk=render_id, state=ReportRender.State.QUEUED, error=NOT_SENT
        ).update(error="")
        sent += 1
    return sent


def _fail(render_id: int, started_at: dt.datetime, reason: str) -> None:
    ReportRender.objects.filter(
        pk=render_id, state=ReportRender.State.RENDERING, started_at=started_at
    ).update(state=ReportRender.State.FAILED, error=reason[:2000], finished_at=timezone.now())


def render_run(
    *, render_id: int, now: dt.datetime | None = None, redelivered: bool = False
) -> bool:
    """Render one queued render to PDF. Returns True if this call rendered it.

    The render is claimed with a conditional UPDATE (queued -> rendering), so a
    duplicate delivery of the same job does nothing. A render left "rendering" past the
    hard time limit (its worker died) may be claimed again, at most MAX_ATTEMPTS times
    in all; so may one left "rendering" when the broker hands the job back
    (`redelivered`, from the message) or when the job retries after a transient error
    that also kept it from putting the render back in the queue. The PDF is written to
    a temporary name and renamed into place. Transient database errors put the render
    back in the queue and are raised for the task to retry; any other failure is
    recorded as the reason and the render marked failed.
    """
    # Long because: claim, render, write and each failure's outcome in one try whose except
    # clauses are the contract the docstring gives.
    now = now or timezone.now()
    stale_before = now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimable = Q(state=ReportRender.State.QUEUED) | Q(
        state=ReportRender.State.RENDERING, started_at__lt=stale_before
    )
    if redelivered:
        # The broker gives a job back only once the delivery that had it is dead: its
        # worker process was killed (acks_late with reject_on_worker_lost), or its
        # visibility timeout, longer than the hard time limit, ran out. Without this
        # the redelivered job would find the render "rendering", do nothing and be
        # acknowledged: the job lost and the render stuck until the time limit passed.
        claimable |= Q(state=ReportRender.State.RENDERING)
    claimed = (
        ReportRender.objects.filter(claimable, pk=render_id, attempts__lt=MAX_ATTEMPTS).update(
            state=ReportRender.State.RENDERING,
            attempts=F("attempts") + 1,
            started_at=now,
            finished_at=None,
        )
        == 1
    )
    if not claimed:
        exhausted = ReportRender.objects.filter(
            claimable, pk=render_id, attempts__gte=MAX_ATTEMPTS
        ).first()
        if exhausted is not None:
            last = f" Last error: {exhausted.error}" if exhausted.error else ""
            ReportRender.objects.filter(pk=render_id, state=exhausted.state).update(
                state=ReportRender.State.FAILED,
                finished_at=now,
                error=f"Gave up after {MAX_ATTEMPTS} attempts: the render kept stopping "
                f"before it finished (time or memory limit, or lost connections).{last}",
            )
        return False

    render = ReportRender.objects.select_related(
        "report__plan", "report__period", "report__plan"
    ).get(pk=render_id)
    report = render.report
    try:
        data, page_count = report_pdf(report, generated_at=now)
        word = report_docx(report, generated_at=now)
        stem = download_filename(report).removesuffix(".pdf")
        name = render_path(render, f"{stem}-render-{render.number}.pdf")
        word_name = render_path(render, f"{stem}-render-{render.number}.docx")
        write_atomically(Path(default_storage.path(name)), data)
        write_atomically(Path(default_storage.path(word_name)), word)
        done = ReportRender.objects.filter(
            pk=render_id, state=ReportRender.State.RENDERING, started_at=now
        ).update(
            state=ReportRender.State.READY,
            pdf=name,
            docx=word_name,
            checksum=hashlib.sha256(data).hexdigest(),
            page_count=page_count,
            finished_at=timezone.now(),
            error="",
        )
    except TRANSIENT_ERRORS as error:
        ReportRender.objects.filter(
            pk=render_id, state=ReportRender.State.RENDERING, started_at=now
        ).update(state=ReportRender.State.QUEUED, error=f"Retrying after: {error}"[:2000])
        raise
    except SoftTimeLimitExceeded:
        _fail(
            render_id,
            now,
            f"The report took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} seconds "
            "to render and was stopped.",
        )
        return False
    except PdfRenderError as error:
        _fail(render_id, now, f"The report's stylesheet or fonts could not be loaded: {error}")
        return False
    except WordRenderError as error:
        _fail(render_id, now, f"The Word version could not be made: {error}")
        return False
    except Exception as error:
        logger.exception("Render %s of report %s failed", render_id, report.pk)
        _fail(render_id, now, f"{type(error).__name__}: {error}")
        return False
    return done == 1

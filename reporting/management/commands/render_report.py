"""python manage.py render_report --plan SLUG [--period LABEL] -o out.pdf [--docx out.docx]

Renders a committee report to PDF synchronously, with the same service the Celery job
uses, so a PDF can be produced without a worker. The report rendered is the latest one
set up for that plan and period; when there is none, the cover and narrative are carried
over from the plan's previous report, with the meeting date (and the committee, for a
plan's first report) given as options; nothing is saved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from plans.models import Plan
from reporting import services
from reporting.models import CommitteeReport
from reporting.pdf import PdfRenderError
from reporting.word import WordRenderError


class Command(BaseCommand):
    help = "Render a plan's committee report for a period to a PDF file, without a worker."

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, help="The plan's slug.")
        parser.add_argument(
            "--period", help="The period's label; by default the plan's latest closed period."
        )
        parser.add_argument("-o", "--output", required=True, help="Where to write the PDF.")
        parser.add_argument(
            "--committee", help="Committee name, when the plan has no report to start from."
        )
        parser.add_argument(
            "--meeting-date",
            type=dt.date.fromisoformat,
            help="Meeting date (YYYY-MM-DD), when the plan has no report to start from.",
        )
        parser.add_argument("--html", help="Also write the report's HTML to this file.")
        parser.add_argument("--docx", help="Also write the report as a Word document here.")

    def handle(self, *args, **options):
        plan = Plan.objects.filter(slug=options["plan"]).first()
        if plan is None:
            raise CommandError(f"No plan with slug {options['plan']!r}.")
        if options["period"]:
            period = plan.periods.filter(label=options["period"]).first()
            if period is None:
                labels = ", ".join(plan.periods.order_by("end").values_list("label", flat=True))
                raise CommandError(f"No period {options['period']!r} in {plan.slug}: {labels}.")
        else:
            period = services.latest_closed_period(plan)
            if period is None:
                raise CommandError(f"{plan.slug} has no closed period: give --period.")
        report = self._report(plan, period, options)

        started = time.perf_counter()
        generated_at = timezone.now()
        try:
            data, page_count = services.report_pdf(report, generated_at=generated_at)
        except PdfRenderError as error:
            raise CommandError(str(error)) from error
        output = Path(options["output"]).resolve()
        services.write_atomically(output, data)
        if options["docx"]:
            try:
                word = services.report_docx(report, generated_at=generated_at)
            except WordRenderError as error:
                raise CommandError(str(error)) from error
            services.write_atomically(Path(options["docx"]).resolve(), word)
        if options["html"]:
            Path(options["html"]).write_text(
                services.report_html(report, generated_at=generated_at), encoding="utf-8"
            )
        self.stdout.write(
            f"Wrote {output}: {page_count} pages, {len(data):,} bytes, "
            f"sha256 {hashlib.sha256(data).hexdigest()[:16]}…, "
            f"{time.perf_counter() - started:.1f} s"
        )

    def _report(self, plan, period, options) -> CommitteeReport:
        saved = (
            CommitteeReport.objects.filter(plan=plan, period=period)
            .order_by("-meeting_date", "-pk")
            .first()
        )
        if saved is not None and not (options["committee"] or options["meeting_date"]):
            return saved
        fields = services.report_defaults(plan=plan)
        fields.pop("period", None)
        if options["committee"]:
            fields["committee"] = options["committee"]
        if options["meeting_date"]:
            fields["meeting_date"] = options["meeting_date"]
        missing = [
            f"--{name.replace('_', '-')}"
            for name in ("committee", "meeting_date")
            if not fields.get(name)
        ]
        if missing:
            raise CommandError(
                f"{plan.slug} has no committee report for {period.label}: set one up in the "
                f"web app, or give {' and '.join(missing)} (the rest of the cover is carried "
                "over from the plan's previous report, if any)."
            )
        return CommitteeReport(plan=plan, period=period, **fields)

"""python manage.py requeue_reports [--older-than SECONDS]

Sends the job again for every committee-report render still queued: for after Redis
has been down (renders asked for meanwhile wait, queued) or lost its queue. Beat runs
the same service every two minutes (`reporting.tasks.requeue_renders`); this is for
doing it now. A render whose job is already in the queue gets a second message, which
does nothing: only one delivery can claim a render.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from reporting import services


class Command(BaseCommand):
    help = "Send the jobs of queued committee-report renders to the workers again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=0,
            metavar="SECONDS",
            help="Only renders requested at least this long ago (default: all).",
        )

    def handle(self, *args, **options):
        try:
            sent = services.renders_requeue(older_than=dt.timedelta(seconds=options["older_than"]))
        except services.BROKER_ERRORS as error:
            raise CommandError(
                f"The job queue still cannot be reached ({error}). Nothing was lost: the "
                "renders stay queued. Start Redis and run this again."
            ) from error
        self.stdout.write(f"{sent} queued render(s) sent to the workers.")

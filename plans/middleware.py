"""The daily jobs without a scheduler.

Production runs Celery beat (`CELERY_BEAT_SCHEDULE`), which closes the periods whose end
has passed and sends owners their reminders. The embedded default has no beat, so with
`SCHEDULE_IN_WEB` (on when no broker is configured) the first request of each London
day runs the same two jobs in the web process, once: closing and reminding are both
idempotent, so a second process or a restart running them again changes nothing.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import caches

from plans import services, tasks

log = logging.getLogger(__name__)


def run_daily_jobs_once() -> bool:
    """Close due periods and send due reminders, if nothing has today. True if it ran."""
    key = f"daily-jobs:{services.local_today().isoformat()}"
    try:
        first_today = caches["throttle"].add(key, True, timeout=2 * 24 * 3600)
    except Exception:
        # A shared cache that cannot be reached (CACHE_URL's Redis down) must not take
        # every page down with it: the jobs wait until it answers again.
        log.warning("the daily jobs' marker cannot be read: not run", exc_info=True)
        return False
    if not first_today:
        return False
    try:
        closed = tasks.close_due_periods()
        queued = tasks.send_period_reminders()
    except Exception:
        # The page still answers; the jobs try again on the next day's first request
        # (or at once after a restart), and the log says why they did not run.
        log.exception("the daily jobs failed in the web process")
    else:
        log.info(
            "daily jobs in the web process: %s periods closed, %s reminders", len(closed), queued
        )
    return True


class DailyJobsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SCHEDULE_IN_WEB:
            run_daily_jobs_once()
        return self.get_response(request)

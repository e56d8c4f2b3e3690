"""Background jobs for committee reports. Thin: load by id, call the service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from kombu.exceptions import OperationalError as BrokerError

from reporting import services


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(*services.TRANSIENT_ERRORS, BrokerError),
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=services.MAX_ATTEMPTS,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def render_report(self, render_id: int) -> None:
    """Render a queued committee report to PDF (see `services.render_run`).

    A retry of this job, like a redelivery, may take over the render it left
    "rendering": its earlier attempt ended with the error that caused the retry."""
    delivery = self.request.delivery_info or {}
    taking_over = bool(delivery.get("redelivered")) or bool(self.request.retries)
    services.render_run(render_id=render_id, redelivered=taking_over)


@shared_task(
    acks_late=True,
    autoretry_for=(*services.TRANSIENT_ERRORS, BrokerError),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def render_draft_reports() -> int:
    """Beat, after periods close: set up and queue each active plan's draft report for
    the period just closed (see `services.drafts_request`), unless REPORT_DRAFTS_ON_CLOSE
    is off. Returns how many were queued."""
    if not settings.REPORT_DRAFTS_ON_CLOSE:
        return 0
    return len(services.drafts_request())


@shared_task(ignore_result=True)
def requeue_renders() -> int:
    """Beat: send again the jobs of renders still queued (see `services.renders_requeue`)."""
    return services.renders_requeue()

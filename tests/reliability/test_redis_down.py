"""Redis unavailable: the pages keep working, a render asked for meanwhile waits
"queued, waiting for a worker" instead of failing, and runs once Redis is back (beat's
`requeue_renders`, or `manage.py requeue_reports` at once).

"Down" is a loopback port nobody listens on, so the connection is refused at once, as
it is when Redis has stopped.
"""

from __future__ import annotations

import socket
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

import reporting.tasks  # noqa: F401 - registers the task with the worker's app
from improvement.celery import app
from reporting import services
from reporting.models import ReportRender
from tests.conftest import REDIS_TEST_URL, wait_for
from tests.reporting.builders import build_reported_plan


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def point_broker_at(url: str) -> None:
    app.conf.update(broker_url=url, task_always_eager=False)
    # Connection pools are cached with the broker they were made for.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_down():
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    point_broker_at(f"redis://127.0.0.1:{closed_port()}/15")
    try:
        yield
    finally:
        point_broker_at(saved["broker_url"])
        app.conf.update(saved)


@pytest.mark.django_db
def test_pages_keep_working_and_a_render_waits_queued_while_redis_is_down(
    redis_down, client, clerk, django_capture_on_commit_callbacks
):
    built = build_reported_plan(areas=1, actions_per_area=2)
    client.force_login(clerk)
    report_page = reverse("reporting:report", args=[built.report.pk])
    render_url = reverse("reporting:report_render", args=[built.report.pk])

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(render_url)
    assert time.monotonic() - started < 15  # a refused connection is not a hang

    assert response.status_code == 302
    render = ReportRender.objects.get(report=built.report)
    assert render.state == "queued" and render.error == services.NOT_SENT
    page = client.get(report_page)
    assert page.status_code == 200
    text = " ".join(page.content.decode().split())
    assert "Queued" in text and "waiting for a worker" in text
    assert services.NOT_SENT in text
    assert "Failed" not in text

    again = client.post(render_url, HTTP_HX_REQUEST="true")
    assert again.status_code == 200 and "waiting for a worker" in again.content.decode()
    assert ReportRender.objects.filter(report=built.report).count() == 1

    for url in (
        reverse("reporting:report_list"),
        reverse("reporting:report_status", args=[built.report.pk]),
        reverse("board:dashboard"),
        reverse("plans:plan_list"),
        reverse("plans:plan", args=[built.plan.slug]),
        reverse("plans:action", args=[built.actions[0].pk]),
        reverse("audits:overview"),
        reverse("healthz"),
    ):
        assert client.get(url).status_code == 200, url


@pytest.fixture
def redis_goes_down(celery_worker_app):
    """The web side loses Redis while the worker (already connected) waits for jobs;
    Redis is back for the worker fixture's own clean-up, whatever the test did."""
    point_broker_at(f"redis://127.0.0.1:{closed_port()}/15")
    try:
        yield
    finally:
        point_broker_at(REDIS_TEST_URL)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_render_asked_for_while_redis_was_down_runs_once_it_is_back(
    redis_goes_down, client, clerk
):
    built = build_reported_plan(areas=1, actions_per_area=2)
    client.force_login(clerk)

    response = client.post(reverse("reporting:report_render", args=[built.report.pk]))

    assert response.status_code == 302
    render = ReportRender.objects.get(report=built.report)
    assert render.state == "queued" and render.error == services.NOT_SENT
    with pytest.raises(CommandError, match="still cannot be reached"):
        call_command("requeue_reports")
    assert wait_for(lambda: False, timeout=1) is False  # the worker has nothing to do
    assert ReportRender.objects.get(pk=render.pk).state == "queued"

    point_broker_at(REDIS_TEST_URL)
    call_command("requeue_reports")

    assert wait_for(
        lambda: ReportRender.objects.get(pk=render.pk).state in ("ready", "failed"), timeout=120
    )
    render.refresh_from_db()
    assert (render.state, render.error, render.attempts) == ("ready", "", 1)
    assert render.pdf.read().startswith(b"%PDF-")

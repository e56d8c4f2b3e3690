"""What a redelivered render job does, and how queued renders are sent again: the
service side of the worker tests in this folder, without a worker."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from reporting import services, tasks
from reporting.models import ReportRender
from tests.reporting.builders import build_reported_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def report():
    return build_reported_plan(areas=1, actions_per_area=2).report


def left_rendering(report, *, attempts: int = 1, seconds_ago: int = 5) -> ReportRender:
    """A render whose worker died mid-way: claimed, never finished."""
    return ReportRender.objects.create(
        report=report,
        number=1,
        state=ReportRender.State.RENDERING,
        attempts=attempts,
        started_at=timezone.now() - dt.timedelta(seconds=seconds_ago),
    )


def test_a_redelivered_job_takes_over_the_render_its_dead_delivery_left(report):
    render = left_rendering(report)

    assert services.render_run(render_id=render.pk, redelivered=True) is True

    render.refresh_from_db()
    assert (render.state, render.attempts) == ("ready", 2)


def test_a_second_copy_that_is_not_a_redelivery_leaves_a_running_render_alone(report):
    render = left_rendering(report)

    assert services.render_run(render_id=render.pk) is False

    render.refresh_from_db()
    assert (render.state, render.attempts) == ("rendering", 1)


def test_a_redelivered_job_does_not_render_a_finished_report_again(report):
    render = ReportRender.objects.create(report=report, number=1)
    services.render_run(render_id=render.pk)
    render.refresh_from_db()
    finished = render.finished_at

    assert services.render_run(render_id=render.pk, redelivered=True) is False

    render.refresh_from_db()
    assert (render.state, render.attempts, render.finished_at) == ("ready", 1, finished)


def test_a_job_that_keeps_killing_its_worker_is_given_up_after_the_last_attempt(report):
    render = left_rendering(report, attempts=services.MAX_ATTEMPTS)

    assert services.render_run(render_id=render.pk, redelivered=True) is False

    render.refresh_from_db()
    assert render.state == "failed"
    assert f"Gave up after {services.MAX_ATTEMPTS} attempts" in render.error


def test_the_task_passes_on_whether_the_broker_redelivered_the_message(report, monkeypatch):
    seen = []
    monkeypatch.setattr(services, "render_run", lambda **kwargs: seen.append(kwargs))

    task = tasks.render_report
    requests = (
        (1, {"delivery_info": {"routing_key": "celery"}}),
        (2, {"delivery_info": {"redelivered": True}}),
        # The job's own retry after a transient error: its first attempt is over.
        (3, {"delivery_info": {"routing_key": "celery"}, "retries": 1}),
    )
    for render_id, request in requests:
        # As the worker calls it: a request carrying the message's delivery info.
        task.push_request(**request)
        try:
            task.run(render_id)
        finally:
            task.pop_request()

    assert seen == [
        {"render_id": 1, "redelivered": False},
        {"render_id": 2, "redelivered": True},
        {"render_id": 3, "redelivered": True},
    ]


def test_a_transient_error_while_marking_the_render_ready_is_retried_not_left_rendering(
    report, monkeypatch
):
    """The database drops the connection just as the finished PDF is recorded: the
    error reaches the task (which retries), the render goes back to the queue, and the
    retry renders it again instead of finding it "rendering" and doing nothing."""
    from django.db import OperationalError

    render = ReportRender.objects.create(report=report, number=1)
    real_update = services.ReportRender.objects.filter

    class Failing:
        def __init__(self, queryset):
            self.queryset = queryset

        def update(self, **fields):
            if fields.get("state") == ReportRender.State.READY:
                raise OperationalError("server closed the connection unexpectedly")
            return self.queryset.update(**fields)

        def __getattr__(self, name):
            return getattr(self.queryset, name)

    monkeypatch.setattr(
        services.ReportRender.objects, "filter", lambda *a, **k: Failing(real_update(*a, **k))
    )
    with pytest.raises(OperationalError):
        services.render_run(render_id=render.pk)
    monkeypatch.undo()

    render.refresh_from_db()
    assert render.state == "queued" and "Retrying after" in render.error
    assert services.render_run(render_id=render.pk, redelivered=True) is True
    render.refresh_from_db()
    assert (render.state, render.attempts) == ("ready", 2)


def unreachable(*args, **kwargs):
    raise BrokerError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")


def test_a_render_asked_for_while_the_queue_is_down_waits_queued(
    report, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks.render_report, "delay", unreachable)

    with django_capture_on_commit_callbacks(execute=True):
        render = services.render_request(report=report, user=None)

    render.refresh_from_db()
    assert render.state == "queued" and render.error == services.NOT_SENT


def test_requeue_sends_renders_still_queued_after_a_while_and_clears_the_note(report, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.render_report, "delay", sent.append)
    now = timezone.now()
    waiting = ReportRender.objects.create(report=report, number=1, error=services.NOT_SENT)
    ReportRender.objects.filter(pk=waiting.pk).update(requested_at=now - dt.timedelta(minutes=5))
    fresh = ReportRender.objects.create(report=report, number=2)
    done = ReportRender.objects.create(report=report, number=3)
    services.render_run(render_id=done.pk)

    assert services.renders_requeue(now=now) == 1

    assert sent == [waiting.pk]
    waiting.refresh_from_db()
    assert waiting.state == "queued" and waiting.error == ""
    assert services.renders_requeue(older_than=dt.timedelta(0)) == 2
    assert sent[1:] == [waiting.pk, fresh.pk]


def test_the_requeue_command_says_plainly_when_the_queue_is_still_down(report, monkeypatch):
    monkeypatch.setattr(tasks.render_report, "delay", unreachable)
    render = ReportRender.objects.create(report=report, number=1, error=services.NOT_SENT)

    with pytest.raises(CommandError, match="still cannot be reached.*Nothing was lost"):
        call_command("requeue_reports")

    render.refresh_from_db()
    assert render.state == "queued" and render.error == services.NOT_SENT


def test_beat_sends_queued_renders_again():
    from improvement.celery import app

    entry = app.conf.beat_schedule["reporting-requeue-renders"]
    assert entry["task"] == tasks.requeue_renders.name

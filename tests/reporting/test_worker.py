"""Committee reports rendered by a real Celery worker through the Redis on this machine."""

import datetime as dt
import re
import time
import uuid

import pytest
from celery.signals import task_postrun
from django.db import connections
from django.urls import reverse

import reporting.tasks  # noqa: F401 - registers the task with the worker's app
from demo.example_report import EXAMPLE_REPORT, example_report_create
from demo.examples import load_examples
from plans import services as plan_services
from plans.models import Plan
from reporting import services
from reporting.content import report_content
from reporting.models import ReportRender
from reporting.pdf import pdf_page_count, pdf_text
from tests.conftest import wait_for
from tests.reporting.builders import build_reported_plan

pytestmark = [
    pytest.mark.celery_worker,
    # Serialized rollback puts back what migrations wrote (the role groups) after the
    # flush that ends each transactional test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def own_queue():
    """A queue of this test's own, set before the shared worker fixture starts: other
    test runs on this machine use the same Redis database, and a worker of theirs must
    not take our jobs (it would find no such render in its database)."""
    from improvement.celery import app

    saved = app.conf.task_default_queue
    app.conf.task_default_queue = f"reporting-test-{uuid.uuid4().hex[:12]}"
    _forget_routing(app)
    try:
        yield app.conf.task_default_queue
    finally:
        app.conf.task_default_queue = saved
        _forget_routing(app)


def _forget_routing(app) -> None:
    # Kombu caches the queues and the router the first time they are used.
    for cached in ("queues", "default_queue", "router"):
        app.amqp.__dict__.pop(cached, None)


@pytest.fixture
def worker(own_queue, celery_worker_app):
    # The worker thread opens its own database connections; close them after each task
    # so that nothing holds the test database open once the test is over.
    def close_connections(**kwargs):
        connections.close_all()

    task_postrun.connect(close_connections, weak=False)
    try:
        yield celery_worker_app
    finally:
        task_postrun.disconnect(close_connections)


def flat(text: str) -> str:
    return " ".join(text.split())


def rendered(render: ReportRender, timeout: float = 120) -> ReportRender:
    assert wait_for(
        lambda: ReportRender.objects.get(pk=render.pk).state in ("ready", "failed"),
        timeout=timeout,
    ), "the worker did not finish the render in time"
    render.refresh_from_db()
    assert render.state == "ready", render.error
    return render


def test_the_example_plans_reports_render_through_a_real_worker(worker, clerk):
    load_examples()
    ilacs = Plan.objects.get(slug="ilacs-2024")
    ofsted = Plan.objects.get(slug="ofsted-2015")
    reports = [
        example_report_create(plan=ilacs, user=clerk),
        services.report_create(
            plan=ofsted,
            period=ofsted.periods.get(label="As of 1 March 2016"),
            user=clerk,
            **{**EXAMPLE_REPORT, "meeting_date": dt.date(2016, 3, 17)},
        ),
    ]
    renders = [services.render_request(report=report, user=clerk) for report in reports]

    for report, render in zip(reports, renders, strict=True):
        render = rendered(render)
        data = render.pdf.read()
        text = flat(pdf_text(data))
        content = report_content(report, generated_at=render.started_at)
        assert render.page_count == pdf_page_count(data) >= 8
        assert f"Page 1 of {render.page_count}" in text
        assert f"Page {render.page_count} of {render.page_count}" in text
        for field in ("committee", "title", "report_of", "cabinet_member", "contact_officers"):
            assert flat(getattr(report, field)).upper() in text.upper(), field
        assert flat(report.recommendations) in text
        assert "AGENDA ITEM NO. 6" in text
        assert report.get_access_display().upper() in text.upper()
        assert f"{report.meeting_date:%-d %B %Y}".upper() in text.upper()
        for area in content.areas:
            title = flat(area.recommendation.title)
            assert f"{area.recommendation.ref}. {title}" in text, title
        reds = [e for e in content.exceptions if e.rag == "red"]
        assert reds, "the example should have red items to check"
        # Where a line breaks at a word's own hyphen, the text read back has
        # "statistical- neighbour" or "statisticalneighbour": compared without both.
        bare = re.sub(r"[\s-]", "", text)
        for item in reds:
            assert re.sub(r"[\s-]", "", item.text) in bare, item.text
            assert re.sub(r"[\s-]", "", item.commentary) in bare, item.commentary
        assert render.requested_by == clerk and render.attempts == 1


def test_web_pages_keep_answering_while_a_render_runs(worker, client, clerk):
    built = build_reported_plan(areas=4, actions_per_area=20)
    client.force_login(clerk)
    detail = reverse("reporting:report", args=[built.report.pk])
    status = reverse("reporting:report_status", args=[built.report.pk])
    reports = reverse("reporting:report_list")

    response = client.post(reverse("reporting:report_render", args=[built.report.pk]))
    assert response.status_code == 302
    render = ReportRender.objects.get(report=built.report)
    assert wait_for(lambda: ReportRender.objects.get(pk=render.pk).state != "queued", timeout=30)

    answered_during_render = []
    deadline = time.monotonic() + 120
    while ReportRender.objects.get(pk=render.pk).state == "rendering":
        assert time.monotonic() < deadline, "the render was still 'rendering' after 2 minutes"
        for url in (detail, status, reports):
            started = time.monotonic()
            response = client.get(url)
            assert response.status_code == 200, url
            still_rendering = ReportRender.objects.get(pk=render.pk).state == "rendering"
            if still_rendering:
                answered_during_render.append((url, time.monotonic() - started))
        time.sleep(0.2)

    rendered(render)
    assert {url for url, _ in answered_during_render} == {detail, status, reports}
    assert re.search(r"Rendering", client.get(detail).content.decode()) is None


def test_a_job_delivered_twice_renders_once(worker):
    built = build_reported_plan(areas=1, actions_per_area=2)
    render = ReportRender.objects.create(report=built.report, number=1)

    reporting.tasks.render_report.delay(render.pk)
    reporting.tasks.render_report.delay(render.pk)

    rendered(render)
    time.sleep(1)  # give the duplicate time to be consumed
    render.refresh_from_db()
    assert render.attempts == 1 and render.state == "ready"


def test_beat_task_renders_the_draft_report_of_a_period_just_closed(worker):
    built = build_reported_plan(areas=1, actions_per_area=2)
    plan_services.period_close(period=built.q3)

    reporting.tasks.render_draft_reports.delay()

    assert wait_for(lambda: ReportRender.objects.filter(report__period=built.q3).exists())
    render = rendered(ReportRender.objects.get(report__period=built.q3))
    assert render.report.committee == built.report.committee
    assert "Q3 2024/25" in flat(pdf_text(render.pdf.read()))

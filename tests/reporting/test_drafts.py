"""Draft committee reports set up and rendered by beat when a period closes."""

import datetime as dt

import pytest

from plans import services as plan_services
from plans.models import Plan
from reporting import services, tasks
from reporting.models import CommitteeReport, ReportRender
from tests.reporting.builders import COVER, build_reported_plan, noon

pytestmark = pytest.mark.django_db

CLOSED_AT = noon(dt.date(2025, 1, 1))


@pytest.fixture
def built():
    """The Q2 report of the built plan, and Q3 closed at noon on 1 January 2025."""
    built = build_reported_plan(areas=1, actions_per_area=2)
    plan_services.period_close(period=built.q3, now=CLOSED_AT)
    built.q3.refresh_from_db()
    return built


@pytest.fixture
def enqueued(monkeypatch):
    """The render ids sent to the worker, instead of rendering them here."""
    sent: list[int] = []
    monkeypatch.setattr(tasks.render_report, "delay", sent.append)
    return sent


def test_a_period_that_closed_gets_a_draft_report_carried_over_and_queued(
    built, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (render,) = services.drafts_request(now=CLOSED_AT + dt.timedelta(minutes=25))

    draft = render.report
    assert (draft.plan, draft.period) == (built.plan, built.q3)
    for name in ("committee", "report_of", "cabinet_member", "contact_officers", "purpose"):
        assert getattr(draft, name) == COVER[name], name
    assert draft.agenda_item == ""
    # 11 November was 42 days after Q2 ended; 42 days after Q3 ends.
    assert draft.meeting_date == dt.date(2025, 2, 11)
    assert draft.history.get().history_change_reason == "draft set up when Q3 2024/25 closed"
    assert render.state == ReportRender.State.QUEUED and render.requested_by is None
    assert enqueued == [render.pk]


def test_running_again_sets_up_nothing_more(built, enqueued, django_capture_on_commit_callbacks):
    later = CLOSED_AT + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert len(services.drafts_request(now=later)) == 1
        assert services.drafts_request(now=later) == []

    assert CommitteeReport.objects.filter(period=built.q3).count() == 1
    assert len(enqueued) == 1


def test_a_period_with_a_report_already_gets_no_draft(built, enqueued):
    services.report_create(plan=built.plan, period=built.q3, user=None, **COVER)

    assert services.drafts_request(now=CLOSED_AT) == []
    assert CommitteeReport.objects.filter(period=built.q3).count() == 1


def test_a_plan_without_an_earlier_report_gets_no_draft(built, enqueued):
    built.report.delete()

    assert services.drafts_request(now=CLOSED_AT) == []
    assert not CommitteeReport.objects.exists()


def test_a_period_closed_more_than_a_week_ago_gets_no_draft(built, enqueued):
    assert services.drafts_request(now=CLOSED_AT + dt.timedelta(days=8)) == []
    assert services.drafts_request(now=CLOSED_AT + dt.timedelta(days=6))


def test_a_plan_that_is_not_active_gets_no_draft(built, enqueued):
    Plan.objects.filter(pk=built.plan.pk).update(status=Plan.Status.CLOSED)

    assert services.drafts_request(now=CLOSED_AT) == []


def test_the_task_does_nothing_when_drafts_are_switched_off(built, enqueued, settings):
    settings.REPORT_DRAFTS_ON_CLOSE = False
    assert tasks.render_draft_reports() == 0
    assert not CommitteeReport.objects.filter(period=built.q3).exists()


def test_beat_renders_drafts_after_the_periods_close(settings):
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    drafts = schedule["reporting.tasks.render_draft_reports"]
    closing = schedule["plans.tasks.close_due_periods"]
    assert drafts.hour == closing.hour == {0}
    assert max(closing.minute) < min(drafts.minute)


def test_the_report_page_says_a_draft_was_set_up_by_the_scheduled_job(
    built, enqueued, client, clerk, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    with django_capture_on_commit_callbacks(execute=True):
        (render,) = services.drafts_request(now=CLOSED_AT + dt.timedelta(minutes=25))
    client.force_login(clerk)

    page = client.get(reverse("reporting:report", args=[render.report.pk])).content.decode()

    assert "the scheduled draft job, when the period closed" in page
    assert "Scheduled job" in page
    assert "Unknown" not in page

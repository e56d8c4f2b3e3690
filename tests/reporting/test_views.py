"""The clerk's pages: who may see and do what, the form, status, preview and download."""

import datetime as dt

import pytest
from django.urls import reverse

from reporting import services
from reporting.models import CommitteeReport, ReportRender
from tests import factories
from tests.reporting.builders import build_reported_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def built():
    return build_reported_plan(areas=1, actions_per_area=3)


@pytest.fixture
def ready(built):
    render = ReportRender.objects.create(report=built.report, number=1)
    services.render_run(render_id=render.pk)
    render.refresh_from_db()
    return render


@pytest.fixture
def nobody(db):
    return factories.UserFactory(username="norole")


def pages(built, render):
    report = built.report
    return {
        "list": reverse("reporting:report_list"),
        "detail": reverse("reporting:report", args=[report.pk]),
        "status": reverse("reporting:report_status", args=[report.pk]),
        "preview": reverse("reporting:report_preview", args=[report.pk]),
        "download": reverse("reporting:render_download", args=[render.pk]),
        "new": reverse("reporting:report_new", args=[built.plan.slug]),
        "edit": reverse("reporting:report_edit", args=[report.pk]),
    }


READ = ("list", "detail", "status", "preview", "download")
MANAGE = ("new", "edit")


def test_anonymous_visitors_are_sent_to_sign_in(client, built, ready):
    for name, url in pages(built, ready).items():
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
    response = client.post(reverse("reporting:report_render", args=[built.report.pk]))
    assert response.status_code == 302


def test_a_user_without_a_role_is_refused_everything(client, built, ready, nobody):
    client.force_login(nobody)
    for name, url in pages(built, ready).items():
        assert client.get(url).status_code == 403, name
    assert (
        client.post(reverse("reporting:report_render", args=[built.report.pk])).status_code == 403
    )


@pytest.mark.parametrize("role", ["board_member", "director", "qa_lead"])
def test_readers_see_reports_and_download_but_cannot_change_them(
    client, built, ready, role, request
):
    client.force_login(request.getfixturevalue(role))
    urls = pages(built, ready)
    for name in READ:
        assert client.get(urls[name]).status_code == 200, name
    for name in MANAGE:
        assert client.get(urls[name]).status_code == 403, name
    render_url = reverse("reporting:report_render", args=[built.report.pk])
    assert client.post(render_url).status_code == 403
    assert ReportRender.objects.count() == 1


@pytest.mark.parametrize("role", ["clerk", "plan_admin"])
def test_clerks_and_administrators_can_do_everything(client, built, ready, role, request):
    client.force_login(request.getfixturevalue(role))
    for name, url in pages(built, ready).items():
        assert client.get(url).status_code == 200, name


def test_the_download_is_the_pdf_with_its_filename(client, built, ready, board_member):
    client.force_login(board_member)

    response = client.get(reverse("reporting:render_download", args=[ready.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{services.download_filename(built.report)}"'
    )
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert "no-store" in response["Cache-Control"]


def test_a_render_without_a_pdf_cannot_be_downloaded(client, built, clerk):
    render = ReportRender.objects.create(report=built.report, number=1)
    client.force_login(clerk)

    assert client.get(reverse("reporting:render_download", args=[render.pk])).status_code == 404


def test_the_list_shows_each_plans_reports_with_their_latest_state(client, built, ready, clerk):
    client.force_login(clerk)

    response = client.get(reverse("reporting:report_list"))

    html = response.content.decode()
    assert "Services Improvement Plan" in html
    assert "Children and Education Scrutiny Committee" in html
    assert "render-ready" in html
    assert reverse("reporting:report_new", args=[built.plan.slug]) in html


def test_the_list_takes_the_same_queries_for_more_reports(
    client, clerk, django_assert_max_num_queries
):
    client.force_login(clerk)
    built = build_reported_plan(areas=1, actions_per_area=1, slug="one")
    client.get(reverse("reporting:report_list"))
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("reporting:report_list"))
    for number in range(5):
        report = factories.CommitteeReportFactory(
            plan=built.plan, period=built.q2, meeting_date=dt.date(2025, 1, number + 1)
        )
        ReportRender.objects.create(report=report, number=1)
    build_reported_plan(areas=1, actions_per_area=1, slug="two")

    with django_assert_max_num_queries(len(few)):
        client.get(reverse("reporting:report_list"))


def test_a_new_report_starts_from_the_plans_previous_one(client, built, clerk):
    built.report.background = "Background carried over."
    built.report.save()
    client.force_login(clerk)

    response = client.get(reverse("reporting:report_new", args=[built.plan.slug]))

    form = response.context["form"]
    assert form.initial["committee"] == "Children and Education Scrutiny Committee"
    assert form.initial["background"] == "Background carried over."
    assert "meeting_date" not in form.initial
    assert form.initial["period"] == built.q2  # the latest closed period
    assert "Background carried over." in response.content.decode()


def test_setting_up_a_report_saves_it_with_who_and_why(client, built, clerk):
    client.force_login(clerk)

    response = client.post(
        reverse("reporting:report_new", args=[built.plan.slug]),
        {
            "period": built.q2.pk,
            "committee": "Corporate Parenting Committee",
            "meeting_date": "2025-01-20",
            "agenda_item": "4",
            "access": "public",
            "title": "Improvement plan progress",
            "recommendations": "Note the report.",
        },
    )

    report = CommitteeReport.objects.get(committee="Corporate Parenting Committee")
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    assert report.created_by == clerk
    history = report.history.first()
    assert history.history_user == clerk and history.history_change_reason == "report created"


def test_a_report_needs_a_committee_and_a_meeting_date(client, built, clerk):
    client.force_login(clerk)

    response = client.post(
        reverse("reporting:report_new", args=[built.plan.slug]),
        {"period": built.q2.pk, "access": "public", "title": "x"},
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"committee", "meeting_date"}
    assert "There is a problem" in response.content.decode()


def test_each_missing_answer_says_what_to_enter_in_plain_english(client, built, clerk):
    client.force_login(clerk)

    response = client.post(reverse("reporting:report_new", args=[built.plan.slug]), {})

    errors = response.context["form"].errors
    assert errors["committee"] == ["Enter the committee the report goes to"]
    assert errors["meeting_date"] == ["Enter the report's meeting date"]
    assert errors["title"] == ["Enter the report's title"]
    assert errors["period"] == ["Choose the period whose position the report shows"]
    assert errors["access"] == ["Choose whether the report is public or exempt"]
    assert "This field is required" not in response.content.decode()


def test_the_meeting_date_is_typed_as_day_month_and_year(client, built, clerk):
    client.force_login(clerk)
    page = client.get(reverse("reporting:report_new", args=[built.plan.slug])).content.decode()
    assert 'name="meeting_date_day"' in page and 'type="date"' not in page
    fields = {
        "period": built.q2.pk,
        "committee": "Corporate Parenting Committee",
        "access": "public",
        "title": "Improvement plan progress",
    }
    url = reverse("reporting:report_new", args=[built.plan.slug])

    response = client.post(url, fields | {"meeting_date_day": "20", "meeting_date_year": "2025"})
    assert response.context["form"].errors["meeting_date"] == [
        "The report's meeting date must include a month"
    ]
    assert 'value="20"' in response.content.decode()

    response = client.post(
        url,
        fields | {"meeting_date_day": "20", "meeting_date_month": "1", "meeting_date_year": "2025"},
    )
    report = CommitteeReport.objects.get(committee="Corporate Parenting Committee")
    assert response.status_code == 302 and report.meeting_date == dt.date(2025, 1, 20)


def test_another_plans_period_is_refused(client, built, clerk):
    other = factories.PeriodFactory(label="Elsewhere")
    client.force_login(clerk)

    response = client.post(
        reverse("reporting:report_new", args=[built.plan.slug]),
        {
            "period": other.pk,
            "committee": "C",
            "meeting_date": "2025-01-20",
            "access": "public",
            "title": "x",
        },
    )

    assert response.status_code == 200 and "period" in response.context["form"].errors


def test_editing_saves_a_new_version_with_the_reason(client, built, clerk):
    client.force_login(clerk)
    url = reverse("reporting:report_edit", args=[built.report.pk])
    data = client.get(url).context["form"].initial

    response = client.post(
        url,
        {
            **{k: v for k, v in data.items() if v is not None},
            "period": built.q2.pk,
            "meeting_date": "2024-11-12",
            "version": built.report.version,
            "reason": "meeting moved",
        },
    )

    assert response.status_code == 302
    built.report.refresh_from_db()
    assert built.report.meeting_date == dt.date(2024, 11, 12) and built.report.version == 2
    assert built.report.history.first().history_change_reason == "meeting moved"


def test_an_edit_made_meanwhile_is_not_overwritten(client, built, clerk):
    client.force_login(clerk)
    url = reverse("reporting:report_edit", args=[built.report.pk])
    data = client.get(url).context["form"].initial
    services.report_update(report=built.report, expected_version=1, user=None, agenda_item="7")

    response = client.post(
        url,
        {
            **{k: v for k, v in data.items() if v is not None},
            "period": built.q2.pk,
            "meeting_date": "2024-11-11",
            "agenda_item": "9",
            "version": 1,
        },
    )

    assert response.status_code == 200 and response.context["conflict"] is not None
    built.report.refresh_from_db()
    assert built.report.agenda_item == "7"


def test_the_render_button_queues_a_render_and_shows_its_state(
    client, built, clerk, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    url = reverse("reporting:report_render", args=[built.report.pk])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url, headers={"HX-Request": "true"})

    assert len(callbacks) == 1
    html = response.content.decode()
    assert "Queued" in html and 'hx-trigger="every 2s"' in html
    render = ReportRender.objects.get()
    assert render.requested_by == clerk and render.state == "queued"


def test_the_status_answers_no_content_while_nothing_has_changed(client, built, clerk):
    render = ReportRender.objects.create(report=built.report, number=1)
    client.force_login(clerk)
    url = reverse("reporting:report_status", args=[built.report.pk])

    unchanged = client.get(url, {"state": "1-queued"}, headers={"HX-Request": "true"})
    render.state = "rendering"
    render.save()
    changed = client.get(url, {"state": "1-queued"}, headers={"HX-Request": "true"})

    assert unchanged.status_code == 204
    assert changed.status_code == 200 and "Rendering" in changed.content.decode()


def test_a_failed_render_shows_its_reason_and_a_try_again_button(client, built, clerk):
    ReportRender.objects.create(
        report=built.report, number=1, state="failed", error="Stylesheet not loaded: report.css"
    )
    client.force_login(clerk)

    html = client.get(reverse("reporting:report", args=[built.report.pk])).content.decode()

    assert "Stylesheet not loaded: report.css" in html
    assert "Try again" in html
    assert 'hx-trigger="every 2s"' not in html


def test_a_ready_render_offers_the_download(client, built, ready, board_member):
    client.force_login(board_member)

    html = client.get(reverse("reporting:report", args=[built.report.pk])).content.decode()

    assert reverse("reporting:render_download", args=[ready.pk]) in html
    assert "Render again" not in html  # board members cannot render


def test_earlier_renders_are_kept_with_who_asked_and_when(client, built, ready, clerk):
    clerk.first_name, clerk.last_name = "Pat", "Clerk"
    clerk.save()
    ReportRender.objects.filter(pk=ready.pk).update(
        requested_at=dt.datetime(2024, 11, 1, 9, 15, tzinfo=dt.UTC)
    )
    newer = services.render_request(report=built.report, user=clerk)
    services.render_run(render_id=newer.pk)
    client.force_login(clerk)

    html = client.get(reverse("reporting:report", args=[built.report.pk])).content.decode()

    history = html[html.index('id="render-history"') :]
    assert "Pat Clerk" in history and "1 Nov 2024, 09:15" in history
    for render in (ready, newer):
        assert reverse("reporting:render_download", args=[render.pk]) in history
    earlier = client.get(reverse("reporting:render_download", args=[ready.pk]))
    assert b"".join(earlier.streaming_content) == ready.pdf.open("rb").read()


def test_the_preview_is_the_report_as_a_web_page(client, built, clerk):
    built.report.background = "<b>not bold</b>"
    built.report.save()
    client.force_login(clerk)

    response = client.get(reverse("reporting:report_preview", args=[built.report.pk]))

    html = response.content.decode()
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html and "<b>not bold</b>" not in html
    assert "Appendix A: the action plan" in html
    assert "/static/reporting/report.css" in html
    assert "Recruitment of personal advisers is behind plan." in html

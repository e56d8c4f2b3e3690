"""Publishing a committee report on the public pages: who may, which reports, the
history it leaves, and what the public page and its PDF show (and never show)."""

from __future__ import annotations

import hashlib
import re
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from plans import roles
from plans.models import ReportingPeriod
from plans.services import rating_record
from reporting import publishing
from reporting import services as report_services
from reporting.models import CommitteeReport, ReportRender
from tests import factories
from tests.reporting.builders import build_reported_plan
from tests.security.world import minimal_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk():
    return factories.UserFactory(
        username="pub-clerk",
        first_name="Quentin",
        last_name="Zephyrclerk",
        role=roles.COMMITTEE_CLERK,
    )


@pytest.fixture
def built():
    return build_reported_plan(areas=1, actions_per_area=3, slug="published-plan")


def ready_render(report: CommitteeReport) -> ReportRender:
    """A finished render of the report, as the render job leaves it."""
    data = minimal_pdf()
    number = report.renders.count() + 1
    render = ReportRender(
        report=report,
        number=number,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        attempts=1,
        page_count=1,
        checksum=hashlib.sha256(data).hexdigest(),
    )
    render.pdf.save(f"published-{report.pk}-{number}.pdf", ContentFile(data), save=False)
    render.state = ReportRender.State.READY
    render.save()
    return render


def approved(report: CommitteeReport, user) -> CommitteeReport:
    report = report_services.report_approve(
        report=report, expected_version=report.version, user=user
    )
    ready_render(report)
    return report


def reopen(period: ReportingPeriod) -> None:
    """The period open again, as reopening leaves it (the later one not yet open)."""
    ReportingPeriod.objects.filter(plan=period.plan, state="open").update(state="upcoming")
    ReportingPeriod.objects.filter(pk=period.pk).update(state="open")


def publish(
    report: CommitteeReport, user, reason: str = "Sent to the committee"
) -> CommitteeReport:
    return publishing.report_publish(
        report=report, expected_version=report.version, user=user, reason=reason
    )


def test_an_approved_report_of_a_closed_period_is_published_with_its_latest_pdf(built, clerk):
    report = approved(built.report, clerk)
    later = ready_render(report)
    report = publish(report, clerk)
    assert report.is_published and report.published_render == later
    row = report.history.first()
    assert row.history_user == clerk
    assert row.history_change_reason == "published: Sent to the committee"


def test_unpublishing_records_who_and_why_and_clears_the_publication(built, clerk):
    report = publish(approved(built.report, clerk), clerk)
    report = publishing.report_unpublish(
        report=report, expected_version=report.version, user=clerk, reason="Figures wrong"
    )
    assert not report.is_published and report.published_render is None
    reasons = [r.history_change_reason for r in publishing.publication_history(report)]
    assert reasons == ["unpublished: Figures wrong", "published: Sent to the committee"]


def test_a_draft_report_is_not_published(built, clerk):
    ready_render(built.report)
    with pytest.raises(ValidationError, match="Approve the report"):
        publish(built.report, clerk)


def test_an_exempt_report_is_not_published(built, clerk):
    CommitteeReport.objects.filter(pk=built.report.pk).update(access="exempt")
    built.report.refresh_from_db()
    report = approved(built.report, clerk)
    with pytest.raises(ValidationError, match="exempt report"):
        publish(report, clerk)


def test_a_report_whose_period_is_open_again_is_not_published(built, clerk):
    report = approved(built.report, clerk)
    reopen(report.period)
    report.refresh_from_db()
    with pytest.raises(ValidationError, match="still open"):
        publish(report, clerk)


def test_an_approved_report_without_a_pdf_since_approval_is_not_published(built, clerk):
    ready_render(built.report)  # the draft's PDF, which says Draft
    report = report_services.report_approve(
        report=built.report, expected_version=built.report.version, user=clerk
    )
    with pytest.raises(ValidationError, match="no PDF yet"):
        publish(report, clerk)


def test_publishing_needs_a_reason(built, clerk):
    report = approved(built.report, clerk)
    with pytest.raises(ValidationError, match="Say why"):
        publish(report, clerk, reason="  ")


def test_a_published_report_is_not_moved_back_to_draft(built, clerk):
    report = publish(approved(built.report, clerk), clerk)
    with pytest.raises(ValidationError, match="unpublish it first"):
        report_services.report_to_draft(
            report=report, expected_version=report.version, user=clerk, reason="Change"
        )


# The clerk's buttons -------------------------------------------------------------------


def test_the_clerk_publishes_and_unpublishes_from_the_report_page(client, built, clerk):
    report = approved(built.report, clerk)
    client.force_login(clerk)
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Publish the report" in page
    publish_url = reverse("reporting:report_publish", args=[report.pk])
    unticked = {"version": report.version, "reason": "For the meeting"}
    client.post(publish_url, unticked)
    report.refresh_from_db()
    assert not report.is_published  # the confirmation box was not ticked

    client.post(publish_url, {**unticked, "confirm": "yes"})
    report.refresh_from_db()
    assert report.is_published
    page = client.get(report.get_absolute_url()).content.decode()
    assert publishing.public_url(report) in page and "Unpublish the report" in page
    assert "Published: For the meeting" in page

    client.post(
        reverse("reporting:report_unpublish", args=[report.pk]),
        {"version": report.version, "reason": "Withdrawn by the chair"},
    )
    report.refresh_from_db()
    assert not report.is_published


def test_the_reports_list_marks_a_published_report(client, built, clerk):
    client.force_login(clerk)
    assert ">Published</span>" not in client.get(reverse("reporting:report_list")).content.decode()
    publish(approved(built.report, clerk), clerk)
    assert ">Published</span>" in client.get(reverse("reporting:report_list")).content.decode()


@pytest.mark.parametrize("role", [roles.BOARD_MEMBER, roles.SERVICE_DIRECTOR, roles.QA_LEAD])
def test_other_roles_cannot_publish(client, built, clerk, role):
    report = approved(built.report, clerk)
    client.force_login(factories.UserFactory(role=role))
    response = client.post(
        reverse("reporting:report_publish", args=[report.pk]),
        {"version": report.version, "reason": "x", "confirm": "yes"},
    )
    assert response.status_code == 403
    report.refresh_from_db()
    assert not report.is_published


def test_a_clerk_of_another_organisation_gets_not_found(client, built, clerk):
    report = approved(built.report, clerk)
    other = factories.OrganisationFactory(name="Other Council")
    client.force_login(factories.UserFactory(role=roles.COMMITTEE_CLERK, organisation=other))
    response = client.post(
        reverse("reporting:report_publish", args=[report.pk]),
        {"version": report.version, "reason": "x", "confirm": "yes"},
    )
    assert response.status_code == 404
    report.refresh_from_db()
    assert not report.is_published


def test_a_clerk_of_a_partner_organisation_reads_but_does_not_publish(client, built, clerk):
    report = approved(built.report, clerk)
    partner = factories.OrganisationFactory(name="Health Board")
    report.plan.partners.add(partner)
    client.force_login(factories.UserFactory(role=roles.COMMITTEE_CLERK, organisation=partner))
    assert client.get(report.get_absolute_url()).status_code == 200
    response = client.post(
        reverse("reporting:report_publish", args=[report.pk]),
        {"version": report.version, "reason": "x", "confirm": "yes"},
    )
    assert response.status_code == 403
    report.refresh_from_db()
    assert not report.is_published


# The public pages ----------------------------------------------------------------------


@pytest.fixture
def published(built, clerk):
    report = publish(approved(built.report, clerk), clerk)
    return report


def test_the_public_page_shows_the_report_without_signing_in(published, built):
    response = Client().get(publishing.public_url(published))
    assert response.status_code == 200
    page = unescape(response.content.decode())
    assert published.committee in page and built.plan.title in page
    assert "Recommendations" in page and "RAG criteria" in page
    assert built.actions[0].text in page  # the plan table
    assert reverse("published:pdf", args=[built.plan.slug, "q2-202425"]) in page
    assert not response.cookies  # no session, no CSRF cookie
    assert "csrfmiddlewaretoken" not in page


def test_the_public_pages_charts_and_tables_are_described(published):
    page = Client().get(publishing.public_url(published)).content.decode()
    images = re.findall(r"<img\b[^>]*>", page)
    assert images, "the progress chart and the measures' charts are images"
    assert all(re.search(r'alt="[^"]{20,}"', image) for image in images)
    assert page.count("<table") == page.count("<caption") + page.count('role="presentation"')


def test_the_public_page_names_no_user_and_links_no_evidence(published, clerk, built):
    page = Client().get(publishing.public_url(published)).content.decode()
    assert clerk.last_name not in page
    assert built.report.created_by is None or built.report.created_by.username not in page
    assert "/plans/evidence/" not in page and "/reports/renders/" not in page
    assert "/plans/" not in page.replace("/published/", "")


def test_the_public_page_shows_the_period_as_frozen(published, built):
    admin = factories.UserFactory(role=roles.PLAN_ADMINISTRATOR)
    # A later period's rating of an action never reaches the report of its period.
    rating_record(
        item=built.actions[2], rag="red", user=admin, commentary="Q3 wording", period=built.q3
    )
    page = Client().get(publishing.public_url(published)).content.decode()
    assert "Q3 wording" not in page and "Q2 2024/25" in page


def test_the_public_page_answers_304_to_its_etag(published):
    client = Client()
    url = publishing.public_url(published)
    first = client.get(url)
    assert first["ETag"]
    assert "public" in first["Cache-Control"] and "max-age=300" in first["Cache-Control"]
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    assert not again.content


def test_a_corrected_wording_changes_the_etag(published, built):
    client = Client()
    url = publishing.public_url(published)
    first = client.get(url)
    action = built.actions[0]
    action.text = "Corrected wording of the first action"
    action.save()
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    assert "Corrected wording of the first action" in again.content.decode()


def test_the_pdf_answers_304_to_its_checksum(published):
    client = Client()
    url = reverse("published:pdf", args=[published.plan.slug, "q2-202425"])
    etag = f'"{published.published_render.checksum}"'
    assert client.get(url)["ETag"] == etag
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_the_pdf_is_the_published_renders_file(published):
    response = Client().get(reverse("published:pdf", args=[published.plan.slug, "q2-202425"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == published.published_render.pdf.open().read()
    assert "public" in response["Cache-Control"]


def test_the_period_may_be_named_by_its_id(published):
    url = reverse("published:report", args=[published.plan.slug, published.period_id])
    assert Client().get(url).status_code == 200


def test_an_unpublished_report_is_gone_at_once(published, clerk):
    url = publishing.public_url(published)
    pdf = reverse("published:pdf", args=[published.plan.slug, "q2-202425"])
    publishing.report_unpublish(
        report=published, expected_version=published.version, user=clerk, reason="Withdrawn"
    )
    assert Client().get(url).status_code == 410
    assert Client().get(pdf).status_code == 410
    assert Client().get(reverse("published:index")).content.decode().count(url) == 0


def test_a_report_never_published_is_not_found(built):
    assert Client().get(publishing.public_url(built.report)).status_code == 404
    assert Client().get("/published/no-such-plan/q2-202425/").status_code == 404


def test_a_reopened_period_takes_the_report_off_the_public_pages(published):
    reopen(published.period)
    assert Client().get(publishing.public_url(published)).status_code == 410


def test_the_index_lists_published_reports_by_plan_and_earlier_ones_are_linked(
    published, built, clerk
):
    q1_report = factories.CommitteeReportFactory(
        plan=built.plan,
        period=built.q1,
        committee="Scrutiny Committee",
        meeting_date=built.q1.end,
    )
    q1_report = publish(approved(q1_report, clerk), clerk)
    index = unescape(Client().get(reverse("published:index")).content.decode())
    assert built.plan.title in index
    assert publishing.public_url(published) in index and publishing.public_url(q1_report) in index
    page = Client().get(publishing.public_url(published)).content.decode()
    assert publishing.public_url(q1_report) in page


def test_an_example_plan_is_marked_as_example_data(published):
    published.plan.example_data = True
    published.plan.save()
    page = Client().get(publishing.public_url(published)).content.decode()
    assert "Example data" in page


@pytest.mark.parametrize("areas, actions", [(1, 3), (3, 4)])
def test_the_public_page_costs_a_fixed_number_of_queries(
    clerk, django_assert_num_queries, areas, actions
):
    built = build_reported_plan(areas=areas, actions_per_area=actions, slug="sized-plan")
    report = publish(approved(built.report, clerk), clerk)
    client = Client()
    # The report content is read in a fixed number of queries (reporting.content), and
    # the page adds the publication and the earlier reports: the same for any size.
    with django_assert_num_queries(24):
        assert client.get(publishing.public_url(report)).status_code == 200

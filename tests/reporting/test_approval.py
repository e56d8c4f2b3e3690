"""A committee report moves from draft to approved with who and when; an approved report
is not changed until it is moved back to draft, with a reason; the PDF and Word version
say Draft until it is approved."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from pypdf import PdfReader

from core.models import ConflictError
from reporting import appendices, services
from reporting.models import CommitteeReport, ReportRender
from tests.reporting.builders import build_reported_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def built():
    return build_reported_plan(areas=1, actions_per_area=3)


def approve(client, report):
    return client.post(
        reverse("reporting:report_approve", args=[report.pk]), {"version": report.version}
    )


def test_a_new_report_is_a_draft(built):
    assert built.report.status == CommitteeReport.Status.DRAFT
    assert built.report.approved_by is None and built.report.approved_at is None


def test_approving_records_who_and_when_in_the_report_and_its_history(built, clerk):
    report = services.report_approve(
        report=built.report, expected_version=built.report.version, user=clerk
    )

    report.refresh_from_db()
    assert report.is_approved and report.approved_by == clerk
    assert (timezone.now() - report.approved_at).total_seconds() < 60
    latest = report.history.first()
    assert (latest.history_user, latest.history_change_reason, latest.status) == (
        clerk,
        "approved",
        "approved",
    )


def test_a_report_on_an_open_period_cannot_be_approved(built, clerk):
    built.report.period = built.q3
    built.report.save()
    with pytest.raises(ValidationError, match="Q3 2024/25 is still open"):
        services.report_approve(
            report=built.report, expected_version=built.report.version, user=clerk
        )


def test_approving_a_report_changed_meanwhile_is_refused(built, clerk):
    with pytest.raises(ConflictError):
        services.report_approve(
            report=built.report, expected_version=built.report.version - 1, user=clerk
        )


def test_an_approved_report_cannot_be_edited_or_given_appendices(built, clerk):
    report = services.report_approve(
        report=built.report, expected_version=built.report.version, user=clerk
    )
    with pytest.raises(ValidationError, match="approved, so it cannot be changed"):
        services.report_update(
            report=report, expected_version=report.version, user=clerk, background="Changed."
        )
    with pytest.raises(ValidationError, match="approved, so it cannot be changed"):
        appendices.appendix_add(
            report=report,
            label="3",
            title="Budget",
            upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4"),
            user=clerk,
        )


def test_moving_back_to_draft_needs_a_reason_and_clears_the_approval(built, clerk):
    report = services.report_approve(
        report=built.report, expected_version=built.report.version, user=clerk
    )
    with pytest.raises(ValidationError, match="Say why"):
        services.report_to_draft(
            report=report, expected_version=report.version, user=clerk, reason="  "
        )

    report = services.report_to_draft(
        report=report, expected_version=report.version, user=clerk, reason="Figures corrected."
    )

    report.refresh_from_db()
    assert report.status == "draft" and report.approved_by is None and report.approved_at is None
    assert report.history.first().history_change_reason == "moved back to draft: Figures corrected."
    services.report_update(
        report=report, expected_version=report.version, user=clerk, background="Changed."
    )


def test_the_pdf_says_draft_until_the_report_is_approved(built, clerk):
    now = timezone.now()
    draft = services.report_html(built.report, generated_at=now)
    assert "Draft: not yet approved" in draft
    assert 'class="running-status"' in draft

    report = services.report_approve(
        report=built.report, expected_version=built.report.version, user=clerk
    )
    approved = services.report_html(report, generated_at=now)
    assert "Draft: not yet approved" not in approved
    assert 'class="running-status"' not in approved
    # The PDF leaves the building (the public pages): it says when, not who.
    assert f"Approved on {timezone.localtime(report.approved_at):%-d %B %Y}" in approved
    assert escape(clerk.get_full_name() or clerk.username) not in approved


def test_the_clerk_approves_on_the_report_page_and_it_is_rendered_again(client, built, clerk):
    client.force_login(clerk)
    page = client.get(built.report.get_absolute_url()).content.decode()
    assert "Approve the report" in page and "Draft" in page

    response = approve(client, built.report)

    assert response.status_code == 302
    built.report.refresh_from_db()
    assert built.report.is_approved
    assert ReportRender.objects.filter(report=built.report).exists()
    page = client.get(built.report.get_absolute_url()).content.decode()
    assert "Move back to draft" in page
    assert reverse("reporting:report_edit", args=[built.report.pk]) not in page
    response = client.get(reverse("reporting:report_edit", args=[built.report.pk]))
    assert response.status_code == 302


def test_the_reason_to_move_back_is_asked_for_on_the_page(client, built, clerk):
    services.report_approve(report=built.report, expected_version=built.report.version, user=clerk)
    built.report.refresh_from_db()
    client.force_login(clerk)
    url = reverse("reporting:report_to_draft", args=[built.report.pk])

    client.post(url, {"version": built.report.version, "reason": ""})
    built.report.refresh_from_db()
    assert built.report.is_approved

    client.post(url, {"version": built.report.version, "reason": "Late figures."})
    built.report.refresh_from_db()
    assert not built.report.is_approved


def test_a_board_member_cannot_approve(client, built, board_member):
    client.force_login(board_member)
    assert approve(client, built.report).status_code == 403
    built.report.refresh_from_db()
    assert not built.report.is_approved


def pdf_pages(report) -> list[str]:
    render = ReportRender.objects.create(
        report=report, number=ReportRender.objects.filter(report=report).count() + 1
    )
    services.render_run(render_id=render.pk)
    render.refresh_from_db()
    return [" ".join(p.extract_text().split()) for p in PdfReader(render.pdf.open("rb")).pages]


def test_every_page_of_a_draft_pdf_says_draft_and_an_approved_one_does_not(built, clerk):
    pages = pdf_pages(built.report)
    assert "DRAFT: NOT YET APPROVED" in pages[0].upper()
    for number, text in enumerate(pages[1:], start=2):
        assert "DRAFT ·" in text, number

    report = services.report_approve(
        report=built.report, expected_version=built.report.version, user=clerk
    )
    assert not any("DRAFT" in text for text in pdf_pages(report))

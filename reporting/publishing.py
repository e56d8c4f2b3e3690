"""Publishing committee reports on the public pages (/published/), and what they show.

A clerk publishes an approved public report of a closed period once it has a PDF
rendered after its approval (so the PDF does not say Draft), giving a reason; they
unpublish it, again with a reason. Both are saves of the report, so its history keeps
who, when and why. The public pages read only what `published_reports` returns, so a
report that is unpublished, moved back to draft or whose period has been reopened is
off the public pages at once.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from core.models import save_versioned
from plans.models import Plan, ReportingPeriod
from reporting.models import CommitteeReport, ReportRender

PUBLISHED = "published: "
UNPUBLISHED = "unpublished: "


def publishable_render(report: CommitteeReport) -> ReportRender | None:
    """The PDF the public download serves: the latest ready render asked for after the
    report was approved."""
    if not report.is_approved:
        return None
    return (
        report.renders.filter(state=ReportRender.State.READY, requested_at__gte=report.approved_at)
        .order_by("-number")
        .first()
    )


def publish_refusal(report: CommitteeReport) -> str:
    """Why the report cannot be published now, or "" if it can."""
    if report.is_published:
        return "This report is already published."
    if report.access == CommitteeReport.Access.EXEMPT:
        return (
            "This is an exempt report (not for publication under Schedule 12A of the "
            "Local Government Act 1972), so it cannot be published."
        )
    if not report.is_approved:
        return "Approve the report before publishing it."
    if not report.period.is_closed:
        return f"{report.period.label} is still open: only a closed period's report is published."
    if publishable_render(report) is None:
        return (
            "The approved report has no PDF yet: publish it once its render after "
            "approval is ready."
        )
    return ""


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why, for the report's history."})
    return reason


def report_publish(
    *, report: CommitteeReport, expected_version: int, user, reason: str
) -> CommitteeReport:
    """Publish the report with its latest PDF rendered since approval."""
    reason = _reason(reason)
    with transaction.atomic():
        report = (
            CommitteeReport.objects.select_for_update().select_related("period").get(pk=report.pk)
        )
        refusal = publish_refusal(report)
        if refusal:
            raise ValidationError(refusal)
        other = (
            CommitteeReport.objects.filter(period=report.period, published_at__isnull=False)
            .exclude(pk=report.pk)
            .first()
        )
        if other is not None:
            raise ValidationError(
                f"Another report of {report.period.label} is published ({other}): "
                "unpublish it first."
            )
        report.published_render = publishable_render(report)
        report.published_at = timezone.now()
        return save_versioned(
            report, expected_version=expected_version, user=user, reason=PUBLISHED + reason
        )


def report_unpublish(
    *, report: CommitteeReport, expected_version: int, user, reason: str
) -> CommitteeReport:
    """Take the report off the public pages at once."""
    reason = _reason(reason)
    if not report.is_published:
        raise ValidationError("This report is not published.")
    report.published_render = None
    report.published_at = None
    return save_versioned(
        report, expected_version=expected_version, user=user, reason=UNPUBLISHED + reason
    )


def publication_history(report: CommitteeReport) -> list:
    """The report's publishing and unpublishing, newest first: history rows with
    `history_user`, `history_date` and the reason."""
    rows = report.history.select_related("history_user").order_by("-history_date", "-history_id")
    return [
        row
        for row in rows
        if (row.history_change_reason or "").startswith((PUBLISHED, UNPUBLISHED))
    ]


# The public pages ----------------------------------------------------------------------


def published_reports() -> QuerySet[CommitteeReport]:
    """Every report on the public pages: published, still approved and public, and of a
    period that is still closed."""
    return CommitteeReport.objects.filter(
        published_at__isnull=False,
        status=CommitteeReport.Status.APPROVED,
        access=CommitteeReport.Access.PUBLIC,
        period__state=ReportingPeriod.State.CLOSED,
    ).select_related("plan", "period", "published_render")


def period_slug(period: ReportingPeriod) -> str:
    """A period's part of the public address: its label as a slug ("q2-202425")."""
    return slugify(period.label) or str(period.pk)


def public_url(report: CommitteeReport) -> str:
    return reverse("published:report", args=[report.plan.slug, period_slug(report.period)])


def published_report(plan_slug: str, period: str) -> CommitteeReport | None:
    """The published report of the plan and period (named by its slug or id), or None."""
    for report in published_reports().filter(plan__slug=plan_slug):
        if period in (period_slug(report.period), str(report.period_id)):
            return report
    return None


def was_published(plan_slug: str, period: str) -> bool:
    """Was a report of this plan and period ever published? Then its address is Gone."""
    plan = Plan.objects.filter(slug=plan_slug).first()
    if plan is None:
        return False
    periods = [p for p in plan.periods.all() if period in (period_slug(p), str(p.pk))]
    return CommitteeReport.history.filter(
        plan_id=plan.pk, period_id__in=[p.pk for p in periods], published_at__isnull=False
    ).exists()

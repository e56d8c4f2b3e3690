"""Quarterly scrutiny-committee reports and the renders that produce their PDFs."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.models import CreatedBy, TimeStamped, Versioned
from plans.models import Plan, ReportingPeriod
from reporting.template import NARRATIVE_FIELDS


class CommitteeReport(TimeStamped, Versioned, CreatedBy):
    """What the clerk sets up for one meeting: cover details and narrative sections.

    Its content about the plan comes from the ratings as of `period`, so rendering it
    again later gives the same report.
    """

    class Access(models.TextChoices):
        PUBLIC = "public", "Public report"
        EXEMPT = "exempt", "Exempt report"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="committee_reports")
    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.PROTECT, related_name="committee_reports"
    )
    committee = models.CharField(max_length=200)
    meeting_date = models.DateField()
    agenda_item = models.CharField(max_length=20, blank=True)
    access = models.CharField(max_length=10, choices=Access.choices, default=Access.PUBLIC)
    title = models.CharField(
        max_length=300,
        default="Children's Services Improvement: Action Plan & Progress Monitoring",
    )
    report_of = models.CharField(max_length=300, blank=True)
    cabinet_member = models.CharField(max_length=300, blank=True)
    contact_officers = models.TextField(blank=True)
    recommendations = models.TextField(blank=True)
    deadline_date = models.DateField(
        null=True, blank=True, help_text="Printed beside the recommendations; N/A if none."
    )
    # The council's numbered sections (reporting.template.COUNCIL_TEMPLATE), in order.
    origin = models.TextField(blank=True)
    purpose = models.TextField(blank=True)
    care_promise = models.TextField(blank=True)
    major_policy_item = models.BooleanField(default=False)
    cabinet_date = models.DateField(null=True, blank=True)
    background = models.TextField(blank=True)
    corporate_priorities = models.TextField(blank=True)
    climate_change = models.TextField(blank=True)
    consultation = models.TextField(blank=True)
    outcomes = models.TextField(blank=True)
    recommendation_reason = models.TextField(blank=True)
    alternatives = models.TextField(blank=True)
    financial_implications = models.TextField(blank=True)
    legal_implications = models.TextField(blank=True)
    equalities_implications = models.TextField(blank=True)
    implications = models.TextField(blank=True)  # other implications, after the three
    background_documents = models.TextField(blank=True)
    appendices = models.TextField(blank=True)
    not_applicable = models.JSONField(
        default=list,
        blank=True,
        help_text="Narrative fields the clerk marked not applicable: printed as N/A.",
    )
    # Draft until a clerk or plan administrator approves it; an approved report is not
    # edited until it is moved back to draft (reporting.services.report_approve).
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # Published on the public pages (/published/) with this render's PDF; who, when and
    # why are in the history (reporting.publishing).
    published_render = models.ForeignKey(
        "ReportRender",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-meeting_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", approved_at__isnull=True)
                | Q(status="approved", approved_at__isnull=False),
                name="%(app_label)s_%(class)s_approved_has_a_time",
            ),
            models.CheckConstraint(
                condition=Q(published_render__isnull=True, published_at__isnull=True)
                | Q(published_render__isnull=False, published_at__isnull=False),
                name="%(app_label)s_%(class)s_published_has_a_render_and_time",
            ),
            # One public page per plan and period: /published/<plan>/<period>/.
            models.UniqueConstraint(
                fields=["period"],
                condition=Q(published_at__isnull=False),
                name="%(app_label)s_%(class)s_one_published_per_period",
            ),
        ]

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def check_editable(self) -> None:
        """An approved report is what the committee was sent: refuse a change to it."""
        if self.is_approved:
            raise ValidationError(
                "This report is approved, so it cannot be changed. Move it back to draft "
                "first, saying why; it will need approving again."
            )

    def __str__(self) -> str:
        return f"{self.committee}, {self.meeting_date:%d %B %Y}"

    def clean(self) -> None:
        unknown = set(self.not_applicable or []) - set(NARRATIVE_FIELDS)
        if unknown:
            raise ValidationError(
                {"not_applicable": f"Not sections of the report: {', '.join(sorted(unknown))}."}
            )
        if self.cabinet_date and not self.major_policy_item:
            raise ValidationError(
                {
                    "cabinet_date": "A Cabinet date is only for a major policy item "
                    "or statutory plan."
                }
            )

    def get_absolute_url(self) -> str:
        return reverse("reporting:report", args=[self.pk])


def appendix_path(instance: ReportAppendix, filename: str) -> str:
    return (
        f"reports/plan-{instance.report.plan_id}/report-{instance.report_id}/appendices/{filename}"
    )


class ReportAppendix(models.Model):
    """One appendix of a committee report, listed in section 12 in `position` order.

    The action plan with its positions and the RAG criteria are generated with the
    report; any other appendix (the inspectorate's letter, say) is a PDF the clerk
    uploads, merged into the PDF pack after the report's own pages, in order. An
    uploaded appendix without its file yet is listed but not merged."""

    class Kind(models.TextChoices):
        PLAN = "plan", "The action plan with its positions (generated)"
        CRITERIA = "criteria", "The RAG criteria (generated)"
        UPLOAD = "upload", "A PDF the clerk uploads"

    report = models.ForeignKey(
        CommitteeReport, on_delete=models.CASCADE, related_name="appendix_entries"
    )
    position = models.PositiveIntegerField()
    label = models.CharField(max_length=10, help_text="As the report names it: 1, 2a, A…")
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.UPLOAD)
    file = models.FileField(upload_to=appendix_path, blank=True, max_length=300)
    pages = models.PositiveIntegerField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["report", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "position"], name="%(app_label)s_%(class)s_unique_position"
            ),
            models.UniqueConstraint(
                fields=["report", "label"], name="%(app_label)s_%(class)s_unique_label"
            ),
            models.CheckConstraint(
                condition=Q(kind="upload") | Q(file=""),
                name="%(app_label)s_%(class)s_only_uploads_have_files",
            ),
        ]

    def __str__(self) -> str:
        return f"Appendix {self.label}: {self.title}"


def render_path(instance: ReportRender, filename: str) -> str:
    return f"reports/plan-{instance.report.plan_id}/report-{instance.report_id}/{filename}"


class ReportRender(models.Model):
    """One run that turns a committee report into a PDF. Earlier runs are kept."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RENDERING = "rendering", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    report = models.ForeignKey(CommitteeReport, on_delete=models.PROTECT, related_name="renders")
    number = models.PositiveIntegerField(help_text="1 for the first render of the report.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    pdf = models.FileField(upload_to=render_path, blank=True, max_length=300)
    docx = models.FileField(
        upload_to=render_path,
        blank=True,
        max_length=300,
        help_text="The same report as a Word document, made with the PDF.",
    )
    checksum = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the PDF.")
    page_count = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["report", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "number"], name="%(app_label)s_%(class)s_unique_number"
            ),
            models.CheckConstraint(
                condition=~Q(state="ready") | ~Q(pdf=""),
                name="%(app_label)s_%(class)s_ready_has_pdf",
            ),
        ]
        indexes = [models.Index(fields=["state", "requested_at"])]

    def __str__(self) -> str:
        return f"{self.report} render {self.number} ({self.get_state_display()})"

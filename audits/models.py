"""Dip samples and audits that test outcome measures, and periodic performance values.

A measure's RAG follows from its latest result, its target and tolerance, and whether
mitigation is in place (see `plans.rules.measure_rag_derive`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast, NullIf, Round
from django.utils import dateformat
from simple_history.models import HistoricalRecords

from core.models import TimeStamped, Versioned
from plans.models import Measure, ReportingPeriod

# Anonymised case codes only ("C-1042", "AB12"): letters, digits and hyphens, so a name
# ("Jane Smith") cannot be typed into the field.
case_codes_validator = RegexValidator(
    r"^\s*[A-Z0-9][A-Z0-9-]{1,15}(\s*,\s*[A-Z0-9][A-Z0-9-]{1,15})*\s*$",
    "Use anonymised case codes only (capital letters, digits and hyphens, "
    "separated by commas), never names.",
)


class AuditSchedule(TimeStamped):
    """When a measure is tested: "3 x monthly dip sample then review"."""

    class Cadence(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        TWO_MONTHLY = "two_monthly", "Two-monthly"
        QUARTERLY = "quarterly", "Quarterly"
        CUSTOM = "custom", "Custom interval"

    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="schedules")
    cadence = models.CharField(max_length=12, choices=Cadence.choices)
    interval_months = models.PositiveSmallIntegerField(default=1)
    rounds = models.PositiveSmallIntegerField(default=3)
    first_due = models.DateField()
    review_date = models.DateField(null=True, blank=True)
    source_text = models.TextField(blank=True, help_text="The measure text it was proposed from.")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["measure", "first_due"]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_months__gte=1) & Q(rounds__gte=1),
                name="%(app_label)s_%(class)s_positive_interval_and_rounds",
            )
        ]

    def __str__(self) -> str:
        first = dateformat.format(self.first_due, "j M Y")
        return f"{self.rounds} x {self.get_cadence_display().lower()} from {first}"


class DipSample(TimeStamped, Versioned):
    """One audit round: how many case files were sampled and how many were compliant."""

    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="dip_samples")
    schedule = models.ForeignKey(
        AuditSchedule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dip_samples",
    )
    period = models.ForeignKey(
        ReportingPeriod,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dip_samples",
    )
    sampled_on = models.DateField()
    sample_size = models.PositiveIntegerField()
    compliant = models.PositiveIntegerField()
    result = models.GeneratedField(
        # NULLIF: PostgreSQL computes the column before checking constraints, so a zero
        # sample size must give NULL (then refused by the check) rather than an error.
        expression=Round(
            Cast(F("compliant"), models.FloatField()) * 100.0 / NullIf(F("sample_size"), 0), 1
        ),
        output_field=models.FloatField(),
        db_persist=True,
        verbose_name="result (%)",
    )
    findings = models.TextField(blank=True)
    mitigation = models.TextField(
        blank=True, help_text="Mitigation in place makes a below-target result Amber, not Red."
    )
    case_codes = models.CharField(max_length=300, blank=True, validators=[case_codes_validator])
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords(excluded_fields=["result"])

    class Meta:
        ordering = ["measure", "sampled_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sample_size__gte=1), name="%(app_label)s_%(class)s_sample_size_positive"
            ),
            models.CheckConstraint(
                condition=Q(compliant__gte=0) & Q(compliant__lte=F("sample_size")),
                name="%(app_label)s_%(class)s_compliant_within_sample",
            ),
        ]
        # A measure's latest sample up to a date, ties by id, and its result (the
        # dashboard's results, below target): read from the end of the index, with
        # nothing left to sort and, on PostgreSQL, no table row to fetch.
        # The rounds of a schedule done by a date (the dashboard's audits overdue): counted
        # on the index alone.
        indexes = [
            models.Index(
                fields=["measure", "-sampled_on", "-id"],
                include=["result"],
                name="audits_dipsample_latest",
            ),
            models.Index(fields=["schedule", "sampled_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.sampled_on}: {self.compliant}/{self.sample_size}"

    @property
    def mitigation_in_place(self) -> bool:
        return bool(self.mitigation.strip())


class MeasureValue(TimeStamped):
    """A periodic performance figure for a measure that is not audited (e.g. "EET 46.3%"),
    with the comparators the committee report shows."""

    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="values")
    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    as_of = models.DateField()
    value = models.DecimalField(max_digits=9, decimal_places=2)
    national_average = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    statistical_neighbours = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True
    )
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["measure", "as_of"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "as_of"], name="%(app_label)s_%(class)s_unique_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.as_of}: {self.value}"

"""What each list of the API holds: its rows (a `values()` query over the plans the
caller may read), its columns (a serializer whose field sources name the query's
columns, so JSON, CSV and the OpenAPI schema come from one list), the filters it takes
and its order. No row ever needs a query of its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Case, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from rest_framework import serializers

from api.auth import Caller
from audits.models import DipSample, MeasureValue
from plans.models import (
    Action,
    DueDateRevision,
    Measure,
    Outcome,
    Plan,
    Position,
    Recommendation,
    ReportingPeriod,
)
from reporting.models import CommitteeReport, ReportRender


def chars(source: str | None = None, **options) -> serializers.CharField:
    return serializers.CharField(source=source, allow_blank=True, **options)


def number(source: str | None = None) -> serializers.IntegerField:
    return serializers.IntegerField(source=source, allow_null=True)


def decimal(source: str | None = None) -> serializers.DecimalField:
    return serializers.DecimalField(
        source=source, max_digits=9, decimal_places=2, allow_null=True, coerce_to_string=False
    )


def date(source: str | None = None) -> serializers.DateField:
    return serializers.DateField(source=source, allow_null=True)


def moment(source: str | None = None) -> serializers.DateTimeField:
    return serializers.DateTimeField(source=source, allow_null=True)


def flag(source: str | None = None) -> serializers.BooleanField:
    return serializers.BooleanField(source=source)


class PlanRow(serializers.Serializer):
    id = number()
    slug = chars()
    title = chars()
    organisation = chars("organisation__name")
    status = chars()
    framework = chars()
    judgement = chars()
    inspection_start = date()
    inspection_end = date()
    requires_signoff = flag()
    updated = moment()


class RecommendationRow(serializers.Serializer):
    id = number()
    plan = chars("plan__slug")
    ref = chars()
    position = number()
    title = chars()
    outcome_required = chars()
    impact_for_children = chars()
    updated = moment()


class OutcomeRow(serializers.Serializer):
    id = number()
    plan = chars("recommendation__plan__slug")
    recommendation_id = number()
    ref = chars()
    text = chars()
    updated = moment()


class ActionRow(serializers.Serializer):
    id = number()
    plan = chars("plan__slug")
    recommendation_id = number()
    outcome_id = number()
    ref = chars()
    text = chars()
    lead = chars()
    timescale = chars("timescale_text")
    start_date = date()
    due_date = date()
    baseline_due_date = date()
    status = chars()
    completed_on = date()
    updated = moment()


class OwnerRow(serializers.Serializer):
    """One row per accountable post of an action: posts, not people's accounts."""

    owner_id = number()
    post = chars("owner__post")
    person_name = chars("owner__person_name")
    action_id = number()
    action_ref = chars("action__ref")
    plan = chars("action__plan__slug")


class MeasureRow(serializers.Serializer):
    id = number()
    plan = chars("plan__slug")
    action_id = number()
    action_ref = chars("action__ref")
    text = chars()
    method = chars()
    target = decimal()
    tolerance = decimal()
    unit = chars()
    higher_is_better = flag()
    due_date = date()
    national_average = decimal()
    statistical_neighbours = decimal()
    updated = moment()


class PeriodRow(serializers.Serializer):
    id = number()
    plan = chars("plan__slug")
    label = chars()
    start = date()
    end = date()
    state = chars()
    closed_at = moment()


class PositionRow(serializers.Serializer):
    """An item's position as of a period (`plans.Position`). `confirmed_rag` is what the
    dashboard and reports count; `rag` and `status` are the latest rating, proposed or
    confirmed, and are blank for callers who may not see proposed ratings."""

    id = number()
    plan = chars("plan__slug")
    period_id = number()
    period = chars("period__label")
    period_end = date("period__end")
    subject = chars()
    action_id = number()
    measure_id = number()
    recommendation_id = number()
    ref = chars("item_ref")
    confirmed_rag = chars()
    confirmed_carried_forward = flag()
    confirmed_period_id = number()
    rag = chars("shown_rag")
    status = chars("shown_status")
    rated_at = moment("shown_rated_at")


class RevisionRow(serializers.Serializer):
    id = number()
    plan = chars("action__plan__slug")
    action_id = number()
    action_ref = chars("action__ref")
    old_date = date()
    new_date = date()
    reason = chars()
    created = moment()


class MeasureValueRow(serializers.Serializer):
    """A performance figure with the comparators the committee report shows."""

    id = number()
    plan = chars("measure__plan__slug")
    measure_id = number()
    period_id = number()
    as_of = date()
    value = decimal()
    unit = chars("measure__unit")
    target = decimal("measure__target")
    national_average = decimal()
    statistical_neighbours = decimal()
    updated = moment()


class DipSampleRow(serializers.Serializer):
    """A dip sample's numbers only: never its case codes, findings or mitigation text."""

    id = number()
    plan = chars("measure__plan__slug")
    measure_id = number()
    period_id = number()
    sampled_on = date()
    sample_size = number()
    compliant = number()
    result = serializers.FloatField(allow_null=True)
    target = decimal("measure__target")
    mitigation_in_place = flag()
    updated = moment()


class ReportRow(serializers.Serializer):
    id = number()
    plan = chars("plan__slug")
    period_id = number()
    period = chars("period__label")
    committee = chars()
    meeting_date = date()
    agenda_item = chars()
    title = chars()
    access = chars()
    status = chars()
    page_count = number("pdf_pages")
    checksum = chars("pdf_checksum", allow_null=True)
    pdf_url = serializers.SerializerMethodField()
    updated = moment()

    def get_pdf_url(self, row) -> str | None:
        if row["pdf_render"] is None:
            return None
        path = reverse("api:report_pdf", args=[row["id"]])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


@dataclass(frozen=True)
class Resource:
    """One list: its rows for the plans read, its columns and what filters name."""

    name: str
    rows: Callable[[Caller], QuerySet]
    serializer: type[serializers.Serializer]
    plan: str  # the path from a row to its plan
    order: tuple[str, ...] = ("id",)
    period: str | None = None
    item: str | None = None  # the column ?item= names, for lists of one kind of item
    changed: tuple[str, ...] = ()  # "changed since" compares these times
    also: tuple[str, ...] = ()  # columns the serializer's methods read

    def columns(self) -> list[str]:
        return [
            f.source
            for f in self.serializer().fields.values()
            if not isinstance(f, serializers.SerializerMethodField)
        ] + list(self.also)


def _positions(caller: Caller) -> QuerySet:
    may = Q(plan_id__in=caller.proposed_plan_ids)
    return Position.objects.filter(Q(confirmed_rating__isnull=False) | may).annotate(
        item_ref=Coalesce(
            "action__ref", "measure__action__ref", "recommendation__ref", output_field=None
        ),
        shown_rag=Case(When(may, then=F("rag")), default=Value("")),
        shown_status=Case(When(may, then=F("status")), default=Value("")),
        shown_rated_at=Case(When(may, then=F("rated_at")), default=None),
    )


def _reports(caller: Caller) -> QuerySet:
    ready = ReportRender.objects.filter(
        report=OuterRef("pk"), state=ReportRender.State.READY
    ).order_by("-number")
    reports = CommitteeReport.objects.annotate(
        pdf_render=Subquery(ready.values("pk")[:1]),
        pdf_pages=Subquery(ready.values("page_count")[:1]),
        pdf_checksum=Subquery(ready.values("checksum")[:1]),
    )
    if caller.is_key:
        # A system reads the public reports only; exempt ones stay with the people.
        reports = reports.filter(access=CommitteeReport.Access.PUBLIC)
    return reports


def _dip_samples(caller: Caller) -> QuerySet:
    return DipSample.objects.annotate(
        mitigation_in_place=Case(When(mitigation="", then=Value(False)), default=Value(True))
    )


def _all(model):
    return lambda caller: model.objects.all()


RESOURCES: dict[str, Resource] = {
    resource.name: resource
    for resource in (
        Resource(
            "plans", _all(Plan), PlanRow, plan="pk", order=("slug", "id"), changed=("updated",)
        ),
        Resource(
            "recommendations",
            _all(Recommendation),
            RecommendationRow,
            plan="plan",
            order=("plan__slug", "position", "id"),
            item="id",
            changed=("updated",),
        ),
        Resource(
            "outcomes",
            _all(Outcome),
            OutcomeRow,
            plan="recommendation__plan",
            order=("recommendation__plan__slug", "recommendation__position", "position", "id"),
            item="id",
            changed=("updated",),
        ),
        Resource(
            "actions",
            _all(Action),
            ActionRow,
            plan="plan",
            order=("plan__slug", "position", "id"),
            item="id",
            changed=("updated",),
        ),
        Resource(
            "owners",
            lambda caller: Action.owners.through.objects.all(),
            OwnerRow,
            plan="action__plan",
            order=("action__plan__slug", "action_id", "owner_id"),
            item="action_id",
        ),
        Resource(
            "measures",
            _all(Measure),
            MeasureRow,
            plan="plan",
            order=("plan__slug", "action__position", "position", "id"),
            item="id",
            changed=("updated",),
        ),
        Resource(
            "periods",
            _all(ReportingPeriod),
            PeriodRow,
            plan="plan",
            order=("plan__slug", "end", "id"),
            period="id",
            changed=("updated",),
        ),
        Resource(
            "positions",
            _positions,
            PositionRow,
            plan="plan",
            order=("period__end", "period_id", "subject", "id"),
            period="period",
            changed=("rated_at", "confirmed_rating__created", "confirmed_rating__reviewed_at"),
        ),
        Resource(
            "due-date-revisions",
            _all(DueDateRevision),
            RevisionRow,
            plan="action__plan",
            order=("created", "id"),
            item="action_id",
            changed=("created",),
        ),
        Resource(
            "measure-values",
            _all(MeasureValue),
            MeasureValueRow,
            plan="measure__plan",
            order=("measure_id", "as_of", "id"),
            period="period",
            item="measure_id",
            changed=("updated",),
        ),
        Resource(
            "dip-samples",
            _dip_samples,
            DipSampleRow,
            plan="measure__plan",
            order=("measure_id", "sampled_on", "id"),
            period="period",
            item="measure_id",
            changed=("updated",),
        ),
        Resource(
            "reports",
            _reports,
            ReportRow,
            plan="plan",
            order=("meeting_date", "id"),
            period="period",
            changed=("updated",),
            also=("pdf_render",),
        ),
    )
}

"""Rules for audits: how an outcome measure's RAG follows from the evidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from plans.models import RAG


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def measure_rag_derive(
    *,
    result,
    target,
    tolerance=None,
    higher_is_better: bool = True,
    mitigation_in_place: bool = False,
) -> str:
    """The outcome-measure RAG by the plan's criteria.

    Green: the result is in line with the target (at or beyond it).
    Amber: not in line, but within the tolerance, or mitigation is in place.
    Red: not in line, outside the tolerance, and no mitigation.
    Not rated when there is no result or no target to judge it by.
    """
    if result is None or target is None:
        return RAG.NOT_RATED
    result, target = _decimal(result), _decimal(target)
    shortfall = target - result if higher_is_better else result - target
    if shortfall <= 0:
        return RAG.GREEN
    if tolerance is not None and shortfall <= _decimal(tolerance):
        return RAG.AMBER
    if mitigation_in_place:
        return RAG.AMBER
    return RAG.RED


def dip_sample_describe(sample) -> str:
    return (
        f"Dip sample {sample.sampled_on:%-d %b %Y}: {sample.compliant} of "
        f"{sample.sample_size} compliant ({sample.compliant * 100 / sample.sample_size:.1f}%)"
    )


def dip_sample_record(
    *,
    measure,
    user,
    sampled_on: dt.date,
    sample_size: int,
    compliant: int,
    findings: str = "",
    mitigation: str = "",
    case_codes: str = "",
    period=None,
    created: dt.datetime | None = None,
):
    """Record an audit round and the measure's RAG that follows from it.

    In one transaction: the sample is validated and saved with history; then a rating
    of the measure is recorded in the period (by default the plan's open one) with the
    derived RAG, which is also its suggested RAG, and the sample in the commentary.
    """
    from audits.models import DipSample
    from plans import services as plan_services

    today = timezone.localdate()
    errors = {}
    if sample_size is None or sample_size < 1:
        errors["sample_size"] = "The sample needs at least one case."
    if compliant is None or compliant < 0:
        errors["compliant"] = "The number compliant cannot be negative."
    elif sample_size and compliant > sample_size:
        errors["compliant"] = "More cases compliant than were sampled."
    if sampled_on > today:
        errors["sampled_on"] = "The sample date cannot be in the future."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        period = period or plan_services.open_period(measure.plan)
        sample = DipSample(
            measure=measure,
            period=period,
            sampled_on=sampled_on,
            sample_size=sample_size,
            compliant=compliant,
            findings=findings.strip(),
            mitigation=mitigation.strip(),
            case_codes=case_codes.strip().upper(),
            auditor=user if getattr(user, "is_authenticated", False) else None,
        )
        sample.full_clean(exclude=["result"])
        sample._history_user = sample.auditor
        sample._change_reason = "dip sample recorded"
        sample.save()
        derived = measure_rag_derive(
            result=Decimal(compliant) * 100 / Decimal(sample_size),
            target=measure.target,
            tolerance=measure.tolerance,
            higher_is_better=measure.higher_is_better,
            mitigation_in_place=bool(sample.mitigation),
        )
        commentary = dip_sample_describe(sample)
        if sample.mitigation:
            commentary += f". Mitigation: {sample.mitigation}"
        plan_services.rating_record(
            item=measure,
            rag=derived,
            suggested_rag=derived,
            user=user,
            commentary=commentary,
            period=period,
            confirmed=True,
            created=created,
            reason="derived from dip sample",
        )
    return sample

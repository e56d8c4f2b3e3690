"""Rules for audits: how an outcome measure's RAG follows from the evidence, and every
write that records evidence (dip samples, performance values), audit schedules,
targets and RAG overrides.

Only QA leads and plan administrators write here (``plans.roles.can_record_samples``);
each write keeps history with who and why, and ratings go through
``plans.services.rating_record`` so that the rules for ratings stay in one place.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audits import selectors
from audits.models import AuditSchedule, DipSample, MeasureValue, case_codes_validator
from audits.parsing import propose_schedule
from core.dates import add_months, month_end
from core.models import save_versioned
from plans import bounds, roles
from plans.models import RAG, Measure, Rating, ReportingPeriod
from plans.rules import (
    Result,
    format_day,
    format_quantity,
    measure_rag_derive,
    result_describe,
)
from plans.services import open_period, rating_record

NO_OPEN_PERIOD = (
    "No reporting period is open for this plan, so the result cannot be rated. "
    "Ask a plan administrator to open the next period."
)
CADENCE_MONTHS = {
    AuditSchedule.Cadence.MONTHLY: 1,
    AuditSchedule.Cadence.TWO_MONTHLY: 2,
    AuditSchedule.Cadence.QUARTERLY: 3,
}
MAX_ROUNDS = 36
MAX_INTERVAL_MONTHS = 24


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


# Words -------------------------------------------------------------------------------


def sample_percentage(*, compliant: int, sample_size: int) -> Decimal:
    """The result of a dip sample, to one decimal place, as the database computes it."""
    exact = Decimal(compliant) * 100 / Decimal(sample_size)
    return exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _gap_words(value, unit: str) -> str:
    if unit == "%":
        return f"{_decimal(value):.1f} percentage points"
    return format_quantity(value, f" {unit}" if unit else "")


def measure_rag_explain(*, measure: Measure, result: Result | None) -> str:
    """Why the evidence gives the measure its RAG, in words, by ``measure_rag_derive``."""
    plan, unit = measure.plan, measure.unit
    if measure.target is None:
        return (
            "No target is set for this measure, so its results cannot give a RAG. "
            "Set a target and tolerance to derive one."
        )
    target = format_quantity(measure.target, unit)
    direction = "higher is better" if measure.higher_is_better else "lower is better"
    if result is None:
        return (
            f"The target is {target} ({direction}). No results are recorded yet, so the "
            "evidence gives no RAG."
        )
    rag = measure_rag_derive(
        result=result.value,
        target=measure.target,
        tolerance=measure.tolerance,
        higher_is_better=measure.higher_is_better,
        mitigation_in_place=result.mitigation_in_place,
    )
    word = plan.rag_label(rag)
    value = f"{result.value:.1f}%" if result.is_sample else format_quantity(result.value, unit)
    opening = f"The latest result, {value} on {format_day(result.on)},"
    if rag == RAG.GREEN:
        beyond = "meets or exceeds" if measure.higher_is_better else "is at or below"
        return f"{opening} {beyond} the target of {target} ({direction}), so it is {word}."
    gap = abs(_decimal(measure.target) - result.value)
    side = "below" if measure.higher_is_better else "above"
    missed = f"{opening} is {_gap_words(gap, unit)} {side} the target of {target} ({direction})"
    tolerance = "none" if measure.tolerance is None else _gap_words(measure.tolerance, unit)
    within_tolerance = (
        measure_rag_derive(
            result=result.value,
            target=measure.target,
            tolerance=measure.tolerance,
            higher_is_better=measure.higher_is_better,
        )
        == RAG.AMBER
    )
    if within_tolerance:
        return f"{missed}, but within its tolerance of {tolerance}, so it is {word}."
    if rag == RAG.AMBER:
        return (
            f"{missed}, beyond its tolerance ({tolerance}), but mitigation is in place "
            f"(\u201c{result.mitigation.strip()}\u201d), so it is {word}."
        )
    return (
        f"{missed}, beyond its tolerance ({tolerance}), and no mitigation is recorded, "
        f"so it is {word}."
    )


# Rules shared by writes --------------------------------------------------------------


def _require_recorder(user, measure: Measure) -> None:
    if not roles.can_record_samples(user, measure.plan):
        raise PermissionDenied("Only QA leads and plan administrators record audit evidence.")


def _user_or_none(user):
    return user if getattr(user, "is_authenticated", False) else None


def _today() -> dt.date:
    return timezone.localdate()


def _not_future(day: dt.date | None, what: str) -> str | None:
    if day is None:
        return f"Enter the date {what}."
    today = _today()
    if day > today:
        return f"The date {what} cannot be in the future (today is {format_day(today)})."
    return None


_HAS_DIGIT = re.compile(r"\d")


def case_codes_normalise(text: str) -> str:
    """Codes in capitals, separated by ", ", so "c-1042,ab12" is stored as "C-1042, AB12"."""
    codes = [code.strip().upper() for code in (text or "").split(",")]
    return ", ".join(code for code in codes if code)


def case_codes_errors(text: str) -> list[str]:
    """Why anonymised case codes are refused, if they are.

    Besides the model's safe pattern, every code must contain a digit: a name in
    capitals ("SMITH") fits the pattern but never has one.
    """
    if not text:
        return []
    try:
        case_codes_validator(text)
    except ValidationError as error:
        return list(error.messages)
    if not all(_HAS_DIGIT.search(code) for code in text.split(",")):
        return ["Every case code needs at least one digit (e.g. C-1042): never write names."]
    return []


def dip_sample_errors(
    *,
    sampled_on: dt.date | None,
    sample_size: int | None,
    compliant: int | None,
    case_codes: str = "",
) -> dict[str, list[str]]:
    """Each broken rule of a dip sample, by field. Forms and services both use it."""
    errors: dict[str, list[str]] = {}
    date_error = _not_future(sampled_on, "the sample was taken")
    if date_error:
        errors["sampled_on"] = [date_error]
    errors |= bounds.date_errors(sampled_on=sampled_on)
    size_ok = sample_size is not None and sample_size >= 1
    if not size_ok:
        errors["sample_size"] = ["The sample size must be at least 1 case file."]
    if compliant is None:
        errors["compliant"] = ["Enter how many case files were compliant."]
    elif compliant < 0:
        errors["compliant"] = ["The number compliant cannot be negative."]
    elif size_ok and compliant > sample_size:
        errors["compliant"] = [
            f"The number compliant cannot be more than the sample size ({sample_size})."
        ]
    codes = case_codes_errors(case_codes)
    if codes:
        errors["case_codes"] = codes
    return errors


def _rate_from_evidence(
    *,
    measure: Measure,
    user,
    recorded: Result,
    period: ReportingPeriod | None,
    reason: str,
    prefix: str = "",
) -> Rating | None:
    """Record the RAG the measure's latest result gives, citing the result just recorded.

    Nothing is recorded when the evidence gives no RAG (no target): a "Not rated" would
    replace whatever position the measure has for no reason.
    """
    latest = selectors.measure_latest_result(measure)
    rag = selectors.measure_derived_rag(measure, latest)
    if rag == RAG.NOT_RATED:
        return None
    commentary = prefix + result_describe(recorded, unit=measure.unit)
    if recorded.mitigation_in_place:
        commentary += f". Mitigation in place: {recorded.mitigation.strip()}"
    if latest is not None and (latest.kind, latest.pk) != (recorded.kind, recorded.pk):
        commentary += f". The latest result stands: {result_describe(latest, unit=measure.unit)}"
    return rating_record(
        item=measure,
        rag=rag,
        suggested_rag=rag,
        user=user,
        commentary=commentary,
        period=period,
        reason=reason,
    )


def _refuse(errors: dict[str, list[str]]) -> None:
    """Refuse the write with each broken rule, by field, if any rule is broken."""
    if errors:
        raise ValidationError(errors)


@contextmanager
def _measure_write(
    *, user, measure: Measure, errors: Callable[[], dict[str, list[str]]] | None = None
) -> Iterator[Measure]:
    """How every write of a measure's evidence begins: the user must be one who records
    it, the input must break no rule (`errors`, asked only once the user may write),
    and the write is one transaction holding the measure locked, so that two QA leads
    recording at once rate it in turn. Yields the locked measure."""
    _require_recorder(user, measure)
    if errors is not None:
        _refuse(errors())
    with transaction.atomic():
        yield (
            Measure.objects.select_for_update(of=("self",))
            .select_related("plan")
            .get(pk=measure.pk)
        )


def _save_with_history(row, *, user, reason: str):
    """Save a row so that its history says who wrote it and why."""
    row._history_user = _user_or_none(user)
    row._change_reason = reason
    row.save()
    return row


def _create(row, *, user, reason: str):
    """Validate a new row and save it with its history."""
    row.full_clean()
    return _save_with_history(row, user=user, reason=reason)


# Dip samples -------------------------------------------------------------------------


def _schedule_for(measure: Measure, sampled_on: dt.date) -> AuditSchedule | None:
    """The schedule a sample counts towards: the latest whose window has begun."""
    chosen = None
    for schedule in measure.schedules.order_by("first_due", "pk"):
        if selectors.schedule_window_start(schedule) <= sampled_on:
            chosen = schedule
    return chosen


def dip_sample_record(
    *,
    measure: Measure,
    user,
    sampled_on: dt.date,
    sample_size: int,
    compliant: int,
    findings: str = "",
    mitigation: str = "",
    case_codes: str = "",
) -> DipSample:
    """Record one audit round and rate the measure by it, in one transaction.

    The sample belongs to the plan's open period (it can be corrected until that period
    closes) and counts towards the measure's schedule. The measure's RAG is derived from
    its latest result and recorded as a rating in the open period, with the sample in
    the commentary: "Dip sample 15 Oct 2024: 9 of 10 compliant (90.0%)".
    """
    case_codes = case_codes_normalise(case_codes)
    errors = partial(
        dip_sample_errors,
        sampled_on=sampled_on,
        sample_size=sample_size,
        compliant=compliant,
        case_codes=case_codes,
    )
    with _measure_write(user=user, measure=measure, errors=errors) as measure:
        period = open_period(measure.plan)
        if period is None:
            raise ValidationError(NO_OPEN_PERIOD)
        sample = DipSample(
            measure=measure,
            schedule=_schedule_for(measure, sampled_on),
            period=period,
            sampled_on=sampled_on,
            sample_size=sample_size,
            compliant=compliant,
            findings=findings.strip(),
            mitigation=mitigation.strip(),
            case_codes=case_codes,
            auditor=_user_or_none(user),
        )
        _create(sample, user=user, reason="dip sample recorded")
        sample.refresh_from_db(fields=["result"])
        _rate_from_evidence(
            measure=measure,
            user=user,
            recorded=selectors.result_of_sample(sample),
            period=period,
            reason="rated from dip sample",
        )
    return sample


def dip_sample_is_editable(sample: DipSample) -> bool:
    """A sample can be corrected until its reporting period closes."""
    return sample.period is None or not sample.period.is_closed


def dip_sample_update(
    *,
    sample: DipSample,
    user,
    expected_version: int,
    sampled_on: dt.date,
    sample_size: int,
    compliant: int,
    findings: str = "",
    mitigation: str = "",
    case_codes: str = "",
    reason: str = "",
) -> DipSample:
    """Correct a dip sample while its period is open, re-rating the measure if the
    correction changes the evidence. Refused once the period has closed: the position
    reported for that period must not move."""
    case_codes = case_codes_normalise(case_codes)
    with _measure_write(user=user, measure=sample.measure) as measure:
        stored = DipSample.objects.select_related("period").get(pk=sample.pk)
        if not dip_sample_is_editable(stored):
            raise ValidationError(
                f"{stored.period.label} is closed: its dip samples can no longer be changed."
            )
        _refuse(
            dip_sample_errors(
                sampled_on=sampled_on,
                sample_size=sample_size,
                compliant=compliant,
                case_codes=case_codes,
            )
        )
        evidence_changed = (stored.sampled_on, stored.sample_size, stored.compliant) != (
            sampled_on,
            sample_size,
            compliant,
        ) or stored.mitigation.strip() != mitigation.strip()
        before = selectors.measure_derived_rag(measure)
        if sampled_on != stored.sampled_on:
            sample.schedule = _schedule_for(measure, sampled_on)
        sample.sampled_on = sampled_on
        sample.sample_size = sample_size
        sample.compliant = compliant
        sample.findings = findings.strip()
        sample.mitigation = mitigation.strip()
        sample.case_codes = case_codes
        save_versioned(
            sample,
            expected_version=expected_version,
            user=_user_or_none(user),
            reason=reason.strip() or "dip sample corrected",
        )
        sample.refresh_from_db(fields=["result"])
        if not evidence_changed:
            return sample
        recorded = selectors.result_of_sample(sample)
        latest = selectors.measure_latest_result(measure)
        is_latest = latest is not None and (latest.kind, latest.pk) == (recorded.kind, recorded.pk)
        if is_latest or selectors.measure_derived_rag(measure, latest) != before:
            period = stored.period if stored.period and not stored.period.is_closed else None
            _rate_from_evidence(
                measure=measure,
                user=user,
                recorded=recorded,
                period=period,
                reason="re-rated after a dip sample was corrected",
                prefix="Corrected: ",
            )
    return sample


# Performance values ------------------------------------------------------------------


def _percent_errors(unit: str, **values) -> dict[str, list[str]]:
    if unit != "%":
        return {}
    return {
        name: ["A percentage must be between 0 and 100."]
        for name, value in values.items()
        if value is not None and not 0 <= value <= 100
    }


def measure_value_errors(
    *,
    measure: Measure,
    as_of: dt.date | None,
    value: Decimal | None,
    national_average: Decimal | None = None,
    statistical_neighbours: Decimal | None = None,
    exclude_pk: int | None = None,
) -> dict[str, list[str]]:
    """Each broken rule of a performance figure, by field."""
    errors: dict[str, list[str]] = {}
    date_error = _not_future(as_of, "of the figure")
    if date_error:
        errors["as_of"] = [date_error]
    errors |= bounds.date_errors(as_of=as_of)
    if value is None:
        errors["value"] = ["Enter the figure."]
    errors |= _percent_errors(
        measure.unit,
        value=value,
        national_average=national_average,
        statistical_neighbours=statistical_neighbours,
    )
    if as_of and measure.values.filter(as_of=as_of).exclude(pk=exclude_pk).exists():
        errors.setdefault("as_of", []).append(
            f"A figure as of {format_day(as_of)} is already recorded for this measure."
        )
    return errors


def measure_value_record(
    *,
    measure: Measure,
    user,
    as_of: dt.date,
    value: Decimal,
    national_average: Decimal | None = None,
    statistical_neighbours: Decimal | None = None,
    note: str = "",
) -> MeasureValue:
    """Record a performance figure for a measure that is not audited ("EET 46.3%"), with
    its comparators (national average, statistical neighbours).

    Where the measure has a target and a period is open, the measure is rated by its
    latest result, as for a dip sample (no mitigation: a figure carries none).
    """
    value, national_average, statistical_neighbours = (
        None if number is None else _decimal(number)
        for number in (value, national_average, statistical_neighbours)
    )
    errors = partial(
        measure_value_errors,
        measure=measure,
        as_of=as_of,
        value=value,
        national_average=national_average,
        statistical_neighbours=statistical_neighbours,
    )
    with _measure_write(user=user, measure=measure, errors=errors) as measure:
        period = open_period(measure.plan)
        figure = MeasureValue(
            measure=measure,
            period=period,
            as_of=as_of,
            value=value,
            national_average=national_average,
            statistical_neighbours=statistical_neighbours,
            note=note.strip(),
            recorded_by=_user_or_none(user),
        )
        _create(figure, user=user, reason="performance figure recorded")
        if period is not None:
            _rate_from_evidence(
                measure=measure,
                user=user,
                recorded=selectors.result_of_value(figure),
                period=period,
                reason="rated from performance figure",
            )
    return figure


# Targets and overrides ---------------------------------------------------------------


def measure_targets_update(
    *,
    measure: Measure,
    user,
    expected_version: int,
    target: Decimal | None,
    tolerance: Decimal | None,
    higher_is_better: bool | None = None,
    reason: str = "",
) -> Rating | None:
    """Change a measure's target or tolerance and re-derive its current RAG.

    If the evidence now gives a different RAG, a new rating is recorded in the open
    period (returned); ratings of closed periods are never touched, so the position
    reported then stays as it was reported.
    """
    _require_recorder(user, measure)
    errors = _percent_errors(measure.unit, target=target)
    if tolerance is not None and tolerance < 0:
        errors["tolerance"] = ["The tolerance cannot be negative."]
    _refuse(errors)
    # No lock of its own: save_versioned reads the measure under select_for_update.
    with transaction.atomic():
        latest = selectors.measure_latest_result(measure)
        before = selectors.measure_derived_rag(measure, latest)
        old = (measure.target, measure.tolerance)
        measure.target, measure.tolerance = target, tolerance
        if higher_is_better is not None:
            measure.higher_is_better = higher_is_better
        described = "target " + (
            format_quantity(target, measure.unit) if target is not None else "none"
        )
        if tolerance is not None:
            described += f", tolerance {_gap_words(tolerance, measure.unit)}"
        save_versioned(
            measure,
            expected_version=expected_version,
            user=_user_or_none(user),
            reason=reason.strip() or f"{described} (was {old[0]} / {old[1]})",
        )
        after = selectors.measure_derived_rag(measure, latest)
        if latest is None or after == before:
            return None
        period = open_period(measure.plan)
        if period is None:
            return None
        commentary = (
            f"Re-derived for the new {described}: "
            f"{result_describe(latest, unit=measure.unit)} now gives "
            f"{measure.plan.rag_label(after)}"
        )
        return rating_record(
            item=measure,
            rag=after,
            suggested_rag=after,
            user=user,
            commentary=commentary,
            period=period,
            reason="re-derived after target change",
        )


def measure_rag_override(*, measure: Measure, user, rag: str, reason: str) -> Rating:
    """Rate a measure other than its evidence suggests. The written reason is kept on
    the rating (``override_reason``) and shown wherever the rating is shown."""
    _require_recorder(user, measure)
    reason = "" if bounds.is_blank(reason) else reason.strip()
    latest = selectors.measure_latest_result(measure)
    derived = selectors.measure_derived_rag(measure, latest)
    errors: dict[str, list[str]] = {}
    if rag not in RAG.values:
        errors["rag"] = ["Choose a RAG."]
    elif rag == derived:
        errors["rag"] = [
            f"The evidence already gives {measure.plan.rag_label(derived)}: nothing to override."
        ]
    if not reason:
        errors["reason"] = ["Write why the RAG differs from what the evidence gives."]
    _refuse(errors)
    evidence = result_describe(latest, unit=measure.unit) if latest else "No results recorded"
    commentary = (
        f"Set by the QA lead instead of the derived {measure.plan.rag_label(derived)}. {evidence}"
    )
    return rating_record(
        item=measure,
        rag=rag,
        suggested_rag=derived,
        override_reason=reason,
        user=user,
        commentary=commentary,
        reason="RAG overridden",
    )


# Audit schedules ---------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleDraft:
    """A schedule read from a measure's words, with dates, for a QA lead to confirm."""

    cadence: str
    interval_months: int
    rounds: int
    first_due: dt.date
    review_date: dt.date | None
    source_text: str
    target: Decimal | None
    tolerance: Decimal | None

    @property
    def cadence_label(self) -> str:
        return AuditSchedule.Cadence(self.cadence).label

    @property
    def round_dates(self) -> list[dt.date]:
        return selectors.round_dates(
            first_due=self.first_due, interval_months=self.interval_months, rounds=self.rounds
        )


def schedule_propose(*, measure: Measure, today: dt.date | None = None) -> ScheduleDraft | None:
    """The schedule the measure's own text describes ("3 x monthly dip sample then
    review"), or None if it describes none.

    The first round is due at the end of the month one interval after today (or after
    the action starts, if later); "then review" puts the review one interval after the
    last round.
    """
    proposal = propose_schedule(measure.text)
    if proposal is None:
        return None
    start = today or _today()
    if measure.action.start_date and measure.action.start_date > start:
        start = measure.action.start_date
    first_due = month_end(add_months(start, proposal.interval_months))
    last = add_months(first_due, proposal.interval_months * (proposal.rounds - 1))
    review = add_months(last, proposal.interval_months) if proposal.then_review else None
    return ScheduleDraft(
        cadence=proposal.cadence,
        interval_months=proposal.interval_months,
        rounds=proposal.rounds,
        first_due=first_due,
        review_date=review,
        source_text=measure.text,
        target=proposal.target,
        tolerance=proposal.tolerance,
    )


def schedule_errors(
    *,
    cadence: str,
    interval_months: int | None,
    rounds: int | None,
    first_due: dt.date | None,
    review_date: dt.date | None,
) -> dict[str, list[str]]:
    """Each broken rule of an audit schedule, by field."""
    errors: dict[str, list[str]] = {}
    if cadence not in AuditSchedule.Cadence.values:
        errors["cadence"] = ["Choose how often the audit is done."]
    elif cadence == AuditSchedule.Cadence.CUSTOM and not (
        interval_months and 1 <= interval_months <= MAX_INTERVAL_MONTHS
    ):
        errors["interval_months"] = [
            f"For a custom interval, give the months between rounds (1 to {MAX_INTERVAL_MONTHS})."
        ]
    if not rounds or not 1 <= rounds <= MAX_ROUNDS:
        errors["rounds"] = [f"The number of rounds must be between 1 and {MAX_ROUNDS}."]
    if first_due is None:
        errors["first_due"] = ["Enter when the first round is due."]
    errors |= bounds.date_errors(first_due=first_due, review_date=review_date)
    if not errors and review_date is not None:
        months = CADENCE_MONTHS.get(cadence, interval_months)
        last = selectors.round_dates(first_due=first_due, interval_months=months, rounds=rounds)[-1]
        if review_date < last:
            errors["review_date"] = [
                f"The review comes after the last round, due {format_day(last)}."
            ]
    return errors


def schedule_confirm(
    *,
    measure: Measure,
    user,
    cadence: str,
    rounds: int,
    first_due: dt.date,
    interval_months: int | None = None,
    review_date: dt.date | None = None,
    source_text: str = "",
) -> AuditSchedule:
    """Create the audit schedule a QA lead has confirmed.

    Monthly, two-monthly and quarterly fix the interval; a custom cadence needs one.
    Dip samples already recorded in the schedule's window, not yet counted towards a
    schedule and in a period still open, count towards it.
    """
    errors = partial(
        schedule_errors,
        cadence=cadence,
        interval_months=interval_months,
        rounds=rounds,
        first_due=first_due,
        review_date=review_date,
    )
    with _measure_write(user=user, measure=measure, errors=errors) as measure:
        schedule = AuditSchedule(
            measure=measure,
            cadence=cadence,
            interval_months=CADENCE_MONTHS.get(cadence, interval_months),
            rounds=rounds,
            first_due=first_due,
            review_date=review_date,
            source_text=source_text.strip(),
            confirmed_by=_user_or_none(user),
        )
        _create(schedule, user=user, reason="schedule confirmed")
        earlier = measure.dip_samples.filter(
            schedule__isnull=True, sampled_on__gte=selectors.schedule_window_start(schedule)
        ).exclude(period__state=ReportingPeriod.State.CLOSED)
        for sample in earlier:
            sample.schedule = schedule
            sample.version += 1
            _save_with_history(sample, user=user, reason="counted towards the confirmed schedule")
    return schedule

"""Rules for audits: how an outcome measure's RAG follows from the evidence."""

from __future__ import annotations

from decimal import Decimal

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

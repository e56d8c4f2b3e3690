"""A measure's results as SVG charts, for pages and for the PDF reports alike.

Thin adapters from measures and results to ``core.charts``, so every page and
report draws a measure's trend with the same target, band and scale.
"""

from __future__ import annotations

from collections.abc import Sequence

from core import charts
from plans.models import Measure
from plans.rules import Result


def _float(value) -> float | None:
    return None if value is None else float(value)


def _scale(measure: Measure, results: Sequence[Result]) -> tuple[float, float]:
    if measure.unit == "%":
        return 0.0, 100.0
    # Anything else: from zero to the largest value or target, so small counts are not
    # flattened against a 0-100 axis (measure_trend rounds the top to a tidy number).
    highest = max([float(r.value) for r in results] + [_float(measure.target) or 0.0] + [1.0])
    return 0.0, highest


def measure_chart(measure: Measure, results: Sequence[Result], *, width: int = 640) -> str:
    """Every result against the target line and tolerance band."""
    y_min, y_max = _scale(measure, results)
    return charts.measure_trend(
        [(result.on, float(result.value)) for result in results],
        title=f"{measure.action.ref} outcome measure: results against target",
        target=_float(measure.target),
        tolerance=_float(measure.tolerance),
        higher_is_better=measure.higher_is_better,
        unit=measure.unit if measure.unit == "%" else f" {measure.unit}".rstrip(),
        y_min=y_min,
        y_max=y_max,
        width=width,
        chart_id=f"measure-{measure.pk}-trend",
    )


def measure_sparkline(measure: Measure, results: Sequence[Result]) -> str:
    """The last few results, small enough for a table cell."""
    return charts.sparkline(
        [float(result.value) for result in results],
        title=f"{measure.action.ref}: recent results",
        target=_float(measure.target),
        chart_id=f"measure-{measure.pk}-spark",
    )

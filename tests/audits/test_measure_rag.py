"""A measure's RAG follows from its result, target, tolerance and mitigation."""

import pytest

from audits.services import measure_rag_derive


@pytest.mark.parametrize(
    ("result", "mitigation", "expected"),
    [
        (95, False, "green"),
        (90, False, "green"),  # exactly at target
        (85, False, "amber"),  # inside tolerance
        (80, False, "amber"),  # exactly target minus tolerance
        (79.9, False, "red"),  # just outside tolerance
        (79.9, True, "amber"),  # outside tolerance but mitigation in place
        (10, True, "amber"),
    ],
)
def test_higher_is_better_boundaries(result, mitigation, expected):
    rag = measure_rag_derive(result=result, target=90, tolerance=10, mitigation_in_place=mitigation)
    assert rag == expected


@pytest.mark.parametrize(
    ("result", "expected"), [(20, "green"), (25, "green"), (30, "amber"), (30.1, "red")]
)
def test_lower_is_better_measures_turn_the_rule_round(result, expected):
    rag = measure_rag_derive(result=result, target=25, tolerance=5, higher_is_better=False)
    assert rag == expected


def test_without_tolerance_anything_below_target_is_red_unless_mitigated():
    assert measure_rag_derive(result=89, target=90) == "red"
    assert measure_rag_derive(result=89, target=90, mitigation_in_place=True) == "amber"


def test_no_result_or_no_target_means_not_rated():
    assert measure_rag_derive(result=None, target=90) == ""
    assert measure_rag_derive(result=50, target=None) == ""

"""A measure's RAG follows from its result, target, tolerance and mitigation."""

import datetime as dt
from decimal import Decimal

import pytest

from audits.services import dip_sample_record, sample_percentage
from plans.models import Rating
from plans.rules import measure_rag_derive
from tests import factories


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


# The same boundaries through the service a QA lead uses: the rating written follows.


@pytest.fixture
def rated_measure(action):
    def make(**fields):
        return factories.MeasureFactory(action=action, **fields)

    return make


def _rating_after_sample(measure, user, *, size, compliant, mitigation=""):
    dip_sample_record(
        measure=measure,
        user=user,
        sampled_on=dt.date(2024, 10, 15),
        sample_size=size,
        compliant=compliant,
        mitigation=mitigation,
    )
    return Rating.objects.filter(measure=measure).latest("created", "pk")


@pytest.mark.parametrize(
    ("size", "compliant", "mitigation", "expected"),
    [
        (10, 9, "", "green"),  # 90.0%: exactly at target
        (100, 95, "", "green"),  # beyond target
        (100, 85, "", "amber"),  # inside tolerance
        (10, 8, "", "amber"),  # 80.0%: exactly target minus tolerance
        (1000, 799, "", "red"),  # 79.9%: just below the tolerance
        (1000, 799, "Daily manager oversight of every case", "amber"),  # mitigated
        (10, 1, "Daily manager oversight of every case", "amber"),
        (10, 1, "   ", "red"),  # blank mitigation is no mitigation
    ],
)
def test_a_recorded_sample_rates_the_measure_at_the_boundaries(
    rated_measure, qa_lead, size, compliant, mitigation, expected
):
    measure = rated_measure(target=90, tolerance=10)
    rating = _rating_after_sample(
        measure, qa_lead, size=size, compliant=compliant, mitigation=mitigation
    )
    assert (rating.rag, rating.suggested_rag) == (expected, expected)


@pytest.mark.parametrize(
    ("size", "compliant", "mitigation", "expected"),
    [
        (100, 20, "", "green"),
        (100, 25, "", "green"),  # exactly at target
        (100, 30, "", "amber"),  # exactly target plus tolerance
        (1000, 301, "", "red"),  # just beyond
        (1000, 301, "Additional panel reviews every case", "amber"),
    ],
)
def test_a_recorded_sample_of_a_lower_is_better_measure_turns_the_rule_round(
    rated_measure, qa_lead, size, compliant, mitigation, expected
):
    measure = rated_measure(target=25, tolerance=5, higher_is_better=False)
    rating = _rating_after_sample(
        measure, qa_lead, size=size, compliant=compliant, mitigation=mitigation
    )
    assert rating.rag == expected


def test_the_rounded_result_people_see_is_the_result_the_rag_follows(rated_measure, qa_lead):
    # 8995 of 10000 is 89.95%, shown as 90.0%: it is rated as the 90.0% people see.
    measure = rated_measure(target=90, tolerance=None)
    rating = _rating_after_sample(measure, qa_lead, size=10000, compliant=8995)
    assert rating.rag == "green"
    assert "(90.0%)" in rating.commentary


@pytest.mark.parametrize(
    ("compliant", "size", "expected"),
    [(9, 10, "90.0"), (1, 16, "6.3"), (2, 3, "66.7"), (1, 3, "33.3"), (0, 7, "0.0")],
)
def test_the_percentage_is_rounded_half_up_to_one_place(compliant, size, expected):
    assert sample_percentage(compliant=compliant, sample_size=size) == Decimal(expected)


def test_the_stored_result_matches_the_percentage_the_form_shows(action, qa_lead):
    measure = factories.MeasureFactory(action=action)
    for size, compliant in [(16, 1), (3, 2), (7, 3), (40, 33)]:
        sample = dip_sample_record(
            measure=measure,
            user=qa_lead,
            sampled_on=dt.date(2024, 10, 1),
            sample_size=size,
            compliant=compliant,
        )
        expected = sample_percentage(compliant=compliant, sample_size=size)
        assert f"{sample.result:.1f}" == str(expected)

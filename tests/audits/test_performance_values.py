"""Performance figures for measures that are not audited, with their comparators."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audits import services
from audits.models import MeasureValue
from plans import services as plan_services
from plans.models import Measure, Rating
from tests import factories


@pytest.fixture
def accommodation(action):
    return factories.MeasureFactory(
        action=action,
        text="Care leavers (19-21) in safe, suitable accommodation",
        method=Measure.Method.PERFORMANCE,
        target=90,
        tolerance=5,
    )


def record(measure, user, **fields):
    values = {
        "as_of": dt.date(2024, 9, 30),
        "value": Decimal("91.6"),
        "national_average": Decimal("89"),
        "statistical_neighbours": Decimal("89"),
        "note": "End of Q2, from the November 2024 scrutiny report",
    } | fields
    return services.measure_value_record(measure=measure, user=user, **values)


def test_a_figure_is_kept_with_its_comparators_and_rates_the_measure(
    accommodation, qa_lead, period
):
    figure = record(accommodation, qa_lead)
    assert (figure.national_average, figure.statistical_neighbours) == (89, 89)
    assert figure.period == period
    assert figure.history.get().history_user == qa_lead
    rating = Rating.objects.get(measure=accommodation)
    assert rating.rag == "green"
    assert rating.commentary == (
        "Performance as of 30 Sep 2024: 91.6% (national average 89%, statistical neighbours 89%)"
    )


def test_a_figure_below_target_beyond_tolerance_is_red(action, qa_lead):
    eet = factories.MeasureFactory(
        action=action, text="Care leavers in EET", method="performance", target=56, tolerance=5
    )
    record(eet, qa_lead, value=Decimal("46.3"), national_average=Decimal("56"))
    assert Rating.objects.get(measure=eet).rag == "red"


def test_with_no_open_period_the_figure_is_kept_but_not_rated(
    accommodation, qa_lead, period, plan_admin
):
    plan_services.period_close(period=period, user=plan_admin)
    count = Rating.objects.count()
    figure = record(accommodation, qa_lead)
    assert figure.period is None
    assert Rating.objects.count() == count


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"as_of": dt.date(2099, 1, 1)}, "as_of"),
        ({"value": Decimal("101")}, "value"),
        ({"national_average": Decimal("-1")}, "national_average"),
        ({"statistical_neighbours": Decimal("150")}, "statistical_neighbours"),
        ({"value": None}, "value"),
    ],
)
def test_a_bad_figure_is_refused_by_field_and_nothing_is_saved(
    accommodation, qa_lead, fields, field
):
    with pytest.raises(ValidationError) as error:
        record(accommodation, qa_lead, **fields)
    assert list(error.value.message_dict) == [field]
    assert not MeasureValue.objects.exists()


def test_a_second_figure_for_the_same_date_is_refused(accommodation, qa_lead):
    record(accommodation, qa_lead)
    with pytest.raises(ValidationError) as error:
        record(accommodation, qa_lead, value=Decimal("80"))
    assert "already recorded" in error.value.message_dict["as_of"][0]
    assert MeasureValue.objects.count() == 1


@pytest.mark.parametrize("role", ["director", "board_member", "clerk"])
def test_only_qa_leads_and_administrators_record_figures(accommodation, role, request):
    with pytest.raises(PermissionDenied):
        record(accommodation, request.getfixturevalue(role))
    assert not MeasureValue.objects.exists()

"""Changing a target re-derives the current RAG only; overriding the RAG needs a reason."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audits import services
from core.models import ConflictError
from plans import services as plan_services
from plans.models import Measure, Rating
from tests import factories


@pytest.fixture
def measure(action, qa_lead):
    measure = factories.MeasureFactory(action=action, target=90, tolerance=10)
    services.dip_sample_record(
        measure=measure,
        user=qa_lead,
        sampled_on=dt.date(2024, 9, 20),
        sample_size=20,
        compliant=17,  # 85.0%: Amber against 90% with 10 points' tolerance
    )
    return Measure.objects.get(pk=measure.pk)


def change_target(measure, user, **fields):
    values = {"target": measure.target, "tolerance": measure.tolerance} | fields
    return services.measure_targets_update(
        measure=measure,
        user=user,
        expected_version=measure.version,
        reason="Target reset at the Improvement Board",
        **values,
    )


def test_a_target_change_that_changes_the_evidence_records_a_new_rating(measure, qa_lead):
    rating = change_target(measure, qa_lead, target=Decimal("85"))
    assert (rating.rag, rating.suggested_rag) == ("green", "green")
    assert rating.commentary == (
        "Re-derived for the new target 85%, tolerance 10.0 percentage points: "
        "Dip sample 20 Sep 2024: 17 of 20 compliant (85.0%) now gives Green"
    )
    measure.refresh_from_db()
    assert (measure.target, measure.version) == (Decimal("85"), 2)
    entry = measure.history.first()
    assert (entry.history_user, entry.history_change_reason) == (
        qa_lead,
        "Target reset at the Improvement Board",
    )


def test_a_tolerance_change_that_leaves_the_rag_alone_records_no_rating(measure, qa_lead):
    assert change_target(measure, qa_lead, tolerance=Decimal("6")) is None
    assert Rating.objects.filter(measure=measure).count() == 1


def test_narrowing_the_tolerance_turns_the_current_rag_red(measure, qa_lead):
    rating = change_target(measure, qa_lead, tolerance=Decimal("2"))
    assert rating.rag == "red"


def test_a_target_change_never_rewrites_a_closed_periods_ratings(
    measure, qa_lead, period, plan_admin
):
    following = factories.PeriodFactory(
        plan=measure.plan,
        label="Q3 2024/25",
        start=dt.date(2024, 10, 1),
        end=dt.date(2024, 12, 31),
        state="upcoming",
    )
    plan_services.period_close(period=period, user=plan_admin)
    closed_before = list(
        Rating.objects.filter(period=period, measure=measure).values_list(
            "pk", "rag", "commentary", "suggested_rag"
        )
    )
    rating = change_target(measure, qa_lead, target=Decimal("80"))
    assert rating.period == following
    assert rating.rag == "green"
    closed_after = list(
        Rating.objects.filter(period=period, measure=measure).values_list(
            "pk", "rag", "commentary", "suggested_rag"
        )
    )
    assert (
        closed_after
        == closed_before
        == [(closed_before[0][0], "amber", closed_before[0][2], "amber")]
    )


def test_with_no_open_period_the_target_changes_but_nothing_is_rated(
    measure, qa_lead, period, plan_admin
):
    plan_services.period_close(period=period, user=plan_admin)
    count = Rating.objects.count()
    assert change_target(measure, qa_lead, target=Decimal("80")) is None
    assert Rating.objects.count() == count
    measure.refresh_from_db()
    assert measure.target == Decimal("80")


def test_removing_the_target_leaves_the_measure_not_rated(measure, qa_lead):
    rating = change_target(measure, qa_lead, target=None)
    assert rating.rag == ""


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"target": Decimal("120")}, "target"),
        ({"target": Decimal("-1")}, "target"),
        ({"tolerance": Decimal("-5")}, "tolerance"),
    ],
)
def test_a_bad_target_is_refused_by_field_and_nothing_changes(measure, qa_lead, fields, field):
    with pytest.raises(ValidationError) as error:
        change_target(measure, qa_lead, **fields)
    assert list(error.value.message_dict) == [field]
    measure.refresh_from_db()
    assert (measure.target, measure.tolerance, measure.version) == (90, 10, 1)


def test_a_target_change_from_a_stale_page_is_refused(measure, qa_lead, plan_admin):
    stale = Measure.objects.get(pk=measure.pk)
    change_target(measure, plan_admin, tolerance=Decimal("5"))
    with pytest.raises(ConflictError):
        change_target(stale, qa_lead, target=Decimal("50"))
    measure.refresh_from_db()
    assert measure.target == 90


@pytest.mark.parametrize("role", ["director", "board_member", "clerk"])
def test_only_qa_leads_and_administrators_change_targets(measure, role, request):
    with pytest.raises(PermissionDenied):
        change_target(measure, request.getfixturevalue(role), target=Decimal("50"))


# Overrides.


def test_an_override_keeps_the_reason_and_what_the_evidence_gave(measure, qa_lead):
    rating = services.measure_rag_override(
        measure=measure,
        user=qa_lead,
        rag="green",
        reason="All five non-compliant files were transfers in; fixed within the week.",
    )
    assert (rating.rag, rating.suggested_rag) == ("green", "amber")
    assert rating.override_reason.startswith("All five non-compliant files")
    assert rating.commentary == (
        "Set by the QA lead instead of the derived Amber. "
        "Dip sample 20 Sep 2024: 17 of 20 compliant (85.0%)"
    )


def test_an_override_needs_a_written_reason(measure, qa_lead):
    with pytest.raises(ValidationError) as error:
        services.measure_rag_override(measure=measure, user=qa_lead, rag="green", reason="  ")
    assert list(error.value.message_dict) == ["reason"]
    assert Rating.objects.filter(measure=measure).count() == 1


def test_a_worse_rag_than_the_evidence_also_needs_a_reason(measure, qa_lead):
    with pytest.raises(ValidationError) as error:
        services.measure_rag_override(measure=measure, user=qa_lead, rag="red", reason="")
    assert "reason" in error.value.message_dict


def test_overriding_with_what_the_evidence_already_gives_is_refused(measure, qa_lead):
    with pytest.raises(ValidationError) as error:
        services.measure_rag_override(measure=measure, user=qa_lead, rag="amber", reason="x")
    assert list(error.value.message_dict) == ["rag"]


@pytest.mark.parametrize("role", ["director", "board_member", "clerk"])
def test_only_qa_leads_and_administrators_override(measure, role, request):
    with pytest.raises(PermissionDenied):
        services.measure_rag_override(
            measure=measure, user=request.getfixturevalue(role), rag="green", reason="because"
        )


def test_an_override_carried_into_the_next_period_keeps_its_reason(
    client, measure, qa_lead, plan, period, director
):
    following = factories.PeriodFactory(
        plan=plan,
        label="Q3 2024/25",
        start=dt.date(2024, 10, 1),
        end=dt.date(2024, 12, 31),
        state="upcoming",
    )
    services.measure_rag_override(
        measure=measure, user=qa_lead, rag="green", reason="Transfers in, fixed within the week"
    )
    plan_services.period_close(period=period, user=director)
    # Not rated in Q3: closing it carries the overridden position forward.
    plan_services.period_close(period=following, user=director)

    carried = Rating.objects.filter(measure=measure, carried_forward=True).get()
    assert (carried.period.label, carried.rag) == ("Q3 2024/25", "green")
    assert (carried.suggested_rag, carried.override_reason) == (
        "amber",
        "Transfers in, fixed within the week",
    )
    client.force_login(qa_lead)
    for url in (f"/audits/measures/{measure.pk}/", "/audits/"):
        assert "Transfers in, fixed within the week" in client.get(url).content.decode()

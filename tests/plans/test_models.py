"""Invariants held by the models and the database."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audits.models import DipSample
from plans import services
from plans.models import Action, Owner
from tests import factories


def test_refs_are_unique_within_a_plan(action):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ActionFactory(recommendation=action.recommendation, ref="1.1")


def test_the_same_ref_may_appear_in_another_plan(action):
    other = factories.ActionFactory(ref="1.1")
    assert other.ref == action.ref


def test_the_baseline_due_date_is_set_once_from_the_first_due_date(action):
    assert action.baseline_due_date == dt.date(2025, 3, 31)


def test_the_baseline_due_date_never_moves(action):
    action = Action.objects.get(pk=action.pk)
    action.baseline_due_date = dt.date(2026, 1, 31)
    with pytest.raises(ValidationError, match="baseline"):
        action.save()
    assert Action.objects.get(pk=action.pk).baseline_due_date == dt.date(2025, 3, 31)


def test_revising_the_due_date_keeps_the_baseline_and_records_the_revision(action, director):
    revision = services.action_revise_due_date(
        action=action,
        new_date=dt.date(2025, 6, 30),
        reason="Recruitment took longer",
        user=director,
        expected_version=action.version,
    )
    action.refresh_from_db()
    assert action.due_date == dt.date(2025, 6, 30)
    assert action.baseline_due_date == dt.date(2025, 3, 31)
    assert action.is_slipped
    assert (revision.old_date, revision.new_date) == (dt.date(2025, 3, 31), dt.date(2025, 6, 30))
    assert revision.created_by == director


def test_compliant_cannot_exceed_the_sample_size(db):
    measure = factories.MeasureFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        DipSample.objects.create(
            measure=measure, sampled_on=dt.date(2024, 10, 1), sample_size=5, compliant=6
        )


def test_a_sample_needs_at_least_one_case(db):
    measure = factories.MeasureFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        DipSample.objects.create(
            measure=measure, sampled_on=dt.date(2024, 10, 1), sample_size=0, compliant=0
        )


def test_a_sample_result_is_computed_not_typed(db):
    sample = factories.DipSampleFactory(sample_size=12, compliant=11)
    sample.refresh_from_db()
    assert sample.result == pytest.approx(91.7)


def test_a_percentage_target_must_lie_between_0_and_100(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.MeasureFactory(target=120)


def test_tolerance_cannot_be_negative(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.MeasureFactory(tolerance=-1)


def test_owners_match_whatever_the_dash_or_case(db):
    first = Owner.objects.create(post="Service Director – Practice")
    with pytest.raises(IntegrityError), transaction.atomic():
        Owner.objects.create(post="service director - Practice")
    assert Owner.objects.get().pk == first.pk

"""make_synthetic: realistic plans with a rated history, the same for the same seed."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from audits.models import AuditSchedule, DipSample, MeasureValue
from demo import synthetic
from plans import positions
from plans.models import Action, DueDateRevision, Measure, Owner, Plan, Rating, ReportingPeriod


def snapshot() -> dict:
    """Everything generated, by natural keys, leaving out ids and the moments rows
    were written (which are "now" for rows the services stamp)."""
    ratings = Rating.objects.select_related(
        "period", "action", "measure__action", "recommendation", "created_by"
    )
    return {
        "plans": sorted(Plan.objects.values_list("slug", "title", "requires_signoff", "judgement")),
        "periods": sorted(
            ReportingPeriod.objects.values_list("plan__slug", "label", "start", "end", "state")
        ),
        "actions": sorted(
            (
                a.plan.slug,
                a.ref,
                a.text,
                a.due_date,
                a.baseline_due_date,
                a.status,
                a.completed_on,
                tuple(sorted(o.post for o in a.owners.all())),
            )
            for a in Action.objects.select_related("plan").prefetch_related("owners")
        ),
        "measures": sorted(
            Measure.objects.values_list(
                "plan__slug", "action__ref", "position", "text", "method", "target"
            )
        ),
        "schedules": sorted(
            AuditSchedule.objects.values_list(
                "measure__action__ref", "measure__position", "cadence", "rounds", "first_due"
            )
        ),
        "ratings": sorted(
            (
                r.plan_id and r.period.label,
                r.subject,
                r.action.ref
                if r.action
                else r.measure.action.ref
                if r.measure
                else r.recommendation.ref,
                r.rag,
                r.status,
                r.commentary,
                r.carried_forward,
                r.suggested_rag,
                r.override_reason,
                r.created_by.username if r.created_by else "",
            )
            for r in ratings
        ),
        "samples": sorted(
            DipSample.objects.values_list(
                "measure__action__ref",
                "measure__position",
                "sampled_on",
                "sample_size",
                "compliant",
            )
        ),
        "values": sorted(
            MeasureValue.objects.values_list("measure__action__ref", "as_of", "value")
        ),
        "revisions": sorted(
            (r.action.ref, r.old_date, r.new_date, r.reason, r.created.date())
            for r in DueDateRevision.objects.select_related("action")
        ),
    }


def generate_and_snapshot(**size) -> dict:
    with transaction.atomic():
        synthetic.generate(**size)
        data = snapshot()
        transaction.set_rollback(True)
    return data


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_data():
    size = {"plans": 2, "actions": 14, "periods": 3, "seed": 7}
    first = generate_and_snapshot(**size)
    second = generate_and_snapshot(**size)
    assert first == second
    assert len(first["ratings"]) > 50


@pytest.mark.django_db
def test_another_seed_gives_other_data():
    first = generate_and_snapshot(plans=1, actions=14, periods=3, seed=7)
    other = generate_and_snapshot(plans=1, actions=14, periods=3, seed=8)
    assert first["actions"] != other["actions"]


@pytest.mark.django_db
def test_it_makes_a_plan_with_a_rated_history():
    result = synthetic.generate(plans=2, actions=30, periods=4, seed=3)
    plan = result.plans[0]
    periods = list(plan.periods.order_by("end"))
    assert [p.state for p in periods] == ["closed", "closed", "closed", "open"]
    assert periods[-1].end == synthetic.ANCHOR_END
    assert plan.actions.count() == 30
    assert Measure.objects.filter(plan=plan).exists()
    # Closing each period carried forward what was not updated.
    for period in periods[:-1]:
        assert Rating.objects.filter(period=period, carried_forward=True).exists()
        rated = Rating.objects.filter(period=period, subject="action", status="confirmed")
        assert rated.values("action").distinct().count() == 30
    # History was written for the bulk-created ratings, with their author and date.
    rating = Rating.objects.filter(period=periods[0], carried_forward=False).first()
    history = rating.history.get()
    assert history.history_user_id == rating.created_by_id
    assert history.history_date == rating.created
    # The open period was updated through the services: proposed ratings where the plan
    # asks for sign-off, dip samples that rate their measures.
    assert Rating.objects.filter(plan=plan, period=periods[-1], status="proposed").exists()
    assert DipSample.objects.filter(measure__plan=plan, period=periods[-1]).exists()
    assert DueDateRevision.objects.filter(action__plan=plan).exists()
    # The positions table holds what the ratings give, bulk-written ones included.
    for each in result.plans:
        assert positions.differences(each.pk) == []


@pytest.mark.django_db
def test_the_command_refuses_to_generate_the_same_seed_twice():
    out = io.StringIO()
    call_command("make_synthetic", "--plans", "1", "--actions", "5", "--periods", "2", stdout=out)
    assert "Generated 1 plans" in out.getvalue()
    with pytest.raises(CommandError, match="already exist"):
        call_command("make_synthetic", "--plans", "1", "--actions", "5", "--periods", "2")


@pytest.mark.django_db
def test_a_post_already_held_however_written_is_reused():
    # The example plans hold posts too; one written with other case and punctuation is
    # the same post (`Owner.key`), so generating after them reuses it.
    existing = Owner.objects.create(post=synthetic.POSTS[0].upper() + ".")

    synthetic.generate(plans=1, actions=5, periods=2, seed=11)

    assert Owner.objects.filter(key=existing.key).count() == 1
    assert Owner.objects.count() == len(synthetic.POSTS)  # each post once

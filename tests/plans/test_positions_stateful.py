"""Random sequences of everything that moves a position (record, confirm, send back,
close, reopen, import, structure changes), with the positions table compared after each
step with the position worked out from the ratings afresh, by a rule written out here
independently of `plans.positions`.

Bounded to run in a few seconds: a handful of examples of up to a dozen steps. Each
example runs in a savepoint of the test's transaction, rolled back at its end.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from plans import periods, positions, services
from plans.models import Action, Position, Rating, ReportingPeriod
from tests import factories

RAGS = st.sampled_from(["blue", "green", "amber", "red", ""])


def expected_positions(plan) -> dict:
    """{(subject, item id, period id): (rating id, confirmed rating id, rated in period)}
    straight from the definition: among the item's ratings in periods ending on or
    before the period's end, the one in the latest period, then the latest made, then
    the highest id; sent-back ratings never count, and the confirmed position counts
    only confirmed ones."""
    ends = dict(ReportingPeriod.objects.filter(plan=plan).values_list("pk", "end"))
    ratings = list(
        Rating.objects.filter(plan=plan).values(
            "pk",
            "subject",
            "action_id",
            "measure_id",
            "recommendation_id",
            "period_id",
            "created",
            "status",
            "carried_forward",
        )
    )

    def item(r):
        return (r["subject"], r["action_id"] or r["measure_id"] or r["recommendation_id"])

    def newest(candidates):
        best = max(
            candidates,
            key=lambda r: (ends[r["period_id"]], r["created"], r["pk"]),
            default=None,
        )
        return best["pk"] if best else None

    found = {}
    for key in {item(r) for r in ratings}:
        mine = [r for r in ratings if item(r) == key]
        for period_id, end in ends.items():
            upto = [r for r in mine if ends[r["period_id"]] <= end]
            position = newest([r for r in upto if r["status"] != "returned"])
            confirmed = newest([r for r in upto if r["status"] == "confirmed"])
            if position is None and confirmed is None:
                continue
            own = any(
                r["period_id"] == period_id
                and r["status"] != "returned"
                and not r["carried_forward"]
                for r in mine
            )
            found[(*key, period_id)] = (position, confirmed, own)
    return found


def held_positions(plan) -> dict:
    return {
        (row.subject, row.action_id or row.measure_id or row.recommendation_id, row.period_id): (
            row.rating_id,
            row.confirmed_rating_id,
            row.rated_in_period,
        )
        for row in Position.objects.filter(plan=plan)
    }


class PositionsMachine(RuleBasedStateMachine):
    users: dict = {}

    def __init__(self):
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.plan = factories.PlanFactory(requires_signoff=True)
        self.rec = factories.RecommendationFactory(plan=self.plan)
        self.next_end = dt.date(2024, 6, 30)
        self.frozen: dict = {}  # what each closed period's rows held when it closed
        for _ in range(3):
            self._add_period()
        self.actions = [
            factories.ActionFactory(recommendation=self.rec, owners=[self.users["owner"]])
            for _ in range(2)
        ]
        self.measures = [factories.MeasureFactory(action=self.actions[0])]

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)

    def _add_period(self):
        start = self.next_end + dt.timedelta(days=1)
        end = start + dt.timedelta(days=60)
        periods.periods_create(plan=self.plan, rule=[end], start=start)
        self.next_end = end

    def _open(self):
        return self.plan.periods.filter(state="open").first()

    def _items(self):
        return [*self.actions, *self.measures, self.rec]

    def _proposed(self):
        return list(
            Rating.objects.filter(plan=self.plan, status="proposed")
            .exclude(period__state="closed")
            .order_by("pk")
        )

    # --- Rules ---------------------------------------------------------------------

    @rule(index=st.integers(0, 10), rag=RAGS, by=st.sampled_from(["director", "qa_lead"]))
    def record(self, index, rag, by):
        items = self._items()
        item = items[index % len(items)]
        try:
            services.rating_record(
                item=item,
                rag=rag,
                user=self.users[by],
                facet="outcome" if item is self.rec else None,
            )
        except ValidationError:
            assert self._open() is None  # only refused when nothing is open

    @rule(index=st.integers(0, 10), confirm=st.booleans())
    def review(self, index, confirm):
        proposed = self._proposed()
        if not proposed:
            return
        rating = proposed[index % len(proposed)]
        if confirm:
            periods.rating_confirm(rating=rating, user=self.users["qa_lead"])
        else:
            periods.rating_return(rating=rating, user=self.users["qa_lead"], comment="Why?")

    @precondition(lambda self: self._open() is not None)
    @rule()
    def close(self):
        period = self._open()
        services.period_close(period=period, user=self.users["qa_lead"])
        self.frozen[period.pk] = positions.stored(self.plan.pk, [period.pk])

    @rule()
    def reopen(self):
        closed = self.plan.periods.filter(state="closed").order_by("end").last()
        if closed is None:
            return
        periods.period_reopen(period=closed, user=self.users["plan_admin"], reason="Late update")
        del self.frozen[closed.pk]

    @rule(rags=st.lists(RAGS, min_size=1, max_size=3))
    def import_positions(self, rags):
        if self._open() is None:
            return
        items = [*self.actions, *self.measures]
        services.ratings_record_many(
            plan=self.plan,
            ratings=[(items[i % len(items)], rag) for i, rag in enumerate(rags)],
            user=self.users["plan_admin"],
        )

    @rule()
    def add_action(self):
        self.actions.append(
            factories.ActionFactory(recommendation=self.rec, owners=[self.users["owner"]])
        )

    @rule()
    def add_measure(self):
        self.measures.append(factories.MeasureFactory(action=self.actions[-1]))

    @rule()
    def remove_an_unrated_action(self):
        unrated = [a for a in self.actions if not a.ratings.exists() and not a.measures.exists()]
        if unrated and len(self.actions) > 1:
            gone = unrated[-1]
            self.actions.remove(gone)
            Action.objects.filter(pk=gone.pk).delete()

    @rule()
    def add_period(self):
        self._add_period()

    # --- After every step -----------------------------------------------------------

    @invariant()
    def the_table_is_what_the_ratings_give(self):
        assert held_positions(self.plan) == expected_positions(self.plan)
        assert positions.differences(self.plan.pk) == []

    @invariant()
    def closed_periods_are_frozen(self):
        for period_id, held in self.frozen.items():
            assert positions.stored(self.plan.pk, [period_id]) == held


@pytest.mark.django_db
def test_random_changes_keep_the_table_equal_to_the_ratings(director, qa_lead, plan_admin, owner):
    PositionsMachine.users = {
        "director": director,
        "qa_lead": qa_lead,
        "plan_admin": plan_admin,
        "owner": owner,
    }
    # Hypothesis starts with short runs: 15 examples of up to 30 steps reach closing,
    # reopening and sign-off many times over, in about ten seconds.
    run_state_machine_as_test(
        PositionsMachine,
        settings=settings(max_examples=15, stateful_step_count=30, deadline=None),
    )

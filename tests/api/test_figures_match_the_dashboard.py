"""Each resource's figures for a plan and period are the dashboard's for the same plan and
period (`board.selectors`), on a generated plan with a rated history."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest
from django.test import Client

from api import keys
from board import selectors as dashboard
from demo import synthetic
from plans import roles
from plans.models import Membership
from tests import factories


@pytest.fixture
def generated(db):
    plan = synthetic.generate(plans=1, actions=24, periods=4, seed=5).plans[0]
    admin = factories.UserFactory(
        username="figures-admin", role=roles.PLAN_ADMINISTRATOR, organisation=False
    )
    Membership.objects.create(user=admin, organisation=plan.organisation)
    _api_key, key = keys.api_key_create(name="Power BI", plans=[plan], created_by=admin)
    return plan, Client(HTTP_AUTHORIZATION=f"Api-Key {key}")


def table(client: Client, url: str) -> list[dict]:
    response = client.get(url, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_positions_count_as_the_dashboard_does_in_every_period(generated):
    plan, client = generated
    periods = list(plan.periods.order_by("end"))
    for period in periods:
        at = dashboard.plan_at(plan, periods, period)
        if at is None:
            continue
        distribution = dashboard.distributions(dashboard.Scope(ats=(at,)))[plan.pk]
        rows = table(client, f"/api/v1/positions/?plan={plan.slug}&period={period.pk}")
        for subject, counts in (
            ("action", distribution.actions),
            ("measure", distribution.measures),
        ):
            api = Counter(row["confirmed_rag"] for row in rows if row["subject"] == subject)
            rated = {rag: n for rag, n in counts.items() if rag}
            assert {rag: n for rag, n in api.items() if rag} == {
                rag: n for rag, n in rated.items() if n
            }, (period.label, subject)
        actions = table(client, f"/api/v1/actions/?plan={plan.slug}")
        measures = table(client, f"/api/v1/measures/?plan={plan.slug}")
        assert len(actions) == distribution.action_total
        assert len(measures) == distribution.measure_total

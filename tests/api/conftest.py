"""The API tests' data: the security tests' world (a plan with closed and open periods,
a proposed rating, a dip sample with findings, a measure value, a report with a ready
PDF), plus organisations around it: a partner the plan is shared with, a plan of the
council's own that is not shared, and another council's plan nobody here may see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from api import keys
from plans import roles
from tests import factories
from tests.security import conftest as security

# The security tests' data set, built once per module (tests/security/conftest.py).
module_world = security.module_world
world = security.world


@pytest.fixture
def orgs(world):
    partner = factories.OrganisationFactory(name="Partner Trust")
    world.plan.partners.add(partner)
    own_only = factories.PlanFactory(slug="council-only", organisation=world.plan.organisation)
    elsewhere_org = factories.OrganisationFactory(name="Other Council")
    elsewhere = factories.PlanFactory(slug="elsewhere", organisation=elsewhere_org)
    period = factories.PeriodFactory(
        plan=elsewhere, start=dt.date(2024, 4, 1), end=dt.date(2024, 6, 30)
    )
    action = factories.ActionFactory(recommendation__plan=elsewhere, ref="9.9")
    factories.MeasureFactory(action=action)
    factories.RatingFactory(action=action, period=period, rag="red")
    partner_user = factories.UserFactory(
        username="partner-board", role=roles.BOARD_MEMBER, organisation=partner
    )
    other_admin = factories.UserFactory(
        username="elsewhere-admin", role=roles.PLAN_ADMINISTRATOR, organisation=elsewhere_org
    )
    return {
        "partner": partner,
        "partner_user": partner_user,
        "own_only": own_only,
        "elsewhere": elsewhere,
        "elsewhere_admin": other_admin,
    }


def key_client(key: str, **headers) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Api-Key {key}", **headers)


@pytest.fixture
def api_key(world, orgs):
    """A key the plan administrator made for Power BI, for the shared plan only."""
    api_key, key = keys.api_key_create(
        name="Power BI", plans=[world.plan], created_by=world.users["plan_admin"]
    )
    return api_key, key


@pytest.fixture
def signed_in(world):
    def client(role: str) -> Client:
        c = Client()
        c.force_login(world.users[role])
        return c

    return client


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content[:500]
    return response.json()["results"]


def csv_text(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content).decode()

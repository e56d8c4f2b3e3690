"""Shared fixtures: users in each role, a small plan with an open period."""

import datetime as dt

import pytest
from django.db import connection

from plans import roles
from tests import factories


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pytest_addoption(parser):
    parser.addoption(
        "--screenshots",
        action="store_true",
        help="browser tests save their screenshots into docs/screenshots/",
    )


def _user(username: str, role: str):
    return factories.UserFactory(username=username, role=role)


@pytest.fixture
def director(db):
    return _user("director", roles.SERVICE_DIRECTOR)


@pytest.fixture
def other_director(db):
    return _user("director2", roles.SERVICE_DIRECTOR)


@pytest.fixture
def qa_lead(db):
    return _user("qa", roles.QA_LEAD)


@pytest.fixture
def clerk(db):
    return _user("clerk", roles.COMMITTEE_CLERK)


@pytest.fixture
def board_member(db):
    return _user("board", roles.BOARD_MEMBER)


@pytest.fixture
def plan_admin(db):
    user = _user("admin", roles.PLAN_ADMINISTRATOR)
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def plan(db):
    return factories.PlanFactory(slug="test-plan", title="Test improvement plan")


@pytest.fixture
def period(plan):
    return factories.PeriodFactory(
        plan=plan, label="Q2 2024/25", start=dt.date(2024, 7, 1), end=dt.date(2024, 9, 30)
    )


@pytest.fixture
def owner(director):
    return factories.OwnerFactory(post="Service Director – Practice", user=director)


@pytest.fixture
def action(plan, period, owner):
    rec = factories.RecommendationFactory(plan=plan, ref="1", title="Care leavers")
    return factories.ActionFactory(
        recommendation=rec, ref="1.1", text="Allocate a PA to every care leaver", owners=[owner]
    )


requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite ignores row locks and the rating trigger is PostgreSQL-only",
)

"""API keys: stored hashed, shown once, scoped, revocable, throttled, last use noted."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from api import keys
from api.auth import PerKeyThrottle
from api.models import ApiKey
from plans import roles
from tests import factories
from tests.api.conftest import key_client, rows


def test_only_a_hash_of_the_key_is_stored(world, api_key):
    stored, key = api_key
    stored.refresh_from_db()
    assert key.startswith(stored.prefix + ".")
    assert stored.hashed_key == hashlib.sha256(key.encode()).hexdigest()
    assert not ApiKey.objects.filter(hashed_key__contains=key.partition(".")[2]).exists()
    assert key.partition(".")[2] not in str(list(ApiKey.objects.values()))


def test_the_key_is_accepted_as_api_key_or_bearer(world, api_key):
    key = api_key[1]
    assert key_client(key).get("/api/v1/plans/").status_code == 200
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/plans/").status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Api-Key nonsense", "Api-Key {prefix}.wrong-secret", "Api-Key", "Bearer a b"],
)
def test_a_wrong_key_is_refused(world, api_key, header):
    header = header.format(prefix=api_key[0].prefix)
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/plans/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Api-Key realm="api"'


def test_a_revoked_key_is_refused(world, api_key):
    stored, key = api_key
    keys.api_key_revoke(api_key=stored, revoked_by=world.users["plan_admin"])
    stored.refresh_from_db()
    assert stored.revoked_by == world.users["plan_admin"]
    assert key_client(key).get("/api/v1/plans/").status_code == 401


def test_a_key_reads_only_the_plans_it_is_scoped_to(world, orgs, api_key):
    client = key_client(api_key[1])
    factories.ActionFactory(recommendation__plan=orgs["own_only"], ref="X1")
    assert [p["slug"] for p in rows(client.get("/api/v1/plans/"))] == [world.plan.slug]
    assert {a["plan"] for a in rows(client.get("/api/v1/actions/"))} == {world.plan.slug}
    assert rows(client.get("/api/v1/actions/?plan=council-only")) == []


def test_a_key_cannot_be_scoped_to_a_plan_its_maker_cannot_see(world, orgs):
    _stored, key = keys.api_key_create(
        name="Sneaky", plans=[world.plan, orgs["elsewhere"]], created_by=world.users["plan_admin"]
    )
    slugs = [p["slug"] for p in rows(key_client(key).get("/api/v1/plans/"))]
    assert slugs == [world.plan.slug]


def test_only_a_plan_administrator_makes_keys(world):
    with pytest.raises(PermissionError):
        keys.api_key_create(name="x", plans=[world.plan], created_by=world.users["clerk"])


def test_a_key_stops_reading_when_its_maker_is_no_longer_an_administrator(world, api_key):
    from django.contrib.auth.models import Group

    admin = world.users["plan_admin"]
    admin.groups.remove(Group.objects.get(name=roles.PLAN_ADMINISTRATOR))
    assert rows(key_client(api_key[1]).get("/api/v1/plans/")) == []


def test_last_used_is_written_at_most_once_a_minute(world, api_key):
    stored, key = api_key
    assert stored.last_used is None
    client = key_client(key)
    client.get("/api/v1/plans/")
    stored.refresh_from_db()
    first = stored.last_used
    assert first is not None
    client.get("/api/v1/plans/")
    stored.refresh_from_db()
    assert stored.last_used == first
    keys.record_use(stored, now=first + dt.timedelta(seconds=61))
    stored.refresh_from_db()
    assert stored.last_used == first + dt.timedelta(seconds=61)


def test_requests_are_throttled_per_key(world, orgs, api_key, monkeypatch):
    monkeypatch.setattr(PerKeyThrottle, "THROTTLE_RATES", {"api": "3/minute"})
    caches["throttle"].clear()
    try:
        client = key_client(api_key[1])
        assert [client.get("/api/v1/plans/").status_code for _ in range(4)] == [200, 200, 200, 429]
        _other, other_key = keys.api_key_create(
            name="Website", plans=[world.plan], created_by=world.users["plan_admin"]
        )
        assert key_client(other_key).get("/api/v1/plans/").status_code == 200
    finally:
        caches["throttle"].clear()


def test_the_admin_makes_a_key_shows_it_once_and_lists_only_plans_it_may_see(world, orgs):
    admin = Client()
    admin.force_login(world.users["plan_admin"])
    form = admin.get("/admin/api/apikey/add/")
    assert form.status_code == 200
    options = form.content.decode()
    assert world.plan.title in options
    assert orgs["elsewhere"].title not in options
    response = admin.post(
        "/admin/api/apikey/add/",
        {"name": "Power BI", "plans": [world.plan.pk, orgs["elsewhere"].pk]},
        follow=True,
    )
    # The other council's plan is not a choice on the form.
    assert response.status_code == 200
    assert ApiKey.objects.count() == 0
    response = admin.post(
        "/admin/api/apikey/add/", {"name": "Power BI", "plans": [world.plan.pk]}, follow=True
    )
    stored = ApiKey.objects.get()
    [message] = [str(m) for m in response.context["messages"] if "The key for" in str(m)]
    key = message.split("The key for Power BI is ")[1].split(" ")[0]
    assert key.startswith(stored.prefix)
    assert stored.created_by == world.users["plan_admin"]
    assert list(stored.plans.all()) == [world.plan]
    assert key_client(key).get("/api/v1/plans/").status_code == 200
    # Never shown again.
    page = admin.get(f"/admin/api/apikey/{stored.pk}/change/").content.decode()
    assert key not in page
    assert key.partition(".")[2] not in page


def test_the_admin_revokes_keys(world, api_key):
    stored, key = api_key
    admin = Client()
    admin.force_login(world.users["plan_admin"])
    response = admin.post(
        "/admin/api/apikey/",
        {"action": "revoke", "_selected_action": [stored.pk]},
    )
    assert response.status_code == 302
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert key_client(key).get("/api/v1/plans/").status_code == 401


def test_another_organisations_administrator_does_not_see_the_keys(world, orgs, api_key):
    other = orgs["elsewhere_admin"]
    other.is_staff = True
    other.save()
    client = Client()
    client.force_login(other)
    assert str(api_key[0]) not in client.get("/admin/api/apikey/").content.decode()
    assert client.get(f"/admin/api/apikey/{api_key[0].pk}/change/").status_code == 302


def test_people_without_the_administrator_role_cannot_reach_keys_in_the_admin(world):
    clerk = world.users["clerk"]
    clerk.is_staff = True
    clerk.save()
    client = Client()
    client.force_login(clerk)
    assert client.get("/admin/api/apikey/").status_code == 403


def test_a_key_is_recorded_with_when_it_was_made(world, api_key):
    assert timezone.now() - api_key[0].created < dt.timedelta(minutes=1)

"""Filters, order, paging, CSV and query counts, the same for every list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.resources import RESOURCES
from plans.models import Action
from tests import factories
from tests.api.conftest import csv_text, key_client, rows


@pytest.fixture
def client(api_key):
    return key_client(api_key[1])


@pytest.fixture
def more_actions(world):
    return [
        factories.ActionFactory(recommendation=world.recommendation, ref=f"1.{n}b", position=n)
        for n in range(2, 9)
    ]


def test_plan_filter_by_slug(client, world, orgs, signed_in):
    admin = signed_in("plan_admin")
    factories.ActionFactory(recommendation__plan=orgs["own_only"], ref="X1")
    assert {a["plan"] for a in rows(admin.get("/api/v1/actions/"))} == {
        world.plan.slug,
        "council-only",
    }
    assert {a["ref"] for a in rows(admin.get("/api/v1/actions/?plan=council-only"))} == {"X1"}
    assert rows(admin.get("/api/v1/actions/?plan=no-such-plan")) == []


def test_period_and_item_filters(client, world):
    closed = rows(client.get(f"/api/v1/positions/?period={world.closed_period.pk}"))
    assert {p["period_id"] for p in closed} == {world.closed_period.pk}
    measure = rows(client.get(f"/api/v1/positions/?measure={world.measure.pk}"))
    assert {p["subject"] for p in measure} == {"measure"}
    samples = rows(client.get(f"/api/v1/dip-samples/?item={world.measure.pk}"))
    assert len(samples) == 1
    assert rows(client.get(f"/api/v1/dip-samples/?item={world.measure.pk + 999}")) == []
    assert rows(client.get(f"/api/v1/periods/?period={world.open_period.pk}"))[0]["state"] == "open"


def test_changed_since(client, world):
    Action.objects.filter(pk=world.action.pk).update(updated=timezone.now() - dt.timedelta(days=3))
    yesterday = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert rows(client.get("/api/v1/actions/", {"changed_since": yesterday})) == []
    Action.objects.filter(pk=world.action.pk).update(updated=timezone.now())
    assert len(rows(client.get("/api/v1/actions/", {"changed_since": yesterday}))) == 1
    # A date alone is read as its midnight.
    assert len(rows(client.get("/api/v1/actions/?changed_since=2000-01-01"))) == 1


def test_positions_changed_since_a_rating_was_confirmed(client, world, signed_in):
    since = timezone.now().isoformat()
    assert rows(client.get("/api/v1/positions/", {"changed_since": since})) == []
    qa = signed_in("qa_lead")
    assert qa.post(f"/plans/ratings/{world.proposed.pk}/confirm/").status_code in (200, 302)
    changed = rows(client.get("/api/v1/positions/", {"changed_since": since}))
    assert [(p["action_id"], p["confirmed_rag"]) for p in changed] == [(world.action.pk, "amber")]


def test_a_bad_filter_value_is_a_400_not_a_500(client):
    assert client.get("/api/v1/positions/?period=abc").status_code == 400
    assert client.get("/api/v1/actions/?changed_since=yesterday").status_code == 400
    assert client.get("/api/v1/positions/?subject=nonsense").status_code == 400


def test_pages_follow_next_links_to_every_row_once_in_a_stable_order(client, more_actions):
    url, seen = "/api/v1/actions/?page_size=3", []
    while url:
        page = client.get(url).json()
        assert page["count"] == 8
        seen += [a["id"] for a in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 8
    assert seen == [a["id"] for a in rows(client.get("/api/v1/actions/?page_size=100"))]
    assert seen == [a["id"] for a in rows(client.get("/api/v1/actions/?page_size=100"))]


def test_page_size_is_capped(client, more_actions, monkeypatch):
    from api.views import Paging

    assert Paging.max_page_size == 2000
    monkeypatch.setattr(Paging, "max_page_size", 3)
    page = client.get("/api/v1/actions/?page_size=100000").json()
    assert len(page["results"]) == 3
    assert "page=2" in page["next"]


def test_csv_by_accept_header_as_well_as_format(client, more_actions):
    by_format = csv_text(client.get("/api/v1/actions/?format=csv"))
    by_accept = csv_text(client.get("/api/v1/actions/", HTTP_ACCEPT="text/csv"))
    assert by_format == by_accept
    # The whole table, not a page.
    assert len(by_format.splitlines()) == 1 + 8
    assert client.get("/api/v1/actions/").json()["count"] == 8


def test_csv_cells_escape_commas_quotes_and_new_lines(client, world):
    world.action.text = 'Audit "return home" interviews,\nthen report'
    world.action.save()
    text = csv_text(client.get("/api/v1/actions/?format=csv"))
    assert '"Audit ""return home"" interviews,\nthen report"' in text


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_queries_do_not_grow_with_the_page_size(client, world, more_actions, name):
    for n in range(3):
        factories.DipSampleFactory(measure=world.measure, sampled_on=dt.date(2024, 8, n + 1))
    client.get(f"/api/v1/{name}/")  # the key's first use of the minute writes last_used
    counts = []
    for size in (1, 50):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/{name}/?page_size={size}")
            assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], name


def test_csv_queries_do_not_grow_with_the_rows(client, world, more_actions):
    def csv_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            csv_text(client.get("/api/v1/positions/?format=csv"))
        return len(captured)

    csv_queries()  # the key's first use of the minute writes last_used
    before = csv_queries()
    for action in more_actions:
        factories.RatingFactory(
            action=action, period=world.open_period, rag="red", status="confirmed"
        )
    assert csv_queries() == before

"""The Power BI recipe's queries (docs/powerbi/*.pq) work: the requests they make, with
the header, Accept and query string they write, get the tables they expect, and paging
stops where the API's `next` link does."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.test import Client

from tests import factories

DOCS = Path(__file__).resolve().parents[2] / "docs" / "powerbi"


def query_parts(name: str) -> dict:
    """What a .pq file sends: its path, query fields, scheme and Accept header."""
    text = (DOCS / name).read_text()
    relative = re.search(r'RelativePath = "([^"]+)"(?: & Resource & "/")?', text)
    return {
        "text": text,
        "path": relative.group(1),
        "query": re.findall(r"(\w+) = ", text.split("Query = [")[1].split("]")[0]),
        "scheme": re.search(r'Authorization = "([^"]+) " & ApiKey', text).group(1),
        "accept": re.search(r'Accept = "([^"]+)"', text).group(1),
    }


@pytest.fixture
def power_bi(world, api_key):
    """A client that sends what Power BI's Web.Contents sends with the recipe's header."""

    def client(scheme: str, accept: str) -> Client:
        return Client(
            HTTP_AUTHORIZATION=f"{scheme} {api_key[1]}",
            HTTP_ACCEPT=accept,
            HTTP_ACCEPT_ENCODING="gzip, deflate",
            HTTP_USER_AGENT="Microsoft.Data.Mashup (https://go.microsoft.com/fwlink/?LinkID=304225)",
        )

    return client


def test_the_positions_query_loads_positions_by_period(world, power_bi):
    parts = query_parts("positions.pq")
    assert parts["path"] == "api/v1/positions/"
    assert parts["scheme"] == "Api-Key"
    assert parts["query"] == ["plan", "format"]
    client = power_bi(parts["scheme"], parts["accept"])
    response = client.get(f"/{parts['path']}", {"plan": world.plan.slug, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {(row["period_id"], row["subject"]) for row in table} == {
        (str(world.closed_period.pk), "action"),
        (str(world.closed_period.pk), "measure"),
        (str(world.open_period.pk), "action"),
        (str(world.open_period.pk), "measure"),
    }
    # The columns the query types are there.
    for column in re.findall(r'\{"(\w+)", ', parts["text"]):
        assert column in table[0], column


def test_the_paged_query_reads_every_row_and_stops_at_the_last_page(world, power_bi):
    for n in range(5):
        factories.ActionFactory(recommendation=world.recommendation, ref=f"2.{n}")
    parts = query_parts("actions-paged.pq")
    assert parts["path"] == "api/v1/"
    assert parts["accept"] == "application/json"
    assert parts["query"] == ["plan", "page", "page_size"]
    client = power_bi(parts["scheme"], parts["accept"])
    # As List.Generate does, with a smaller page so that there are several.
    seen, page, requests = [], 1, 0
    while True:
        body = client.get(
            "/api/v1/actions/", {"plan": world.plan.slug, "page": page, "page_size": 2}
        ).json()
        requests += 1
        seen += [row["id"] for row in body["results"]]
        if body["next"] is None:
            break
        assert f"page={page + 1}" in body["next"]
        page += 1
    assert requests == 3
    assert len(seen) == len(set(seen)) == 6


def test_power_bis_default_accept_gets_json(world, power_bi):
    response = power_bi("Api-Key", "*/*").get("/api/v1/periods/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["count"] == 2


def test_a_query_without_the_key_is_told_to_send_one(world):
    response = Client(HTTP_ACCEPT="text/csv").get("/api/v1/positions/?format=csv")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Api-Key")

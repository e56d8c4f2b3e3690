"""CSRF protection on every state change, htmx requests included.

The test client normally skips CSRF checks; these tests use
`Client(enforce_csrf_checks=True)`, as a browser meets them. Every URL the permission
matrix lists as changing data is posted to by a role allowed to change it: without a
token the request is refused and nothing changes; with the token in the X-CSRFToken
header, as htmx sends it (base.html puts it in `hx-headers` on the body), it goes
through.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from reporting.models import ReportRender
from tests.security.test_permission_matrix import MATRIX, check
from tests.security.world import World, data_fingerprint

STATE_CHANGING = sorted(route for route, row in MATRIX.items() if row.changes)


def actor(route: str) -> str:
    changes = MATRIX[route].changes
    return "plan_admin" if "plan_admin" in changes else changes[0]


def csrf_client(world: World, role: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def htmx_token(client: Client, page: str) -> str:
    """The token htmx would send: the one base.html writes into `hx-headers`."""
    html = client.get(page).content.decode()
    match = re.search(r"<body hx-headers='([^']+)'", html)
    assert match, f"{page} has no hx-headers on its body"
    return json.loads(match.group(1))["X-CSRFToken"]


def test_every_state_changing_url_is_checked():
    # The matrix marks who may change what; a state-changing URL must not slip through
    # unmarked (it would then be missing from the tests below).
    assert len(STATE_CHANGING) >= 19
    for route in ("plans/actions/<int:pk>/update/", "reports/<int:pk>/render/"):
        assert route in STATE_CHANGING


@pytest.mark.parametrize("route", STATE_CHANGING)
def test_a_post_without_the_token_is_refused_and_changes_nothing(route, world):
    url = MATRIX[route].url(world)
    client = csrf_client(world, actor(route))
    before = world.fingerprint

    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.post(url, {}, **headers)
        assert response.status_code == 403, f"POST {url} {headers}"
        assert b"CSRF verification failed" in response.content

    assert data_fingerprint() == before


@pytest.mark.parametrize("route", STATE_CHANGING)
def test_the_same_post_with_the_token_in_the_htmx_header_goes_through(route, world):
    row = MATRIX[route]
    url = row.url(world)
    role = actor(route)
    client = csrf_client(world, role)
    token = htmx_token(client, reverse("login"))

    response = client.post(url, {}, HTTP_X_CSRFTOKEN=token)

    check(response, row.post[role], url=url, world=world, role=role, method="POST")


def test_an_htmx_render_request_with_the_token_queues_a_render(world):
    client = csrf_client(world, "clerk")
    page = reverse("reporting:report", args=[world.report.pk])
    url = reverse("reporting:report_render", args=[world.report.pk])

    refused = client.post(url, HTTP_HX_REQUEST="true")
    assert refused.status_code == 403
    assert world.report.renders.count() == 1

    response = client.post(url, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=htmx_token(client, page))

    assert response.status_code == 200
    assert 'id="render-status"' in response.content.decode()
    assert world.report.renders.filter(state=ReportRender.State.QUEUED).count() == 1


def test_a_token_from_another_session_is_refused(world):
    stranger = csrf_client(world, "clerk")
    token = htmx_token(stranger, reverse("login"))
    client = csrf_client(world, "qa_lead")
    client.get(reverse("login"))  # a CSRF cookie of its own, which the token must match

    response = client.post(
        reverse("plans:rating_confirm", args=[world.proposed.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 403
    world.proposed.refresh_from_db()
    assert world.proposed.status == "proposed"


def test_an_htmx_confirmation_with_the_token_confirms_the_rating(world):
    client = csrf_client(world, "qa_lead")
    token = htmx_token(client, reverse("plans:to_confirm"))

    response = client.post(
        reverse("plans:rating_confirm", args=[world.proposed.pk]),
        {"comment": "Checked against the panel minutes."},
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 302
    world.proposed.refresh_from_db()
    assert world.proposed.status == "confirmed"
    assert world.proposed.reviewed_by == world.users["qa_lead"]

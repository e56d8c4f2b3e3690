"""No 500 anywhere: every URL of the permission matrix, as every role, with hostile query
strings and form values, answers with something other than a server error.

- Every URL is fetched (GET) as every role; then as an administrator with each of a few
  values (SWEEP) in every parameter at once; then as a reader and an administrator with
  hypothesis-generated query strings: the parameters the views read (page, period, plan,
  owner, table, format, …) and those of the page's own GET forms, given huge, negative,
  far-past and far-future, control-character, very long and repeated values.
- Every URL that takes a POST gets hypothesis-generated forms. The field names are read
  from the forms of the site's own pages that post to that URL (so a new field is fuzzed
  without touching this file), starting from the values the page offers and replacing,
  repeating or dropping some of them; half of the requests say they come from htmx.
  Each POST is made by the role the matrix lets change data (or the plan administrator)
  and rolled back afterwards, so every example starts from the same data.

A 500 fails the test with the method, URL, role and payload (hypothesis then shrinks the
payload to the smallest that still fails). Examples are derandomised, so CI and every
machine try the same values; the counts below keep the module within about a minute on
SQLite.
"""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.test_permission_matrix import MATRIX
from tests.security.world import ROLES, World

GET_EXAMPLES = 6
POST_EXAMPLES = 12
FUZZ = settings(
    max_examples=POST_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Query parameters the views read (grep request.GET in the apps), besides the names of
# each page's own GET forms.
QUERY_NAMES = (
    "page",
    "period",
    "plan",
    "owner",
    "recommendation",
    "rag",
    "overdue",
    "needs_update",
    "state",
    "table",
    "format",
    "next",
    "as_of",
)

NASTY = (
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "99999999999999999999",
    "-99999999999999999999",
    "9" * 5000,
    "1e308",
    "NaN",
    "inf",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2024-02-30",
    "31 December 9999",
    "1/1/0001",
    "\u200b",
    "a\x0bb",
    "bell\x07",
    "nul\x00",
    "\x7f\x85\x9f",
    "\u202eevil",
    "x" * 100_000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../../etc/passwd",
    "//evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "true",
    "[]",
    "{}",
    "%00",
    "１２３",
)
# Given to every query parameter at once, for every URL.
SWEEP = ("9" * 5000, "²", "-1", "99999999999999999999", "nul\x00", "9999-12-31")
TEXT = st.text(max_size=40)
VALUE = st.one_of(
    st.sampled_from(NASTY),
    TEXT,
    st.integers().map(str),
    st.dates(min_value=dt.date(1, 1, 1)).map(dt.date.isoformat),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
# A value, or the same name given several times (a list), as a client may send it.
FIELD_VALUE = st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=3))

# Roles the GET walk with query strings uses: one reader, the administrator.
QUERY_ROLES = ("board_member", "plan_admin")


class _Forms(HTMLParser):
    """The forms of a page: (method, action, {name: first value offered})."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, dict[str, str]]] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            method = (attrs.get("method") or "get").lower()
            self.forms.append((method, attrs.get("action") or "", {}))
            return
        if not self.forms:
            return
        fields = self.forms[-1][2]
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                if kind == "submit":
                    fields.setdefault(name, attrs.get("value") or "")
                return
            if kind in ("radio", "checkbox") and "checked" not in attrs:
                fields.setdefault(name, None)
                return
            if fields.get(name) is None:
                fields[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            fields.setdefault(name, "")
        elif tag == "select" and name:
            self._select = name
            fields.setdefault(name, None)
        elif (
            tag == "option"
            and self._select
            and (fields.get(self._select) is None or "selected" in attrs)
        ):
            fields[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def page_forms(html: str) -> list[tuple[str, str, dict[str, str]]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def client_as(world: World, role: str) -> Client:
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def no_server_error(response, *, method: str, url: str, role: str, payload=None) -> None:
    assert response.status_code < 500, (
        f"{method} {url} as {role} answered {response.status_code}"
        + (f" with {payload!r}"[:2000] if payload is not None else "")
    )


def poster(route: str) -> str:
    """The role whose POST reaches furthest: one the matrix lets change data."""
    changes = MATRIX[route].changes
    if "anonymous" in changes:
        return "anonymous"
    return next((role for role in ROLES if role in changes), "plan_admin")


# The forms of every page of the matrix, by role: the data set is built once per module,
# so its pages (and the addresses in them) are the same for every test.
_POSTING_FORMS: dict[str, list[tuple[str, dict[str, str | None]]]] = {}


def posting_forms(world: World, role: str) -> list[tuple[str, dict[str, str | None]]]:
    """(path posted to, fields) for each POST form on the pages `role` can open."""
    if role not in _POSTING_FORMS:
        client = client_as(world, role)
        found = []
        for row in MATRIX.values():
            page_url = row.url(world)
            response = client.get(page_url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            for method, action, fields in page_forms(response.content.decode()):
                if method == "post":
                    found.append((urlsplit(action or page_url).path, fields))
        _POSTING_FORMS[role] = found
    return _POSTING_FORMS[role]


def posted_fields(world: World, route: str, url: str) -> dict[str, str | None]:
    """The fields of every form on the site's pages that posts to `url`, as the role that
    posts sees them."""
    path = urlsplit(url).path
    fields: dict[str, str | None] = {}
    for target, form_fields in posting_forms(world, poster(route)):
        if target == path:
            for name, value in form_fields.items():
                if fields.get(name) is None:
                    fields[name] = value
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def query_names(world: World, url: str) -> list[str]:
    response = client_as(world, "plan_admin").get(url)
    names = set(QUERY_NAMES)
    if response.status_code == 200 and "html" in response.get("Content-Type", ""):
        for method, _action, fields in page_forms(response.content.decode()):
            if method == "get":
                names |= set(fields)
    return sorted(names)


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_no_url_answers_500_to_any_role_or_query_string(route, world):
    url = MATRIX[route].url(world)
    for role in ROLES:
        no_server_error(client_as(world, role).get(url), method="GET", url=url, role=role)
    names = query_names(world, url)
    clients = {role: client_as(world, role) for role in QUERY_ROLES}
    base = url.split("?")[0]
    fixed = dict(part.split("=", 1) for part in url.split("?")[1].split("&")) if "?" in url else {}

    # Every parameter at once with each of the values most likely to break a parser.
    for value in SWEEP:
        params = fixed | dict.fromkeys(names, value)
        response = clients["plan_admin"].get(base, params)
        no_server_error(response, method="GET", url=base, role="plan_admin", payload=params)

    @settings(FUZZ, max_examples=GET_EXAMPLES)
    @given(
        query=st.dictionaries(st.sampled_from(names), FIELD_VALUE, min_size=1, max_size=4),
        role=st.sampled_from(QUERY_ROLES),
    )
    def fetch(query, role):
        params = fixed | query
        response = clients[role].get(base, params)
        no_server_error(response, method="GET", url=base, role=role, payload=params)

    fetch()


POST_ROUTES = sorted(
    route
    for route, row in MATRIX.items()
    if row.changes or any(expected != 405 for expected in row.post.values())
)


@pytest.mark.parametrize("route", POST_ROUTES)
def test_no_form_answers_500_to_hostile_values(route, world):
    url = MATRIX[route].url(world)
    role = poster(route)
    fields = posted_fields(world, route, url)
    baseline = {name: value for name, value in fields.items() if value is not None}
    names = sorted(fields) or ["value"]

    @FUZZ
    @given(
        changed=st.dictionaries(st.sampled_from(names), FIELD_VALUE, max_size=len(names)),
        dropped=st.sets(st.sampled_from(names), max_size=2),
        htmx=st.booleans(),
    )
    def post(changed, dropped, htmx):
        payload = {
            name: value for name, value in (baseline | changed).items() if name not in dropped
        }
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        client = client_as(world, role)
        with transaction.atomic():
            response = client.post(url, payload, **headers)
            transaction.set_rollback(True)
        no_server_error(response, method="POST", url=url, role=role, payload=payload)

    post()


def test_the_walker_finds_the_fields_of_the_forms_that_post_elsewhere(world):
    """The POST-only addresses get their fields from the pages that hold their forms."""
    route = "audits/measures/<int:pk>/schedules/confirm/"
    fields = posted_fields(world, route, MATRIX[route].url(world))
    day_month_year = {"first_due_day", "first_due_month", "first_due_year"}
    assert {"cadence", "rounds", *day_month_year} <= set(fields)
    route = "plans/ratings/<int:pk>/return/"
    assert "comment" in posted_fields(world, route, MATRIX[route].url(world))

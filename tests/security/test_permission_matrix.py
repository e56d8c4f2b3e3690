"""Every URL of the project × every role (and anonymous) → the status each must get.

The matrix below is written from the rules in `plans/roles.py`, not read off the views:
everyone with a role reads every plan; only an action's accountable director (and plan
administrators) update it; QA leads and administrators record audits and confirm
ratings; clerks and administrators manage committee reports; administrators close and
reopen periods. A signed-in user with no role sees nothing, and anonymous visitors are
sent to sign in.

Each row is checked with GET for every role, then with POST: first by every role the
row refuses, checking that the data did not change at all, then by the roles allowed to
change something (last, since their POST may change the data). The URL patterns are
walked from the resolver: a new URL fails `test_every_url_pattern_is_in_the_matrix`
until a row is added here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse

from api.resources import RESOURCES
from tests.security.world import (
    OUTSIDERS,
    ROLES,
    SIGNED_IN,
    WITH_A_ROLE,
    World,
    clients_for,
    data_fingerprint,
)

LOGIN = "login"  # a redirect to the sign-in page, with ?next= back to the URL


@dataclass(frozen=True)
class Redirect:
    """A 302 to a given path (checked exactly, without the query string)."""

    path: str


Expected = int | str | Redirect


def each(roles, expected: Expected) -> dict[str, Expected]:
    return dict.fromkeys(roles, expected)


def everyone(expected: Expected) -> dict[str, Expected]:
    return each(ROLES, expected)


def signed_in(expected: Expected, *, anonymous: Expected = LOGIN) -> dict[str, Expected]:
    return {**each(SIGNED_IN, expected), "anonymous": anonymous}


def readers(expected: Expected = 200, *, anonymous: Expected = LOGIN) -> dict[str, Expected]:
    """Every role reads; a user with no role is refused; anonymous visitors sign in."""
    return {**each(WITH_A_ROLE, expected), "no_role": 403, "anonymous": anonymous}


def only(allowed: tuple[str, ...], expected: Expected, *, others: Expected = 403):
    return {
        **each(SIGNED_IN, others),
        **each(allowed, expected),
        "anonymous": LOGIN,
    }


def api_readers() -> dict[str, Expected]:
    """The API: every role reads; a user with no role is refused; anonymous visitors are
    asked for a key (401), not sent to a sign-in page."""
    return readers(200, anonymous=401)


# Writes are refused by method once the reader is known.
API_WRITE = {**each(WITH_A_ROLE, 405), "no_role": 403, "anonymous": 401}


ACTION_EDITORS = ("director", "plan_admin")
REVIEWERS = ("qa_lead", "plan_admin")
RECORDERS = ("qa_lead", "plan_admin")
REPORT_MANAGERS = ("clerk", "plan_admin")
ADMINS = ("plan_admin",)


@dataclass(frozen=True)
class Row:
    url: Callable[[World], str]
    get: dict[str, Expected]
    post: dict[str, Expected]
    # Roles whose POST may change data: everyone else's POST must change nothing.
    changes: tuple[str, ...] = field(default=())


def _url(name: str, *args, query: str = "") -> Callable[[World], str]:
    def build(world: World) -> str:
        values = [arg(world) if callable(arg) else arg for arg in args]
        url = reverse(name, args=values)
        return f"{url}?{query}" if query else url

    return build


# Keyed by the URL pattern's route, as the resolver spells it. The POSTs are empty: most
# forms are built from `request.POST or None`, so an allowed role's empty POST shows the
# blank form again (200), and changes nothing either.
MATRIX: dict[str, Row] = {
    # --- Project and accounts -------------------------------------------------------------
    "": Row(
        _url("home"),
        get={
            "director": Redirect("/plans/mine/"),
            "other_director": Redirect("/plans/mine/"),
            "qa_lead": Redirect("/audits/"),
            "clerk": Redirect("/reports/"),
            "board_member": Redirect("/reports/dashboard/"),
            "plan_admin": Redirect("/plans/"),
            "no_role": Redirect("/plans/"),
            "anonymous": LOGIN,
        },
        post=signed_in(302),
    ),
    "healthz": Row(_url("healthz"), get=everyone(200), post=everyone(405)),
    "accessibility/": Row(_url("accessibility"), get=everyone(200), post=everyone(405)),
    "accounts/login/": Row(_url("login"), get=everyone(200), post=everyone(200), changes=ROLES),
    "accounts/logout/": Row(
        _url("logout"),
        get=everyone(405),
        post=everyone(Redirect("/accounts/login/")),
        changes=ROLES,
    ),
    # Single sign-on is off unless configured (tests/sso tests it on).
    "oidc/authenticate/": Row(
        _url("oidc_authentication_init"), get=everyone(404), post=everyone(405)
    ),
    "oidc/callback/": Row(
        _url("oidc_authentication_callback"), get=everyone(404), post=everyone(405)
    ),
    "accounts/two-step/": Row(
        _url("mfa_manage"), get=signed_in(200), post=signed_in(Redirect("/accounts/two-step/"))
    ),
    "accounts/two-step/set-up/": Row(_url("mfa_setup"), get=signed_in(200), post=signed_in(200)),
    "accounts/two-step/code/": Row(
        _url("mfa_verify"), get=signed_in(Redirect("/")), post=signed_in(Redirect("/"))
    ),
    "accounts/password_change/": Row(
        _url("password_change"), get=signed_in(200), post=signed_in(200), changes=SIGNED_IN
    ),
    "accounts/password_change/done/": Row(
        _url("password_change_done"), get=signed_in(200), post=signed_in(405)
    ),
    "accounts/password_reset/": Row(
        _url("password_reset"), get=everyone(200), post=everyone(200), changes=ROLES
    ),
    "accounts/password_reset/done/": Row(
        _url("password_reset_done"), get=everyone(200), post=everyone(405)
    ),
    "accounts/reset/<uidb64>/<token>/": Row(
        _url("password_reset_confirm", "MQ", "set-password"),
        get=everyone(200),
        post=everyone(200),
        changes=ROLES,
    ),
    "accounts/welcome/<uidb64>/<token>/": Row(
        # A link that is not an invitation's: the page says so, and nothing changes.
        _url("invitation", "MQ", "set-password"),
        get=everyone(200),
        post=everyone(200),
    ),
    "accounts/reset/done/": Row(
        _url("password_reset_complete"), get=everyone(200), post=everyone(405)
    ),
    # --- Plans ----------------------------------------------------------------------------
    "plans/": Row(_url("plans:plan_list"), get=readers(), post=readers()),
    "plans/<slug:slug>/": Row(
        _url("plans:plan", lambda w: w.plan.slug), get=readers(), post=readers()
    ),
    "plans/<slug:slug>/positions.xlsx": Row(
        _url("plans:plan_positions_xlsx", lambda w: w.plan.slug), get=readers(), post=readers()
    ),
    "plans/<slug:slug>/periods/": Row(
        _url("plans:plan_periods", lambda w: w.plan.slug),
        get=readers(),
        post={**readers(403), "plan_admin": 200},
        changes=ADMINS,
    ),
    "plans/<slug:slug>/export/": Row(
        _url("plans:plan_export", lambda w: w.plan.slug), get=readers(), post=everyone(405)
    ),
    "plans/recommendations/<int:pk>/": Row(
        _url("plans:recommendation", lambda w: w.recommendation.pk),
        get=readers(),
        post=readers(),
    ),
    "plans/actions/<int:pk>/": Row(
        _url("plans:action", lambda w: w.action.pk), get=readers(), post=signed_in(405)
    ),
    "plans/actions/<int:pk>/update/": Row(
        _url("plans:action_update", lambda w: w.action.pk),
        get=only(ACTION_EDITORS, 200),
        post=only(ACTION_EDITORS, 400),
        changes=ACTION_EDITORS,
    ),
    "plans/evidence/<int:pk>/download/": Row(
        _url("plans:evidence_download", lambda w: w.evidence.pk),
        get=readers(),
        post=signed_in(405),
    ),
    "plans/mine/": Row(_url("plans:my_actions"), get=readers(), post=signed_in(405)),
    "plans/to-confirm/": Row(
        _url("plans:to_confirm"), get=only(REVIEWERS, 200), post=only(REVIEWERS, 200)
    ),
    "plans/ratings/<int:pk>/confirm/": Row(
        _url("plans:rating_confirm", lambda w: w.proposed.pk),
        get=signed_in(405),
        post=only(REVIEWERS, Redirect("/plans/to-confirm/")),
        changes=REVIEWERS,
    ),
    "plans/ratings/<int:pk>/return/": Row(
        _url("plans:rating_return", lambda w: w.proposed.pk),
        get=signed_in(405),
        # An empty POST lacks the reason for sending it back: the queue, with the error.
        post=only(REVIEWERS, 400),
        changes=REVIEWERS,
    ),
    "plans/periods/<int:pk>/close/": Row(
        _url("plans:period_close", lambda w: w.open_period.pk),
        get=only(ADMINS, 200),
        post=only(ADMINS, Redirect("/plans/security-matrix/")),
        changes=ADMINS,
    ),
    "plans/periods/<int:pk>/reopen/": Row(
        _url("plans:period_reopen", lambda w: w.closed_period.pk),
        get=only(ADMINS, 200),
        post=only(ADMINS, 200),
        changes=ADMINS,
    ),
    # --- People and owners (plan administrators only) -------------------------------------
    "plans/people/": Row(_url("plans:people"), get=only(ADMINS, 200), post=signed_in(405)),
    "plans/people/invite/": Row(
        _url("plans:person_invite"),
        get=only(ADMINS, 200),
        post=only(ADMINS, 200),
        changes=ADMINS,
    ),
    "plans/people/<int:pk>/": Row(
        _url("plans:person", lambda w: w.users["director"].pk),
        get=only(ADMINS, 200),
        post=signed_in(405),
    ),
    "plans/people/<int:pk>/roles/": Row(
        _url("plans:person_roles", lambda w: w.users["director"].pk),
        get=signed_in(405),
        # An empty POST is not the roles form (its marker is missing): refused, unchanged.
        post=only(ADMINS, 400),
        changes=ADMINS,
    ),
    "plans/people/<int:pk>/invite-again/": Row(
        # The director has a password: the administrator's POST is refused with a message.
        _url("plans:person_invite_again", lambda w: w.users["director"].pk),
        get=signed_in(405),
        post=only(ADMINS, Redirect("/plans/people/{director}/")),
    ),
    "plans/people/<int:pk>/two-step-reset/": Row(
        # The director has no authenticator app: the administrator's POST is refused with
        # a message and changes nothing.
        _url("plans:person_two_step_reset", lambda w: w.users["director"].pk),
        get=signed_in(405),
        post=only(ADMINS, Redirect("/plans/people/{director}/")),
    ),
    "plans/people/owners/": Row(
        _url("plans:owner_list"), get=only(ADMINS, 200), post=signed_in(405)
    ),
    "plans/people/owners/<int:pk>/link/": Row(
        _url("plans:owner_link", lambda w: w.owner.pk),
        get=only(ADMINS, 200),
        post=only(ADMINS, 200),
        changes=ADMINS,
    ),
    "plans/people/owners/<int:pk>/unlink/": Row(
        _url("plans:owner_unlink", lambda w: w.owner.pk),
        get=signed_in(405),
        post=only(ADMINS, Redirect("/plans/people/owners/")),
        changes=ADMINS,
    ),
    "plans/people/owners/<int:pk>/merge/": Row(
        _url("plans:owner_merge", lambda w: w.owner.pk),
        get=only(ADMINS, 200),
        post=only(ADMINS, 200),
        changes=ADMINS,
    ),
    # --- Audits ---------------------------------------------------------------------------
    "audits/": Row(_url("audits:overview"), get=readers(), post=signed_in(405)),
    "audits/measures/<int:pk>/": Row(
        _url("audits:measure", lambda w: w.measure.pk), get=readers(), post=signed_in(405)
    ),
    "audits/measures/<int:pk>/samples/new/": Row(
        _url("audits:sample_new", lambda w: w.measure.pk),
        get=only(RECORDERS, 200),
        post=only(RECORDERS, 200),
        changes=RECORDERS,
    ),
    "audits/samples/<int:pk>/edit/": Row(
        _url("audits:sample_edit", lambda w: w.sample.pk),
        get=only(RECORDERS, 200),
        post=only(RECORDERS, 200),
        changes=RECORDERS,
    ),
    "audits/measures/<int:pk>/schedules/propose/": Row(
        _url("audits:schedule_propose", lambda w: w.measure.pk),
        get=only(RECORDERS, 200),
        post=signed_in(405),
    ),
    "audits/measures/<int:pk>/schedules/confirm/": Row(
        _url("audits:schedule_confirm", lambda w: w.measure.pk),
        get=signed_in(405),
        post=only(RECORDERS, 422),
        changes=RECORDERS,
    ),
    "audits/measures/<int:pk>/values/new/": Row(
        _url("audits:value_new", lambda w: w.measure.pk),
        get=only(RECORDERS, 200),
        post=only(RECORDERS, 200),
        changes=RECORDERS,
    ),
    "audits/measures/<int:pk>/targets/": Row(
        _url("audits:targets", lambda w: w.measure.pk),
        get=only(RECORDERS, 200),
        post=only(RECORDERS, 200),
        changes=RECORDERS,
    ),
    "audits/measures/<int:pk>/override/": Row(
        _url("audits:override", lambda w: w.measure.pk),
        get=only(RECORDERS, 200),
        post=only(RECORDERS, 200),
        changes=RECORDERS,
    ),
    # --- Committee reports ----------------------------------------------------------------
    "reports/": Row(_url("reporting:report_list"), get=readers(), post=signed_in(405)),
    "reports/new/<slug:slug>/": Row(
        _url("reporting:report_new", lambda w: w.plan.slug),
        get=only(REPORT_MANAGERS, 200),
        post=only(REPORT_MANAGERS, 200),
        changes=REPORT_MANAGERS,
    ),
    "reports/<int:pk>/": Row(
        _url("reporting:report", lambda w: w.report.pk), get=readers(), post=signed_in(405)
    ),
    "reports/<int:pk>/edit/": Row(
        _url("reporting:report_edit", lambda w: w.report.pk),
        get=only(REPORT_MANAGERS, 200),
        post=only(REPORT_MANAGERS, 200),
        changes=REPORT_MANAGERS,
    ),
    # An empty POST has no version: the manager is sent back to the report, unchanged.
    "reports/<int:pk>/approve/": Row(
        _url("reporting:report_approve", lambda w: w.report.pk),
        get=signed_in(405),
        post=only(REPORT_MANAGERS, Redirect("/reports/{report}/")),
    ),
    "reports/<int:pk>/to-draft/": Row(
        _url("reporting:report_to_draft", lambda w: w.report.pk),
        get=signed_in(405),
        post=only(REPORT_MANAGERS, Redirect("/reports/{report}/")),
    ),
    # Publishing: clerks and administrators of the plan's own organisation. An empty POST
    # lacks the confirmation (publish) or the reason (unpublish): back to the report.
    "reports/<int:pk>/publish/": Row(
        _url("reporting:report_publish", lambda w: w.report.pk),
        get=signed_in(405),
        post=only(REPORT_MANAGERS, Redirect("/reports/{report}/")),
    ),
    "reports/<int:pk>/unpublish/": Row(
        _url("reporting:report_unpublish", lambda w: w.published.pk),
        get=signed_in(405),
        post=only(REPORT_MANAGERS, Redirect("/reports/{published}/")),
    ),
    "reports/<int:pk>/render/": Row(
        _url("reporting:report_render", lambda w: w.report.pk),
        get=signed_in(405),
        post=only(REPORT_MANAGERS, Redirect("/reports/{report}/")),
        changes=REPORT_MANAGERS,
    ),
    "reports/<int:pk>/status/": Row(
        _url("reporting:report_status", lambda w: w.report.pk),
        get=readers(),
        post=signed_in(405),
    ),
    "reports/<int:pk>/preview/": Row(
        _url("reporting:report_preview", lambda w: w.report.pk),
        get=readers(),
        post=signed_in(405),
    ),
    "reports/renders/<int:pk>/download/": Row(
        _url("reporting:render_download", lambda w: w.render.pk),
        get=readers(),
        post=signed_in(405),
    ),
    "reports/renders/<int:pk>/download.docx": Row(
        _url("reporting:render_download_docx", lambda w: w.render.pk),
        get=readers(),
        post=signed_in(405),
    ),
    # An empty form is refused with its errors (400); nothing is listed.
    "reports/<int:pk>/appendices/": Row(
        _url("reporting:appendix_add", lambda w: w.report.pk),
        get=signed_in(405),
        post=only(REPORT_MANAGERS, 400),
    ),
    # The world's appendix A is generated: a manager is sent back with the reason.
    "reports/appendices/<int:pk>/delete/": Row(
        _url("reporting:appendix_delete", lambda w: w.report.appendix_entries.get(label="A").pk),
        get=signed_in(405),
        post=only(REPORT_MANAGERS, Redirect("/reports/{report}/")),
    ),
    # The dashboard checks the method before signing in: a POST is refused outright.
    "reports/dashboard/": Row(_url("board:dashboard"), get=readers(), post=everyone(405)),
    "reports/dashboard/recommendations/<int:pk>/": Row(
        _url("board:recommendation", lambda w: w.recommendation.pk),
        get=readers(),
        post=everyone(405),
    ),
    "reports/dashboard/owners/<int:pk>/": Row(
        _url("board:owner", lambda w: w.owner.pk),
        get=readers(),
        post=everyone(405),
    ),
    "reports/dashboard/lists/<slug:name>/": Row(
        lambda w: reverse("board:list", args=["overdue"]) + f"?plan={w.plan.slug}",
        get=readers(),
        post=everyone(405),
    ),
    "reports/dashboard/export/": Row(
        _url("board:export", query="table=plans&format=csv"),
        get=readers(),
        post=everyone(405),
    ),
    # --- The read-only API (session sign-in; keys in tests/api) ------------------------------
    **{
        route: Row(_url(name), get=api_readers(), post=API_WRITE)
        for route, name in [
            ("api/v1/", "api:root"),
            ("api/v1/schema/", "api:schema"),
            *((f"api/v1/{name}/", f"api:{name}") for name in RESOURCES),
        ]
    },
    "api/v1/docs/": Row(_url("api:docs"), get=readers(), post=signed_in(405)),
    "api/v1/reports/<int:pk>/pdf/": Row(
        _url("api:report_pdf", lambda w: w.report.pk), get=api_readers(), post=API_WRITE
    ),
    # --- Published reports: public, without sign-in -------------------------------------
    "published/": Row(_url("published:index"), get=everyone(200), post=everyone(405)),
    "published/<slug:plan_slug>/<slug:period>/": Row(
        _url("published:report", lambda w: w.plan.slug, lambda w: w.closed_period.pk),
        get=everyone(200),
        post=everyone(405),
    ),
    "published/<slug:plan_slug>/<slug:period>/report.pdf": Row(
        _url("published:pdf", lambda w: w.plan.slug, "q1-202425"),
        get=everyone(200),
        post=everyone(405),
    ),
}


def project_routes() -> set[str]:
    """Every URL pattern's full route, walked from the root resolver, except the admin
    (Django's staff check guards it: see `test_the_admin_lets_in_staff_only`)."""

    def walk(patterns, prefix: str = ""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    return {route for route in walk(get_resolver().url_patterns) if not route.startswith("admin/")}


def test_every_url_pattern_is_in_the_matrix():
    routes = project_routes()
    missing = sorted(routes - set(MATRIX))
    assert not missing, (
        "These URLs have no row in the permission matrix; add one saying what each role "
        f"gets: {missing}"
    )
    gone = sorted(set(MATRIX) - routes)
    assert not gone, f"The matrix has rows for URLs that no longer exist: {gone}"


def every_row_lists_every_role():
    return [
        key
        for key, row in MATRIX.items()
        if set(row.get) != set(ROLES) or set(row.post) != set(ROLES)
    ]


def test_every_row_says_what_every_role_gets():
    assert every_row_lists_every_role() == []


def check(response, expected: Expected, *, url: str, world: World, role: str, method: str):
    where = f"{method} {url} as {role}"
    if expected == LOGIN:
        assert response.status_code == 302, f"{where}: {response.status_code}"
        assert response["Location"].startswith(reverse("login") + "?next="), where
    elif isinstance(expected, Redirect):
        assert response.status_code == 302, f"{where}: {response.status_code}"
        path = expected.path.format(
            report=world.report.pk,
            published=world.published.pk,
            director=world.users["director"].pk,
        )
        assert response["Location"].split("?")[0].split("#")[0] == path, where
    else:
        assert response.status_code == expected, f"{where}: {response.status_code}"


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_each_role_gets_what_the_matrix_says(route, world):
    row = MATRIX[route]
    url = row.url(world)
    assert resolve(url.split("?")[0]).route == route, f"{url} is not the URL of {route!r}"
    clients = clients_for(world)

    before = world.fingerprint
    for role in ROLES:
        response = clients[role].get(url)
        check(response, row.get[role], url=url, world=world, role=role, method="GET")
    assert data_fingerprint() == before, f"a GET of {url} changed data"

    refused = [role for role in ROLES if role not in row.changes]
    for role in refused:
        response = clients[role].post(url, {})
        check(response, row.post[role], url=url, world=world, role=role, method="POST")
    assert data_fingerprint() == before, f"a refused POST to {url} changed data"
    for role in row.changes:
        response = clients[role].post(url, {})
        check(response, row.post[role], url=url, world=world, role=role, method="POST")


@pytest.mark.parametrize("role", ["director", "qa_lead", "clerk", "board_member", "no_role"])
def test_the_admin_sends_everyone_but_staff_to_its_sign_in(world, role):
    client = Client()
    client.force_login(world.users[role])
    for url in ("/admin/", f"/admin/plans/action/{world.action.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/?next="), url


def test_the_admin_lets_in_staff_only(world):
    staff = Client()
    staff.force_login(world.users["plan_admin"])
    assert staff.get("/admin/").status_code == 200
    assert Client().get("/admin/").status_code == 302


# --- Officers of other organisations --------------------------------------------------
# The routes whose URL names something of the council's: its plan, a record in it, or one
# of its people or posts. For an officer of another organisation (OUTSIDERS: both plan
# administrators where they work) it is not there: 404, whatever their role. Every other
# route answers them as it answers the council's plan administrator, with nothing of the
# council's on it (checked by the tests after this one).
COUNCILS_OWN = {
    "plans/<slug:slug>/",
    "plans/<slug:slug>/positions.xlsx",
    "plans/<slug:slug>/periods/",
    "plans/<slug:slug>/export/",
    "plans/recommendations/<int:pk>/",
    "plans/actions/<int:pk>/",
    "plans/actions/<int:pk>/update/",
    "plans/evidence/<int:pk>/download/",
    "plans/ratings/<int:pk>/confirm/",
    "plans/ratings/<int:pk>/return/",
    "plans/periods/<int:pk>/close/",
    "plans/periods/<int:pk>/reopen/",
    "plans/people/<int:pk>/",
    "plans/people/<int:pk>/roles/",
    "plans/people/<int:pk>/invite-again/",
    "plans/people/<int:pk>/two-step-reset/",
    "plans/people/owners/<int:pk>/link/",
    "plans/people/owners/<int:pk>/unlink/",
    "plans/people/owners/<int:pk>/merge/",
    "audits/measures/<int:pk>/",
    "audits/measures/<int:pk>/samples/new/",
    "audits/samples/<int:pk>/edit/",
    "audits/measures/<int:pk>/schedules/propose/",
    "audits/measures/<int:pk>/schedules/confirm/",
    "audits/measures/<int:pk>/values/new/",
    "audits/measures/<int:pk>/targets/",
    "audits/measures/<int:pk>/override/",
    "reports/new/<slug:slug>/",
    "reports/<int:pk>/",
    "reports/<int:pk>/edit/",
    "reports/<int:pk>/approve/",
    "reports/<int:pk>/to-draft/",
    "reports/<int:pk>/publish/",
    "reports/<int:pk>/unpublish/",
    "reports/<int:pk>/render/",
    "reports/<int:pk>/status/",
    "reports/<int:pk>/preview/",
    "reports/renders/<int:pk>/download/",
    "reports/renders/<int:pk>/download.docx",
    "reports/<int:pk>/appendices/",
    "reports/appendices/<int:pk>/delete/",
    "reports/dashboard/recommendations/<int:pk>/",
    "reports/dashboard/owners/<int:pk>/",
    # A list needs a plan the reader sees: another organisation's is not found.
    "reports/dashboard/lists/<slug:name>/",
    "api/v1/reports/<int:pk>/pdf/",
}


def test_the_councils_own_routes_are_routes():
    assert sorted(COUNCILS_OWN - set(MATRIX)) == []


def outsider_expects(route: str, method: str) -> Expected:
    row = MATRIX[route]
    as_admin = (row.get if method == "GET" else row.post)["plan_admin"]
    if as_admin == 405:  # the method is refused before anything is looked up
        return 405
    return 404 if route in COUNCILS_OWN else as_admin


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_officers_of_other_organisations_get_nothing_of_the_councils(route, world):
    row = MATRIX[route]
    url = row.url(world)
    may_change = "plan_admin" in row.changes and route not in COUNCILS_OWN
    for who in OUTSIDERS:
        for method in ("GET", "POST"):
            client = Client()
            client.force_login(world.users[who])
            before = data_fingerprint()
            response = client.get(url) if method == "GET" else client.post(url, {})
            check(
                response,
                outsider_expects(route, method),
                url=url,
                world=world,
                role=who,
                method=method,
            )
            if not may_change:
                assert data_fingerprint() == before, f"{method} {url} as {who} changed data"

"""The data version (improvement.db) and the page cache built on it
(improvement.pagecache): the version moves with every committed change to the data and
with nothing else, and a cached page is never older than the data."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from improvement import db as data_db
from improvement import pagecache
from plans import services
from plans.models import Action, DataVersion, Rating
from tests import factories
from tests.reporting.test_dashboard import build_board_plan


@pytest.mark.parametrize(
    ("sql", "changes"),
    [
        ('INSERT INTO "plans_rating" ("plan_id") VALUES (%s)', True),
        ('UPDATE "plans_action" SET "status" = %s', True),
        ('DELETE FROM "audits_dipsample" WHERE "id" IN (%s)', True),
        ('INSERT OR IGNORE INTO "plans_action_owners" ("action_id") VALUES (%s)', True),
        ('  update "auth_user" set "last_login" = %s', True),
        ('UPDATE "auth_user" SET "last_login" = %s WHERE "auth_user"."id" = %s', False),
        (
            'UPDATE "auth_user" SET "last_login" = %s, "email" = %s WHERE "auth_user"."id" = %s',
            True,
        ),
        ('SELECT "plans_rating"."id" FROM "plans_rating"', False),
        ('UPDATE "django_session" SET "expire_date" = %s', False),
        ('INSERT INTO "axes_accessattempt" ("username") VALUES (%s)', False),
        ('UPDATE "reporting_reportrender" SET "state" = %s', False),
        ('UPDATE "plans_dataversion" SET "value" = 2', False),
    ],
)
def test_which_statements_change_the_data(sql, changes):
    assert data_db.changes_data(sql) is changes


def test_the_backend_writes_the_models_table():
    assert DataVersion._meta.db_table == data_db.VERSION_TABLE
    assert all(f'"{DataVersion._meta.db_table}"' in sql for sql in data_db.BUMP_SQL.values())


# Real commits: these tests run outside Django's per-test transaction.
committed = pytest.mark.django_db(transaction=True)


@committed
def test_a_committed_change_moves_the_version_and_reading_does_not(plan_admin):
    plan = factories.PlanFactory()
    before = connection.data_version()
    list(Action.objects.all())
    assert connection.data_version() == before
    factories.RecommendationFactory(plan=plan)
    assert connection.data_version() != before


@committed
def test_the_version_moves_at_commit_not_before(plan_admin):
    plan = factories.PlanFactory()
    before = connection.data_version()
    with transaction.atomic():
        factories.RecommendationFactory(plan=plan)
        Action.objects.update(status=Action.Status.OPEN)
        assert connection.data_version() == before
    after = connection.data_version()
    assert after != before
    assert after.split(":")[0] == before.split(":")[0]  # same epoch, one commit on
    assert int(after.split(":")[1]) == int(before.split(":")[1]) + 1


@committed
def test_a_rolled_back_change_leaves_the_version(plan_admin):
    plan = factories.PlanFactory()
    before = connection.data_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.RecommendationFactory(plan=plan)
        raise RuntimeError("abandon")
    assert connection.data_version() == before


@committed
def test_bulk_writes_and_updates_outside_a_transaction_move_the_version(plan_admin):
    plan = factories.PlanFactory()
    rec = factories.RecommendationFactory(plan=plan)
    before = connection.data_version()
    Action.objects.bulk_create(
        [Action(plan=plan, recommendation=rec, ref=f"1.{n}", text="x") for n in range(3)]
    )
    middle = connection.data_version()
    assert middle != before
    Action.objects.filter(plan=plan).update(text="y")
    assert connection.data_version() != middle


@committed
def test_signing_in_does_not_empty_the_cache(client, board_member):
    before = connection.data_version()
    with CaptureQueriesContext(connection) as queries:
        client.force_login(board_member)  # also writes the user's last login
    assert any('"last_login"' in q["sql"] for q in queries.captured_queries)
    assert connection.data_version() == before
    session = Session.objects.get()
    session.save()
    assert connection.data_version() == before


# The dashboard through the cache -------------------------------------------------------


@pytest.fixture
def board_url(client, plan_admin, board_member):
    """The dashboard of a small plan, with a board member signed in."""
    built = build_board_plan(plan_admin)
    client.force_login(board_member)
    return reverse("reporting:dashboard") + f"?plan={built['plan'].slug}"


def _body(response) -> str:
    return _body_of(response.content.decode())


def _body_of(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def _fresh(client, settings, url: str) -> str:
    """The page built from the data, the cache turned off."""
    seconds = settings.PAGE_CACHE_SECONDS
    settings.PAGE_CACHE_SECONDS = 0
    try:
        return _body(client.get(url))
    finally:
        settings.PAGE_CACHE_SECONDS = seconds


PAGES = {
    "dashboard": lambda built: reverse("reporting:dashboard") + f"?plan={built['plan'].slug}",
    "recommendation": lambda built: reverse(
        "reporting:dashboard_recommendation", args=[built["recs"][0].pk]
    ),
    "owner": lambda built: reverse("reporting:dashboard_owner", args=[built["owner"].pk]),
    "plan page": lambda built: reverse("plans:plan", args=[built["plan"].slug]),
}


@committed
@pytest.mark.parametrize("page", PAGES)
def test_a_recorded_rating_shows_at_once(
    client, settings, plan_admin, board_member, director, page
):
    built = build_board_plan(plan_admin)
    url = PAGES[page](built)
    client.force_login(board_member)
    first = _body(client.get(url))
    assert first == _body(client.get(url))  # from the cache
    assert first == _fresh(client, settings, url)

    # A rating recorded through the service, in its own commit (confirmed at once: this
    # plan asks for no sign-off).
    action = Action.objects.get(plan=built["plan"], ref="1.1")
    rating = services.rating_record(item=action, rag="blue", user=director)
    assert rating.status == Rating.Status.CONFIRMED
    after = _body(client.get(url))
    assert after == _fresh(client, settings, url)
    assert after != first


@committed
def test_a_cached_dashboard_costs_the_role_check_and_the_version(client, board_url):
    url = board_url
    client.get(url)
    with CaptureQueriesContext(connection) as cached:
        client.get(url)
    with CaptureQueriesContext(connection) as trivial:
        client.get(reverse("password_change"))
    # Beyond the session, user and roles (the header's navigation) a trivial page
    # reads: the filters looked up (the plan and its periods) and the data's version.
    assert len(cached) == len(trivial) + 3
    assert any("plans_dataversion" in q["sql"] for q in cached.captured_queries)


@committed
def test_readers_share_the_content_but_not_their_own_parts(client, board_url, director):
    url = board_url
    board_page = client.get(url).content.decode()
    client.force_login(director)
    director_page = client.get(url).content.decode()
    assert _body_of(director_page) == _body_of(board_page)
    tokens = {
        re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        for page in (board_page, director_page)
    }
    assert len(tokens) == 2  # each reader's own sign-out form


@committed
def test_a_new_day_builds_the_page_again(client, board_url, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    url = board_url
    client.get(url)
    calls = []
    real = pagecache.cached

    def counting(name, parts, build):
        return real(name, parts, lambda: calls.append(name) or build())

    monkeypatch.setattr(pagecache, "cached", counting)
    client.get(url)
    assert calls == []
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args: tomorrow)
    client.get(url)
    assert calls == ["dashboard"]


@committed
def test_a_failing_cache_still_serves_the_page(client, board_url, monkeypatch):
    url = board_url

    def down(*args, **kwargs):
        raise ConnectionError("cache server gone")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    response = client.get(url)
    assert response.status_code == 200
    assert escape("Children's services plan") in response.content.decode()


def test_a_change_to_a_template_or_module_is_a_new_key(settings, tmp_path):
    (tmp_path / "templates").mkdir()
    template = tmp_path / "templates" / "page.html"
    template.write_text("<p>{{ figure }}</p>")
    (tmp_path / "reporting").mkdir()
    (tmp_path / "reporting" / "views.py").write_text("FIGURE = 1\n")
    settings.BASE_DIR = tmp_path
    pagecache.code_fingerprint.cache_clear()
    try:
        before = pagecache.code_fingerprint()
        assert pagecache.code_fingerprint() == before
        template.write_text("<p>{{ figure|floatformat }}</p>")
        pagecache.code_fingerprint.cache_clear()
        after_template = pagecache.code_fingerprint()
        (tmp_path / "reporting" / "views.py").write_text("FIGURE = 2\n")
        pagecache.code_fingerprint.cache_clear()
        after_module = pagecache.code_fingerprint()
    finally:
        pagecache.code_fingerprint.cache_clear()
    assert len({before, after_template, after_module}) == 3


@committed
def test_made_up_links_do_not_fill_the_cache(client, board_url, monkeypatch):
    built_plan = board_url.split("plan=")[1]
    calls = []
    real = pagecache.cached

    def counting(name, parts, build):
        return real(name, parts, lambda: calls.append(name) or build())

    monkeypatch.setattr(pagecache, "cached", counting)
    dashboard = reverse("reporting:dashboard")
    for junk in ("nothing", "12345", "x" * 40):
        assert client.get(dashboard, {"plan": junk, "period": junk}).status_code == 200
        query = {"plan": built_plan, "owner": junk, "recommendation": "99999"}
        assert client.get(dashboard, query).status_code == 200
        page = client.get(reverse("plans:plan", args=[built_plan]), {"page": "9" * 12, "x": junk})
        assert page.status_code == 200
    # A made-up value is the page without it: each page is built once.
    assert sorted(calls) == ["dashboard", "dashboard", "plan-grid", "plan-grid-pages"]

"""Shared fixtures: users in each role, a small plan with an open period."""

import datetime as dt
import os
import time
import uuid

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.db import connection

from improvement.celery import app as celery_app
from plans import roles
from tests import factories


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, a test database in a file of this run's own instead of in memory.

    Django's in-memory test database is shared between threads through SQLite's shared
    cache, whose table locks fail at once with "database table is locked" (the busy
    timeout does not apply to them): a Celery worker thread writing while the test reads
    failed at random. A file gets WAL and the busy timeout, as the embedded default has.
    One file per run, so that runs side by side on this machine never share it."""
    from django.db import connections

    for alias in connections:
        settings_dict = connections[alias].settings_dict
        if settings_dict["ENGINE"].endswith("sqlite3"):
            folder = tmp_path_factory.mktemp(f"sqlite-{alias}")
            settings_dict["TEST"]["NAME"] = str(folder / "test.sqlite3")


@pytest.fixture(scope="session", autouse=True)
def _serialized_rollback_after_any_flush():
    """Let a test with serialized rollback follow a transactional test without it.

    The flush that ends a transactional test without serialized rollback runs
    post_migrate, which makes the content types and permissions again with new ids;
    restoring the serialized database on top of them then failed on their unique keys
    ("duplicate key ... django_content_type"), so such a test passed or failed by what
    ran before it. The serialized data holds every content type and permission: remove
    the remade ones first."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.db.backends.base.creation import BaseDatabaseCreation

    original = BaseDatabaseCreation.deserialize_db_from_string

    def deserialize(self, data):
        alias = self.connection.alias
        with transaction.atomic(using=alias):
            Permission.objects.using(alias).all().delete()
            ContentType.objects.using(alias).all().delete()
        ContentType.objects.clear_cache()
        original(self, data)

    BaseDatabaseCreation.deserialize_db_from_string = deserialize
    yield
    BaseDatabaseCreation.deserialize_db_from_string = original


@pytest.fixture(autouse=True)
def _empty_caches():
    """Each test starts with empty caches, as a new process does: the throttles' counts
    (improvement.accounts) and the daily jobs' marker (plans.middleware)."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def _role_groups(request):
    """Role groups come from a data migration; a transactional test's flush deletes
    them, which would break every database test that runs after it. Recreate them
    (with the migration's own function) when a database test finds them missing."""
    if request.node.get_closest_marker("django_db") is None and not (
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    ):
        return
    if getattr(request.node, "cls", None) is not None:
        return  # unittest-style TestCase classes set up their own data
    marker = request.node.get_closest_marker("django_db")
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction")
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    ensure_role_groups()


def ensure_role_groups() -> None:
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    if Group.objects.filter(name__in=roles.ALL_ROLES).count() < len(roles.ALL_ROLES):
        importlib.import_module("plans.migrations.0002_roles").create_roles(apps, None)


@pytest.fixture
def eager():
    """Run queued tasks in-process here, even where a broker is configured."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


@pytest.fixture(autouse=True)
def _no_daily_jobs_in_requests(settings):
    """Tests set up periods whose end has passed; the embedded default would close them
    at the first request (plans.middleware), so only its own tests turn it on."""
    settings.SCHEDULE_IN_WEB = False


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


REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def celery_worker_app():
    """A real Celery worker for the project app, running in a thread of this process and
    connected to Redis (REDIS_TEST_URL, default redis://127.0.0.1:6379/15).

    Yields `improvement.celery.app` with `task_always_eager` off, so `task.delay()` goes
    through the broker to the worker, on a queue of this test's own: other test runs on
    the machine share the Redis database, and their workers must not take our tasks. The
    app's configuration is restored afterwards (eager mode is the default when
    CELERY_BROKER_URL is empty). Skips the test, saying why, if Redis cannot be reached.
    The worker closes its database connections after each task.

    Use it with `@pytest.mark.django_db(transaction=True)`, so that the worker's thread
    sees the rows the test wrote, and mark the test `@pytest.mark.celery_worker`. The
    worker knows only the tasks registered on the app: import the tasks module under
    test. Results are not stored (task_ignore_result), so wait on the database with
    `wait_for(lambda: ...)` below, or count finished tasks with `task_postrun`.
    """
    from celery.signals import task_postrun
    from django.db import connections

    from improvement.celery import app

    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as error:
        pytest.skip(f"needs Redis at {REDIS_TEST_URL} for a real Celery worker: {error}")
    changes = {
        "broker_url": REDIS_TEST_URL,
        "task_always_eager": False,
        "worker_hijack_root_logger": False,
        "task_default_queue": f"test-{uuid.uuid4().hex[:12]}",
    }
    saved = {key: app.conf[key] for key in changes}

    def close_connections(**kwargs):
        connections.close_all()

    def forget_broker():
        # Kombu caches connection pools, queues and the router with the settings they
        # were first made for.
        app._pool = None
        app.amqp._producer_pool = None
        for cached in ("queues", "default_queue", "router"):
            app.amqp.__dict__.pop(cached, None)

    app.conf.update(changes)
    forget_broker()
    task_postrun.connect(close_connections, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield app
    finally:
        task_postrun.disconnect(close_connections)
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(changes["task_default_queue"])
        app.conf.update(saved)
        forget_broker()


def wait_for(condition, *, timeout: float = 20.0, interval: float = 0.1) -> bool:
    """Poll `condition()` until it is true or `timeout` seconds pass; return the last result."""
    deadline = time.monotonic() + timeout
    while not (result := condition()) and time.monotonic() < deadline:
        time.sleep(interval)
    return bool(result)

"""psycopg's C loader for PostgreSQL time stamps (core.pg_timestamps): the same values as
Django's own loader, and Django's loader left in place whenever a condition is not met."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import DataError, connection
from psycopg.pq import Format
from psycopg.types.datetime import TimestamptzLoader

from core import pg_timestamps
from tests.conftest import requires_postgres

UTC = datetime.UTC

LITERALS = [
    "2024-03-31 01:30:00.123456+00",
    "2024-07-01 23:30:00+01",  # a summer evening in London: 22:30 UTC
    "2024-10-27 01:59:59.999999+00",
    "1900-01-01 00:00:00+00",
    "1969-12-31 23:59:59.5+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2026-12-07 12:00:00-11:30",
]


def _read(cursor, literals):
    sql = " UNION ALL ".join("SELECT %s::timestamptz" for _ in literals) + " UNION ALL SELECT NULL"
    cursor.execute(sql, literals)
    return [row[0] for row in cursor.fetchall()]


@requires_postgres
@pytest.mark.django_db
def test_postgres_connections_read_time_stamps_with_the_c_loader():
    connection.ensure_connection()
    oid = pg_timestamps.TIMESTAMPTZ_OID
    registered = connection.connection.adapters.get_loader(oid, Format.TEXT)
    assert registered is pg_timestamps.UtcTimestamptzLoader
    assert pg_timestamps.why_not(connection) == ""
    with connection.cursor() as cursor:
        # Django's create_cursor found nothing to replace on the cursor.
        assert cursor.cursor.adapters.get_loader(oid, Format.TEXT) is registered


@requires_postgres
@pytest.mark.django_db
def test_values_and_errors_are_those_of_djangos_own_loader():
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    with connection.cursor() as cursor:
        ours = _read(cursor, LITERALS)
    with connection.cursor() as cursor:
        register_tzloader(UTC, cursor.cursor)
        djangos_loader = cursor.cursor.adapters.get_loader(
            pg_timestamps.TIMESTAMPTZ_OID, Format.TEXT
        )
        assert issubclass(djangos_loader, TimestamptzLoader)
        djangos = _read(cursor, LITERALS)
    assert ours == djangos
    assert ours[1] == datetime.datetime(2024, 7, 1, 22, 30, tzinfo=UTC)
    assert ours[-1] is None
    assert all(value.tzinfo is UTC for value in ours[:-1])
    assert [value.isoformat() for value in ours[:-1]] == [
        value.isoformat() for value in djangos[:-1]
    ]

    # A value Python cannot hold fails the same way with both.
    for register in (False, True):
        with connection.cursor() as cursor:
            if register:
                register_tzloader(UTC, cursor.cursor)
            with pytest.raises(DataError, match="too large"):
                _read(cursor, ["infinity"])


@pytest.mark.django_db
def test_a_saved_time_stamp_comes_back_unchanged(django_user_model):
    joined = datetime.datetime(2024, 3, 31, 1, 30, 15, 123456, tzinfo=UTC)
    user = django_user_model.objects.create_user("clerk", date_joined=joined)
    user.refresh_from_db()
    assert user.date_joined == joined
    assert user.date_joined.tzinfo is UTC or connection.vendor != "postgresql"


# Each condition left unmet keeps Django's loader -------------------------------------


@pytest.fixture(autouse=True)
def _own_left_off(monkeypatch):
    monkeypatch.setattr(pg_timestamps, "LEFT_OFF", "")


class _Adapters:
    def __init__(self, loader):
        self.loader = loader
        self.registered = []

    def get_loader(self, oid, fmt):
        return self.loader

    def register_loader(self, oid, loader):
        self.registered.append(loader)


def _djangos_loader():
    return type("SpecificTzLoader", (), {"timezone": UTC})


def _fake(vendor="postgresql", timezone=UTC, loader=None, session_zone="UTC"):
    raw = SimpleNamespace(
        adapters=_Adapters(loader or _djangos_loader()),
        info=SimpleNamespace(parameter_status=lambda name: session_zone),
    )
    return SimpleNamespace(vendor=vendor, timezone=timezone, connection=raw)


@pytest.mark.parametrize(
    ("fake", "reason"),
    [
        (_fake(vendor="sqlite"), "not PostgreSQL"),
        (_fake(timezone=datetime.timezone(datetime.timedelta(hours=1))), "in UTC"),
        (_fake(loader=type("Other", (), {})), "not as written against"),
        (_fake(session_zone="Europe/London"), "TimeZone is not UTC"),
        (SimpleNamespace(vendor="postgresql", timezone=UTC, connection=object()), "psycopg 3"),
    ],
)
def test_each_unmet_condition_keeps_djangos_loader(fake, reason):
    pg_timestamps.use_c_loader(connection=fake)
    assert reason in pg_timestamps.LEFT_OFF
    if hasattr(fake.connection, "adapters"):
        assert fake.connection.adapters.registered == []


def test_without_psycopgs_c_build_djangos_loader_stays(monkeypatch):
    monkeypatch.setattr(pg_timestamps, "C_LOADER", None)
    fake = _fake()
    pg_timestamps.use_c_loader(connection=fake)
    assert pg_timestamps.LEFT_OFF == "psycopg's C build is not installed"
    assert fake.connection.adapters.registered == []


def test_with_every_condition_met_the_c_loader_is_registered(settings):
    settings.USE_TZ = True
    fake = _fake()
    pg_timestamps.use_c_loader(connection=fake)
    assert pg_timestamps.LEFT_OFF == ""
    (loader,) = fake.connection.adapters.registered
    assert loader.timezone is UTC
    # The C loader itself reads the value (psycopg's optimised class, not its Python one).
    instance = loader(pg_timestamps.TIMESTAMPTZ_OID)
    assert type(instance.load.__self__) is not TimestamptzLoader
    assert instance.load(b"2024-03-31 01:30:00+00") == datetime.datetime(
        2024, 3, 31, 1, 30, tzinfo=UTC
    )

"""PostgreSQL time stamps read by psycopg's C loader instead of Django's Python one.

Django registers its own loader for ``timestamptz`` on every PostgreSQL connection
(``django.db.backends.postgresql.psycopg_any.BaseTzLoader``). It subclasses psycopg's
pure-Python loader, so with psycopg's C build installed every time stamp is still parsed
in Python (Django ticket #36960): 20,000 values took 80–100 ms to read here, against
18 ms with the C loader, the query included.

Django's loader parses the value and then labels it with the connection's time zone.
When Django has set the session's ``TimeZone`` to UTC and wants UTC (``USE_TZ = True``
and no per-database ``TIME_ZONE``: our settings), psycopg's C loader returns the very
same value, already labelled ``datetime.timezone.utc``. :func:`use_c_loader` then
registers the C loader on the connection, wrapped in a small class that carries the
``timezone`` attribute Django's ``create_cursor`` compares before it would register its
own loader on each cursor.

This is the only place that knows about it. It is applied defensively: with Django's
contract not as written against (Django 5.2), psycopg's pure-Python build, another time
zone or another database, nothing is changed and Django's loader stays. ``LEFT_OFF``
says why it was left off the last connection ("" when it was used).
``tests/core/test_pg_timestamps.py`` checks that the values read are the same as Django's
loader reads, and that each of the conditions leaves Django's loader in place.
"""

from __future__ import annotations

import datetime

import psycopg
from django.conf import settings
from django.db.backends.signals import connection_created
from psycopg.adapt import Loader
from psycopg.pq import Format
from psycopg.types.datetime import TimestamptzLoader

TIMESTAMPTZ_OID = psycopg.postgres.types["timestamptz"].oid
_UTC = datetime.UTC

# Why the C loader was left off the last connection it was offered ("" when it was used).
LEFT_OFF = ""


def _c_loader_class():
    """psycopg's optimised text loader for timestamptz, or None (pure-Python build)."""
    loader = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    if loader is None or issubclass(loader, TimestamptzLoader):
        return None
    return loader


C_LOADER = _c_loader_class()


class UtcTimestamptzLoader(Loader):
    """psycopg's C loader (``C_LOADER``), with the ``timezone`` Django's ``create_cursor``
    reads."""

    timezone = _UTC

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        # psycopg calls ``loader.load`` for each value: the C loader's own bound method,
        # with no Python frame in between.
        self.load = C_LOADER(oid, context).load

    def load(self, data):  # replaced per instance in __init__; here for the ABC
        raise NotImplementedError


def why_not(connection) -> str:
    """Why the C loader cannot be used on this Django connection ("" when it can)."""
    if connection.vendor != "postgresql":
        return "not PostgreSQL"
    if not settings.USE_TZ or connection.timezone is not _UTC:
        return "Django does not read time stamps in UTC on this connection"
    raw = connection.connection
    if not hasattr(raw, "adapters"):
        return "not psycopg 3"
    current = raw.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    if getattr(current, "timezone", None) is not _UTC:
        return "Django's loader for timestamptz is not as written against (Django 5.2)"
    if raw.info.parameter_status("TimeZone") != "UTC":
        return "the session's TimeZone is not UTC"
    if C_LOADER is None:
        return "psycopg's C build is not installed"
    return ""


def use_c_loader(sender=None, connection=None, **kwargs) -> None:
    """``connection_created`` receiver: register the C loader when it reads the same."""
    global LEFT_OFF
    LEFT_OFF = why_not(connection)
    if not LEFT_OFF:
        connection.connection.adapters.register_loader(TIMESTAMPTZ_OID, UtcTimestamptzLoader)


def connect() -> None:
    """Apply to every new database connection (called once from ``CoreConfig.ready``)."""
    connection_created.connect(use_c_loader, dispatch_uid="core.pg_timestamps")

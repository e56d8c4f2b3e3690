"""A throwaway database for a benchmark: a temporary SQLite file, or, when DATABASE_URL
names PostgreSQL, a database of the benchmark's own on the same server; created,
migrated, and removed afterwards whatever happens.

    from scratch import scratch_database

    with scratch_database("improvement_api_bench", prefix="api-bench-") as vendor:
        ...  # Django is set up on the new database; vendor is "postgresql" or "sqlite"
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _drop(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def scratch_database(
    name: str, *, prefix: str, environ: dict[str, str] | None = None
) -> Iterator[str]:
    """Point Django at a new database called `name` (PostgreSQL) or a SQLite file in a
    temporary folder named from `prefix`, set the `environ` variables, set Django up
    with DEBUG off (it would keep every query in memory; production runs without it),
    migrate, and yield the database's vendor. Dropped or deleted on the way out."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "improvement.settings")
    url = os.environ.get("DATABASE_URL", "")
    server = folder = None
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        server = url.rsplit("/", 1)[0]
        _drop(server, name)
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = f"{server}/{name}"
    else:
        folder = Path(tempfile.mkdtemp(prefix=prefix))
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.update(environ or {})
    try:
        import django
        from django.core.management import call_command

        django.setup()
        from django.conf import settings
        from django.db import connection

        settings.DEBUG = False
        call_command("migrate", verbosity=0)
        yield connection.vendor
    finally:
        _remove(server, name, folder)


def _remove(server: str | None, name: str, folder: Path | None) -> None:
    from django.apps import apps
    from django.db import connections

    if apps.ready:  # else Django never opened a connection
        connections.close_all()
    if server is not None:
        _drop(server, name)
    if folder is not None:
        for leftover in folder.iterdir():
            leftover.unlink()
        folder.rmdir()

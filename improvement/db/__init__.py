"""Database backends that count committed changes to the product's data.

`DataVersionMixin` is mixed into Django's PostgreSQL and SQLite backends
(`improvement.db.backends.*`, chosen by the settings from DATABASE_URL). It watches
every statement the connection runs; when a transaction that inserted, updated or
deleted rows of the product's tables commits, it first moves `plans.DataVersion` on,
as the transaction's last statement. So:

- the version changes in the same commit as the data: a reader who sees the new
  version sees the new data, and a crash between them cannot happen;
- concurrent writers update the one row in the order they commit (the row lock is
  taken at commit, after every other lock, so it adds no deadlock), so the version a
  reader sees always covers every commit before it;
- a rolled-back transaction changes nothing;
- a write outside a transaction (autocommit) moves the version right after it.

Bulk inserts, `QuerySet.update()`, raw SQL, the admin, imports and Celery tasks all go
through the connection, so nothing that changes data is missed, which signals on
`save()` could not promise. Writes to bookkeeping tables that no page shows (sessions,
login throttling, the admin log, report render jobs) are left out, and so is the one
statement Django runs at each sign-in to note the user's last login (no page shows it),
so that signing in or a report rendering does not empty the page cache.

Under Django's TestCase nothing commits: each test runs in a transaction that is rolled
back. There the version moves at each write, so tests see the version move as
production would.
"""

from __future__ import annotations

import re

VERSION_TABLE = "plans_dataversion"

# Tables whose changes no cached page reads.
IGNORED = re.compile(
    r"^(django_session|django_admin_log|axes_\w+|reporting_reportrender|" + VERSION_TABLE + r")$"
)
# `django.contrib.auth.models.update_last_login`: `save(update_fields=["last_login"])`.
# Only this statement, whole; any other change to a user still counts.
LAST_LOGIN = re.compile(
    r'^\s*UPDATE\s+"auth_user"\s+SET\s+"last_login"\s*=\s*%s\s+'
    r'WHERE\s+"auth_user"\."id"\s*=\s*%s\s*$',
    re.IGNORECASE,
)
WRITE = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(\w+)"?',
    re.IGNORECASE,
)

# The table is named in full (plans.DataVersion's, checked by a test): these run below
# the ORM, on the driver's own cursor, at commit.
BUMP_SQL = {
    "postgresql": (
        'INSERT INTO "plans_dataversion" ("id", "value", "epoch") '
        "VALUES (1, 1, md5(random()::text || clock_timestamp()::text)) "
        'ON CONFLICT ("id") DO UPDATE SET "value" = "plans_dataversion"."value" + 1'
    ),
    "sqlite": (
        'INSERT INTO "plans_dataversion" ("id", "value", "epoch") '
        "VALUES (1, 1, lower(hex(randomblob(16)))) "
        'ON CONFLICT ("id") DO UPDATE SET "value" = "value" + 1'
    ),
}
READ_SQL = 'SELECT "epoch", "value" FROM "plans_dataversion" WHERE "id" = 1'
EXISTS_SQL = {
    "postgresql": "SELECT to_regclass('plans_dataversion') IS NOT NULL",
    "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
    "AND name = 'plans_dataversion'",
}


def changes_data(sql: str) -> bool:
    """Does the statement insert, update or delete rows of a table pages are built from?"""
    match = WRITE.match(sql)
    return match is not None and not IGNORED.match(match.group(1)) and not LAST_LOGIN.match(sql)


class DataVersionMixin:
    """See the module docstring. Mixed in before Django's `DatabaseWrapper`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.data_written = False
        self._version_table_exists = False
        # First, so that wrappers pushed by `execute_wrapper()` (query counting in
        # tests, say) see the statements as they are.
        self.execute_wrappers.insert(0, self._watch_writes)

    # --- Watching statements ---------------------------------------------------------

    def _watch_writes(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if isinstance(sql, str) and changes_data(sql):
            if self.get_autocommit():
                self._bump()  # the statement has committed already
            elif self._only_test_transaction():
                self._bump()
            else:
                self.data_written = True
        return result

    def _only_test_transaction(self) -> bool:
        """Inside the transaction Django's TestCase wraps each test in, which never
        commits. A write there moves the version at once: the test's own blocks
        (`save()`'s, say) are not always savepoints, so their end cannot be seen."""
        blocks = self.atomic_blocks
        return bool(blocks) and getattr(blocks[0], "_from_testcase", False)

    # --- Committing ------------------------------------------------------------------

    def _commit(self):
        if self.data_written and self.connection is not None:
            self._bump()
        self.data_written = False
        return super()._commit()

    def _rollback(self):
        self.data_written = False
        return super()._rollback()

    def connect(self):
        super().connect()
        self.data_written = False
        self._version_table_exists = False  # a test run connects to another database

    def _bump(self) -> None:
        with self.wrap_database_errors:
            cursor = self.connection.cursor()
            try:
                if not self._version_table_exists:
                    # Before the migration that makes the table there is nothing to move.
                    cursor.execute(EXISTS_SQL[self.vendor])
                    self._version_table_exists = bool(cursor.fetchone()[0])
                    if not self._version_table_exists:
                        return
                cursor.execute(BUMP_SQL[self.vendor])
            finally:
                cursor.close()

    # --- Reading ---------------------------------------------------------------------

    def data_version(self) -> str:
        """The version now: "<epoch>:<count>", or "0" before any change."""
        with self.cursor() as cursor:
            cursor.execute(READ_SQL)
            row = cursor.fetchone()
        return f"{row[0]}:{row[1]}" if row else "0"

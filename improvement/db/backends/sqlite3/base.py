"""Django's sqlite3 backend, with committed changes counted (see `improvement.db`)."""

from django.db.backends.sqlite3 import base

from improvement.db import DataVersionMixin


class DatabaseWrapper(DataVersionMixin, base.DatabaseWrapper):
    pass

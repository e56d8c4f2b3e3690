"""Django's postgresql backend, with committed changes counted (see `improvement.db`)."""

from django.db.backends.postgresql import base

from improvement.db import DataVersionMixin


class DatabaseWrapper(DataVersionMixin, base.DatabaseWrapper):
    pass

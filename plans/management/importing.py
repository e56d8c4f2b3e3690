"""What the import commands share: the file named on the command line and the user
recorded as the importer, each refused with a CommandError that says why."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def source_file(path: str) -> Path:
    source = Path(path)
    if not source.is_file():
        raise CommandError(f"No file at {source}.")
    return source


def importer_named(username: str | None):
    """The user called ``username``, or None when none is named."""
    if not username:
        return None
    importer = get_user_model().objects.filter(username=username).first()
    if importer is None:
        raise CommandError(f"No user called {username!r}.")
    return importer

"""Abstract models every app's models share, and the optimistic version check.

Abstract models create no tables and need no installed app: each field is copied into
the concrete model that inherits it, so moving a mixin here changes no migration.
"""

from __future__ import annotations

from typing import TypeVar

from django.conf import settings
from django.db import models, transaction


class TimeStamped(models.Model):
    """When the row was created and last saved."""

    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class CreatedBy(models.Model):
    """Who wrote the row: kept when the person's account is gone (PROTECT), empty for
    rows written by imports and tasks, and with no reverse accessor on the user."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True


class Versioned(models.Model):
    """A record edited in the browser: `version` is checked on save (optimistic locking).

    The check is `save_versioned` below, under `select_for_update()`, and goes through
    `save()` so that history is written.
    """

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


V = TypeVar("V", bound=Versioned)


class ConflictError(Exception):
    """Someone else saved the record after it was loaded: nothing was overwritten."""

    def __init__(self, current: models.Model):
        self.current = current
        super().__init__(f"{current} was changed by someone else.")


def save_versioned(obj: V, *, expected_version: int, user=None, reason: str = "") -> V:
    """Save a browser-edited record only if nobody saved it since it was loaded.

    The stored version is read under `select_for_update()`, so two concurrent saves
    cannot both pass the check; the save goes through `save()`, so history records the
    user and the reason.
    """
    model = type(obj)
    with transaction.atomic():
        current = model.objects.select_for_update().get(pk=obj.pk)
        if current.version != expected_version:
            raise ConflictError(current)
        obj.version = current.version + 1
        obj._history_user = user
        obj._change_reason = reason
        obj.full_clean()
        obj.save()
    return obj

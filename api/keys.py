"""Issuing, checking and revoking API keys: the one place that knows their format.

A key is `<prefix>.<secret>`: 8 hex characters that find the row, then 43 random URL-safe
characters. Keys are random and long, so a fast hash (SHA-256) is enough: a slow password
hash protects guessable secrets, and would cost every request its time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from api.models import ApiKey
from plans import access, roles
from plans.models import Plan

# How stale `last_used` may be before a request writes it again.
LAST_USED_EVERY = dt.timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> tuple[str, str, str]:
    """A fresh key, its prefix and its hash."""
    prefix = secrets.token_hex(4)
    key = f"{prefix}.{secrets.token_urlsafe(32)}"
    return key, prefix, _digest(key)


@transaction.atomic
def api_key_create(*, name: str, plans, created_by) -> tuple[ApiKey, str]:
    """Make a key for `name`, scoped to those of `plans` its creator can see; return it
    with the key itself, which is shown once and never stored."""
    if not roles.is_plan_admin(created_by):
        raise PermissionError("Only a plan administrator makes API keys.")
    key, prefix, hashed = new_key()
    api_key = ApiKey.objects.create(
        name=name, prefix=prefix, hashed_key=hashed, created_by=created_by
    )
    api_key.plans.set(access.visible_plans(created_by).filter(pk__in=[p.pk for p in plans]))
    return api_key, key


def api_key_revoke(*, api_key: ApiKey, revoked_by) -> None:
    """Refuse the key from now on; the row stays, with who revoked it and when."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at=None).update(
        revoked_at=timezone.now(), revoked_by=revoked_by
    )


def check(key: str) -> ApiKey | None:
    """The live key `key` is, or None (unknown, wrong or revoked)."""
    prefix, _, _ = key.partition(".")
    api_key = (
        ApiKey.objects.select_related("created_by").filter(prefix=prefix, revoked_at=None).first()
    )
    if api_key is None or not hmac.compare_digest(api_key.hashed_key, _digest(key)):
        return None
    return api_key


def record_use(api_key: ApiKey, *, now: dt.datetime | None = None) -> None:
    """Note that the key was used: written only when the stored time is a minute old."""
    now = now or timezone.now()
    if api_key.last_used is not None and now - api_key.last_used < LAST_USED_EVERY:
        return
    ApiKey.objects.filter(pk=api_key.pk).filter(
        Q(last_used=None) | Q(last_used__lt=now - LAST_USED_EVERY)
    ).update(last_used=now)
    api_key.last_used = now


def key_plans(api_key: ApiKey):
    """The plans a key reads: those it is scoped to that its creator, still a plan
    administrator, can see today (`plans.access`)."""
    creator = api_key.created_by
    if not roles.is_plan_admin(creator):
        return Plan.objects.none()
    return access.visible_plans(creator).filter(pk__in=api_key.plans.values("pk"))

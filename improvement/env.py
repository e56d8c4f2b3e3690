"""Tiny helpers that read settings from the environment and fail loudly on bad values.

A typo in a deployment ("DEBUG=ture") must stop the process at start-up, not be read
as False and surface weeks later.
"""

import datetime as dt
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use true or false.")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envdate(name: str, default: str) -> dt.date:
    """An ISO date (2026-12-07)."""
    raw = os.environ.get(name) or default
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a date: use YYYY-MM-DD.") from None

"""Parts of pages built from the data, kept until the data changes.

A part is cached under the data's version (`improvement.db`: it moves in the same
commit as any change to the product's data), a fingerprint of the code and templates
that build it, and whatever the caller says it depends on (filters, the day). So a
cached part is never older than the last commit: the first request after a change
builds it again, and the requests after that read it. Nothing is invalidated by hand.

Only what is the same for every reader may be cached: callers check permissions first
and keep the user's own parts (navigation, forms with their CSRF token) out of it.

The cache is Django's default one: in memory per process unless CACHE_URL names a
Redis server (settings). If the cache fails, the part is built as if it were not there.
PAGE_CACHE_SECONDS (0 turns caching off) bounds how long an unused part takes memory.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)
T = TypeVar("T")

# What a cached part can depend on: the apps, the project, the templates and the static
# files (whose hashed names `{% static %}` would write into it).
SOURCES = ("improvement", "plans", "audits", "reporting", "templates", "static")
SUFFIXES = {".py", ".html", ".svg", ".txt", ".css", ".js"}


@functools.cache
def code_fingerprint() -> str:
    """A digest of every Python module and template of the product, once per process:
    a deployment that changes how a part is built never reads the old build."""
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    for folder in SOURCES:
        for path in sorted((base / folder).rglob("*")):
            if path.suffix in SUFFIXES and path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def key(name: str, parts: Iterable) -> str:
    """The cache key of the part `name` as of the data's version now."""
    depends = hashlib.sha256(repr(tuple(parts)).encode()).hexdigest()[:24]
    return f"page:{name}:{code_fingerprint()}:{connection.data_version()}:{depends}"


def cached(name: str, parts: Iterable, build: Callable[[], T]) -> T:
    """The part `name` for `parts` (what it depends on besides the data), from the
    cache or from `build()`. One query (the data's version) when cached."""
    seconds = settings.PAGE_CACHE_SECONDS
    if not seconds:
        return build()
    cache_key = key(name, parts)
    try:
        found = cache.get(cache_key)
    except Exception:  # the cache is an optimisation: a failing one is only logged
        logger.warning("Page cache unavailable; building %s", name, exc_info=True)
        return build()
    if found is not None:
        return found
    value = build()
    try:
        cache.set(cache_key, value, seconds)
    except Exception:
        logger.warning("Page cache unavailable; %s not stored", name, exc_info=True)
    return value

"""Who is asking: an API key (`Authorization: Api-Key <key>` or `Bearer <key>`) or a
signed-in session; the plans each may read; throttling per key."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from rest_framework import authentication, exceptions, permissions, throttling

from api import keys
from api.models import ApiKey
from plans import access, roles
from plans.models import Plan

SCHEMES = ("api-key", "bearer")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <key>` (or `Bearer <key>`, which Power BI can send)."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in SCHEMES:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as 'Api-Key <key>'.")
        api_key = keys.check(header[1])
        if api_key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        keys.record_use(api_key)
        # The key is `request.auth`; the user stays anonymous: a system is not a person,
        # and every rule about people (roles, organisations, templates) gives it nothing.
        return AnonymousUser(), api_key

    def authenticate_header(self, request) -> str:
        return 'Api-Key realm="api"'


@dataclass(frozen=True)
class Caller:
    """What the lists need to know of who asks."""

    plan_ids: tuple[int, ...]
    proposed_plan_ids: tuple[int, ...]
    is_key: bool


def caller_of(request) -> Caller:
    plans = readable_plans(request)
    return Caller(
        plan_ids=tuple(plan.pk for plan in plans),
        proposed_plan_ids=tuple(plans_with_proposed(request, plans)),
        is_key=isinstance(request.auth, ApiKey),
    )


def readable_plans(request) -> list[Plan]:
    """The plans this request may read: a key's scope, or the plans a signed-in person
    reads on the pages (`plans.access.visible_plans`, then `roles.can_view_plan`)."""
    if isinstance(request.auth, ApiKey):
        return list(keys.key_plans(request.auth))
    user = request.user
    return [plan for plan in access.visible_plans(user) if roles.can_view_plan(user, plan)]


def plans_with_proposed(request, plans: list[Plan]) -> list[int]:
    """Of `plans`, those whose proposed (not yet confirmed) ratings the caller may see:
    the people who confirm them (`roles.can_confirm_ratings`); never a key."""
    if isinstance(request.auth, ApiKey):
        return []
    return [plan.pk for plan in plans if roles.can_confirm_ratings(request.user, plan)]


class ReadsPlans(permissions.BasePermission):
    """A key, or a signed-in person with a role; read-only either way."""

    message = "Sign in with a role, or send an API key."

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiKey):
            return True
        return roles.has_role(request.user, *roles.ALL_ROLES)


class PerKeyThrottle(throttling.SimpleRateThrottle):
    """Requests per key (or per signed-in person), counted in the shared 'throttle'
    cache so that every web process sees the same count."""

    scope = "api"

    @property
    def cache(self):
        return caches["throttle"]

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            ident = f"key-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

"""Values every template needs."""

from django.conf import settings
from django.http import HttpRequest

from improvement import mfa
from plans import periods, roles
from sso import provider


def product(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {
        # Only an administrator can act on it; to everyone else it is noise.
        "tasks_in_process": settings.CELERY_TASK_ALWAYS_EAGER
        and (roles.is_plan_admin(user) or getattr(user, "is_staff", False)),
        "debug": settings.DEBUG,
        "nav_for": _NavFor(user),
        # A session that still owes a second factor sees no navigation: every link
        # would lead back to the code page.
        "mfa_owed": mfa.owed(request) if user is not None else None,
        "sso": {"enabled": provider.enabled(), "only": settings.SSO_ONLY},
    }


class _NavFor:
    """Which parts of the navigation a user's roles use, worked out when a template asks,
    so pages without the header (downloads, fragments) cost no query."""

    def __init__(self, user):
        self._user = user

    def my_actions(self) -> bool:
        return roles.has_role(self._user, roles.SERVICE_DIRECTOR, roles.PLAN_ADMINISTRATOR)

    def to_confirm(self) -> int | None:
        """How many ratings wait for the user's review, or None if they review none."""
        if not roles.has_role(self._user, roles.QA_LEAD, roles.PLAN_ADMINISTRATOR):
            return None
        return periods.ratings_to_confirm().count()

    def people(self) -> bool:
        return roles.is_plan_admin(self._user)

"""The five roles, as Django groups, and the one rule for who may edit what.

Groups are created by a data migration (plans/migrations/0002_roles.py). Object-level
rules are functions here, called by views, admin, import and tasks alike. Roles apply
within the plans a person can see (`plans.access`): every rule about a plan asks that
first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from plans import access

if TYPE_CHECKING:
    from plans.models import Action, Plan

SERVICE_DIRECTOR = "Service director"
QA_LEAD = "QA lead"
COMMITTEE_CLERK = "Committee clerk"
BOARD_MEMBER = "Board member"
PLAN_ADMINISTRATOR = "Plan administrator"

ALL_ROLES = (SERVICE_DIRECTOR, QA_LEAD, COMMITTEE_CLERK, BOARD_MEMBER, PLAN_ADMINISTRATOR)


def role_names(user) -> set[str]:
    """The user's role names, cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._role_names = cached
    return cached


def has_role(user, *roles: str) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(role_names(user) & set(roles))


def is_plan_admin(user) -> bool:
    return has_role(user, PLAN_ADMINISTRATOR)


def can_view_plan(user, plan: Plan) -> bool:
    """A signed-in user with a role reads the plans they can see (their organisation's
    and those shared with it: `plans.access`); nobody else reads any."""
    return has_role(user, *ALL_ROLES) and access.sees_plan(user, plan)


def owns_action(user, action: Action) -> bool:
    """Is the user the holder of one of the action's accountable posts?"""
    if user is None or not user.is_authenticated:
        return False
    owner_user_ids = getattr(action, "_owner_user_ids", None)
    if owner_user_ids is None:
        owner_user_ids = {o.user_id for o in action.owners.all()}
    return user.pk in owner_user_ids


def can_edit_action(user, action: Action) -> bool:
    """Rate an action or revise its due date: its accountable owners and plan
    administrators, and only while the plan is active."""
    return action_editor(user)(action)


def action_editor(user) -> Callable[[Action], bool]:
    """`can_edit_action` for many actions of one user (a page of rows): what depends on
    the user alone is asked once, what depends on the plan once per plan."""
    admin = is_plan_admin(user)
    director = has_role(user, SERVICE_DIRECTOR)
    open_plans: dict[int, bool] = {}

    def can_edit(action: Action) -> bool:
        plan = action.plan
        if plan.pk not in open_plans:
            open_plans[plan.pk] = plan.status == "active" and access.sees_plan(user, plan)
        if not open_plans[plan.pk]:
            return False
        return admin or (director and owns_action(user, action))

    return can_edit


def can_confirm_ratings(user, plan: Plan) -> bool:
    return has_role(user, QA_LEAD, PLAN_ADMINISTRATOR) and access.sees_plan(user, plan)


def can_record_samples(user, plan: Plan) -> bool:
    return has_role(user, QA_LEAD, PLAN_ADMINISTRATOR) and access.sees_plan(user, plan)


def can_manage_reports(user, plan: Plan) -> bool:
    return has_role(user, COMMITTEE_CLERK, PLAN_ADMINISTRATOR) and access.sees_plan(user, plan)


def can_publish_reports(user, plan: Plan) -> bool:
    """Put a plan's committee reports on the public pages, or take them off: those who
    manage its reports, in the organisation that owns it (a partner it is shared with
    does not publish the owner's reports)."""
    if not can_manage_reports(user, plan):
        return False
    return user.is_superuser or access.organisation_id(user) == plan.organisation_id

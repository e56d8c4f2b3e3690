"""Which plans a person may see: the plan-visibility rule, written once.

A plan belongs to one organisation and may be shared with partner organisations. A
person sees the plans of their organisation (`Membership`) and those shared with it;
a person without a membership sees none; a superuser sees every plan. Roles
(`plans.roles`) then say what a person may do within the plans they see.

Every list, count, export and download starts from `visible_plans(user)`, and every
page reached by a plan's id or slug asks `roles.can_view_plan`, which uses it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from plans.models import Action, Membership, Organisation, Owner, Plan


def organisation_id(user) -> int | None:
    """The id of the user's organisation, or None; cached on the user for the request."""
    if user is None or not user.is_authenticated:
        return None
    if not hasattr(user, "_organisation_id"):
        if get_user_model().membership.is_cached(user):
            # Loaded with the user (`improvement.accounts.ModelBackend`): no query.
            membership = getattr(user, "membership", None)
            user._organisation_id = membership.organisation_id if membership else None
        else:
            user._organisation_id = (
                Membership.objects.filter(user=user)
                .values_list("organisation_id", flat=True)
                .first()
            )
    return user._organisation_id


# `_reach(user)` for a superuser: everything.
EVERYTHING = "everything"


def _reach(user) -> int | str | None:
    """What the user reaches: EVERYTHING (a superuser), their organisation's id, or
    None (signed out, inactive, or of no organisation: nothing)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return EVERYTHING
    return organisation_id(user)


def visible_plans(user) -> QuerySet[Plan]:
    """The plans the user may see: their organisation's own and those shared with it."""
    org = _reach(user)
    if org is None:
        return Plan.objects.none()
    if org == EVERYTHING:
        return Plan.objects.all()
    shared = Plan.partners.through.objects.filter(organisation_id=org).values("plan_id")
    return Plan.objects.filter(Q(organisation_id=org) | Q(pk__in=shared))


def sees_plan(user, plan: Plan) -> bool:
    """May the user see this one plan? Asked without a query once the user's
    organisation is known, except for a plan shared with a partner."""
    org = _reach(user)
    if org is None:
        return False
    if org == EVERYTHING or plan.organisation_id == org:
        return True
    return plan.pk in shared_plan_ids(user)


def shared_plan_ids(user) -> frozenset[int]:
    """The ids of the plans shared with the user's organisation, cached on the user."""
    if not hasattr(user, "_shared_plan_ids"):
        org = organisation_id(user)
        user._shared_plan_ids = frozenset(
            Plan.partners.through.objects.filter(organisation_id=org).values_list(
                "plan_id", flat=True
            )
            if org is not None
            else ()
        )
    return user._shared_plan_ids


def require_visible(user, plan: Plan) -> None:
    """A plan the user may not see is, for them, not there: 404, as for a wrong id."""
    if not sees_plan(user, plan):
        raise Http404("No such plan.")


def default_organisation(user) -> Organisation | None:
    """The organisation a new plan belongs to when none is named: the user's own, else
    the installation's only organisation; a new installation's first one is made, named
    as the service's organisation (ACCESSIBILITY_ORGANISATION) or "Council"."""
    org = organisation_id(user)
    if org is not None:
        return Organisation.objects.get(pk=org)
    only = list(Organisation.objects.all()[:2])
    if not only:
        return Organisation.named(settings.ACCESSIBILITY_ORGANISATION or "Council")
    return only[0] if len(only) == 1 else None


def visible_people(user) -> QuerySet:
    """The accounts a plan administrator manages: the people of their organisation
    (a superuser: everyone)."""
    User = get_user_model()
    org = _reach(user)
    if org is None:
        return User.objects.none()
    if org == EVERYTHING:
        return User.objects.all()
    return User.objects.filter(membership__organisation_id=org)


def visible_owners(user) -> QuerySet[Owner]:
    """The posts a person may see: those accountable for actions in the plans they see,
    those held by people of their organisation, and posts with no actions held by
    nobody (a new or merged post); a superuser sees every post."""
    org = _reach(user)
    if org is None:
        return Owner.objects.none()
    if org == EVERYTHING:
        return Owner.objects.all()
    in_plans = Action.owners.through.objects.filter(action__plan__in=visible_plans(user)).values(
        "owner_id"
    )
    unused = ~Exists(Action.owners.through.objects.filter(owner_id=OuterRef("pk")))
    return Owner.objects.filter(
        Q(pk__in=in_plans)
        | Q(user__membership__organisation_id=org)
        | (Q(user__isnull=True) & unused)
    )

"""Signing a person in from the provider's claims: find or make their user by the
provider's stable ids, keep their name and address up to date, and give them the roles
and the organisation their provider groups map to (the provider is the truth for them:
a role or organisation given by hand to someone who signs in this way is replaced at
their next sign-in)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from plans import people
from plans.models import Membership, Organisation
from plans.roles import ALL_ROLES
from sso.models import ExternalIdentity, GroupMapping

logger = logging.getLogger(__name__)

# The reason the account's history gives for a role the provider's groups gave or took.
BY_GROUPS = "Their groups at the council's sign-in service"
USERNAME_MAX_LENGTH: int = get_user_model()._meta.get_field("username").max_length


class SignInRefused(Exception):
    """The provider's answer cannot sign anyone in; `reason` is said to the person."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def identity_find(*, issuer: str, claims: dict) -> ExternalIdentity | None:
    """The identity these claims belong to: by tenant and object id where the provider
    gives them (Entra ID's subject differs from one app registration to another, its
    object id does not), else by issuer and subject."""
    identities = ExternalIdentity.objects.select_related("user")
    tid, oid = claims.get("tid", ""), claims.get("oid", "")
    if tid and oid:
        found = identities.filter(tid=tid, oid=oid).first()
        if found is not None:
            return found
    return identities.filter(issuer=issuer, subject=claims["sub"]).first()


def _free_username(wanted: str) -> str:
    """`wanted`, or with a number after it when someone already has it (a new person
    given a leaver's address is a new user, with a user name of their own)."""
    User = get_user_model()
    base = wanted[:USERNAME_MAX_LENGTH]
    candidate, number = base, 1
    while User.objects.filter(username=candidate).exists():
        number += 1
        suffix = f"-{number}"
        candidate = base[: USERNAME_MAX_LENGTH - len(suffix)] + suffix
    return candidate


def _address(claims: dict) -> str:
    for claim in ("email", "preferred_username", "upn"):
        value = claims.get(claim) or ""
        if "@" in value:
            return value[:254]
    return ""


def _names(claims: dict) -> tuple[str, str]:
    first, last = claims.get("given_name") or "", claims.get("family_name") or ""
    if not (first or last) and claims.get("name"):
        first, _, last = claims["name"].partition(" ")
    return first[:150], last[:150]


def roles_for(group_ids: list[str]) -> list[Group]:
    """The roles the provider groups map to, and OIDC_DEFAULT_ROLE for everyone."""
    roles = {
        mapping.role
        for mapping in GroupMapping.objects.filter(group_id__in=group_ids, role__isnull=False)
        .select_related("role")
        .order_by()
    }
    if settings.OIDC_DEFAULT_ROLE:
        default = Group.objects.filter(name=settings.OIDC_DEFAULT_ROLE, name__in=ALL_ROLES).first()
        if default is None:
            logger.warning(
                "Single sign-on: OIDC_DEFAULT_ROLE names %r, which is not a role",
                settings.OIDC_DEFAULT_ROLE,
            )
        else:
            roles.add(default)
    return sorted(roles, key=lambda role: role.name)


def organisation_for(group_ids: list[str]) -> Organisation | None:
    """The organisation the provider groups map to, else OIDC_DEFAULT_ORGANISATION; None
    when neither names one (the person then sees no plans). Groups that map to two
    organisations refuse the sign-in: a person belongs to one."""
    organisations = {
        mapping.organisation
        for mapping in GroupMapping.objects.filter(
            group_id__in=group_ids, organisation__isnull=False
        )
        .select_related("organisation")
        .order_by()
    }
    if len(organisations) > 1:
        raise SignInRefused(
            "Your groups at the council's sign-in service give you more than one "
            "organisation here. Ask a plan administrator to correct the group mapping."
        )
    if organisations:
        return organisations.pop()
    if settings.OIDC_DEFAULT_ORGANISATION:
        default = Organisation.objects.filter(name=settings.OIDC_DEFAULT_ORGANISATION).first()
        if default is None:
            logger.warning(
                "Single sign-on: OIDC_DEFAULT_ORGANISATION names %r, which is not an organisation",
                settings.OIDC_DEFAULT_ORGANISATION,
            )
        return default
    return None


def membership_apply(user, organisation: Organisation | None) -> None:
    """Make the user's membership this organisation (or none), writing only a change:
    memberships keep history, and a sign-in that changes nothing adds none."""
    current = Membership.objects.filter(user=user).first()
    if organisation is None:
        if current is not None:
            current.delete()
    elif current is None:
        Membership.objects.create(user=user, organisation=organisation)
    elif current.organisation_id != organisation.pk:
        current.organisation = organisation
        current.save()


def group_ids(claims: dict) -> list[str]:
    """The `groups` claim. Entra ID leaves it out for someone in too many groups (over
    200) and says where to fetch them instead: refused, since the roles would be wrong;
    the app registration should send only the groups assigned to the application."""
    if "groups" in (claims.get("_claim_names") or {}):
        raise SignInRefused(
            "Your account is in too many groups for the sign-in service to list. Ask your "
            "IT service desk to send only the groups assigned to this application."
        )
    groups = claims.get("groups") or []
    if not isinstance(groups, list):
        raise SignInRefused("The sign-in service sent your groups in a form we do not read.")
    return [str(group) for group in groups]


def user_sign_in(*, issuer: str, claims: dict):
    """The user these verified ID token claims belong to, made on their first sign-in,
    with their name, address, roles and organisation as the provider now has them."""
    try:
        return _user_sign_in(issuer=issuer, claims=claims)
    except IntegrityError:
        # A first sign-in of the same person at the same moment (two tabs) made their
        # user first: this one, rolled back, now finds it.
        return _user_sign_in(issuer=issuer, claims=claims)


@transaction.atomic
def _user_sign_in(*, issuer: str, claims: dict):
    groups = group_ids(claims)
    organisation = organisation_for(groups)
    identity = identity_find(issuer=issuer, claims=claims)
    first_name, last_name = _names(claims)
    email = _address(claims)
    if identity is None:
        User = get_user_model()
        user = User(
            username=_free_username(email or claims.get("preferred_username") or claims["sub"]),
            first_name=first_name,
            last_name=last_name,
            email=email,
        )
        user.set_unusable_password()
        user.save()
        identity = ExternalIdentity(user=user)
        logger.info("Single sign-on: new user %s for %s", user.username, issuer)
    else:
        user = identity.user
        changed = (user.first_name, user.last_name, user.email) != (first_name, last_name, email)
        if changed:
            user.first_name, user.last_name, user.email = first_name, last_name, email
            user.save(update_fields=["first_name", "last_name", "email"])
    identity.issuer = issuer
    identity.subject = claims["sub"]
    identity.tid = claims.get("tid", "")
    identity.oid = claims.get("oid", "")
    identity.last_login = timezone.now()
    identity.save()
    people.roles_set(
        person=user, role_names=[role.name for role in roles_for(groups)], by=None, reason=BY_GROUPS
    )
    membership_apply(user, organisation)
    return user

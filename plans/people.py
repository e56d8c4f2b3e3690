"""People and owners, as a plan administrator manages them in the app: inviting users,
giving and removing roles, linking posts (owners) to the people who hold them, and
merging duplicate owners.

Writes are keyword-only services, each in one transaction, each recorded: changes to
an account in `AccountChange` (the user model keeps no history), changes to owners and
actions in their django-simple-history tables with the user and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from plans import access, roles
from plans.models import AccountChange, Action, Membership, Owner, Reminder

User = get_user_model()
USERNAME_MAX_LENGTH: int = User._meta.get_field("username").max_length

# Every relation that points at an owner, and how a merge treats it. A test compares
# this with the model's relations, so a new one fails it until merging handles it.
MERGED_RELATIONS = {
    "plans.Action.owners": "the duplicate's actions get the kept owner instead",
    "plans.Reminder.owner": "reminders move; one the kept owner already had is dropped",
    "plans.Owner.merged_into": "owners merged into the duplicate point at the kept owner",
}


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Tokens for the link in an invitation. Django's reset tokens, salted differently
    so that a reset link and an invitation link are never interchangeable. Like them,
    a token stops working once a password is set (the hash changes) and after
    PASSWORD_RESET_TIMEOUT."""

    key_salt = "plans.people.InvitationTokenGenerator"


invitation_tokens = InvitationTokenGenerator()


def _record(*, person, kind: str, detail: str, by, reason: str = "") -> AccountChange:
    return AccountChange.objects.create(
        person=person, kind=kind, detail=detail[:300], reason=reason[:500], created_by=by
    )


def display_name(user) -> str:
    return user.get_full_name() or user.get_username()


# --- Reading -----------------------------------------------------------------------------


def _every_word(query: str, fields: tuple[str, ...]) -> Q | None:
    """Rows where each word of `query` is in one of `fields` (any case); None for an
    empty query."""
    words = query.split()
    if not words:
        return None
    matches = Q()
    for word in words:
        either = Q()
        for name in fields:
            either |= Q(**{f"{name}__icontains": word})
        matches &= either
    return matches


def organisation_of(person):
    """The person's organisation, or None."""
    membership = Membership.objects.select_related("organisation").filter(user=person).first()
    return membership.organisation if membership else None


def people_search(query: str = "") -> QuerySet:
    """Users with their roles and posts, optionally those whose name, username, e-mail
    or post contains each word of `query`."""
    people = User.objects.order_by("first_name", "last_name", "username").prefetch_related(
        Prefetch("groups", queryset=Group.objects.order_by("name")),
        Prefetch("owner_posts", queryset=Owner.objects.order_by("post")),
    )
    matches = _every_word(
        query,
        (
            "first_name",
            "last_name",
            "username",
            "email",
            "owner_posts__post",
            "owner_posts__person_name",
        ),
    )
    return people if matches is None else people.filter(matches).distinct()


def owners_search(query: str = "") -> QuerySet:
    """Owners not merged into another, with who holds them and how many actions they
    are accountable for, optionally those whose post, person or e-mail contains each
    word of `query`."""
    owners = (
        Owner.objects.filter(merged_into__isnull=True)
        .select_related("user")
        .annotate(action_count=Count("actions", distinct=True))
        .order_by("post", "pk")
    )
    matches = _every_word(
        query, ("post", "person_name", "email", "user__first_name", "user__last_name")
    )
    return owners if matches is None else owners.filter(matches)


# --- Inviting ----------------------------------------------------------------------------


def invitation_link(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("invitation", args=[uid, invitation_tokens.make_token(user)])
    return settings.SITE_URL.rstrip("/") + path


def _groups(role_names) -> list[Group]:
    unknown = sorted(set(role_names) - set(roles.ALL_ROLES))
    if unknown:
        raise ValidationError({"roles": f"There is no role called {', '.join(unknown)}."})
    return list(Group.objects.filter(name__in=role_names).order_by("name"))


def user_invite(*, name: str, email: str, role_names, by) -> User:
    """Make an account for `email` with no password yet, give it the roles, and e-mail
    a link to choose a password. The username is the e-mail address, in lower case.

    An address already used by an account (as its e-mail or username, in any case) is
    refused. If the e-mail cannot be sent nothing is kept, so the invitation can be
    tried again."""
    name = " ".join(name.split())
    email = email.strip()
    username = email.lower()
    if not name:
        raise ValidationError({"name": "Enter the person's name."})
    if len(username) > USERNAME_MAX_LENGTH:
        raise ValidationError(
            {
                "email": f"An e-mail address used to sign in has at most "
                f"{USERNAME_MAX_LENGTH} characters (this one has {len(username)})."
            }
        )
    groups = _groups(role_names)
    if not groups:
        raise ValidationError({"roles": "Choose at least one role."})
    existing = User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).first()
    if existing is not None:
        raise ValidationError(
            {
                "email": f"{display_name(existing)} already has an account with {email}. "
                "Find them on the People page to change their roles."
            }
        )
    first, _, last = name.partition(" ")
    try:
        with transaction.atomic():
            user = User(
                username=username, email=email, first_name=first[:150], last_name=last[:150]
            )
            user.set_unusable_password()
            user.full_clean(exclude=["password"])
            user.save()
            user.groups.add(*groups)
            # They join the inviting administrator's organisation, and see its plans.
            organisation = access.default_organisation(by)
            if organisation is not None:
                Membership.objects.create(user=user, organisation=organisation)
            _record(
                person=user,
                kind=AccountChange.Kind.INVITED,
                detail=f"{email}, roles: {', '.join(g.name for g in groups)}",
                by=by,
            )
            for group in groups:
                _record(person=user, kind=AccountChange.Kind.ROLE_GIVEN, detail=group.name, by=by)
            _send_invitation(user, by=by, role_names=[g.name for g in groups])
    except IntegrityError as error:
        raise ValidationError(
            {
                "email": f"An account with {email} was made at the same moment. "
                "Check the People page."
            }
        ) from error
    return user


def invitation_resend(*, person, by) -> None:
    """Send the invitation again, with a new link: for someone whose e-mail went astray
    or whose link expired. Refused once they have chosen a password (they can reset it
    from the sign-in page)."""
    if person.has_usable_password():
        raise ValidationError(
            f"{display_name(person)} has already chosen a password. If they have forgotten "
            "it, they can ask for a reset link on the sign-in page."
        )
    if not person.email:
        raise ValidationError(f"{display_name(person)} has no e-mail address to send it to.")
    with transaction.atomic():
        names = list(person.groups.filter(name__in=roles.ALL_ROLES).values_list("name", flat=True))
        _record(
            person=person,
            kind=AccountChange.Kind.INVITED,
            detail=f"{person.email}, again",
            by=by,
        )
        _send_invitation(person, by=by, role_names=sorted(names))


def has_two_step(person) -> bool:
    """Whether the person has an authenticator app set up (improvement/mfa.py)."""
    return TOTPDevice.objects.filter(user=person, confirmed=True).exists()


def remove_two_step(person) -> None:
    """Delete the person's authenticator app and recovery codes (the person turning it
    off themselves, or `two_step_reset`)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=person).delete()
        StaticDevice.objects.filter(user=person).delete()


def two_step_reset(*, person, by, reason: str) -> None:
    """Remove a person's authenticator app and recovery codes, for someone who has lost
    both: they set two-step verification up again at their next sign-in (or may leave it
    off, where it is not required of them). Needs a reason, is recorded, and is refused
    for one's own account, which another plan administrator resets."""
    if person.pk == by.pk:
        raise ValidationError(
            "You cannot reset your own two-step verification: ask another plan administrator."
        )
    if not reason.strip():
        raise ValidationError({"reason": "Say why, for example how the person proved who they are"})
    if not has_two_step(person):
        raise ValidationError(f"{display_name(person)} has no two-step verification to reset.")
    with transaction.atomic():
        remove_two_step(person)
        _record(
            person=person,
            kind=AccountChange.Kind.TWO_STEP_RESET,
            detail="authenticator app and recovery codes removed",
            by=by,
            reason=reason.strip(),
        )


def _send_invitation(user, *, by, role_names: list[str]) -> None:
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    context = {
        "user": user,
        "by": display_name(by) if by else "Your plan administrator",
        "roles": role_names,
        "link": invitation_link(user),
        "valid_for": f"{hours // 24} days" if hours % 24 == 0 and hours >= 48 else f"{hours} hours",
        "sign_in": settings.SITE_URL.rstrip("/") + reverse("login"),
    }
    try:
        send_mail(
            "You are invited to Improvement plans",
            render_to_string("plans/email/invitation.txt", context),
            None,
            [user.email],
        )
    except Exception as error:  # SMTP refused, unreachable, misconfigured
        raise ValidationError(
            f"The invitation e-mail could not be sent ({error.__class__.__name__}), so no "
            "account was made. Check the e-mail settings and try again."
        ) from error


# --- Roles -------------------------------------------------------------------------------


def roles_set(*, person, role_names, by, reason: str = "") -> tuple[list[str], list[str]]:
    """Give `person` exactly these roles. Returns (given, removed), by name.

    A plan administrator cannot remove their own administrator role: that could leave
    nobody able to give it back. `by` is None for a change the identity provider makes
    at a sign-in (their groups there, sso.services)."""
    wanted = {g.name for g in _groups(role_names)}
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=person.pk)
        held = set(person.groups.filter(name__in=roles.ALL_ROLES).values_list("name", flat=True))
        removed = sorted(held - wanted)
        given = sorted(wanted - held)
        if by is not None and person.pk == by.pk and roles.PLAN_ADMINISTRATOR in removed:
            raise ValidationError(
                {
                    "roles": "You cannot remove your own Plan administrator role. Ask "
                    "another plan administrator to do it, so that someone can always "
                    "manage people."
                }
            )
        if given:
            person.groups.add(*Group.objects.filter(name__in=given))
        if removed:
            person.groups.remove(*Group.objects.filter(name__in=removed))
        for kind, names in (
            (AccountChange.Kind.ROLE_GIVEN, given),
            (AccountChange.Kind.ROLE_REMOVED, removed),
        ):
            for name in names:
                _record(person=person, kind=kind, detail=name, by=by, reason=reason)
    return given, removed


# --- Linking owners ----------------------------------------------------------------------


def _locked(owner: Owner) -> Owner:
    return Owner.objects.select_for_update(of=("self",)).select_related("user").get(pk=owner.pk)


def _save_owner(owner: Owner, *, by, reason: str) -> None:
    """Save through `save()`, so that the history row has who and why."""
    owner._history_user = by
    owner._change_reason = reason
    owner.save()


def owner_link(*, owner: Owner, person, by, reason: str = ""):
    """Link the post to the person who holds it: they then see its actions as theirs.
    Returns the person it was linked to before, if another."""
    with transaction.atomic():
        owner = _locked(owner)
        if owner.merged_into_id:
            raise ValidationError(f"{owner.post} was merged into another owner: link that one.")
        previous = owner.user
        if previous is not None and previous.pk == person.pk:
            return None
        owner.user = person
        if not owner.person_name:
            owner.person_name = display_name(person)[:200]
        _save_owner(owner, by=by, reason=reason or f"linked to {person.get_username()}")
        if previous is not None:
            _record(
                person=previous,
                kind=AccountChange.Kind.OWNER_UNLINKED,
                detail=owner.post,
                by=by,
                reason=f"linked to {display_name(person)} instead",
            )
        _record(
            person=person,
            kind=AccountChange.Kind.OWNER_LINKED,
            detail=owner.post,
            by=by,
            reason=reason,
        )
    return previous


def owner_unlink(*, owner: Owner, by, reason: str = ""):
    """Unlink the post from its person. Returns who held it, or None if nobody did."""
    with transaction.atomic():
        owner = _locked(owner)
        previous = owner.user
        if previous is None:
            return None
        owner.user = None
        _save_owner(owner, by=by, reason=reason or f"unlinked from {previous.get_username()}")
        _record(
            person=previous,
            kind=AccountChange.Kind.OWNER_UNLINKED,
            detail=owner.post,
            by=by,
            reason=reason,
        )
    return previous


# --- Merging owners ----------------------------------------------------------------------


@dataclass
class MergePlan:
    """What merging `duplicate` into `kept` moves, worked out before anything is
    written: the confirmation page shows it, and the merge does exactly this."""

    duplicate: Owner
    kept: Owner
    actions: list[Action] = field(default_factory=list)
    already_kept: list[Action] = field(default_factory=list)
    reminders: int = 0
    reminders_dropped: int = 0
    merged_owners: list[Owner] = field(default_factory=list)
    # (field label, value) the kept owner takes from the duplicate, where it has none.
    taken: list[tuple[str, str]] = field(default_factory=list)
    # Who signs in as the duplicate while the kept owner has someone else: they lose it.
    unlinked: object | None = None

    @property
    def reason(self) -> str:
        return f"merged “{self.duplicate.post}” (#{self.duplicate.pk}) into “{self.kept.post}”"


def _check_mergeable(duplicate: Owner, kept: Owner) -> None:
    if duplicate.pk == kept.pk:
        raise ValidationError(
            {"kept": "Choose another owner to keep: an owner cannot be merged into itself."}
        )
    if duplicate.merged_into_id:
        raise ValidationError(f"{duplicate.post} has already been merged into another owner.")
    if kept.merged_into_id:
        raise ValidationError(
            {"kept": f"{kept.post} has been merged into another owner: choose that one."}
        )


def _taken_fields(duplicate: Owner, kept: Owner) -> list[tuple[str, str]]:
    taken = []
    if not kept.person_name and duplicate.person_name:
        taken.append(("Person", duplicate.person_name))
    if not kept.email and duplicate.email:
        taken.append(("E-mail", duplicate.email))
    if kept.user_id is None and duplicate.user_id is not None:
        taken.append(("Signs in as", display_name(duplicate.user)))
    return taken


def merge_plan(*, duplicate: Owner, kept: Owner) -> MergePlan:
    """What a merge of `duplicate` into `kept` would move, without writing anything."""
    _check_mergeable(duplicate, kept)
    actions = list(
        Action.objects.filter(owners=duplicate)
        .select_related("plan")
        .order_by("plan__title", "ref")
    )
    with_kept = set(Action.objects.filter(owners=kept).values_list("pk", flat=True))
    kept_keys = set(Reminder.objects.filter(owner=kept).values_list("period_id", "days_before"))
    reminders = list(
        Reminder.objects.filter(owner=duplicate).values_list("period_id", "days_before")
    )
    dropped = sum(1 for key in reminders if key in kept_keys)
    return MergePlan(
        duplicate=duplicate,
        kept=kept,
        actions=[a for a in actions if a.pk not in with_kept],
        already_kept=[a for a in actions if a.pk in with_kept],
        reminders=len(reminders) - dropped,
        reminders_dropped=dropped,
        merged_owners=list(duplicate.merged_owners.order_by("post")),
        taken=_taken_fields(duplicate, kept),
        unlinked=duplicate.user
        if duplicate.user_id and kept.user_id not in (None, duplicate.user_id)
        else None,
    )


def owners_merge(*, duplicate: Owner, kept: Owner, by) -> MergePlan:
    """Merge `duplicate` into `kept`, in one transaction: every action that had the
    duplicate as an owner has the kept owner instead (its ratings stay with the action,
    so they follow), reminders move, and the kept owner takes the duplicate's person,
    e-mail and sign-in where it has none. The duplicate stays, marked merged, so its
    history is kept and an import naming it finds the kept owner.

    Each changed action, and both owners, get a history row with `by` and the reason."""
    with transaction.atomic():
        locked = {
            o.pk: o
            for o in Owner.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk__in=[duplicate.pk, kept.pk])
        }
        duplicate, kept = locked[duplicate.pk], locked[kept.pk]
        plan = merge_plan(duplicate=duplicate, kept=kept)
        reason = plan.reason

        for action in [*plan.actions, *plan.already_kept]:
            # One history row per action, holding its owners after the move, rather
            # than one for the removal and another for the addition.
            action.skip_history_when_saving = True
            action.owners.remove(duplicate)
            if action in plan.actions:
                action.owners.add(kept)
            del action.skip_history_when_saving
            action._history_user = by
            action._change_reason = reason
            action.save(update_fields=["updated"])

        kept_keys = set(Reminder.objects.filter(owner=kept).values_list("period_id", "days_before"))
        for reminder in Reminder.objects.filter(owner=duplicate):
            if (reminder.period_id, reminder.days_before) in kept_keys:
                reminder.delete()
            else:
                reminder.owner = kept
                reminder.save(update_fields=["owner"])

        for other in plan.merged_owners:
            other.merged_into = kept
            _save_owner(other, by=by, reason=f"{reason}, which it had been merged into")

        if not kept.person_name and duplicate.person_name:
            kept.person_name = duplicate.person_name
        if not kept.email and duplicate.email:
            kept.email = duplicate.email
        moved_user = None
        if kept.user_id is None and duplicate.user_id is not None:
            kept.user, moved_user = duplicate.user, duplicate.user
        _save_owner(kept, by=by, reason=reason)

        duplicate.merged_into = kept
        duplicate.user = None
        _save_owner(duplicate, by=by, reason=reason)

        if plan.unlinked is not None:
            _record(
                person=plan.unlinked,
                kind=AccountChange.Kind.OWNER_UNLINKED,
                detail=duplicate.post,
                by=by,
                reason=reason,
            )
        if moved_user is not None:
            _record(
                person=moved_user,
                kind=AccountChange.Kind.OWNER_LINKED,
                detail=kept.post,
                by=by,
                reason=reason,
            )
    return plan

"""The people services (plans/people.py): inviting, roles, linking owners, merging
duplicate owners."""

from __future__ import annotations

import re
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from plans import people, roles
from plans.importing import _owners_by_key, import_file
from plans.models import AccountChange, Action, Owner, Reminder
from tests import factories
from tests.conftest import requires_postgres
from tests.plans.test_importing import as_csv, row, table

User = get_user_model()


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://plans.example.gov.uk"


# --- Inviting ----------------------------------------------------------------------------


def test_an_invited_user_has_no_password_their_roles_and_an_email_with_a_link(plan_admin):
    user = people.user_invite(
        name="  Arif   Darr ",
        email="Arif.Darr@Council.gov.uk",
        role_names=[roles.SERVICE_DIRECTOR, roles.QA_LEAD],
        by=plan_admin,
    )
    user.refresh_from_db()
    assert (user.username, user.email) == ("arif.darr@council.gov.uk", "Arif.Darr@council.gov.uk")
    assert (user.first_name, user.last_name) == ("Arif", "Darr")
    assert not user.has_usable_password()
    assert set(user.groups.values_list("name", flat=True)) == {
        roles.SERVICE_DIRECTOR,
        roles.QA_LEAD,
    }
    (message,) = mail.outbox
    assert message.to == ["Arif.Darr@council.gov.uk"]
    link = re.search(r"https://plans\.example\.gov\.uk/accounts/welcome/\S+/\S+/", message.body)
    assert link, message.body
    assert "Service director, QA lead" in message.body or "QA lead, Service director" in (
        message.body
    )
    kinds = list(user.account_changes.values_list("kind", "created_by"))
    assert (AccountChange.Kind.INVITED, plan_admin.pk) in kinds
    assert sum(1 for kind, _ in kinds if kind == AccountChange.Kind.ROLE_GIVEN) == 2


def test_an_invited_user_joins_the_inviting_administrators_organisation(plan_admin):
    health_board = factories.OrganisationFactory(name="Example Integrated Care Board")
    partner_admin = factories.UserFactory(role=roles.PLAN_ADMINISTRATOR, organisation=health_board)
    ours = people.user_invite(
        name="Sam Lee", email="sam@example.org", role_names=[roles.QA_LEAD], by=plan_admin
    )
    theirs = people.user_invite(
        name="Pat Kay", email="pat@example.org", role_names=[roles.QA_LEAD], by=partner_admin
    )
    assert people.organisation_of(ours) == plan_admin.membership.organisation
    assert people.organisation_of(theirs) == health_board


def test_the_invitation_token_is_not_a_password_reset_token(plan_admin):
    from django.contrib.auth.tokens import default_token_generator

    user = people.user_invite(
        name="Sam Lee", email="sam@example.org", role_names=[roles.QA_LEAD], by=plan_admin
    )
    token = people.invitation_tokens.make_token(user)
    assert people.invitation_tokens.check_token(user, token)
    assert not default_token_generator.check_token(user, token)
    user.set_password("a-long-passphrase-1")
    user.save()
    assert not people.invitation_tokens.check_token(user, token)


@pytest.mark.parametrize("email", ["director@example.org", "DIRECTOR@example.org", "director"])
def test_an_address_already_in_use_is_refused_with_who_has_it(plan_admin, director, email):
    director.username = "director"
    director.save()
    with pytest.raises(ValidationError) as caught:
        people.user_invite(name="Someone", email=email, role_names=[roles.QA_LEAD], by=plan_admin)
    message = caught.value.message_dict["email"][0]
    assert director.get_full_name() in message and "already has an account" in message
    assert not mail.outbox
    assert User.objects.filter(email__iexact=email).count() <= 1


def test_an_invitation_needs_a_role_and_a_known_one(plan_admin):
    for role_names, expected in (([], "Choose at least one role."), (["Mayor"], "Mayor")):
        with pytest.raises(ValidationError) as caught:
            people.user_invite(
                name="Sam Lee", email="sam@example.org", role_names=role_names, by=plan_admin
            )
        assert expected in caught.value.message_dict["roles"][0]
    assert not User.objects.filter(email="sam@example.org").exists()


def test_when_the_email_cannot_be_sent_no_account_is_kept(plan_admin, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError

    monkeypatch.setattr(people, "send_mail", refuse)
    with pytest.raises(ValidationError, match="could not be sent"):
        people.user_invite(
            name="Sam Lee", email="sam@example.org", role_names=[roles.QA_LEAD], by=plan_admin
        )
    assert not User.objects.filter(email="sam@example.org").exists()
    assert not AccountChange.objects.exists()


def test_an_invitation_is_sent_again_until_a_password_is_chosen(plan_admin):
    user = people.user_invite(
        name="Sam Lee", email="sam@example.org", role_names=[roles.QA_LEAD], by=plan_admin
    )
    people.invitation_resend(person=user, by=plan_admin)
    assert [m.to for m in mail.outbox] == [["sam@example.org"], ["sam@example.org"]]
    assert "Your role: QA lead." in mail.outbox[1].body
    assert user.account_changes.filter(kind=AccountChange.Kind.INVITED).count() == 2

    user.set_password("Kettle-orchard-91")
    user.save()
    with pytest.raises(ValidationError, match="has already chosen a password"):
        people.invitation_resend(person=user, by=plan_admin)
    assert len(mail.outbox) == 2


# --- Roles -------------------------------------------------------------------------------


def test_roles_are_given_and_removed_and_recorded_with_who_and_why(plan_admin, director):
    given, removed = people.roles_set(
        person=director, role_names=[roles.QA_LEAD], by=plan_admin, reason="Moved to QA"
    )
    assert (given, removed) == ([roles.QA_LEAD], [roles.SERVICE_DIRECTOR])
    assert list(director.groups.values_list("name", flat=True)) == [roles.QA_LEAD]
    changes = set(director.account_changes.values_list("kind", "detail", "reason", "created_by"))
    assert changes == {
        (AccountChange.Kind.ROLE_GIVEN, roles.QA_LEAD, "Moved to QA", plan_admin.pk),
        (AccountChange.Kind.ROLE_REMOVED, roles.SERVICE_DIRECTOR, "Moved to QA", plan_admin.pk),
    }


def test_the_same_roles_again_change_nothing(plan_admin, director):
    assert people.roles_set(
        person=director, role_names=[roles.SERVICE_DIRECTOR], by=plan_admin
    ) == ([], [])
    assert not director.account_changes.exists()


def test_an_administrator_cannot_remove_their_own_administrator_role(plan_admin):
    with pytest.raises(ValidationError, match="cannot remove your own Plan administrator"):
        people.roles_set(person=plan_admin, role_names=[roles.QA_LEAD], by=plan_admin)
    assert roles.PLAN_ADMINISTRATOR in plan_admin.groups.values_list("name", flat=True)
    assert not plan_admin.groups.filter(name=roles.QA_LEAD).exists()


def test_an_administrator_may_remove_another_administrators_role(plan_admin):
    other = factories.UserFactory(username="admin2", role=roles.PLAN_ADMINISTRATOR)
    assert people.roles_set(person=other, role_names=[], by=plan_admin) == (
        [],
        [roles.PLAN_ADMINISTRATOR],
    )


# --- Linking owners ----------------------------------------------------------------------


def test_linking_a_post_gives_the_person_its_actions_and_is_in_its_history(
    plan_admin, action, qa_lead
):
    owner = action.owners.get()
    previous = people.owner_link(owner=owner, person=qa_lead, by=plan_admin, reason="New post")
    assert previous is not None and previous.username == "director"
    owner.refresh_from_db()
    assert owner.user == qa_lead
    latest = owner.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (plan_admin, "New post")
    assert qa_lead.account_changes.get().kind == AccountChange.Kind.OWNER_LINKED
    assert previous.account_changes.get().kind == AccountChange.Kind.OWNER_UNLINKED
    assert roles.owns_action(qa_lead, Action.objects.get(pk=action.pk))


def test_unlinking_a_post_leaves_it_with_nobody(plan_admin, owner):
    holder = people.owner_unlink(owner=owner, by=plan_admin)
    owner.refresh_from_db()
    assert owner.user is None and holder.username == "director"
    assert owner.history.latest().history_change_reason == "unlinked from director"
    assert people.owner_unlink(owner=owner, by=plan_admin) is None  # nothing to do


# --- Merging owners ----------------------------------------------------------------------


@pytest.fixture
def duplicates(plan, period, plan_admin):
    """ "Arif Dar" typed for two actions, "Arif Darr" for one; one action names both."""
    rec = factories.RecommendationFactory(plan=plan, ref="1")
    dar = factories.OwnerFactory(post="Arif Dar", person_name="", email="arif@example.org")
    darr = factories.OwnerFactory(post="Arif Darr", person_name="Arif Darr")
    only_dar = factories.ActionFactory(recommendation=rec, ref="1.1", owners=[dar])
    both = factories.ActionFactory(recommendation=rec, ref="1.2", owners=[dar, darr])
    only_darr = factories.ActionFactory(recommendation=rec, ref="1.3", owners=[darr])
    rating = factories.RatingFactory(action=only_dar, period=period, rag="amber")
    Reminder.objects.create(owner=dar, period=period, days_before=10)
    Reminder.objects.create(owner=dar, period=period, days_before=3)
    Reminder.objects.create(owner=darr, period=period, days_before=3)
    return dar, darr, only_dar, both, only_darr, rating


def test_the_merge_plan_says_what_will_move_and_writes_nothing(duplicates):
    dar, darr, only_dar, both, only_darr, _ = duplicates
    histories = Action.history.count(), Owner.history.count()

    plan = people.merge_plan(duplicate=dar, kept=darr)

    assert [a.ref for a in plan.actions] == ["1.1"]
    assert [a.ref for a in plan.already_kept] == ["1.2"]
    assert (plan.reminders, plan.reminders_dropped) == (1, 1)
    assert plan.taken == [("E-mail", "arif@example.org")]
    assert (Action.history.count(), Owner.history.count()) == histories
    assert set(Action.objects.get(pk=only_dar.pk).owners.all()) == {dar}


def test_merging_moves_every_action_and_reminder_and_keeps_the_history(plan_admin, duplicates):
    dar, darr, only_dar, both, only_darr, rating = duplicates

    people.owners_merge(duplicate=dar, kept=darr, by=plan_admin)

    assert set(Action.objects.get(pk=only_dar.pk).owners.all()) == {darr}
    assert set(Action.objects.get(pk=both.pk).owners.all()) == {darr}
    assert set(Action.objects.get(pk=only_darr.pk).owners.all()) == {darr}
    assert not Action.objects.filter(owners=dar).exists()
    # The rating belongs to the action, so it follows the action to the kept owner.
    assert Action.objects.filter(owners=darr, ratings=rating).exists()
    assert sorted(Reminder.objects.filter(owner=darr).values_list("days_before", flat=True)) == [
        3,
        10,
    ]
    assert not Reminder.objects.filter(owner=dar).exists()

    dar.refresh_from_db()
    darr.refresh_from_db()
    assert dar.merged_into == darr and darr.email == "arif@example.org"
    reason = f"merged “Arif Dar” (#{dar.pk}) into “Arif Darr”"
    for record in (dar.history.latest(), darr.history.latest()):
        assert (record.history_user, record.history_change_reason) == (plan_admin, reason)
    for action in (only_dar, both):
        latest = action.history.latest()
        assert (latest.history_user, latest.history_change_reason) == (plan_admin, reason)
        # One history row per action, holding its owners after the move.
        assert [o.owner_id for o in latest.owners.all()] == [darr.pk]
    assert only_darr.history.latest().history_change_reason != reason
    assert dar.history.count() >= 2  # its history is kept


def test_merged_owners_leave_the_lists_and_imports_find_the_kept_one(plan_admin, duplicates):
    dar, darr, *_ = duplicates
    people.owners_merge(duplicate=dar, kept=darr, by=plan_admin)
    assert dar not in people.owners_search()
    assert _owners_by_key()[dar.key] == darr

    # A workbook that still says "Arif Dar" gives the action to the kept owner.
    workbook = as_csv(table(row(ref="5.1", action="Audit the files", owners="Arif Dar")))
    import_file(workbook, "plan.csv", plan_name="Imported after the merge", user=plan_admin)
    imported = Action.objects.get(plan__title="Imported after the merge", ref="5.1")
    assert list(imported.owners.all()) == [darr]
    assert Owner.objects.filter(key=dar.key).count() == 1


def test_the_kept_owner_takes_the_duplicates_sign_in_only_if_it_has_none(
    plan_admin, duplicates, director, qa_lead
):
    dar, darr, *_ = duplicates
    dar.user = director
    dar.save()
    people.owners_merge(duplicate=dar, kept=darr, by=plan_admin)
    darr.refresh_from_db()
    assert darr.user == director

    other = factories.OwnerFactory(post="Arif D.", user=qa_lead)
    plan = people.merge_plan(duplicate=other, kept=darr)
    assert plan.unlinked == qa_lead
    people.owners_merge(duplicate=other, kept=darr, by=plan_admin)
    darr.refresh_from_db()
    assert darr.user == director
    assert qa_lead.account_changes.get().kind == AccountChange.Kind.OWNER_UNLINKED


def test_an_earlier_merge_follows_the_kept_owner(plan_admin, duplicates):
    dar, darr, *_ = duplicates
    third = factories.OwnerFactory(post="A Darr")
    people.owners_merge(duplicate=dar, kept=third, by=plan_admin)
    people.owners_merge(duplicate=third, kept=darr, by=plan_admin)
    dar.refresh_from_db()
    assert dar.merged_into == darr


@pytest.mark.parametrize("case", ["itself", "merged duplicate", "merged kept"])
def test_merges_that_make_no_sense_are_refused(plan_admin, duplicates, case):
    dar, darr, *_ = duplicates
    gone = factories.OwnerFactory(post="Gone")
    people.owners_merge(duplicate=gone, kept=darr, by=plan_admin)
    duplicate, kept = {
        "itself": (dar, dar),
        "merged duplicate": (gone, dar),
        "merged kept": (dar, gone),
    }[case]
    with pytest.raises(ValidationError):
        people.owners_merge(duplicate=duplicate, kept=kept, by=plan_admin)
    assert Action.objects.filter(owners=dar).count() == 2


def test_every_relation_to_an_owner_is_handled_by_merging():
    found = set()
    for relation in Owner._meta.get_fields():
        if relation.auto_created and relation.is_relation and not relation.concrete:
            model = relation.related_model._meta
            found.add(f"{model.app_label}.{model.object_name}.{relation.field.name}")
        elif relation.is_relation and relation.related_model is Owner:
            found.add(f"plans.Owner.{relation.name}")
    assert found == set(people.MERGED_RELATIONS), (
        "A relation to Owner that merging does not move: handle it in plans.people."
        "owners_merge and list it in MERGED_RELATIONS"
    )


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_administrators_merging_the_same_pair_both_ways_end_with_one_merge():
    """A merges "Arif Dar" into "Arif Darr" while B merges the other way: B waits for
    A's row locks, then finds the owner it would keep already merged, and is refused."""
    admin = factories.UserFactory(username="merger")
    plan = factories.PlanFactory()
    rec = factories.RecommendationFactory(plan=plan)
    dar = factories.OwnerFactory(post="Arif Dar")
    darr = factories.OwnerFactory(post="Arif Darr")
    factories.ActionFactory(recommendation=rec, ref="1.1", owners=[dar])
    factories.ActionFactory(recommendation=rec, ref="1.2", owners=[darr])
    merged_inside, release = threading.Event(), threading.Event()
    outcome = {}

    def first():
        try:
            with transaction.atomic():
                people.owners_merge(duplicate=dar, kept=darr, by=admin)
                merged_inside.set()
                release.wait(10)  # still holding both owners' row locks
        finally:
            connection.close()

    def second():
        try:
            people.owners_merge(duplicate=darr, kept=dar, by=admin)
            outcome["result"] = "merged"
        except ValidationError as error:
            outcome["result"] = " ".join(error.messages)
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert merged_inside.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)
    assert two.is_alive(), "the second merge should wait for the first to commit"
    release.set()
    one.join(10)
    two.join(10)

    assert outcome["result"] == "Arif Dar has been merged into another owner: choose that one."
    assert Owner.objects.get(pk=dar.pk).merged_into_id == darr.pk
    assert Owner.objects.get(pk=darr.pk).merged_into_id is None
    assert set(Action.objects.values_list("owners", flat=True)) == {darr.pk}


# --- Resetting two-step verification ---------------------------------------------------


def _with_two_step(user):
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    StaticToken.objects.create(device=device, token="0123456789abcdef")
    return user


def test_a_plan_administrator_resets_someones_two_step_verification_with_a_reason(
    director, plan_admin
):
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _with_two_step(director)

    people.two_step_reset(person=director, by=plan_admin, reason="Lost phone; ID checked")

    assert not TOTPDevice.objects.filter(user=director).exists()
    assert not StaticDevice.objects.filter(user=director).exists()
    change = director.account_changes.get()
    assert change.kind == AccountChange.Kind.TWO_STEP_RESET
    assert (change.created_by, change.reason) == (plan_admin, "Lost phone; ID checked")


@pytest.mark.parametrize(
    ("who", "reason", "message"),
    [
        ("plan_admin", "Lost phone", "cannot reset your own"),
        ("director", "  ", "Say why"),
    ],
)
def test_a_reset_needs_a_reason_and_another_administrator(
    request, plan_admin, director, who, reason, message
):
    person = _with_two_step(request.getfixturevalue(who))
    with pytest.raises(ValidationError, match=message):
        people.two_step_reset(person=person, by=plan_admin, reason=reason)
    assert people.has_two_step(person)
    assert not person.account_changes.exists()


def test_there_is_nothing_to_reset_without_an_app(director, plan_admin):
    with pytest.raises(ValidationError, match="no two-step verification to reset"):
        people.two_step_reset(person=director, by=plan_admin, reason="Lost phone")

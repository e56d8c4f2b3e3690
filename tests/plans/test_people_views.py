"""The People and Owners pages (plans/views/people.py), through the test client."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from plans import people, roles
from plans.models import Action, Owner
from tests import factories

User = get_user_model()


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def admin_client(client, plan_admin):
    client.force_login(plan_admin)
    return client


def text(response) -> str:
    """The page with runs of white space collapsed and entities read, so that a
    name such as O'Neill (escaped as O&#x27;Neill) is found as written."""
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def test_the_people_page_lists_roles_and_posts_and_searches(admin_client, owner, qa_lead):
    page = text(admin_client.get(reverse("plans:people")))
    assert "Service director" in page and "QA lead" in page
    assert owner.post in page

    found = text(admin_client.get(reverse("plans:people"), {"q": "practice"}))
    assert "director" in found and qa_lead.get_full_name() not in found
    nobody = text(admin_client.get(reverse("plans:people"), {"q": "zzz-nobody"}))
    assert "Nobody matches “zzz-nobody”." in nobody


def test_people_is_in_the_navigation_of_administrators_only(client, plan_admin, director):
    client.force_login(plan_admin)
    assert 'href="/plans/people/"' in client.get(reverse("plans:plan_list")).content.decode()
    client.force_login(director)
    assert 'href="/plans/people/"' not in client.get(reverse("plans:plan_list")).content.decode()
    assert client.get(reverse("plans:people")).status_code == 403


def test_an_invitation_makes_the_account_and_its_link_sets_the_password(admin_client, client):
    response = admin_client.post(
        reverse("plans:person_invite"),
        {"name": "Arif Darr", "email": "arif@example.org", "roles": [roles.SERVICE_DIRECTOR]},
        follow=True,
    )
    user = User.objects.get(username="arif@example.org")
    assert response.redirect_chain[-1][0] == reverse("plans:person", args=[user.pk])
    assert "Arif Darr is invited." in text(response)
    (message,) = mail.outbox
    link = re.search(r"http://testserver(/accounts/welcome/\S+/)", message.body)[1]

    client.logout()
    page = client.get(link, follow=True)
    assert "Choose your password" in text(page)
    set_password_url = page.redirect_chain[-1][0]
    done = client.post(
        set_password_url,
        {"new_password1": "Kettle-orchard-91", "new_password2": "Kettle-orchard-91"},
        follow=True,
    )
    assert "Your password is set. Sign in with your username, arif@example.org." in text(done)
    user.refresh_from_db()
    assert user.check_password("Kettle-orchard-91")
    again = client.get(link, follow=True)
    assert "This link no longer works" in text(again)


def test_a_duplicate_address_is_refused_on_the_form(admin_client, director):
    response = admin_client.post(
        reverse("plans:person_invite"),
        {"name": "Someone", "email": director.email.upper(), "roles": [roles.QA_LEAD]},
    )
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page
    assert f'<a href="#id_email">{director.get_full_name()} already has an account' in page
    assert not mail.outbox


def test_a_form_without_roles_names_the_field(admin_client):
    response = admin_client.post(
        reverse("plans:person_invite"), {"name": "Sam Lee", "email": "sam@example.org"}
    )
    assert response.status_code == 400
    assert '<a href="#id_roles_0">Choose at least one role.</a>' in text(response)


def test_roles_are_changed_on_the_person_page(admin_client, director):
    response = admin_client.post(
        reverse("plans:person_roles", args=[director.pk]),
        {"shown": "1", "roles": [roles.SERVICE_DIRECTOR, roles.BOARD_MEMBER], "reason": "Board"},
        follow=True,
    )
    assert f"{director.get_full_name()}: given Board member." in text(response)
    assert set(director.groups.values_list("name", flat=True)) == {
        roles.SERVICE_DIRECTOR,
        roles.BOARD_MEMBER,
    }
    assert "Why: Board" in text(response)  # the person's history


def test_clearing_every_box_removes_every_role(admin_client, director):
    admin_client.post(reverse("plans:person_roles", args=[director.pk]), {"shown": "1"})
    assert not director.groups.exists()


def test_an_administrator_is_told_they_cannot_remove_their_own_role(admin_client, plan_admin):
    response = admin_client.post(
        reverse("plans:person_roles", args=[plan_admin.pk]), {"shown": "1", "roles": []}
    )
    assert response.status_code == 400
    assert "You cannot remove your own Plan administrator role." in text(response)
    assert plan_admin.groups.filter(name=roles.PLAN_ADMINISTRATOR).exists()


def test_a_post_is_linked_and_unlinked(admin_client, owner, qa_lead):
    response = admin_client.post(
        reverse("plans:owner_link", args=[owner.pk]), {"person": qa_lead.pk}, follow=True
    )
    assert f"{owner.post} is linked to {qa_lead.get_full_name()}" in text(response)
    owner.refresh_from_db()
    assert owner.user == qa_lead

    response = admin_client.post(reverse("plans:owner_unlink", args=[owner.pk]), follow=True)
    assert f"no longer linked to {qa_lead.get_full_name()}" in text(response)
    owner.refresh_from_db()
    assert owner.user is None


def test_linking_to_nobody_names_the_field(admin_client, owner):
    response = admin_client.post(reverse("plans:owner_link", args=[owner.pk]), {"reason": "x"})
    assert response.status_code == 400
    assert "Choose the person who holds this post." in text(response)


def test_a_merge_is_shown_before_it_is_made(admin_client, plan, period, plan_admin):
    rec = factories.RecommendationFactory(plan=plan, ref="1")
    dar = factories.OwnerFactory(post="Arif Dar")
    darr = factories.OwnerFactory(post="Arif Darr")
    action = factories.ActionFactory(recommendation=rec, ref="1.4", owners=[dar])
    url = reverse("plans:owner_merge", args=[dar.pk])

    assert "Owner to keep" in text(admin_client.get(url))
    preview = admin_client.post(url, {"kept": darr.pk})
    page = text(preview)
    assert "Merge Arif Dar into Arif Darr?" in page and "Nothing has changed yet" in page
    assert "1.4" in page
    assert set(Action.objects.get(pk=action.pk).owners.all()) == {dar}

    done = admin_client.post(url, {"kept": darr.pk, "confirm": "yes"}, follow=True)
    assert "Merged Arif Dar into Arif Darr: 1 action moved." in text(done)
    assert set(Action.objects.get(pk=action.pk).owners.all()) == {darr}
    assert Owner.objects.get(pk=dar.pk).merged_into == darr
    # Gone from the list; asking to merge it again says why not.
    assert "Arif Dar<" not in done.content.decode().replace("Arif Darr<", "")
    again = admin_client.get(url, follow=True)
    assert "has already been merged into Arif Darr" in text(again)


def test_an_owner_cannot_be_chosen_to_keep_itself(admin_client, owner):
    response = admin_client.post(reverse("plans:owner_merge", args=[owner.pk]), {"kept": owner.pk})
    assert response.status_code == 400
    assert "Choose an owner from the list." in text(response)


def test_the_invitation_is_sent_again_from_the_person_page(admin_client, plan_admin):
    user = people.user_invite(
        name="Sam Lee", email="sam@example.org", role_names=[roles.QA_LEAD], by=plan_admin
    )
    page = text(admin_client.get(reverse("plans:person", args=[user.pk])))
    assert "Send the invitation again" in page
    response = admin_client.post(reverse("plans:person_invite_again", args=[user.pk]), follow=True)
    assert "The invitation has been sent again to sam@example.org." in text(response)
    assert len(mail.outbox) == 2


def test_the_person_page_offers_a_reset_of_two_step_verification(client, plan_admin, director):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=director, name="Authenticator app", confirmed=True)
    client.force_login(plan_admin)
    url = reverse("plans:person", args=[director.pk])
    assert "Reset two-step verification" in client.get(url).content.decode()

    response = client.post(
        reverse("plans:person_two_step_reset", args=[director.pk]),
        {"reason": "Lost phone; checked in person"},
        follow=True,
    )

    page = response.content.decode()
    assert "Two-step verification is reset" in page
    assert "Reset two-step verification" not in page
    assert "Lost phone; checked in person" in page  # in the history
    assert not TOTPDevice.objects.filter(user=director).exists()


def test_ones_own_page_shows_no_reset(client, plan_admin):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=plan_admin, name="Authenticator app", confirmed=True)
    client.force_login(plan_admin)
    page = client.get(reverse("plans:person", args=[plan_admin.pk])).content.decode()
    assert "Reset two-step verification" not in page


def test_the_people_pages_are_the_administrators_organisations(client, plan_admin, director):
    """Another organisation's people are neither listed, found nor opened."""
    health_board = factories.OrganisationFactory(name="Example Integrated Care Board")
    theirs = factories.UserFactory(
        first_name="Pat", last_name="Kay", role=roles.QA_LEAD, organisation=health_board
    )
    client.force_login(plan_admin)
    listed = text(client.get(reverse("plans:people")))
    assert director.last_name in listed and "Kay" not in listed
    assert "Kay" not in text(client.get(reverse("plans:people") + "?q=Pat"))
    assert client.get(reverse("plans:person", args=[theirs.pk])).status_code == 404
    page = text(client.get(reverse("plans:person", args=[director.pk])))
    assert "Example Council: they see its plans and those shared with it" in page

"""The accessibility statement: public, linked from every page, naming whom to tell."""

import pytest
from django.urls import reverse

from plans import roles
from tests import factories

pytestmark = pytest.mark.django_db
URL = "/accessibility/"


def test_the_statement_is_read_without_signing_in(client):
    response = client.get(URL)

    assert response.status_code == 200
    text = response.content.decode()
    assert "Accessibility statement for Improvement plans" in text
    assert "partially compliant" in text
    assert "Equality Advisory and Support Service" in text
    assert "last reviewed on 7 December 2026" in text


@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/accounts/password_reset/", URL, "/plans/", "/admin/"]
)
def test_every_page_links_to_it_in_its_footer(client, admin_user, url):
    if url in ("/plans/", "/admin/"):
        client.force_login(admin_user)
    response = client.get(url)

    assert response.status_code == 200
    assert f'href="{reverse("accessibility")}"' in response.content.decode()


def test_without_a_contact_people_are_sent_to_their_plan_administrator(client, settings):
    settings.ACCESSIBILITY_CONTACT_EMAIL = ""
    text = client.get(URL).content.decode()

    assert "ask the plan administrator who gave you your account" in text
    assert "ACCESSIBILITY_CONTACT_EMAIL" not in text  # the set-up note is for staff only


def test_staff_are_told_to_set_a_contact_until_there_is_one(client, settings, admin_user):
    settings.ACCESSIBILITY_CONTACT_EMAIL = ""
    client.force_login(admin_user)
    assert "Set <code>ACCESSIBILITY_CONTACT_EMAIL</code>" in client.get(URL).content.decode()

    settings.ACCESSIBILITY_CONTACT_EMAIL = "access@council.example"
    assert "ACCESSIBILITY_CONTACT_EMAIL" not in client.get(URL).content.decode()


def test_the_operators_name_and_contact_are_shown_escaped(client, settings):
    settings.ACCESSIBILITY_ORGANISATION = "Example <b>Council</b>"
    settings.ACCESSIBILITY_CONTACT_EMAIL = "access@council.example"
    settings.ACCESSIBILITY_CONTACT_PHONE = "0300 000 0000"
    text = client.get(URL).content.decode()

    assert "Example &lt;b&gt;Council&lt;/b&gt;" in text
    assert 'href="mailto:access@council.example"' in text
    assert "call 0300 000 0000" in text
    assert "plan administrator who gave you your account" not in text


def test_a_signed_in_user_sees_it_in_the_sites_frame(client):
    client.force_login(factories.UserFactory(role=roles.BOARD_MEMBER))
    text = client.get(URL).content.decode()

    assert "Sign out" in text

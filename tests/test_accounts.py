"""Sign-in and password reset (improvement.accounts): inputs bounded before anything
is looked up, resets throttled, and the address of the person behind the proxy."""

import re

from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from improvement.accounts import PASSWORD_MAX_LENGTH

USERNAME_LIMIT = get_user_model()._meta.get_field("username").max_length


def test_a_user_name_over_the_limit_is_refused_before_sign_in_is_tried(client, db):
    long_name = "a" * 300
    response = client.post(reverse("login"), {"username": long_name, "password": "anything"})
    page = response.content.decode()
    assert response.status_code == 200
    assert f"A username has at most {USERNAME_LIMIT} characters (this one has 300)." in page
    assert "did not match" not in page
    assert not AccessAttempt.objects.exists()


def test_a_user_name_over_the_limit_is_refused_by_the_admin_sign_in_too(client, db):
    response = client.post(reverse("admin:login"), {"username": "b" * 256, "password": "anything"})
    assert response.status_code == 200
    assert f"A username has at most {USERNAME_LIMIT} characters" in response.content.decode()
    assert not AccessAttempt.objects.exists()


def test_a_user_name_at_the_limit_is_tried_and_counted_as_a_failure(client, db):
    response = client.post(
        reverse("login"), {"username": "c" * USERNAME_LIMIT, "password": "anything"}
    )
    assert "did not match" in response.content.decode()
    assert AccessAttempt.objects.get().failures_since_start == 1


def test_an_email_address_over_the_limit_is_refused_with_the_limit(client, db):
    address = "x" * 250 + "@example.org"
    response = client.post(reverse("password_reset"), {"email": address})
    page = response.content.decode()
    assert response.status_code == 200
    assert "at most 254 characters (it has 262)" in page
    assert mail.outbox == []


def test_a_new_password_over_the_limit_is_refused_with_the_limit(client, director):
    client.post(reverse("password_reset"), {"email": director.email})
    path = re.search(r"/accounts/reset/[^\s]+/", mail.outbox[0].body).group(0)
    form = client.get(path, follow=True)
    long_password = "correct horse battery staple " * 10
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": long_password, "new_password2": long_password},
    )
    assert response.status_code == 200
    assert (
        f"A password has at most {PASSWORD_MAX_LENGTH} characters (this one has 290)."
        in response.content.decode()
    )
    director.refresh_from_db()
    assert director.check_password("pw-for-tests-1")

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


def ask_for_a_reset(client, email: str, address: str = "203.0.113.7"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_twenty_resets_at_once_send_only_the_accounts_allowance(client, director, settings):
    answers = [ask_for_a_reset(client, director.email) for _ in range(20)]
    allowed = settings.PASSWORD_RESETS_PER_ACCOUNT
    assert len(mail.outbox) == allowed
    assert [answer.status_code for answer in answers] == [302] * allowed + [429] * (20 - allowed)
    refused = answers[-1].content.decode()
    assert (
        f"A reset link has been asked for this address {allowed} times in the last "
        f"{settings.PASSWORD_RESET_WINDOW_MINUTES} minutes" in refused
    )


def test_resets_for_many_addresses_from_one_client_address_are_limited(client, db, settings):
    allowed = settings.PASSWORD_RESETS_PER_ADDRESS
    answers = [ask_for_a_reset(client, f"person{n}@example.org") for n in range(allowed + 2)]
    assert [answer.status_code for answer in answers] == [302] * allowed + [429] * 2
    assert "from your network" in answers[-1].content.decode()
    assert ask_for_a_reset(client, "person0@example.org", "198.51.100.4").status_code == 302


def test_the_reset_page_answers_the_same_whether_or_not_the_address_has_an_account(
    client, director, settings
):
    def answers(email: str) -> list[tuple[int, str]]:
        pages = [ask_for_a_reset(client, email) for _ in range(5)]
        return [(page.status_code, page.content.decode().replace(email, "EMAIL")) for page in pages]

    def without_tokens(answers):  # the CSRF token differs from page to page
        return [(status, re.sub(r"[A-Za-z0-9]{64}", "", page)) for status, page in answers]

    known = answers(director.email)
    settings.PASSWORD_RESETS_PER_ADDRESS += 5  # the second run comes from the same client
    unknown = answers("nobody@example.org")
    assert without_tokens(known) == without_tokens(unknown)
    assert {status for status, _ in known} == {302, 429}


def test_the_reset_allowance_comes_back_after_the_window(client, director, settings, monkeypatch):
    import time

    from django.core.cache.backends import locmem

    for _ in range(settings.PASSWORD_RESETS_PER_ACCOUNT + 1):
        ask_for_a_reset(client, director.email)
    later = time.time() + settings.PASSWORD_RESET_WINDOW_MINUTES * 60 + 1
    monkeypatch.setattr(locmem.time, "time", lambda: later)
    assert ask_for_a_reset(client, director.email).status_code == 302


def lock_out(client, username: str, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": username, "password": "wrong"})
    assert response.status_code == 429
    return response


def test_the_locked_out_page_says_how_long_and_what_lifts_the_lock(client, director, settings):
    page = lock_out(client, "director", settings).content.decode()
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    assert f"{minutes} minutes have passed without another attempt" in page
    assert "Once you have chosen a new password, you can sign in with it at once." in page


def test_a_completed_password_reset_lifts_the_lock(client, director, settings):
    lock_out(client, "director", settings)
    client.post(reverse("password_reset"), {"email": director.email})
    path = re.search(r"/accounts/reset/[^\s]+/", mail.outbox[0].body).group(0)
    form = client.get(path, follow=True)
    new = {"new_password1": "a-Long-new-passphrase-9", "new_password2": "a-Long-new-passphrase-9"}
    client.post(form.redirect_chain[-1][0], new)
    signed_in = client.post(
        reverse("login"), {"username": "director", "password": "a-Long-new-passphrase-9"}
    )
    assert signed_in.status_code == 302
    assert not AccessAttempt.objects.filter(username="director").exists()


def test_an_empty_sign_in_says_what_to_enter(client, db):
    response = client.post(reverse("login"), {"username": "", "password": ""})
    page = response.content.decode()
    assert "Enter your username" in page and "Enter your password" in page
    assert "This field is required" not in page


def test_an_empty_reset_request_and_new_password_say_what_to_enter(client, director):
    page = client.post(reverse("password_reset"), {"email": ""}).content.decode()
    assert "Enter the e-mail address your account uses" in page
    client.post(reverse("password_reset"), {"email": director.email})
    path = re.search(r"/accounts/reset/[^\s]+/", mail.outbox[0].body).group(0)
    form = client.get(path, follow=True)
    page = client.post(form.redirect_chain[-1][0], {}).content.decode()
    assert "Enter a new password" in page and "Enter the new password again" in page
    assert "This field is required" not in page


def test_changing_a_password_with_nothing_entered_says_what_to_enter(client, director):
    client.force_login(director)
    page = client.post(reverse("password_change"), {}).content.decode()
    assert "Enter your current password" in page
    assert "This field is required" not in page

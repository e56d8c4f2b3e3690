"""Signing in and out, and resetting a forgotten password by email, in our own layout."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.core import mail
from django.urls import reverse


def test_the_sign_in_page_uses_our_layout(client, db):
    page = client.get(reverse("login")).content.decode()
    assert '<link rel="stylesheet" href="/static/css/app.css">' in page
    assert '<label for="id_username">Username</label>' in page
    assert reverse("password_reset") in page


def test_a_director_signs_in_and_lands_on_my_actions(client, director):
    response = client.post(
        reverse("login"), {"username": "director", "password": "pw-for-tests-1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("plans:my_actions")
    assert "<h1>My actions</h1>" in response.content.decode()


def test_a_wrong_password_shows_an_error_summary(client, director):
    response = client.post(reverse("login"), {"username": "director", "password": "wrong"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "<title>Error: Sign in" in page


def test_signing_in_returns_to_the_page_asked_for(client, director, action):
    target = reverse("plans:action", args=[action.pk])
    response = client.get(target)
    assert response["Location"] == f"{reverse('login')}?next={target}"
    response = client.post(
        reverse("login"),
        {"username": "director", "password": "pw-for-tests-1", "next": target},
    )
    assert response["Location"] == target


def test_sign_out_is_a_post_and_ends_the_session(client, director):
    client.force_login(director)
    page = client.get(reverse("plans:my_actions")).content.decode()
    assert f'action="{reverse("logout")}"' in page
    assert client.get(reverse("logout")).status_code == 405  # a link cannot sign you out
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert client.get(reverse("plans:my_actions")).status_code == 302


def test_a_password_reset_is_emailed_and_lets_the_user_choose_a_new_password(client, director):
    page = client.get(reverse("password_reset")).content.decode()
    assert "<h1>Reset your password</h1>" in page
    assert '<link rel="stylesheet" href="/static/css/app.css">' in page
    response = client.post(reverse("password_reset"), {"email": director.email}, follow=True)
    assert "<h1>Check your email</h1>" in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Reset your password for Improvement plans"
    assert message.to == [director.email]
    link = re.search(r"https?://[^\s]+/accounts/reset/[^\s]+/", message.body).group(0)
    path = link.split("testserver", 1)[1]

    form = client.get(path, follow=True)
    assert "<h1>Choose a new password</h1>" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-Long-new-passphrase-9", "new_password2": "a-Long-new-passphrase-9"},
        follow=True,
    )
    assert "<h1>Your password has been changed</h1>" in done.content.decode()
    signed_in = client.post(
        reverse("login"), {"username": "director", "password": "a-Long-new-passphrase-9"}
    )
    assert signed_in.status_code == 302


def test_a_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert "<h1>Check your email</h1>" in response.content.decode()
    assert mail.outbox == []


def test_a_used_reset_link_no_longer_works(client, director):
    client.post(reverse("password_reset"), {"email": director.email})
    path = re.search(r"/accounts/reset/[^\s]+/", mail.outbox[0].body).group(0)
    form = client.get(path, follow=True)
    new = {"new_password1": "a-Long-new-passphrase-9", "new_password2": "a-Long-new-passphrase-9"}
    client.post(form.redirect_chain[-1][0], new)
    again = client.get(path, follow=True)
    assert "This link no longer works" in again.content.decode()


def test_a_weak_new_password_is_refused_with_the_reason(client, director):
    client.post(reverse("password_reset"), {"email": director.email})
    path = re.search(r"/accounts/reset/[^\s]+/", mail.outbox[0].body).group(0)
    form = client.get(path, follow=True)
    response = client.post(
        form.redirect_chain[-1][0], {"new_password1": "password", "new_password2": "password"}
    )
    page = response.content.decode()
    assert "There is a problem" in page
    assert '<a href="#id_new_password2">This password is too common.</a>' in page


def test_without_an_smtp_host_reset_emails_are_printed_to_the_console(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"EMAIL_HOST", "DATABASE_URL"}}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--verbosity=0",
            "-c",
            "from django.conf import settings as s; print(s.EMAIL_BACKEND)",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env={**env, "DEBUG": "true", "VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == "django.core.mail.backends.console.EmailBackend", result.stderr


def test_with_the_console_backend_the_reset_link_is_printed(client, director, settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    client.post(reverse("password_reset"), {"email": director.email})
    printed = capsys.readouterr().out
    assert "Subject: Reset your password for Improvement plans" in printed
    path = re.search(r"/accounts/reset/[^\s]+/", printed).group(0)
    assert "<h1>Choose a new password</h1>" in client.get(path, follow=True).content.decode()

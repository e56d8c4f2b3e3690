"""Repeated failed sign-ins lock the account for a while (django-axes)."""

import datetime as dt

from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from plans import roles
from tests import factories


def _attempt(client, password: str):
    return client.post(
        reverse("login"),
        {"username": "board", "password": password},
        REMOTE_ADDR="203.0.113.7",
    )


def test_five_failures_lock_the_account_even_for_the_right_password(db, client, settings):
    factories.UserFactory(username="board", role=roles.BOARD_MEMBER)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _attempt(client, "wrong-password").status_code == 200
    assert _attempt(client, "wrong-password").status_code == 429
    locked = _attempt(client, "pw-for-tests-1")
    assert locked.status_code == 429
    assert b"<h1>Sign-in paused</h1>" in locked.content
    assert "_auth_user_id" not in client.session


def test_fewer_failures_than_the_limit_still_let_the_right_password_in(db, client, settings):
    factories.UserFactory(username="board", role=roles.BOARD_MEMBER)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _attempt(client, "wrong-password")
    response = _attempt(client, "pw-for-tests-1")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


PROXY = "10.0.0.2"  # the TLS proxy in front of gunicorn, as the web process sees it


def _attempt_through_proxy(client, password: str, forwarded_for: str, username="board"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def _lock_out(client, forwarded_for: str, settings) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt_through_proxy(client, "wrong-password", forwarded_for)
    assert _attempt_through_proxy(client, "wrong-password", forwarded_for).status_code == 429


def test_behind_the_proxy_one_persons_lock_out_leaves_others_signing_in(db, client, settings):
    settings.BEHIND_TLS_PROXY = True
    factories.UserFactory(username="board", role=roles.BOARD_MEMBER)
    _lock_out(client, "203.0.113.7", settings)
    elsewhere = _attempt_through_proxy(client, "pw-for-tests-1", "198.51.100.4")
    assert elsewhere.status_code == 302


def test_behind_the_proxy_only_the_address_the_proxy_added_counts(db, client, settings):
    """A client may write its own X-Forwarded-For; the proxy appends the address it saw,
    so only the last entry is trusted and a made-up one per attempt escapes nothing."""
    settings.BEHIND_TLS_PROXY = True
    factories.UserFactory(username="board", role=roles.BOARD_MEMBER)
    for n in range(settings.AXES_FAILURE_LIMIT):
        _attempt_through_proxy(client, "wrong-password", f"192.0.2.{n}, 203.0.113.7")
    locked = _attempt_through_proxy(client, "pw-for-tests-1", "192.0.2.99, 203.0.113.7")
    assert locked.status_code == 429


def test_without_the_proxy_setting_a_forwarded_address_is_ignored(db, client, settings):
    settings.BEHIND_TLS_PROXY = False
    factories.UserFactory(username="board", role=roles.BOARD_MEMBER)
    for n in range(settings.AXES_FAILURE_LIMIT):
        _attempt_through_proxy(client, "wrong-password", f"198.51.100.{n}")
    assert _attempt_through_proxy(client, "pw-for-tests-1", "198.51.100.99").status_code == 429


def test_a_lock_out_is_for_the_user_name_at_that_address_only(db, client, settings):
    """Staff of one council share its NAT address: one of them locked out leaves the
    others at that address signing in."""
    settings.BEHIND_TLS_PROXY = True
    factories.UserFactory(username="board", role=roles.BOARD_MEMBER)
    factories.UserFactory(username="clerk", role=roles.COMMITTEE_CLERK)
    _lock_out(client, "203.0.113.7", settings)
    colleague = _attempt_through_proxy(client, "pw-for-tests-1", "203.0.113.7", "clerk")
    assert colleague.status_code == 302


def _minutes_since_the_last_attempt(minutes: int) -> None:
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=minutes))


def test_the_pause_ends_when_the_cool_off_passes_without_an_attempt(db, client, settings):
    """What the locked-out page says: the pause lasts AXES_COOLOFF_TIME after the last
    attempt, and an attempt during it, even with the right password, starts it again."""
    factories.UserFactory(username="board", role=roles.BOARD_MEMBER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "wrong-password")
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    _minutes_since_the_last_attempt(minutes - 1)
    assert _attempt(client, "pw-for-tests-1").status_code == 429
    restarted = AccessAttempt.objects.get().attempt_time
    assert timezone.now() - restarted < dt.timedelta(minutes=1)
    _minutes_since_the_last_attempt(minutes + 1)
    assert _attempt(client, "pw-for-tests-1").status_code == 302

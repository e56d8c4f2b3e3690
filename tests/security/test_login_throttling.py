"""Repeated failed sign-ins lock the account for a while (django-axes)."""

from django.urls import reverse

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
    assert b"Too many failed sign-in attempts" in locked.content
    assert "_auth_user_id" not in client.session


def test_fewer_failures_than_the_limit_still_let_the_right_password_in(db, client, settings):
    factories.UserFactory(username="board", role=roles.BOARD_MEMBER)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _attempt(client, "wrong-password")
    response = _attempt(client, "pw-for-tests-1")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session

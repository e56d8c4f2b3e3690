"""Signing in and resetting a password: Django's own views and forms, with inputs
bounded before anything is looked up, and the address of the person signing in.

A user name longer than the user model allows is refused by the form itself, before
`authenticate()` runs: otherwise django-axes records the failed attempt with the whole
name, which PostgreSQL refuses (a 500 on the sign-in page for anyone who pastes a long
text into it). New passwords have a maximum length too, through the password validator
below, which every form that sets a password runs.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest

USERNAME_MAX_LENGTH: int = get_user_model()._meta.get_field("username").max_length
# Far longer than any passphrase (NIST asks that at least 64 be allowed); short enough
# that hashing and the similarity check stay cheap.
PASSWORD_MAX_LENGTH = 256


def client_address(request: HttpRequest) -> str | None:
    """The address of the person making the request (AXES_CLIENT_IP_CALLABLE, so that
    django-axes counts failed sign-ins by it).

    With BEHIND_TLS_PROXY set, the address the proxy saw: the last entry of
    X-Forwarded-For, which the proxy appends. Entries before it are whatever the client
    sent, so they are never trusted. Otherwise, or when the header is missing or not an
    address, the connection's own address: the header is then the client's to write,
    and trusting it would let anyone pick a fresh address for each attempt."""
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")


def too_long(what: str, value: str, limit: int) -> ValidationError | None:
    """The error for a value over its limit, saying the limit and the value's length."""
    if len(value) <= limit:
        return None
    return ValidationError(
        f"{what} has at most {limit:,} characters (this one has {len(value):,}).",
        code="max_length",
    )


class _UsernameWithinLimit:
    """A user name over the limit is a field error, so `clean()` never authenticates
    with it (Django's form sets the field's max_length after the field has been made,
    which adds no validator)."""

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        error = too_long("A username", username, USERNAME_MAX_LENGTH)
        if error:
            raise error
        return username


class SignInForm(_UsernameWithinLimit, auth_forms.AuthenticationForm):
    """The sign-in page's form."""


class AdminSignInForm(_UsernameWithinLimit, AdminAuthenticationForm):
    """The admin's sign-in form."""


class MaximumLengthValidator:
    """AUTH_PASSWORD_VALIDATORS: a new password has at most PASSWORD_MAX_LENGTH
    characters."""

    def validate(self, password: str, user=None) -> None:
        error = too_long("A password", password, PASSWORD_MAX_LENGTH)
        if error:
            raise error

    def get_help_text(self) -> str:
        return f"Your password can have up to {PASSWORD_MAX_LENGTH:,} characters."

"""Signing in and resetting a password: Django's own views and forms, with inputs
bounded before anything is looked up, the address of the person signing in, reset
emails throttled, and a lock-out that a completed reset ends.

A user name longer than the user model allows is refused by the form itself, before
`authenticate()` runs: otherwise django-axes records the failed attempt with the whole
name, which PostgreSQL refuses (a 500 on the sign-in page for anyone who pastes a long
text into it). New passwords have a maximum length too, through the password validator
below, which every form that sets a password runs.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import backends as auth_backends
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sso.backends import password_allowed

logger = logging.getLogger(__name__)

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


# What a missing answer says on the sign-in and password pages, instead of Django's
# "This field is required.".
REQUIRED = {
    "username": "Enter your username",
    "password": "Enter your password",
    "email": "Enter the e-mail address your account uses",
    "old_password": "Enter your current password",
    "new_password1": "Enter a new password",
    "new_password2": "Enter the new password again",
}


class _PlainRequired:
    """Each required field of the form says what to enter when it is left empty."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name in REQUIRED:
                field.error_messages["required"] = REQUIRED[name]


class SignInForm(_PlainRequired, _UsernameWithinLimit, auth_forms.AuthenticationForm):
    """The sign-in page's form."""


class ResetRequestForm(_PlainRequired, auth_forms.PasswordResetForm):
    """Asking for a password reset link."""


class NewPasswordForm(_PlainRequired, auth_forms.SetPasswordForm):
    """Choosing a password through a reset or invitation link."""


class ChangePasswordForm(_PlainRequired, auth_forms.PasswordChangeForm):
    """Changing one's password while signed in."""


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


def locked_out(request: HttpRequest, *args) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the page for a locked user name, saying how long the lock
    lasts and what ends it sooner."""
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return render(
        request,
        "registration/locked_out.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def _count(key: str) -> int:
    """How many times `key` has been counted in the current window, this time included.
    The window starts with the first count and lasts PASSWORD_RESET_WINDOW_MINUTES."""
    cache = caches["throttle"]
    window = settings.PASSWORD_RESET_WINDOW_MINUTES * 60
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between the two calls
        cache.set(key, 1, window)
        return 1


def password_reset_refusal(*, email: str, address: str | None) -> str:
    """Count a request for a reset link and say why it may not be sent, or "" if it may.

    Counted for the email address asked for, whether or not an account has it, so that
    the answer never tells whether one does; and for the client address, so that one
    client cannot mail many people. The limits are the PASSWORD_RESET* settings."""
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    minutes = settings.PASSWORD_RESET_WINDOW_MINUTES
    try:
        for_account = _count(f"reset:account:{account}")
        from_address = _count(f"reset:address:{address}")
    except Exception:  # a broken cache must not stop people resetting their password
        logger.warning("Password reset throttle unavailable", exc_info=True)
        return ""
    if from_address > settings.PASSWORD_RESETS_PER_ADDRESS:
        return (
            f"Reset links have been asked for from your network "
            f"{settings.PASSWORD_RESETS_PER_ADDRESS} times in the last {minutes} minutes. "
            "Try again later, or ask your plan administrator to set a new password."
        )
    if for_account > settings.PASSWORD_RESETS_PER_ACCOUNT:
        return (
            f"A reset link has been asked for this address "
            f"{settings.PASSWORD_RESETS_PER_ACCOUNT} times in the last {minutes} minutes. "
            "If an account has this address, the newest email has a link that works: "
            "use that one, or try again later."
        )
    return ""


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, throttled (password_reset_refusal)."""

    form_class = ResetRequestForm

    def form_valid(self, form):
        refusal = password_reset_refusal(
            email=form.cleaned_data["email"], address=client_address(self.request)
        )
        if refusal:
            form.add_error(None, refusal)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's new-password step. A password chosen through a reset link also ends a
    sign-in lock-out of the account's user name: whoever holds the mailbox has shown
    that they are the account's owner, and the guesses were at the old password."""

    form_class = NewPasswordForm

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(username=form.user.get_username())
        return response


class ModelBackend(auth_backends.ModelBackend):
    """Django's backend, loading the person's organisation (`plans.Membership`) with
    them on each request: `plans.access` reads it without a query of its own. In
    single-sign-on-only mode it refuses every account but the emergency ones
    (`sso.backends.password_allowed`), both at sign-in and for a session made before."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and password_allowed(user)

    def get_user(self, user_id):
        user = (
            get_user_model()
            ._default_manager.select_related("membership")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None

"""A second factor for local accounts: a six-digit code from an authenticator app (TOTP),
or one of ten recovery codes, through django-otp.

Who must use it: with ``MFA_REQUIRED`` on (the default in production), plan
administrators and staff users; anyone else may turn it on from their account page.
Whoever has it on is asked for a code after their password at every sign-in (the
product's sign-in page and the admin's alike), and reaches no page until they give one;
whoever must have it and has not set it up is sent to set it up first. django-axes
still counts wrong passwords, and django-otp throttles wrong codes (each failure doubles
the wait before the next try).

What a session still owes is worked out once, when the person signs in, and kept in
the session (``SESSION_KEY``), so that pages make no query for it. Recovery codes are
kept as keyed hashes (``recovery_hash``), never as the codes themselves, and each works
once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import b32encode
from binascii import unhexlify

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from plans import people, roles

SESSION_KEY = "second_factor"
# What the session still owes, kept under SESSION_KEY.
VERIFY = "verify"  # a code, before any page
SET_UP = "set up"  # setting up an authenticator app, before any page
RECOVERY_CODES = 10
RECOVERY_CODE_LENGTH = 12  # letters and digits (base32): 60 bits each
APP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def is_required(user) -> bool:
    """Whether ``user`` must use a second factor: plan administrators and staff, while
    MFA_REQUIRED is on; and the emergency accounts, the only ones with passwords, in
    single-sign-on-only mode, whatever MFA_REQUIRED says."""
    if settings.SSO_ONLY and user.get_username() in settings.SSO_EMERGENCY_ACCOUNTS:
        return True
    return settings.MFA_REQUIRED and (
        user.is_staff or user.is_superuser or roles.is_plan_admin(user)
    )


# Whoever signs in through the council's identity provider gives their second factor
# there (Entra ID's conditional access), not here.
SSO_BACKEND = "sso.backends.SignInBackend"


def app_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_device(user) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).first()


# Whether the user has an authenticator app set up, and taking it away with the
# recovery codes: the rules the People pages use too.
has_second_factor = people.has_two_step


@receiver(user_logged_in, dispatch_uid="improvement.mfa.owed_at_sign_in")
def _owed_at_sign_in(sender, request, user, **kwargs) -> None:
    """Work out what a new session owes before it may see a page."""
    if request is None or not hasattr(request, "session"):
        return
    if getattr(user, "backend", None) == SSO_BACKEND:
        request.session.pop(SESSION_KEY, None)
        return
    if has_second_factor(user):
        request.session[SESSION_KEY] = VERIFY
    elif is_required(user):
        request.session[SESSION_KEY] = SET_UP
    else:
        request.session.pop(SESSION_KEY, None)


def owed(request: HttpRequest) -> str | None:
    """VERIFY, SET_UP or None: what this session must do before it sees a page."""
    if not request.user.is_authenticated:
        return None
    return request.session.get(SESSION_KEY)


def settle(request: HttpRequest, device) -> None:
    """The session has given a code from ``device``: nothing more is owed."""
    from django_otp import login as otp_login

    otp_login(request, device)
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


# The pages a session that owes a code may still reach (besides the static files, which
# WhiteNoise serves before this middleware).
_OPEN_URL_NAMES = ("mfa_verify", "mfa_setup", "logout", "accessibility", "healthz")


class SecondFactorMiddleware:
    """Sends a session that owes a code (or the setting up of an app) to the page for
    it, from every other page, the admin included; answers htmx requests with a full
    redirect (HX-Redirect) so that no fragment is swapped in."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self._open_paths: frozenset[str] | None = None

    def open_paths(self) -> frozenset[str]:
        if self._open_paths is None:
            self._open_paths = frozenset(reverse(name) for name in _OPEN_URL_NAMES)
        return self._open_paths

    def __call__(self, request: HttpRequest):
        state = owed(request)
        if state is None or request.path_info in self.open_paths():
            return self.get_response(request)
        target = reverse("mfa_verify" if state == VERIFY else "mfa_setup")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            response = redirect(target)
            response["HX-Redirect"] = target
            return response
        return redirect(target)


# Recovery codes ---------------------------------------------------------------------------


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def recovery_hash(code: str) -> str:
    """What is stored for a recovery code: a hash keyed with SECRET_KEY, as long as
    django-otp's token column holds (16 hex digits), so that the stored values alone
    give nobody a way in."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), b"recovery:" + _normalise(code).encode(), hashlib.sha256
    )
    return digest.hexdigest()[:16]


def new_recovery_codes(user) -> list[str]:
    """Ten new recovery codes for ``user``, replacing any earlier ones; returned once,
    for the person to keep, as groups of four ("ab3d-ef7h-jk2m")."""
    codes = [
        b32encode(secrets.token_bytes(8)).decode().lower()[:RECOVERY_CODE_LENGTH]
        for _ in range(RECOVERY_CODES)
    ]
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        StaticToken.objects.bulk_create(
            StaticToken(device=device, token=recovery_hash(code)) for code in codes
        )
    return ["-".join(code[i : i + 4] for i in range(0, len(code), 4)) for code in codes]


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_NAME).count()


# Checking a code --------------------------------------------------------------------------


def check_code(user, code: str):
    """The device that accepts ``code`` (an app's six digits, or a recovery code, which
    is used up), or a refusal: ``(device, None)`` or ``(None, reason)``."""
    code = code.strip()
    digits = code.replace(" ", "")
    if digits.isdigit() and len(digits) == 6:
        return _try(
            app_device(user),
            digits,
            missing="Your account has no authenticator app set up.",
            wrong="That code is not right, or it has been used already. Enter the code your "
            "app shows now.",
        )
    return _try(
        recovery_device(user),
        recovery_hash(code),
        missing="Enter the 6-digit code from your authenticator app.",
        wrong="That is not one of your recovery codes, or it has been used already. Each "
        "recovery code works once.",
    )


def _try(device, token: str, *, missing: str, wrong: str):
    if device is None:
        return None, missing
    allowed, why = device.verify_is_allowed()
    if not allowed:
        return None, _throttled(why)
    if device.verify_token(token):
        return device, None
    return None, wrong


def _throttled(why: dict | None) -> str:
    until = (why or {}).get("locked_until")
    if until is None:
        return "Too many wrong codes. Wait a minute, then try again."
    from django.utils import timezone

    seconds = max(1, round((until - timezone.now()).total_seconds()))
    return f"Too many wrong codes. Wait {seconds} seconds, then try again."


# Setting up an app ------------------------------------------------------------------------


def new_app_key() -> str:
    """A new TOTP secret (hex, as django-otp stores it), kept in the session until the
    person has shown their app produces codes from it."""
    return secrets.token_hex(20)


def app_secret_for_typing(key: str) -> str:
    """The secret as an app asks for it when it is typed in: base32, in groups of four."""
    text = b32encode(unhexlify(key)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def unsaved_app_device(user, key: str) -> TOTPDevice:
    """The device an app set up with ``key`` would be, not saved: for its QR code."""
    return TOTPDevice(user=user, key=key, name=APP_NAME, confirmed=False)


def confirm_app(user, key: str, code: str) -> TOTPDevice | None:
    """Save the app's device if ``code`` is one it produces now; None if it is not.
    The code is checked without a device row (django-otp's device saves itself to count
    a failure), and is marked used, so that it cannot also sign the person in."""
    totp = TOTP(unhexlify(key), step=30, t0=0, digits=6, drift=0)
    digits = code.replace(" ", "")
    if not (digits.isdigit() and totp.verify(int(digits), tolerance=1)):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        return TOTPDevice.objects.create(
            user=user, key=key, name=APP_NAME, confirmed=True, last_t=totp.t(), drift=totp.drift
        )


remove_second_factor = people.remove_two_step

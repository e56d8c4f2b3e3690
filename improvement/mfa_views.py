"""The pages of two-step verification: the code after the password, setting up an
authenticator app, and the account's page for it (improvement/mfa.py has the rules)."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from improvement import mfa
from plans.bounds import BoundedForm
from plans.views.common import safe_next

SETUP_KEY = "mfa_setup_key"
SETUP_FAILURES = "mfa_setup_failures"
# Wrong codes allowed while setting up before a new secret (and QR code) is made.
SETUP_ATTEMPTS = 5


class CodeForm(BoundedForm):
    code = forms.CharField(
        label="Code",
        max_length=32,
        strip=True,
        error_messages={"required": "Enter the code from your authenticator app"},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "class": "input-code"}
        ),
    )


def _next(request: HttpRequest) -> str:
    return safe_next(request, request.POST.get("next") or request.GET.get("next", "")) or "/"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The code asked for after the password, before any page."""
    if mfa.owed(request) != mfa.VERIFY:
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, refusal = mfa.check_code(request.user, form.cleaned_data["code"])
        if device is None:
            form.add_error("code", refusal)
        else:
            mfa.settle(request, device)
            if device.name == mfa.RECOVERY_NAME:
                left = mfa.recovery_codes_left(request.user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code. You have {left} left: make new "
                    "ones from your account's two-step verification page if you are running out.",
                )
            return redirect(_next(request))
    return render(
        request,
        "registration/mfa_verify.html",
        {"form": form, "next": _next(request)},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the secret), then give a
    code from the app to show it works. The recovery codes are shown once, at the end."""
    owed = mfa.owed(request)
    if owed == mfa.VERIFY:
        return redirect("mfa_verify")
    key = request.session.get(SETUP_KEY) or mfa.new_app_key()
    request.session[SETUP_KEY] = key
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = mfa.confirm_app(request.user, key, form.cleaned_data["code"])
        if device is not None:
            request.session.pop(SETUP_KEY, None)
            request.session.pop(SETUP_FAILURES, None)
            mfa.settle(request, device)
            codes = mfa.new_recovery_codes(request.user)
            return _show_recovery_codes(request, codes, first=True)
        failures = request.session.get(SETUP_FAILURES, 0) + 1
        request.session[SETUP_FAILURES] = failures
        if failures >= SETUP_ATTEMPTS:
            request.session[SETUP_KEY] = key = mfa.new_app_key()
            request.session[SETUP_FAILURES] = 0
            form.add_error(
                "code",
                "That code did not match five times, so there is a new QR code below. Remove "
                "the old entry from your app, scan this one, then enter the code it shows.",
            )
        else:
            form.add_error(
                "code",
                "That code does not match. Check the app shows Improvement plans, and "
                "enter the code it shows now.",
            )
    device = mfa.unsaved_app_device(request.user, key)
    qr = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return render(
        request,
        "registration/mfa_setup.html",
        {
            "form": form,
            "qr_svg": mark_safe(qr.to_string(encoding="unicode")),  # noqa: S308 - drawn by qrcode
            "secret": mfa.app_secret_for_typing(key),
            "required": owed == mfa.SET_UP,
            "replacing": mfa.has_second_factor(request.user),
        },
    )


def _show_recovery_codes(request: HttpRequest, codes: list[str], *, first: bool) -> HttpResponse:
    response = render(
        request,
        "registration/mfa_recovery_codes.html",
        {"codes": codes, "first": first, "next": _next(request)},
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest) -> HttpResponse:
    """The account's two-step verification: whether it is on, the recovery codes left,
    new recovery codes, and turning it off where it is not required."""
    user = request.user
    required = mfa.is_required(user)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "new-codes" and mfa.has_second_factor(user):
            return _show_recovery_codes(request, mfa.new_recovery_codes(user), first=False)
        if action == "turn-off" and mfa.has_second_factor(user) and not required:
            mfa.remove_second_factor(user)
            messages.success(request, "Two-step verification is off for your account.")
        return redirect("mfa_manage")
    return render(
        request,
        "registration/mfa_manage.html",
        {
            "app": mfa.app_device(user),
            "codes_left": mfa.recovery_codes_left(user),
            "required": required,
        },
    )

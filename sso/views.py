"""Starting a sign-in at the provider, and its answer (the redirect URI). Whatever goes
wrong on the way ends on one page that says what happened (`refused`), never on an error
page: a token that fails a check, a state already used, the provider saying no."""

from __future__ import annotations

import logging

import requests
from django.contrib import auth
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from mozilla_django_oidc import views as oidc_views

from sso import provider
from sso.services import SignInRefused

logger = logging.getLogger(__name__)

UNAVAILABLE = "The council's sign-in service is not answering. Try again in a few minutes."
NOT_THIS_SIGN_IN = (
    "This sign-in link has already been used or did not start here. Start again from the "
    "sign-in page."
)
# The provider's errors (OpenID Connect Core 3.1.2.6), as the person should read them.
PROVIDER_ERRORS = {
    "login_required": "Your session with the council's sign-in service has ended.",
    "interaction_required": "Your session with the council's sign-in service has ended.",
    "access_denied": "The council's sign-in service did not let you in to this application.",
}
NOT_CONFIRMED = "The council's sign-in service did not confirm who you are."
INACTIVE = "Your account here is switched off. Ask a plan administrator."


def refused(request: HttpRequest, reason: str, *, status: int = 403) -> HttpResponse:
    """The page for a sign-in that did not happen, saying why; whoever was signed in is
    signed out (a refresh that fails ends the session)."""
    if request.user.is_authenticated:
        auth.logout(request)
    return render(request, "registration/sso_refused.html", {"reason": reason}, status=status)


class Start(oidc_views.OIDCAuthenticationRequestView):
    """To the provider's sign-in page, with state, nonce and a PKCE challenge kept in the
    session."""

    def __init__(self, **kwargs):
        oidc_views.View.__init__(self, **kwargs)

    def get(self, request):
        if not provider.enabled():
            raise Http404("Single sign-on is not set up.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider.endpoint("authorization_endpoint")
        except provider.ProviderUnavailable:
            return refused(request, UNAVAILABLE, status=503)
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        return super().get(request)


class Callback(oidc_views.OIDCAuthenticationCallbackView):
    """The provider's answer: the code exchanged for tokens, the ID token checked, the
    person signed in; or the page saying why not."""

    def get(self, request):
        if not provider.enabled():
            raise Http404("Single sign-on is not set up.")
        try:
            return super().get(request)
        except SignInRefused as error:
            logger.warning("Single sign-on refused: %s", error.reason)
            return refused(request, error.reason)
        except SuspiciousOperation as error:
            logger.warning("Single sign-on refused: %s", error)
            return refused(request, NOT_THIS_SIGN_IN)
        except provider.ProviderUnavailable:
            return refused(request, UNAVAILABLE, status=503)
        except requests.RequestException as error:
            # The token endpoint said no (a code used twice, a wrong PKCE verifier) or
            # could not be reached.
            logger.warning("Single sign-on: the token request failed: %s", error)
            return refused(request, NOT_CONFIRMED)

    def login_failure(self):
        error = self.request.GET.get("error")
        if error:
            logger.info("Single sign-on: the provider answered %s", error)
            return refused(self.request, PROVIDER_ERRORS.get(error, NOT_CONFIRMED))
        if "code" in self.request.GET and "oidc_states" not in self.request.session:
            return refused(self.request, NOT_THIS_SIGN_IN)
        user = getattr(self, "user", None)
        if user is not None and not user.is_active:
            return refused(self.request, INACTIVE)
        return refused(self.request, NOT_CONFIRMED)


start = Start.as_view()
callback = Callback.as_view()

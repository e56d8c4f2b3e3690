"""Checking a signed-in session with the provider again (mozilla-django-oidc's
SessionRefresh): every OIDC_SESSION_REFRESH_SECONDS the next page sends the browser to the
provider without a prompt, and comes back signed in afresh (the roles mapped again) or
signed out. An account disabled at the provider so loses access within that interval."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from mozilla_django_oidc.middleware import SessionRefresh as _SessionRefresh

from sso import provider, views

_EXEMPT_URL_NAMES = (
    "oidc_authentication_init",
    "oidc_authentication_callback",
    "logout",
    "accessibility",
    "healthz",
)


class SessionRefresh(_SessionRefresh):
    """mozilla-django-oidc's middleware, reading its settings when a request comes and
    doing nothing while single sign-on is off."""

    def __init__(self, get_response):
        MiddlewareMixin.__init__(self, get_response)

    @property
    def OIDC_OP_AUTHORIZATION_ENDPOINT(self) -> str:  # noqa: N802
        return provider.endpoint("authorization_endpoint")

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:  # noqa: N802
        return settings.OIDC_RP_CLIENT_ID

    @property
    def OIDC_RP_SCOPES(self) -> str:  # noqa: N802
        return settings.OIDC_RP_SCOPES

    OIDC_EXEMPT_URLS: list = []

    @cached_property
    def exempt_urls(self) -> set[str]:
        """Pages that never send the browser to the provider: the sign-in's own, signing
        out, and those open to everyone."""
        return {reverse(name) for name in _EXEMPT_URL_NAMES}

    OIDC_STATE_SIZE = 32
    OIDC_NONCE_SIZE = 32
    OIDC_USE_NONCE = True
    OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"

    def process_request(self, request):
        if not provider.enabled():
            return None
        try:
            response = super().process_request(request)
        except provider.ProviderUnavailable:
            return views.refused(request, views.UNAVAILABLE, status=503)
        if response is not None and request.headers.get("HX-Request"):
            return self._reload_page(request)
        return response

    @staticmethod
    def _reload_page(request):
        """An htmx request cannot follow the redirect to the provider (another origin):
        the browser loads the page it is on again instead, which then goes to the
        provider as a whole page."""
        page = request.headers.get("HX-Current-URL", "")
        if not url_has_allowed_host_and_scheme(
            page, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            page = reverse("home")
        response = HttpResponse()
        response["HX-Redirect"] = page
        return response

"""The identity provider's configuration: whether single sign-on is on, and the
provider's endpoints, read from its discovery document the first time they are needed
(not at start-up, so that the site starts while the provider is unreachable)."""

from __future__ import annotations

import logging

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

_documents: dict[str, dict] = {}


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read, or names another issuer."""


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


def discovery_url(issuer: str) -> str:
    return f"{issuer}/.well-known/openid-configuration"


def discovery() -> dict:
    """The provider's discovery document, fetched once per process."""
    issuer = settings.OIDC_ISSUER
    document = _documents.get(issuer)
    if document is None:
        try:
            response = requests.get(discovery_url(issuer), timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            logger.warning("Single sign-on: no discovery document from %s: %s", issuer, error)
            raise ProviderUnavailable(str(error)) from error
        if document.get("issuer") != issuer:
            logger.warning(
                "Single sign-on: the discovery document names the issuer %r, not %r",
                document.get("issuer"),
                issuer,
            )
            raise ProviderUnavailable("the discovery document names another issuer")
        _documents[issuer] = document
    return document


def endpoint(name: str) -> str:
    """An endpoint of the provider, by its name in the discovery document
    ("authorization_endpoint", "token_endpoint", "jwks_uri")."""
    return discovery()[name]

"""The provider's authentication backend (mozilla-django-oidc's code flow, with the ID
token checked in full), and the rule for local passwords in single-sign-on-only mode
(`password_allowed`, which improvement.accounts.ModelBackend applies)."""

from __future__ import annotations

import logging

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from sso import provider, services
from sso.services import SignInRefused

logger = logging.getLogger(__name__)

NOT_SIGNED = "The sign-in service's answer was not signed with its published key."
# Clocks of the provider and of this server may differ by this much.
CLOCK_SKEW_SECONDS = 60


def password_allowed(user) -> bool:
    """Whether ``user`` may sign in with a local password: anyone, unless SSO_ONLY is on,
    when only the emergency administrator accounts may (and they need a second factor,
    improvement.mfa.is_required)."""
    return not settings.SSO_ONLY or user.get_username() in settings.SSO_EMERGENCY_ACCOUNTS


class SignInBackend(OIDCAuthenticationBackend):
    """The authorization code flow's backend. Its settings and the provider's endpoints
    are read when a sign-in happens, so that the site starts without a provider."""

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()

    # What mozilla-django-oidc's code reads as attributes.
    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # noqa: N802
        return provider.endpoint("token_endpoint")

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:  # noqa: N802
        return provider.endpoint("jwks_uri")

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:  # noqa: N802
        return settings.OIDC_RP_CLIENT_ID

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:  # noqa: N802
        return settings.OIDC_RP_CLIENT_SECRET

    OIDC_RP_SIGN_ALGO = "RS256"
    OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, **kwargs):
        if not provider.enabled():
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        """The ID token's signature (by a key the provider publishes), issuer, audience,
        expiry and nonce; mozilla-django-oidc itself checks only the signature."""
        if not token:
            raise SignInRefused("The sign-in service sent no identity token.")
        try:
            key = self.retrieve_matching_jwk(token)
        except (SuspiciousOperation, jwt.PyJWTError) as error:
            raise SignInRefused(NOT_SIGNED) from error
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=settings.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_ISSUER,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise SignInRefused("The sign-in service's answer had expired.") from error
        except jwt.InvalidAudienceError as error:
            raise SignInRefused(
                "The sign-in service's answer was meant for another application."
            ) from error
        except jwt.InvalidSignatureError as error:
            raise SignInRefused(NOT_SIGNED) from error
        except jwt.InvalidIssuerError as error:
            raise SignInRefused("The sign-in service's answer came from another issuer.") from error
        except jwt.PyJWTError as error:
            raise SignInRefused("The sign-in service's answer could not be verified.") from error
        if kwargs.get("nonce") != claims.get("nonce"):
            raise SignInRefused("The sign-in service's answer was not for this sign-in.")
        return claims

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims: Entra ID puts the tenant, object id and groups there,
        and its userinfo endpoint gives none of them."""
        return payload

    def get_user(self, user_id):
        """The user of a session, as the password backend loads them
        (improvement.accounts.ModelBackend): with their organisation, and not if
        switched off here, which mozilla-django-oidc's own does not check (they would
        keep their session until the next refresh)."""
        user = self.UserModel._default_manager.select_related("membership").filter(pk=user_id)
        user = user.first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_or_create_user(self, access_token, id_token, payload):
        return services.user_sign_in(issuer=settings.OIDC_ISSUER, claims=payload)

"""The ID token's Entra-style claims, and the bad tokens the MISCHIEF groups ask for."""

import time
import uuid

from django.conf import settings

# A person in one of these groups is issued a token the product must refuse.
EXPIRED = "mischief:expired"
WRONG_AUDIENCE = "mischief:wrong-audience"
WRONG_ISSUER = "mischief:wrong-issuer"
FORGED = "mischief:forged"
MISCHIEF = (EXPIRED, WRONG_AUDIENCE, WRONG_ISSUER, FORGED)
# Marks a token for the token view to sign again with a key nobody published.
FORGE_MARK = "idp-forge"
OID_NAMESPACE = uuid.UUID("6f1c2d4e-8a9b-4c3d-9e2f-1a2b3c4d5e6f")


def object_id(user) -> str:
    """Entra's `oid`: one id per person for good, whatever their name or address."""
    return str(uuid.uuid5(OID_NAMESPACE, f"user-{user.pk}"))


def entra_claims(id_token: dict, user, token, request) -> dict:
    groups = set(user.groups.values_list("name", flat=True))
    id_token.update(
        tid=settings.IDP_TENANT,
        oid=object_id(user),
        groups=sorted(groups - set(MISCHIEF)),
        name=user.get_full_name() or user.username,
        preferred_username=user.email or user.username,
    )
    if EXPIRED in groups:
        now = int(time.time())
        id_token.update(iat=now - 3600, exp=now - 600)
    if WRONG_AUDIENCE in groups:
        id_token["aud"] = "another-application"
    if WRONG_ISSUER in groups:
        id_token["iss"] = "https://login.example.invalid/another-tenant/v2.0"
    if FORGED in groups:
        id_token[FORGE_MARK] = True
    return id_token

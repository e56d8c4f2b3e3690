"""The token endpoint, passed through; a token marked for forging is signed again with a
fresh key under the published key's id, as an attacker who knows the id would."""

import json
from functools import cache

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from idp.claims import FORGE_MARK
from oidc_provider.views import TokenView

_token_view = TokenView.as_view()


@cache
def _attacker_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@csrf_exempt
def token(request):
    response = _token_view(request)
    if response.status_code != 200:
        return response
    body = json.loads(response.content)
    id_token = body.get("id_token")
    claims = jwt.decode(id_token, options={"verify_signature": False}) if id_token else {}
    if not claims.pop(FORGE_MARK, False):
        return response
    header = jwt.get_unverified_header(id_token)
    body["id_token"] = jwt.encode(
        claims, _attacker_key(), algorithm="RS256", headers={"kid": header.get("kid")}
    )
    return JsonResponse(body)

"""Single sign-on with OpenID Connect (Microsoft Entra ID or any other provider).

People who sign in through the council's identity provider are matched on the provider's
stable ids, never on their name or address (models.ExternalIdentity); their roles follow
their provider groups at every sign-in (models.GroupMapping); and their session is checked
with the provider again at an interval (middleware.SessionRefresh). Off unless OIDC_ISSUER
and OIDC_CLIENT_ID are set. docs/sso.md describes it.
"""

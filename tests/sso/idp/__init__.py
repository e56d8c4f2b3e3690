"""A small OpenID Connect provider for the sign-in tests: django-oidc-provider in a Django
project of its own, run as a separate process on loopback (tests/sso/conftest.py).

It issues ID tokens shaped like Microsoft Entra ID's: the tenant (`tid`), the person's
object id (`oid`, stable across renames) and the ids of their groups (`groups`). A person
put in one of the MISCHIEF groups is given a bad token instead, so that the tests can see
the product refuse it: expired, for another audience, from another issuer, or signed with
a key the provider never published.
"""

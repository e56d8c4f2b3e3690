"""sso.services without the provider: the rules that need no HTTP."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from plans import roles
from plans.models import AccountChange, Membership
from sso import services
from sso.models import ExternalIdentity, GroupMapping
from tests import factories

pytestmark = pytest.mark.django_db

ISSUER = "https://login.microsoftonline.com/tenant/v2.0"
CLAIMS = {"sub": "pairwise-1", "tid": "tenant", "oid": "object-1", "name": "Aisha Khan"}


def test_a_sign_in_that_loses_the_race_to_make_the_user_finds_it(monkeypatch):
    existing = factories.UserFactory(username="a.khan")
    ExternalIdentity.objects.create(
        user=existing, issuer=ISSUER, subject="pairwise-1", tid="tenant", oid="object-1"
    )
    real_find = services.identity_find
    calls = []

    def find_nothing_the_first_time(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else real_find(**kwargs)

    monkeypatch.setattr(services, "identity_find", find_nothing_the_first_time)

    user = services.user_sign_in(issuer=ISSUER, claims=CLAIMS)

    assert user == existing
    assert User.objects.count() == 1
    assert ExternalIdentity.objects.count() == 1


def test_entra_object_id_finds_the_person_under_another_app_registration():
    first = services.user_sign_in(issuer=ISSUER, claims=CLAIMS)

    again = services.user_sign_in(issuer=ISSUER, claims={**CLAIMS, "sub": "pairwise-2"})

    assert again == first
    assert ExternalIdentity.objects.get().subject == "pairwise-2"


def test_someone_in_too_many_groups_is_refused_rather_than_given_the_wrong_roles():
    claims = {**CLAIMS, "_claim_names": {"groups": "src1"}}

    with pytest.raises(services.SignInRefused, match="too many groups"):
        services.user_sign_in(issuer=ISSUER, claims=claims)
    assert not User.objects.exists()


def test_a_sign_in_that_changes_nothing_adds_no_history():
    council = factories.OrganisationFactory(name="Northshire Council")
    GroupMapping.objects.create(
        group_id="directors",
        role=Group.objects.get(name=roles.SERVICE_DIRECTOR),
        organisation=council,
    )
    claims = {**CLAIMS, "groups": ["directors"]}
    user = services.user_sign_in(issuer=ISSUER, claims=claims)

    services.user_sign_in(issuer=ISSUER, claims=claims)

    assert Membership.history.filter(user=user).count() == 1
    assert AccountChange.objects.filter(person=user).count() == 1

"""The group mappings and identities in the admin, where a plan administrator with staff
access sets which provider group gives which role and organisation."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from plans import roles
from sso.models import ExternalIdentity, GroupMapping
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_mapping_is_added_in_the_admin(admin_client):
    council = factories.OrganisationFactory(name="Northshire Council")
    director = Group.objects.get(name=roles.SERVICE_DIRECTOR)

    response = admin_client.post(
        "/admin/sso/groupmapping/add/",
        {
            "group_id": "0b5e3f6a-1111-4c2d-8e9f-directors000",
            "description": "Children's services directors",
            "role": director.pk,
            "organisation": council.pk,
        },
    )

    assert response.status_code == 302
    mapping = GroupMapping.objects.get()
    assert (mapping.role, mapping.organisation) == (director, council)
    page = admin_client.get("/admin/sso/groupmapping/").text
    assert "Children&#x27;s services directors" in page


def test_the_mappings_list_makes_the_same_queries_for_many_rows(
    admin_client, django_assert_max_num_queries
):
    council = factories.OrganisationFactory(name="Northshire Council")
    for number, role in enumerate(roles.ALL_ROLES * 4):
        GroupMapping.objects.create(
            group_id=f"group-{number}", role=Group.objects.get(name=role), organisation=council
        )

    with django_assert_max_num_queries(12):
        assert admin_client.get("/admin/sso/groupmapping/").status_code == 200


def test_identities_are_read_only_in_the_admin(admin_client):
    user = factories.UserFactory(username="a.khan")
    identity = ExternalIdentity.objects.create(
        user=user, issuer="https://login.example/tenant/v2.0", subject="s-1", tid="t", oid="o"
    )

    assert admin_client.get("/admin/sso/externalidentity/add/").status_code == 403
    page = admin_client.get(f"/admin/sso/externalidentity/{identity.pk}/change/").text
    assert 'name="subject"' not in page
    assert "s-1" in page

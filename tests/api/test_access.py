"""Every list respects the plan access of the pages (`plans.access.visible_plans` and
the roles): a partner organisation reads only the plan shared with it, another
organisation's plan is never listed or counted, and nobody without a role reads any."""

from __future__ import annotations

import pytest
from django.test import Client

from api.resources import RESOURCES
from tests import factories
from tests.api.conftest import csv_text, key_client


@pytest.fixture
def other_councils_rows(orgs):
    """The other council's plan has a row in every list."""
    elsewhere = orgs["elsewhere"]
    action = elsewhere.actions.get()
    factories.DipSampleFactory(measure=action.measures.get())
    factories.MeasureValueFactory(measure=action.measures.get())
    factories.CommitteeReportFactory(plan=elsewhere)
    action.revisions.create(new_date="2025-06-30", reason="Late")
    factories.OutcomeFactory(recommendation=action.recommendation)
    action.owners.add(factories.OwnerFactory(post="Elsewhere Director"))
    return elsewhere


def every_list(client: Client) -> dict[str, dict]:
    return {name: client.get(f"/api/v1/{name}/").json() for name in RESOURCES}


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_the_other_councils_plan_is_never_listed_or_counted(
    world, orgs, other_councils_rows, signed_in, api_key, name
):
    elsewhere_admin = Client()
    elsewhere_admin.force_login(orgs["elsewhere_admin"])
    theirs = elsewhere_admin.get(f"/api/v1/{name}/").json()
    assert theirs["count"] >= 1, "the other council sees its own rows"
    assert {row["plan"] if "plan" in row else row["slug"] for row in theirs["results"]} == {
        "elsewhere"
    }
    readers = [signed_in(role) for role in ("plan_admin", "board_member", "qa_lead")]
    partner = Client()
    partner.force_login(orgs["partner_user"])
    for client in [*readers, partner, key_client(api_key[1])]:
        page = client.get(f"/api/v1/{name}/").json()
        plans = {row.get("plan", row.get("slug")) for row in page["results"]}
        assert "elsewhere" not in plans
        assert page["count"] == len(page["results"])
        assert "elsewhere" not in csv_text(client.get(f"/api/v1/{name}/?format=csv"))


def test_a_partner_organisation_reads_only_the_shared_plan(world, orgs):
    partner = Client()
    partner.force_login(orgs["partner_user"])
    plans = partner.get("/api/v1/plans/").json()
    assert [p["slug"] for p in plans["results"]] == [world.plan.slug]
    assert plans["count"] == 1
    assert partner.get("/api/v1/actions/?plan=council-only").json()["count"] == 0
    # The council itself reads both of its plans.
    admin = Client()
    admin.force_login(world.users["plan_admin"])
    assert {p["slug"] for p in admin.get("/api/v1/plans/").json()["results"]} == {
        world.plan.slug,
        "council-only",
    }


def test_a_partner_organisation_cannot_download_the_other_plans_reports(world, orgs):
    report = factories.CommitteeReportFactory(plan=orgs["elsewhere"])
    partner = Client()
    partner.force_login(orgs["partner_user"])
    assert partner.get(f"/api/v1/reports/{report.pk}/pdf/").status_code == 404
    assert partner.get(f"/api/v1/reports/{world.report.pk}/pdf/").status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/", "/api/v1/positions/", "/api/v1/reports/1/pdf/"])
def test_anonymous_visitors_are_refused(world, url):
    response = Client().get(url)
    assert response.status_code == 401
    assert "results" not in response.content.decode()


def test_a_signed_in_user_without_a_role_is_refused(world, signed_in):
    assert signed_in("no_role").get("/api/v1/plans/").status_code == 403


def test_a_user_without_an_organisation_reads_nothing(world):
    from plans import roles

    loner = factories.UserFactory(username="loner", role=roles.BOARD_MEMBER, organisation=False)
    client = Client()
    client.force_login(loner)
    assert client.get("/api/v1/plans/").json()["count"] == 0


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_is_read_only(world, api_key, signed_in, method):
    for client in (key_client(api_key[1]), signed_in("plan_admin")):
        response = getattr(client, method)("/api/v1/actions/")
        assert response.status_code in (403, 405), method
    assert getattr(key_client(api_key[1]), method)("/api/v1/actions/").status_code == 405

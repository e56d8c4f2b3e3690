"""Access by organisation on the pages that list, count, search and export: nothing of
the plans a person cannot see is listed or counted.

The world (`tests/security/world.py`) has the council's plan, seen by the council's
people, and a neighbouring council's joint plan shared with a health board, seen by the
neighbour's plan administrator and the health board's partner officer (`OUTSIDERS`) and
not by the council. Each page is read by both sides; each side must find its own plan
and nothing of the other's, so every assertion here could fail either way.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from plans import access
from tests.security.world import OUTSIDERS, World

# Words only the council's plan, people and posts have.
COUNCILS = ("Matrix plan", "Allocate a PA", "Matrix Director", "sec-director", "Care leavers")
JOINT = "Joint SEND plan"


def _client(world: World, who: str) -> Client:
    client = Client()
    client.force_login(world.users[who])
    return client


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _councils_words(text: str) -> list[str]:
    return [word for word in COUNCILS if word in text]


# Each page, and who of the council sees the council's plan on it.
LISTS = {
    "plan list": (lambda w: reverse("plans:plan_list"), "plan_admin"),
    "my actions": (lambda w: reverse("plans:my_actions"), "director"),
    "ratings to confirm": (lambda w: reverse("plans:to_confirm"), "plan_admin"),
    "audits overview": (lambda w: reverse("audits:overview"), "plan_admin"),
    "committee reports": (lambda w: reverse("reporting:report_list"), "plan_admin"),
    "dashboard": (lambda w: reverse("board:dashboard"), "plan_admin"),
    "people": (lambda w: reverse("plans:people"), "plan_admin"),
    "people search": (lambda w: reverse("plans:people") + "?q=sec", "plan_admin"),
    "owners": (lambda w: reverse("plans:owner_list"), "plan_admin"),
    "owners search": (lambda w: reverse("plans:owner_list") + "?q=Matrix", "plan_admin"),
    "dashboard export, plans": (
        lambda w: reverse("board:export") + "?table=plans&format=csv",
        "plan_admin",
    ),
    "dashboard export, an owner's actions": (
        lambda w: reverse("board:export") + f"?table=actions&format=csv&owner={w.owner.pk}",
        "plan_admin",
    ),
    "admin, plans": (lambda w: "/admin/plans/plan/", "plan_admin"),
    "admin, actions": (lambda w: "/admin/plans/action/", "plan_admin"),
    "admin, ratings": (lambda w: "/admin/plans/rating/", "plan_admin"),
    "admin, committee reports": (lambda w: "/admin/reporting/committeereport/", "plan_admin"),
}


@pytest.mark.parametrize("page", sorted(LISTS))
def test_lists_searches_and_exports_show_nothing_of_an_unseen_plan(world, page):
    url, council_reader = LISTS[page]
    url = url(world)
    assert _councils_words(_text(_client(world, council_reader).get(url))), (
        f"{page}: the council's own reader should find the council's plan there"
    )
    for who in OUTSIDERS:
        response = _client(world, who).get(url)
        # The owner named in the export's link is not theirs to see: "Choose a plan", 404.
        assert response.status_code in (200, 404), f"{page} as {who}: {response.status_code}"
        found = _councils_words(response.content.decode())
        assert found == [], f"{page} as {who} shows {found}"


@pytest.mark.parametrize(
    "url",
    [
        lambda w: reverse("plans:plan_list"),
        lambda w: reverse("reporting:report_list"),
        lambda w: reverse("board:dashboard"),
        lambda w: "/admin/plans/plan/",
    ],
)
def test_the_joint_plan_is_seen_by_its_owner_and_partner_only(world, url):
    url = url(world)
    for who in OUTSIDERS:
        assert JOINT in _text(_client(world, who).get(url)), who
    assert JOINT not in _text(_client(world, "plan_admin").get(url))


def _rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_text(response).lstrip("\ufeff"))))


def test_dashboard_totals_count_only_the_plans_seen(world):
    url = reverse("board:export") + "?table=plans&format=csv"
    council = _rows(_client(world, "plan_admin").get(url))
    assert [row["Plan"] for row in council] == [world.plan.title]
    assert council[0]["Actions: Total"] == "1"
    for who in OUTSIDERS:
        rows = _rows(_client(world, who).get(url))
        assert [row["Plan"] for row in rows] == [JOINT], who
        assert rows[0]["Actions: Total"] == "1", who


def test_the_partner_officer_reads_the_shared_plan_and_its_action(world):
    partner = _client(world, "partner_officer")
    assert JOINT in _text(partner.get(reverse("plans:plan", args=[world.joint_plan.slug])))
    page = _text(partner.get(reverse("plans:action", args=[world.joint_action.pk])))
    assert "Agree the joint assessment pathway" in page
    export = partner.get(reverse("plans:plan_export", args=[world.joint_plan.slug]))
    assert export.status_code == 200
    # And the council's people do not: the joint plan is not theirs, nor shared with them.
    council = _client(world, "plan_admin")
    assert council.get(reverse("plans:plan", args=[world.joint_plan.slug])).status_code == 404
    assert council.get(reverse("plans:action", args=[world.joint_action.pk])).status_code == 404


def test_the_admin_does_not_open_an_unseen_plans_records(world):
    outsider = _client(world, "other_officer")
    for url in (
        f"/admin/plans/plan/{world.plan.pk}/change/",
        f"/admin/plans/action/{world.action.pk}/change/",
        f"/admin/plans/evidence/{world.evidence.pk}/change/",
        f"/admin/reporting/committeereport/{world.report.pk}/change/",
    ):
        response = outsider.get(url)
        # Django's admin sends a missing object back to the index, with a message.
        assert response.status_code == 302 and response["Location"] == "/admin/", url
    # Nor their history (django-simple-history's pages), which would show every version.
    for url in (
        f"/admin/plans/action/{world.action.pk}/history/",
        f"/admin/plans/plan/{world.plan.pk}/history/",
    ):
        assert outsider.get(url).status_code == 404, url
    council = _client(world, "plan_admin")
    assert council.get(f"/admin/plans/action/{world.action.pk}/change/").status_code == 200
    assert council.get(f"/admin/plans/action/{world.action.pk}/history/").status_code == 200


def test_visible_plans_is_the_rule_the_pages_use(world):
    assert list(access.visible_plans(world.users["plan_admin"])) == [world.plan]
    for who in OUTSIDERS:
        assert list(access.visible_plans(world.users[who])) == [world.joint_plan], who
    assert list(access.visible_plans(None)) == []

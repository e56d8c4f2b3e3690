"""Every resource lists the plan's rows with their figures, as a key reads them."""

from __future__ import annotations

import pytest

from api.resources import RESOURCES
from plans import services
from tests.api.conftest import csv_text, key_client, rows


@pytest.fixture
def client(api_key):
    return key_client(api_key[1])


def test_the_root_lists_every_resource_and_the_schema(client):
    response = client.get("/api/v1/")
    assert response.status_code == 200
    links = response.json()
    assert set(links) == {*RESOURCES, "schema"}
    assert links["positions"] == "http://testserver/api/v1/positions/"


def test_plans_lists_the_plan_the_key_reads(client, world):
    [plan] = rows(client.get("/api/v1/plans/"))
    assert plan["slug"] == world.plan.slug
    assert plan["organisation"] == "Example Council"
    assert plan["requires_signoff"] is True


def test_recommendations_outcomes_and_actions(client, world):
    [recommendation] = rows(client.get("/api/v1/recommendations/"))
    assert (recommendation["id"], recommendation["ref"]) == (world.recommendation.pk, "1")
    [outcome] = rows(client.get("/api/v1/outcomes/"))
    assert outcome["recommendation_id"] == world.recommendation.pk
    assert outcome["ref"] == "1.1"
    [action] = rows(client.get("/api/v1/actions/"))
    assert action["ref"] == "1.1a"
    assert action["due_date"] == world.action.due_date.isoformat()
    assert action["status"] == "open"
    assert action["outcome_id"] == outcome["id"]


def test_owners_are_posts_of_actions_without_emails_or_accounts(client, world):
    [owner] = rows(client.get("/api/v1/owners/"))
    assert owner == {
        "owner_id": world.owner.pk,
        "post": world.owner.post,
        "person_name": world.owner.person_name,
        "action_id": world.action.pk,
        "action_ref": "1.1a",
        "plan": world.plan.slug,
    }


def test_measures_carry_target_tolerance_and_comparators(client, world):
    [measure] = rows(client.get("/api/v1/measures/"))
    assert measure["id"] == world.measure.pk
    assert (measure["target"], measure["tolerance"], measure["unit"]) == (90.0, 10.0, "%")
    assert "national_average" in measure


def test_periods_in_date_order(client, world):
    periods = rows(client.get("/api/v1/periods/"))
    assert [p["id"] for p in periods] == [world.closed_period.pk, world.open_period.pk]
    assert [p["state"] for p in periods] == ["closed", "open"]


def test_positions_for_a_key_are_confirmed_only(client, world):
    positions = rows(client.get(f"/api/v1/positions/?action={world.action.pk}"))
    # The open period's amber is proposed: the key sees the confirmed green carried on.
    assert [(p["period_id"], p["confirmed_rag"]) for p in positions] == [
        (world.closed_period.pk, "green"),
        (world.open_period.pk, "green"),
    ]
    assert {p["rag"] for p in positions} == {""}
    assert {p["status"] for p in positions} == {""}
    assert all(p["rated_at"] is None for p in positions)


def test_positions_show_proposed_ratings_to_those_who_confirm_them(world, signed_in):
    url = f"/api/v1/positions/?action={world.action.pk}&period={world.open_period.pk}"
    [qa_view] = rows(signed_in("qa_lead").get(url))
    assert (qa_view["rag"], qa_view["status"], qa_view["confirmed_rag"]) == (
        "amber",
        "proposed",
        "green",
    )
    [board_view] = rows(signed_in("board_member").get(url))
    assert (board_view["rag"], board_view["status"]) == ("", "")


def test_a_position_with_only_a_proposed_rating_is_not_listed_for_a_key(world, api_key):
    facet_rating = services.rating_record(
        item=world.recommendation,
        facet="outcome",
        rag="red",
        user=world.users["director"],
        period=world.open_period,
    )
    assert facet_rating.status == "proposed"
    key_rows = rows(key_client(api_key[1]).get("/api/v1/positions/?subject=outcome"))
    assert key_rows == []


def test_due_date_revisions(client, world):
    services.action_revise_due_date(
        action=world.action,
        new_date=world.action.due_date.replace(year=2026),
        reason="Recruitment slipped.",
        user=world.users["plan_admin"],
        expected_version=world.action.version,
    )
    [revision] = rows(client.get("/api/v1/due-date-revisions/"))
    assert revision["action_id"] == world.action.pk
    assert revision["new_date"].startswith("2026-")
    assert revision["reason"] == "Recruitment slipped."


def test_measure_values_with_comparators(client, world):
    world.value.national_average = "75.20"
    world.value.statistical_neighbours = "71.00"
    world.value.save()
    [value] = rows(client.get("/api/v1/measure-values/"))
    assert (value["value"], value["national_average"], value["statistical_neighbours"]) == (
        81.5,
        75.2,
        71.0,
    )
    assert value["target"] == 90.0


def test_dip_samples_are_numbers_only(client, world):
    world.sample.case_codes = "C-1042, AB12"
    world.sample.save()
    [sample] = rows(client.get("/api/v1/dip-samples/"))
    assert (sample["sample_size"], sample["compliant"], sample["result"]) == (10, 7, 70.0)
    assert sample["mitigation_in_place"] is True
    body = client.get("/api/v1/dip-samples/?format=csv")
    text = csv_text(body)
    for secret in ("C-1042", "Plans were late", "Weekly tracking meeting"):
        assert secret not in str(sample)
        assert secret not in text
    assert not {"case_codes", "findings", "mitigation"} & set(sample)


def report_row(response, report) -> dict | None:
    """The list's row of one report (the world also holds a published one)."""
    return next((row for row in rows(response) if row["id"] == report.pk), None)


def test_reports_link_their_pdf_which_the_key_downloads(client, world):
    report = report_row(client.get("/api/v1/reports/"), world.report)
    assert report["pdf_url"] == f"http://testserver/api/v1/reports/{world.report.pk}/pdf/"
    assert report["page_count"] == 1
    pdf = client.get(report["pdf_url"])
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_an_exempt_report_is_not_given_to_a_key(client, world, signed_in):
    world.report.access = "exempt"
    world.report.save()
    assert report_row(client.get("/api/v1/reports/"), world.report) is None
    assert client.get(f"/api/v1/reports/{world.report.pk}/pdf/").status_code == 404
    assert report_row(signed_in("clerk").get("/api/v1/reports/"), world.report) is not None


def test_a_report_without_a_ready_pdf_has_no_link(client, world):
    world.render.state = "failed"
    world.render.save()
    report = report_row(client.get("/api/v1/reports/"), world.report)
    assert report["pdf_url"] is None
    assert client.get(f"/api/v1/reports/{world.report.pk}/pdf/").status_code == 404


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_every_list_comes_as_csv_with_the_json_columns(client, name):
    json_rows = rows(client.get(f"/api/v1/{name}/"))
    response = client.get(f"/api/v1/{name}/?format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{name}.csv"'
    lines = csv_text(response).splitlines()
    assert lines[0].split(",") == list(RESOURCES[name].serializer().fields)
    assert len(lines) - 1 == len(json_rows)


def test_the_schema_describes_every_list_and_the_key_header(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    for name in RESOURCES:
        assert f"/api/v1/{name}/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["ApiKey"]["name"] == "Authorization"
    parameters = {p["name"] for p in schema["paths"]["/api/v1/positions/"]["get"]["parameters"]}
    assert {"plan", "period", "changed_since", "page", "page_size"} <= parameters

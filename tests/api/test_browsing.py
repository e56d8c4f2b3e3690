"""A signed-in person browses the API in the browser: HTML pages with the rows, the
filters and the links, under the site's content security policy."""

from __future__ import annotations

from django.test import Client


def test_a_signed_in_person_browses_a_list(world, signed_in):
    client = signed_in("board_member")
    response = client.get(f"/api/v1/actions/?plan={world.plan.slug}", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Allocate a PA to every care leaver" in page
    assert "format=csv" in page  # the GET menu offers the CSV
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_root_page_links_every_list(world, signed_in):
    page = signed_in("clerk").get("/api/v1/", HTTP_ACCEPT="text/html").content.decode()
    for name in ("positions", "dip-samples", "reports", "schema"):
        assert f"http://testserver/api/v1/{name}/" in page


def test_the_docs_page_lists_every_list_with_its_columns_and_filters(world, signed_in):
    from api.resources import RESOURCES

    response = signed_in("board_member").get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    for name in RESOURCES:
        assert f'id="{name}"' in page
    assert "<code>confirmed_rag</code>" in page
    assert "date (YYYY-MM-DD)" in page
    assert "<code>changed_since</code>" in page
    assert "case_codes" not in page


def test_the_docs_page_is_for_people_with_a_role(world, signed_in):
    assert signed_in("no_role").get("/api/v1/docs/").status_code == 403
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_key_asking_for_html_gets_the_page_not_an_error(world, api_key):
    from tests.api.conftest import key_client

    response = key_client(api_key[1]).get("/api/v1/periods/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "Q1 2024/25" in response.content.decode()

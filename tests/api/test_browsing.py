"""A signed-in person browses the API in the browser: HTML pages with the rows, the
filters and the links, under the site's content security policy."""

from __future__ import annotations


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

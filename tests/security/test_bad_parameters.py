"""What the no-500 walker (test_no_500.py) found, each kept as a test of its own so that a
return of it fails by name: query and form parameters that reached code unprepared for
them and answered 500."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from plans.models import Rating
from plans.views.periods import _page_index
from tests import factories


@pytest.mark.parametrize(
    ("number", "index"),
    [
        ("", 0),
        ("1", 0),
        ("3", 2),
        ("4", 2),
        ("0", 0),
        ("-1", 0),
        ("²", 0),  # a digit to str.isdigit(), not to int(): was ValueError
        ("9" * 5000, 2),  # past int()'s 4,300 digits: was ValueError
        ("0" * 5000 + "2", 1),
        ("١", 0),
    ],
)
def test_a_plan_pages_page_number_is_read_safely(number, index):
    assert _page_index(number, 3) == index


@pytest.mark.parametrize("page", ["²", "9" * 5000])
def test_the_plan_page_with_a_strange_page_number_shows_a_page(
    client, plan, action, board_member, page
):
    client.force_login(board_member)
    response = client.get(reverse("plans:plan", args=[plan.slug]), {"page": page})
    assert response.status_code == 200


@pytest.mark.parametrize("view", ["plans:rating_confirm", "plans:rating_return"])
@pytest.mark.parametrize("target", ["0", "plans", "to-confirm"])
def test_reviewing_with_a_next_that_is_not_a_path_goes_back_to_the_queue(
    qa_lead, director, action, period, view, target
):
    rating = factories.RatingFactory(
        action=action, period=period, status=Rating.Status.PROPOSED, created_by=director
    )
    client = Client(raise_request_exception=False)
    client.force_login(qa_lead)
    response = client.post(reverse(view, args=[rating.pk]), {"comment": "Checked.", "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("plans:to_confirm")


def test_an_action_update_with_a_next_that_is_not_a_path_goes_to_the_action(
    director, action, period
):
    client = Client(raise_request_exception=False)
    client.force_login(director)
    response = client.post(
        reverse("plans:action_update", args=[action.pk]),
        {
            "version": action.version,
            "period": period.pk,
            "rag": "red",
            "commentary": "Behind.",
            "recovery": "Agency staff.",
            "next": "0",
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith(action.get_absolute_url())


@pytest.mark.parametrize(
    "url",
    [
        reverse("plans:to_confirm") + "?plan=nul%00",
        reverse("board:dashboard") + "?plan=nul%00",
        reverse("board:export") + "?plan=nul%00&table=plans&format=csv",
    ],
)
def test_a_plan_asked_for_with_a_nul_is_not_found_rather_than_an_error(plan_admin, plan, url):
    client = Client(raise_request_exception=False)
    client.force_login(plan_admin)
    assert client.get(url).status_code in (200, 404)


@pytest.mark.parametrize("url", [reverse("plans:people"), reverse("plans:owner_list")])
def test_a_search_with_a_nul_searches_for_the_rest(plan_admin, url):
    client = Client(raise_request_exception=False)
    client.force_login(plan_admin)
    response = client.get(url + "?q=Arif%00Dar")
    assert response.status_code == 200

"""Sign-off: a director's rating is proposed until a QA lead or plan administrator
confirms it or sends it back; reports count confirmed ratings; every step is in history."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from plans import periods, selectors, services
from plans.models import Action, Rating
from tests import factories


@pytest.fixture
def signoff(plan):
    plan.requires_signoff = True
    plan.save()
    return plan


@pytest.fixture
def proposed(signoff, action, director):
    return services.rating_record(item=action, rag="green", user=director, commentary="Done most")


def test_a_new_plan_asks_for_sign_off_by_default(db):
    from plans.models import Plan

    assert Plan(slug="x", title="x").requires_signoff is True


def test_a_proposed_rating_does_not_count_until_confirmed(proposed, action, plan, qa_lead):
    period = plan.periods.get()
    confirmed_view = selectors.actions_with_position(
        Action.objects.filter(pk=action.pk), period=period, confirmed_only=True
    ).get()
    assert confirmed_view.current_rag is None
    assert periods.awaiting_confirmation_count(plan) == 1
    assert selectors.plan_rollup(plan, period=period)["plan"]["actions"]["green"] == 0

    periods.rating_confirm(rating=proposed, user=qa_lead, comment="Evidence seen")

    assert periods.awaiting_confirmation_count(plan) == 0
    assert selectors.plan_rollup(plan, period=period)["plan"]["actions"]["green"] == 1


def test_confirming_records_who_when_and_why_in_history(proposed, qa_lead):
    periods.rating_confirm(rating=proposed, user=qa_lead, comment="Evidence seen")
    proposed.refresh_from_db()
    assert proposed.status == Rating.Status.CONFIRMED
    assert proposed.reviewed_by == qa_lead and proposed.reviewed_at is not None
    assert proposed.review_comment == "Evidence seen"
    steps = list(proposed.history.order_by("history_date", "history_id"))
    assert [s.status for s in steps] == ["proposed", "confirmed"]
    assert steps[-1].history_user == qa_lead
    assert steps[-1].history_change_reason == "confirmed: Evidence seen"


def test_a_plan_administrator_can_confirm(proposed, plan_admin):
    periods.rating_confirm(rating=proposed, user=plan_admin)
    proposed.refresh_from_db()
    assert proposed.status == Rating.Status.CONFIRMED


@pytest.mark.parametrize("who", ["director", "other_director", "clerk", "board_member"])
def test_only_qa_leads_and_administrators_review_ratings(request, proposed, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        periods.rating_confirm(rating=proposed, user=user)
    with pytest.raises(PermissionDenied):
        periods.rating_return(rating=proposed, user=user, comment="No")
    proposed.refresh_from_db()
    assert proposed.status == Rating.Status.PROPOSED


def test_sending_back_needs_a_comment_and_leaves_the_previous_position(
    signoff, action, director, qa_lead
):
    services.rating_record(item=action, rag="amber", user=qa_lead)
    proposal = services.rating_record(item=action, rag="green", user=director)
    with pytest.raises(ValidationError, match="Say why"):
        periods.rating_return(rating=proposal, user=qa_lead, comment=" ")

    periods.rating_return(rating=proposal, user=qa_lead, comment="Dip sample says 60%")

    proposal.refresh_from_db()
    assert proposal.status == Rating.Status.RETURNED
    assert proposal.history.first().history_change_reason == "sent back: Dip sample says 60%"
    position = selectors.actions_with_position(Action.objects.filter(pk=action.pk)).get()
    assert position.current_rag == "amber"


def test_a_rating_is_reviewed_once(proposed, qa_lead):
    periods.rating_confirm(rating=proposed, user=qa_lead)
    with pytest.raises(ValidationError, match="already confirmed"):
        periods.rating_confirm(rating=proposed, user=qa_lead)
    with pytest.raises(ValidationError, match="already confirmed"):
        periods.rating_return(rating=proposed, user=qa_lead, comment="Changed my mind")


def test_a_proposal_in_a_closed_period_cannot_be_confirmed(proposed, plan, qa_lead):
    services.period_close(period=plan.periods.get())
    with pytest.raises(ValidationError, match="closed"):
        periods.rating_confirm(rating=proposed, user=qa_lead)
    assert not periods.ratings_to_confirm(plan).exists()


def test_the_queue_flags_a_proposal_superseded_by_a_newer_one(proposed, action, director):
    newer = services.rating_record(item=action, rag="amber", user=director)
    flags = {r.pk: r.superseded for r in periods.ratings_to_confirm()}
    assert flags == {proposed.pk: True, newer.pk: False}


# --- The "to confirm" page --------------------------------------------------------------------


def _csrf_client(user) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get(reverse("plans:to_confirm"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    return client, token.group(1) if token else ""


def test_the_queue_lists_proposals_with_what_the_dates_suggest(
    signoff, action, director, qa_lead, client
):
    action.due_date = dt.date(2020, 1, 31)
    action.save()
    services.rating_record(
        item=action,
        rag="green",
        user=director,
        suggested_rag="red",
        override_reason="Recovery plan agreed",
        commentary="Nearly there",
    )
    client.force_login(qa_lead)
    page = client.get(reverse("plans:to_confirm")).content.decode()
    assert "1 rating awaiting confirmation" in page
    assert "Nearly there" in page and "Recovery plan agreed" in page
    assert '<span class="rag rag-red">Red</span> when rated' in page
    assert "Confirm Green" in page


@pytest.mark.parametrize("who", ["director", "clerk", "board_member"])
def test_the_queue_is_only_for_reviewers(request, who, client, proposed):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("plans:to_confirm")).status_code == 403


def test_confirming_on_the_page_needs_a_post_with_a_csrf_token(proposed, qa_lead):
    client, token = _csrf_client(qa_lead)
    url = reverse("plans:rating_confirm", args=[proposed.pk])
    assert client.get(url).status_code == 405
    assert client.post(url, {"comment": "ok"}).status_code == 403
    proposed.refresh_from_db()
    assert proposed.status == Rating.Status.PROPOSED

    response = client.post(url, {"comment": "ok", "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    proposed.refresh_from_db()
    assert proposed.status == Rating.Status.CONFIRMED
    assert proposed.history.first().history_user == qa_lead


def test_a_director_cannot_confirm_by_posting(proposed, director, client):
    client.force_login(director)
    response = client.post(reverse("plans:rating_confirm", args=[proposed.pk]))
    assert response.status_code == 403
    proposed.refresh_from_db()
    assert proposed.status == Rating.Status.PROPOSED


def test_sending_back_without_a_comment_shows_the_error_on_the_queue(proposed, qa_lead, client):
    client.force_login(qa_lead)
    response = client.post(reverse("plans:rating_return", args=[proposed.pk]), {"comment": ""})
    assert response.status_code == 400
    assert "Say why the rating is being sent back." in response.content.decode()

    response = client.post(
        reverse("plans:rating_return", args=[proposed.pk]), {"comment": "Evidence missing"}
    )
    assert response.status_code == 302
    proposed.refresh_from_db()
    assert (proposed.status, proposed.review_comment) == ("returned", "Evidence missing")


def test_confirming_after_a_refused_send_back_ends_on_a_page_that_opens(
    proposed, action, director, qa_lead, client
):
    other = services.rating_record(
        item=factories.ActionFactory(
            recommendation=action.recommendation, ref="1.2", owners=[action.owners.get()]
        ),
        rag="amber",
        user=director,
        commentary="Behind",
    )
    client.force_login(qa_lead)
    queue = reverse("plans:to_confirm") + f"?plan={action.plan.slug}"
    refused = client.post(
        reverse("plans:rating_return", args=[proposed.pk]), {"comment": "", "next": queue}
    )
    assert refused.status_code == 400
    nexts = set(re.findall(r'name="next" value="([^"]*)"', refused.content.decode()))
    assert nexts == {queue.replace("&", "&amp;")}

    confirmed = client.post(reverse("plans:rating_confirm", args=[other.pk]), {"next": nexts.pop()})
    assert confirmed["Location"] == queue
    assert client.get(confirmed["Location"]).status_code == 200


def test_a_next_address_elsewhere_is_ignored(proposed, qa_lead, client):
    client.force_login(qa_lead)
    response = client.post(
        reverse("plans:rating_confirm", args=[proposed.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("plans:to_confirm")


@pytest.mark.parametrize("size", [2, 10])
def test_the_queue_takes_the_same_number_of_queries_for_any_number_of_proposals(
    signoff, director, qa_lead, client, size, django_assert_max_num_queries, period
):
    for _ in range(size):
        action = factories.ActionFactory(
            recommendation=factories.RecommendationFactory(plan=signoff)
        )
        services.rating_record(item=action, rag="amber", user=director)
        measure = factories.MeasureFactory(action=action)
        services.rating_record(item=measure, rag="green", user=director)
    client.force_login(qa_lead)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("plans:to_confirm"))
    assert response.content.decode().count('class="confirm-item"') == size * 2

"""My actions: what is the director's, what is late, what needs an update this period."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from plans import selectors, services
from plans.models import Action
from tests import factories

TODAY = timezone.localdate()
URL = reverse("plans:my_actions")


@pytest.fixture
def rec(plan):
    return factories.RecommendationFactory(plan=plan, ref="3", title="Placement sufficiency")


def make(rec, owner, ref, *, due_in=60, **extra):
    return factories.ActionFactory(
        recommendation=rec,
        ref=ref,
        text=f"Action {ref}",
        due_date=TODAY + dt.timedelta(days=due_in),
        owners=[owner],
        **extra,
    )


def test_anyone_signed_out_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_without_a_role_is_refused(client, db):
    nobody = factories.UserFactory(username="nobody")
    client.force_login(nobody)
    assert client.get(URL).status_code == 403


def test_a_director_sees_their_actions_grouped_by_plan_and_recommendation(
    client, director, owner, rec, period
):
    make(rec, owner, "3.1")
    make(rec, owner, "3.2")
    second_plan = factories.PlanFactory(title="Another plan")
    leaving = factories.RecommendationFactory(plan=second_plan, ref="9", title="Leaving care")
    make(leaving, owner, "9.1")
    client.force_login(director)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index(">Another plan</a></h2>") < page.index(">Test improvement plan</a></h2>")
    assert "3. Placement sufficiency" in page and "9. Leaving care" in page
    assert page.index(">3.1<") < page.index(">3.2<")
    assert "Rating <strong>Q2 2024/25</strong>: open until 30 Sep 2024." in page
    assert "No reporting period is open for this plan" in page  # Another plan has none


def test_another_directors_actions_are_not_listed(client, director, other_director, rec, period):
    theirs = factories.OwnerFactory(post="Head of Service", user=other_director)
    make(rec, theirs, "3.9")
    client.force_login(director)
    page = client.get(URL).content.decode()
    assert "3.9" not in page
    assert "Your account is not linked to an accountable post" in page


def test_actions_of_plans_that_are_not_active_are_left_out(client, director, owner, period):
    closed = factories.PlanFactory(status="closed")
    make(factories.RecommendationFactory(plan=closed), owner, "7.1")
    client.force_login(director)
    page = client.get(URL).content.decode()
    assert "7.1" not in page
    assert "None of the posts you hold has actions in an active plan." in page


def test_each_row_shows_due_date_slippage_rag_word_and_last_update(
    client, director, owner, rec, period
):
    action = make(rec, owner, "3.1", due_in=10)
    services.action_revise_due_date(
        action=action,
        new_date=action.due_date + dt.timedelta(days=45),
        reason="Provider delay",
        user=director,
        expected_version=action.version,
    )
    services.rating_record(item=action, rag="amber", user=director, commentary="Behind")
    client.force_login(director)
    page = client.get(URL).content.decode()
    baseline = TODAY + dt.timedelta(days=10)
    assert f"slipped from {baseline.day} {baseline:%b %Y}" in page
    assert '<span class="rag rag-amber">Amber</span>' in page
    assert f"{TODAY.day} {TODAY:%b %Y}" in page  # last update


def test_the_plans_own_word_for_amber_is_used(client, director, owner, period, plan):
    plan.amber_label = "Yellow"
    plan.save()
    action = make(factories.RecommendationFactory(plan=plan), owner, "1.9")
    services.rating_record(item=action, rag="amber", user=director, commentary="x")
    client.force_login(director)
    assert '<span class="rag rag-amber">Yellow</span>' in client.get(URL).content.decode()


def test_flags_say_overdue_no_rating_this_period_and_due_soon(client, director, owner, rec, period):
    late = make(rec, owner, "3.1", due_in=-12)
    soon = make(rec, owner, "3.2", due_in=20)
    rated = make(rec, owner, "3.3", due_in=200)
    services.rating_record(item=rated, rag="green", user=director, commentary="Fine")
    client.force_login(director)
    page = client.get(URL).content.decode()

    def row(action):
        start = page.index(f'id="action-{action.pk}"')
        return page[start : page.index("</tr>", start)]

    assert "12 days overdue" in row(late) and "No rating this period" in row(late)
    # Judged today (`plans.rules.overdue_as_of`), and the page says so.
    assert f"as of {TODAY.day} {TODAY:%b %Y}" in row(late)
    assert "Due within 30 days" in row(soon) and "overdue" not in row(soon)
    assert "No rating this period" not in row(rated) and "Due within 30 days" not in row(rated)


def test_a_complete_action_needs_no_update_and_is_never_overdue(
    client, director, owner, rec, period
):
    make(rec, owner, "3.1", due_in=-40, status="complete", completed_on=TODAY)
    client.force_login(director)
    page = client.get(URL).content.decode()
    assert "Overdue by" not in page
    assert "No rating this period" not in page
    assert "Complete " in page


def test_the_counts_say_how_many_need_an_update_before_the_period_closes(
    client, director, owner, rec, period
):
    for ref in ("3.1", "3.2", "3.3", "3.4"):
        make(rec, owner, ref)
    done = make(rec, owner, "3.5")
    services.rating_record(item=done, rag="green", user=director, commentary="ok")
    client.force_login(director)
    page = client.get(URL).content.decode()
    assert "<strong>4 need an update before 30 Sep 2024</strong>" in page
    assert "when Q2 2024/25 closes" in page


def test_one_action_needing_an_update_reads_as_a_sentence(client, director, owner, rec, period):
    make(rec, owner, "3.1")
    client.force_login(director)
    page = client.get(URL).content.decode()
    assert "<strong>1 needs an update before 30 Sep 2024</strong>" in page


def test_filters_narrow_the_list_and_stay_in_the_url(client, director, owner, rec, period):
    late = make(rec, owner, "3.1", due_in=-5)
    amber = make(rec, owner, "3.2")
    services.rating_record(item=amber, rag="amber", user=director, commentary="x")
    green = make(rec, owner, "3.3")
    services.rating_record(item=green, rag="green", user=director, commentary="x")
    client.force_login(director)

    def refs(query: str) -> set[str]:
        page = client.get(f"{URL}?{query}").content.decode()
        return {a.ref for a in (late, amber, green) if f'id="action-{a.pk}"' in page}

    assert refs("") == {"3.1", "3.2", "3.3"}
    assert refs("overdue=1") == {"3.1"}
    assert refs("rag=amber") == {"3.2"}
    assert refs("rag=none") == {"3.1"}
    assert refs("needs_update=1") == {"3.1"}
    assert refs("plan=test-plan&rag=green") == {"3.3"}
    assert refs("plan=some-other-plan") == set()
    page = client.get(f"{URL}?rag=amber&overdue=1").content.decode()
    assert '<option value="amber" selected>' in page
    assert 'id="filter-overdue" name="overdue" value="1" checked' in page


def test_the_update_link_returns_to_the_filtered_list(client, director, owner, rec, period):
    action = make(rec, owner, "3.1")
    client.force_login(director)
    page = client.get(f"{URL}?needs_update=1").content.decode()
    update = reverse("plans:action_update", args=[action.pk])
    assert f'href="{update}?next=/plans/mine/%3Fneeds_update%3D1"' in page


def test_counts_describe_all_actions_whatever_the_filter(client, director, owner, rec, period):
    make(rec, owner, "3.1", due_in=-5)
    make(rec, owner, "3.2")
    client.force_login(director)
    page = client.get(f"{URL}?overdue=1").content.decode()
    assert "Showing 1 of 2 actions matching the filters." in page
    assert "<strong>2 need an update" in page


def test_nonsense_filter_values_are_ignored(client, director, owner, rec, period):
    make(rec, owner, "3.1")
    client.force_login(director)
    response = client.get(f"{URL}?rag=purple&plan=../../etc")
    assert response.status_code == 200
    assert "Showing 1 of 1 action." in response.content.decode()


def test_htmx_filtering_returns_only_the_results(client, director, owner, rec, period):
    make(rec, owner, "3.1", due_in=-5)
    client.force_login(director)
    response = client.get(
        f"{URL}?overdue=1", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="my-actions-results"
    )
    page = response.content.decode()
    assert "<html" not in page
    assert "Showing 1 of 1 action matching the filters." in page


def test_no_update_button_without_an_open_period(client, director, owner, rec, period):
    action = make(rec, owner, "3.1")
    services.period_close(period=period, user=director)
    client.force_login(director)
    page = client.get(URL).content.decode()
    assert reverse("plans:action_update", args=[action.pk]) not in page


def test_the_open_position_annotation_agrees_with_actions_with_position(
    director, owner, rec, period, plan
):
    earlier = factories.PeriodFactory(
        plan=plan, label="Q1", start=dt.date(2024, 4, 1), end=dt.date(2024, 6, 30), state="upcoming"
    )
    first = make(rec, owner, "3.1")
    second = make(rec, owner, "3.2")
    factories.RatingFactory(action=first, period=earlier, rag="red")
    type(earlier).objects.filter(pk=earlier.pk).update(state="closed")
    services.rating_record(item=second, rag="amber", user=director, commentary="x")
    services.rating_record(item=second, rag="green", user=director, commentary="y")
    actions = list(Action.objects.filter(plan=plan))
    selectors.attach_open_positions(actions, selectors.open_periods([plan.pk]))
    ours = {a.pk: (a.current_rag, a.rated_in_period) for a in actions}
    theirs = {
        a.pk: (a.current_rag, a.rated_in_period)
        for a in selectors.actions_with_position(Action.objects.filter(plan=plan), period=period)
    }
    assert ours == theirs == {first.pk: ("red", False), second.pk: ("green", True)}


def test_the_open_position_is_the_latest_rating_of_the_latest_period_up_to_the_open_one(
    director, owner, rec, period, plan
):
    earlier = factories.PeriodFactory(
        plan=plan, label="Q1", start=dt.date(2024, 4, 1), end=dt.date(2024, 6, 30), state="upcoming"
    )
    later = factories.PeriodFactory(
        plan=plan,
        label="Q3",
        start=dt.date(2024, 10, 1),
        end=dt.date(2024, 12, 31),
        state="upcoming",
    )
    stamp = timezone.now()
    carried, proposed, returned, untouched = (make(rec, owner, f"3.{n}") for n in range(1, 5))
    # Carried into the open period from Q1; a later period's rating is not yet its position.
    factories.RatingFactory(action=carried, period=earlier, rag="red", created=stamp)
    factories.RatingFactory(
        action=carried,
        period=period,
        rag="red",
        carried_forward=True,
        status="confirmed",
        created=stamp + dt.timedelta(minutes=1),
    )
    factories.RatingFactory(action=carried, period=later, rag="blue", created=stamp)
    # A proposed rating is the position, awaiting confirmation; a returned one is not.
    factories.RatingFactory(action=proposed, period=period, rag="amber", status="proposed")
    factories.RatingFactory(
        action=returned, period=earlier, rag="green", created=stamp - dt.timedelta(days=90)
    )
    factories.RatingFactory(action=returned, period=period, rag="red", status="returned")
    type(earlier).objects.filter(pk=earlier.pk).update(state="closed")
    actions = list(Action.objects.filter(plan=plan).order_by("ref"))
    selectors.attach_open_positions(actions, selectors.open_periods([plan.pk]))
    seen = {
        a.ref: (a.current_rag, a.current_status, a.current_carried, a.rated_in_period)
        for a in actions
    }
    assert seen == {
        "3.1": ("red", "confirmed", True, False),
        "3.2": ("amber", "proposed", False, True),
        "3.3": ("green", "confirmed", False, False),
        "3.4": (None, None, None, False),
    }
    by_ref = {a.ref: a for a in actions}
    assert by_ref["3.1"].last_updated == stamp  # Q3's own rating, made at `stamp` too
    assert by_ref["3.3"].last_updated > stamp  # the returned rating was still made
    assert by_ref["3.4"].last_updated is None
    assert all(a.open_period_id == period.pk for a in actions)


def _populate(owner, director, plan, count: int) -> None:
    recs = [factories.RecommendationFactory(plan=plan) for _ in range(5)]
    for number in range(count):
        action = factories.ActionFactory(
            recommendation=recs[number % 5],
            due_date=TODAY + dt.timedelta(days=number - count // 2),
            owners=[owner],
        )
        factories.RatingFactory(action=action, rag=("green", "amber", "red")[number % 3])


@pytest.mark.parametrize("count", [5, 500])
def test_the_page_makes_the_same_number_of_queries_for_5_or_500_actions(
    client, director, owner, plan, period, count, django_assert_num_queries
):
    _populate(owner, director, plan, count)
    client.force_login(director)
    # session, user, roles, plans, periods, every action's values joined to its row of
    # plans.Position (which says whether it was rated this period), the page's actions
    # with their last updates, their owners
    with django_assert_num_queries(8):
        response = client.get(URL)
    shown = min(count, selectors.MY_ACTIONS_PAGE_SIZE)
    assert response.content.decode().count('id="action-') == shown


def _shown_refs(page: str) -> list[str]:
    return re.findall(r'<td class="ref[^"]*"><a href="[^"]+">([^<]+)</a>', page)


def test_a_long_list_comes_a_page_at_a_time_in_order(client, director, owner, rec, period):
    size = selectors.MY_ACTIONS_PAGE_SIZE
    for number in range(1, size + 31):
        make(rec, owner, f"3.{number:03d}", due_in=-5 if number % 2 else 60)
    client.force_login(director)

    first = client.get(URL).content.decode()
    assert _shown_refs(first) == [f"3.{n:03d}" for n in range(1, size + 1)]
    assert f"Showing 1–{size} of the {size + 30} actions, page 1 of 2." in first
    assert f"<strong>{size + 30} need an update" in first  # the counts are of them all
    assert 'aria-current="page" class="current">1</span>' in first
    assert 'rel="next" href="?page=2"' in first

    second = client.get(f"{URL}?page=2").content.decode()
    assert _shown_refs(second) == [f"3.{n:03d}" for n in range(size + 1, size + 31)]
    assert f"Showing {size + 1}–{size + 30} of the {size + 30} actions, page 2 of 2." in second
    assert 'rel="prev" href="?page=1"' in second
    # The update form brings the director back to the page they were on.
    assert "?next=/plans/mine/%3Fpage%3D2" in second

    # A page that is not there gives the nearest one, not an error.
    assert _shown_refs(client.get(f"{URL}?page=99").content.decode())[0] == f"3.{size + 1:03d}"
    assert _shown_refs(client.get(f"{URL}?page=first").content.decode())[0] == "3.001"


def test_a_row_on_a_later_page_has_its_position_last_update_and_co_owners(
    client, director, owner, rec, period
):
    # Only the page's actions are loaded in full: what each row shows must still be its own.
    size = selectors.MY_ACTIONS_PAGE_SIZE
    for number in range(1, size + 2):
        make(rec, owner, f"3.{number:03d}")
    last = Action.objects.get(ref=f"3.{size + 1:03d}")
    last.owners.add(factories.OwnerFactory(post="Head of Service – Fostering"))
    services.rating_record(item=last, rag="red", user=director)
    client.force_login(director)

    second = client.get(f"{URL}?page=2").content.decode()

    assert _shown_refs(second) == [last.ref]
    assert '<span class="rag rag-red">Red</span>' in second
    assert f"{TODAY.day} {TODAY:%b %Y}" in second  # last update
    assert "Shared with Head of Service – Fostering" in second
    # The filters read every action's position, not only the page's.
    assert _shown_refs(client.get(f"{URL}?rag=red").content.decode()) == [last.ref]


def test_the_page_links_keep_the_filters(client, director, owner, rec, period):
    size = selectors.MY_ACTIONS_PAGE_SIZE
    for number in range(1, 2 * size + 11):
        make(rec, owner, f"3.{number:03d}", due_in=-5 if number % 2 else 60)
    client.force_login(director)
    page = client.get(f"{URL}?overdue=1&page=2").content.decode()
    overdue = [f"3.{n:03d}" for n in range(1, 2 * size + 11, 2)]
    assert _shown_refs(page) == overdue[size:]
    assert (
        f"Showing {size + 1}–{size + 5} of the {size + 5} actions matching the filters "
        f"({2 * size + 10} in all), page 2 of 2." in page
    )
    assert 'rel="prev" href="?overdue=1&amp;page=1"' in page
    # Filtering (through htmx too) starts again at the first page.
    response = client.get(
        f"{URL}?overdue=1", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="my-actions-results"
    )
    assert _shown_refs(response.content.decode()) == overdue[:size]

"""The action page: everything about an action, with its full history; read-only for
everyone but its owners and plan administrators."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from core.models import save_versioned
from plans import services
from tests import factories

TODAY = timezone.localdate()


def url(action) -> str:
    return reverse("plans:action", args=[action.pk])


def test_anyone_signed_out_is_sent_to_sign_in(client, action):
    response = client.get(url(action))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_without_a_role_is_refused(client, action):
    client.force_login(factories.UserFactory(username="nobody"))
    assert client.get(url(action)).status_code == 403


def test_a_missing_action_is_not_found(client, director, db):
    client.force_login(director)
    assert client.get(reverse("plans:action", args=[999999])).status_code == 404


def test_milestones_read_as_dates_in_english(client, director, action):
    action.milestones = ["2024-09-30", "2025-03-31", "not a date"]
    action.save()
    client.force_login(director)
    page = client.get(url(action)).content.decode()
    assert "Milestones: 30 Sep 2024, 31 Mar 2025</span>" in page


def test_the_owner_is_offered_the_update_form(client, director, action):
    client.force_login(director)
    page = client.get(url(action)).content.decode()
    assert reverse("plans:action_update", args=[action.pk]) in page
    assert "Q2 2024/25 is open until 30 Sep 2024." in page
    assert "You can read this action." not in page


@pytest.mark.parametrize("who", ["other_director", "board_member", "qa_lead", "clerk"])
def test_everyone_else_reads_it_without_edit_controls(client, action, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url(action))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("plans:action_update", args=[action.pk]) not in page
    assert "Update this action" not in page
    assert "<form" not in page.split('<main id="main"', 1)[1]
    assert "You can read this action. Only its accountable owners" in page


def test_without_an_open_period_the_owner_is_told_when_it_closed(client, director, action, period):
    services.period_close(period=period, user=director)
    client.force_login(director)
    page = client.get(url(action)).content.decode()
    assert "No reporting period is open: Q2 2024/25 closed on" in page
    assert reverse("plans:action_update", args=[action.pk]) not in page


def test_it_shows_the_recommendation_outcome_owners_and_dates(client, board_member, plan, period):
    rec = factories.RecommendationFactory(
        plan=plan, ref="4", title="Return home interviews", outcome_required="Every child seen."
    )
    outcome = factories.OutcomeFactory(recommendation=rec, ref="4.1", text="Children are safer.")
    owner = factories.OwnerFactory(post="Head of Service", person_name="Priya Patel")
    action = factories.ActionFactory(
        recommendation=rec,
        outcome=outcome,
        ref="4.1a",
        text="Offer every child a return home interview",
        timescale_text="From April 2024, review March 2025",
        start_date=dt.date(2024, 4, 1),
        due_date=dt.date(2025, 3, 31),
        owners=[owner],
    )
    client.force_login(board_member)
    page = client.get(url(action)).content.decode()
    assert "4. Return home interviews" in page
    assert "Every child seen." in page
    assert "4.1 Children are safer." in page
    assert "Head of Service (Priya Patel)" in page
    assert "From April 2024, review March 2025" in page
    assert "Starts 1 Apr 2024; due 31 Mar 2025" in page


def test_the_accountability_cell_is_shown_as_the_plan_writes_it(client, board_member, action):
    # Issue 22: "Service Director Practice" is matched leniently to "Service Director -
    # Practice" and shown as written.
    owner = factories.OwnerFactory(post="Head of Service - Practice")
    action.owners.set([owner])
    action.accountability = "Head of Service Practice"
    action.save()
    client.force_login(board_member)
    page = client.get(url(action)).content.decode()
    assert "Head of Service - Practice" in page
    assert "The plan writes: “Head of Service Practice”" in page
    action.accountability = "Head of Service - Practice"
    action.save()
    assert "The plan writes" not in client.get(url(action)).content.decode()


def test_measures_show_their_latest_result_and_what_it_suggests(client, director, action):
    measure = factories.MeasureFactory(action=action, text="Dip sample of plans", target=90)
    factories.DipSampleFactory(measure=measure, sampled_on=dt.date(2024, 9, 1), compliant=9)
    factories.DipSampleFactory(measure=measure, sampled_on=dt.date(2024, 10, 1), compliant=6)
    client.force_login(director)
    page = client.get(url(action)).content.decode()
    assert "Dip sample of plans" in page
    assert "Dip sample 1 Oct 2024: 6 of 10 compliant (60.0%)" in page
    assert '<td><span class="rag rag-red">Red</span></td>' in page


def test_the_rating_history_shows_period_rag_commentary_who_and_when(
    client, director, board_member, action
):
    rating = services.rating_record(
        item=action, rag="amber", user=director, commentary="Recruiting.\nTwo posts filled."
    )
    client.force_login(board_member)
    page = client.get(url(action)).content.decode()
    item = page[page.index(f'id="rating-{rating.pk}"') :]
    item = item[: item.index("</li>")]
    assert '<span class="rag rag-amber">Amber</span> <strong>Q2 2024/25</strong>' in item
    assert "position for Q2 2024/25" in item
    assert escape(director.get_full_name()) in item  # O'Donnell is O&#x27;Donnell
    assert f"{rating.created.astimezone(timezone.get_current_timezone()):%H:%M}" in item
    assert '<p class="prewrap">Recruiting.\nTwo posts filled.</p>' in item


def test_revisions_remedial_actions_and_evidence_are_listed(client, director, action):
    services.action_update(
        action=action,
        user=director,
        expected_version=action.version,
        rag="red",
        commentary="Stalled.",
        override_reason="",
        recovery="Weekly tracking meeting.",
        new_due_date=TODAY + dt.timedelta(days=90),
        due_date_reason="Commissioning delay.",
        evidence_file=SimpleUploadedFile("tracker.csv", b"week,done\n1,3\n", "text/csv"),
    )
    client.force_login(director)
    page = client.get(url(action)).content.decode()
    assert "slipped from 31 Mar 2025" in page
    assert "Commissioning delay." in page
    assert "Weekly tracking meeting." in page
    assert "tracker.csv" in page
    evidence = action.evidence.get()
    assert reverse("plans:evidence_download", args=[evidence.pk]) in page


def test_the_change_history_says_who_changed_what_and_why(client, director, plan_admin, action):
    action.text = "Allocate a personal adviser to every care leaver within 5 days"
    save_versioned(
        action, expected_version=action.version, user=plan_admin, reason="Wording agreed at board"
    )
    client.force_login(director)
    page = client.get(url(action)).content.decode()
    history = page[page.index('id="changes"') :]
    assert "Action changed" in history
    assert escape(plan_admin.get_full_name()) in history
    assert 'Reason: <span class="prewrap">Wording agreed at board</span>' in history
    assert '<th scope="row">Action</th>' in history
    assert "Allocate a PA to every care leaver" in history
    assert "within 5 days" in history


def test_owner_changes_appear_in_the_change_history(client, director, action):
    extra = factories.OwnerFactory(post="Head of Virtual School")
    action._change_reason = "owner added"
    action.owners.add(extra)
    client.force_login(director)
    history = client.get(url(action)).content.decode().split('id="changes"', 1)[1]
    assert '<th scope="row">Accountable</th>' in history
    assert "Head of Virtual School" in history


def test_ratings_confirmations_and_due_date_revisions_are_in_the_change_history(
    client, director, qa_lead, action, plan
):
    from plans import periods

    plan.requires_signoff = True
    plan.save()
    rating = services.rating_record(item=action, rag="amber", user=director, commentary="x")
    periods.rating_confirm(rating=rating, user=qa_lead, comment="Evidence seen")
    services.action_revise_due_date(
        action=action,
        new_date=dt.date(2025, 5, 31),
        reason="Staffing",
        user=director,
        expected_version=action.version,
    )
    client.force_login(director)
    history = client.get(url(action)).content.decode().split('id="changes"', 1)[1]
    assert "Rated Amber for Q2 2024/25" in history
    assert "Amber rating for Q2 2024/25 confirmed" in history
    assert "Evidence seen" in history
    assert "Due date revised" in history
    assert "31 Mar 2025" in history and "31 May 2025" in history


def test_commentary_that_looks_like_html_is_shown_as_text(client, director, action):
    services.rating_record(
        item=action, rag="green", user=director, commentary='<img src=x onerror="alert(1)">'
    )
    client.force_login(director)
    page = client.get(url(action)).content.decode()
    assert '<img src=x onerror="alert(1)">' not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def _populate(action, director, count: int) -> None:
    for number in range(count):
        services.rating_record(
            item=action,
            rag=("green", "amber", "red")[number % 3],
            user=director,
            commentary=f"Update {number}",
        )
    for number in range(count // 50 + 1):
        factories.MeasureFactory(action=action, text=f"Measure {number}")
        services.action_revise_due_date(
            action=action,
            new_date=dt.date(2025, 4, 1) + dt.timedelta(days=number),
            reason=f"Revision {number}",
            user=director,
            expected_version=action.version,
        )


@pytest.mark.parametrize("count", [5, 500])
def test_the_page_makes_the_same_number_of_queries_for_5_or_500_ratings(
    client, director, action, count, django_assert_num_queries
):
    _populate(action, director, count)
    client.force_login(director)
    # 22 with the action's rows of plans.Position, which say which rating is its position
    with django_assert_num_queries(22):
        response = client.get(url(action))
    assert response.content.decode().count('<li id="rating-') == count


def test_a_measures_overridden_rag_is_shown_with_its_reason(client, board_member, qa_lead, action):
    from audits.services import measure_rag_override

    measure = factories.MeasureFactory(action=action, text="Dip sample of plans", target=90)
    factories.DipSampleFactory(measure=measure, sampled_on=dt.date(2024, 9, 1), compliant=6)
    measure_rag_override(
        measure=measure, user=qa_lead, rag="amber", reason="Four files were transfers in"
    )
    client.force_login(board_member)
    page = client.get(url(action)).content.decode()
    row = page[page.index("Dip sample of plans") :]
    row = row[: row.index("</tr>")]
    assert '<span class="rag rag-amber">Amber</span>' in row
    assert "<strong>Overridden</strong> (evidence gave Red)" in row
    assert "Four files were transfers in" in row

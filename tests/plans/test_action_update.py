"""The monthly update form: a director rates their action with commentary, recovery,
evidence and a new due date, all or nothing, and never over someone else's update."""

import datetime as dt
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from core.models import ConflictError
from plans import selectors, services
from plans.models import Action, DueDateRevision, Evidence, Rating, RemedialAction
from tests import factories
from tests.conftest import requires_postgres

TODAY = timezone.localdate()


@pytest.fixture
def on_time(plan, period, owner):
    """An action of the director's due in two months: the dates suggest nothing."""
    rec = factories.RecommendationFactory(plan=plan, ref="2", title="Supervision")
    return factories.ActionFactory(
        recommendation=rec,
        ref="2.1",
        text="Monthly supervision for every social worker",
        due_date=TODAY + dt.timedelta(days=60),
        owners=[owner],
    )


def url(action) -> str:
    return reverse("plans:action_update", args=[action.pk])


def post(client, action, **fields):
    data = {
        "version": action.version,
        "period": action.plan.periods.get(state="open").pk,
        "rag": "green",
        "commentary": "On track.",
    }
    data.update(fields)
    return client.post(url(action), {k: v for k, v in data.items() if v is not None})


def test_the_form_says_which_period_is_open_and_when_it_closes(client, director, on_time, period):
    client.force_login(director)
    response = client.get(url(on_time))
    assert response.status_code == 200
    page = response.content.decode()
    assert "You are rating <strong>Q2 2024/25</strong>" in page
    assert "open until <strong>30 Sep 2024</strong>" in page
    assert f'name="version" value="{on_time.version}"' in page


def test_the_form_shows_what_the_dates_suggest_beside_the_rating(client, director, action):
    # The fixture's action was due on 31 March 2025: long overdue.
    client.force_login(director)
    page = client.get(url(action)).content.decode()
    assert "The dates suggest Red" in page
    badge = '<span class="rag rag-red">Red</span> <span class="tag tag-proposed">dates suggest'
    assert badge in page


def test_an_owner_saves_a_rating_in_the_open_period(client, director, on_time, period):
    client.force_login(director)
    response = post(client, on_time, rag="green", commentary="All teams now supervised monthly.")
    rating = Rating.objects.get(action=on_time)
    assert response.status_code == 302
    assert response["Location"] == f"{on_time.get_absolute_url()}#rating-{rating.pk}"
    assert (rating.rag, rating.period, rating.created_by) == ("green", period, director)
    assert rating.commentary == "All teams now supervised monthly."
    on_time.refresh_from_db()
    assert on_time.version == 2


def test_after_saving_the_page_says_so_and_lands_on_the_new_rating(client, director, on_time):
    client.force_login(director)
    response = post(client, on_time, rag="green", commentary="Fine.")
    page = client.get(response["Location"]).content.decode()
    rating = Rating.objects.get(action=on_time)
    assert "Update saved: 2.1 is Green for Q2 2024/25." in page
    assert f'<li id="rating-{rating.pk}" tabindex="-1">' in page


def test_saving_from_my_actions_goes_back_to_the_same_filtered_list(client, director, on_time):
    client.force_login(director)
    back = reverse("plans:my_actions") + "?needs_update=1"
    response = post(client, on_time, next=back)
    assert response["Location"] == f"{back}#action-{on_time.pk}"


def test_a_link_elsewhere_is_not_followed_after_saving(client, director, on_time):
    client.force_login(director)
    response = post(client, on_time, next="https://evil.example/")
    assert response["Location"].startswith(on_time.get_absolute_url())


def test_saving_twice_in_a_period_keeps_both_and_the_latest_is_the_position(
    client, director, on_time, period
):
    client.force_login(director)
    post(client, on_time, rag="green", commentary="First view.")
    on_time.refresh_from_db()
    post(client, on_time, rag="amber", commentary="Second view.", recovery="Agency cover.")
    ratings = list(Rating.objects.filter(action=on_time).order_by("created", "pk"))
    assert [r.rag for r in ratings] == ["green", "amber"]
    page = client.get(on_time.get_absolute_url()).content.decode()
    assert page.count("position for Q2 2024/25") == 1
    assert "replaced by a later rating" in page
    current = selectors.actions_with_position(
        Action.objects.filter(pk=on_time.pk), period=services.open_period(on_time.plan)
    )
    assert current.get().current_rag == "amber"


def test_commentary_is_required(client, director, on_time):
    client.force_login(director)
    response = post(client, on_time, commentary="   ")
    assert response.status_code == 400
    page = response.content.decode()
    assert '<a href="#id_commentary">Say how the action is going.</a>' in page
    assert 'id="id_commentary_error"' in page
    assert 'aria-describedby="id_commentary_helptext id_commentary_error"' in page
    assert 'aria-invalid="true"' in page
    assert not Rating.objects.exists()


def test_amber_needs_what_will_bring_it_back_on_track(client, director, on_time):
    client.force_login(director)
    response = post(client, on_time, rag="amber", commentary="Recruitment slow.")
    assert response.status_code == 400
    assert "Say what will bring it back on track" in response.content.decode()
    assert not Rating.objects.exists()
    assert not RemedialAction.objects.exists()


def test_red_with_recovery_creates_a_remedial_action(client, director, on_time):
    client.force_login(director)
    due = TODAY + dt.timedelta(days=30)
    post(
        client,
        on_time,
        rag="red",
        commentary="Two teams missed supervision.",
        recovery="Interim managers supervise both teams.",
        recovery_due=due.isoformat(),
    )
    remedial = RemedialAction.objects.get(action=on_time)
    assert remedial.text == "Interim managers supervise both teams."
    assert remedial.due_date == due
    assert remedial.completed_on is None
    assert remedial.history.first().history_user == director


def test_a_later_amber_updates_the_open_remedial_action_instead_of_adding_one(
    client, director, on_time
):
    client.force_login(director)
    post(client, on_time, rag="red", commentary="Behind.", recovery="Interim cover.")
    on_time.refresh_from_db()
    page = client.get(url(on_time)).content.decode()
    assert "Interim cover.</textarea>" in page  # the form starts from the open one
    post(client, on_time, rag="amber", commentary="Better.", recovery="Permanent manager starts.")
    remedial = RemedialAction.objects.get(action=on_time)
    assert remedial.text == "Permanent manager starts."
    assert remedial.history.first().history_change_reason.startswith("Recovery updated")


def test_back_to_green_completes_the_open_remedial_action(client, director, on_time):
    client.force_login(director)
    post(client, on_time, rag="red", commentary="Behind.", recovery="Interim cover.")
    on_time.refresh_from_db()
    post(client, on_time, rag="green", commentary="Recovered.")
    remedial = RemedialAction.objects.get(action=on_time)
    assert remedial.completed_on == TODAY
    assert remedial.completed_text == "Back on track: rated Green"


def test_blue_asks_for_the_completion_date(client, director, on_time):
    client.force_login(director)
    response = post(client, on_time, rag="blue", commentary="Done.", completed_on="")
    assert response.status_code == 400
    assert "Blue means complete: give the completion date." in response.content.decode()
    on_time.refresh_from_db()
    assert on_time.status == Action.Status.OPEN


def test_blue_completes_the_action_on_the_date_given(client, director, on_time):
    client.force_login(director)
    done = TODAY - dt.timedelta(days=3)
    post(client, on_time, rag="blue", commentary="Done.", completed_on=done.isoformat())
    on_time.refresh_from_db()
    assert (on_time.status, on_time.completed_on) == (Action.Status.COMPLETE, done)
    assert on_time.history.first().history_change_reason == (
        f"Rated Blue for Q2 2024/25; complete on {done:%d %b %Y}"
    )


def test_a_completion_date_in_the_future_is_refused(client, director, on_time):
    client.force_login(director)
    later = TODAY + dt.timedelta(days=3)
    response = post(client, on_time, rag="blue", commentary="Done.", completed_on=later.isoformat())
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()


def test_rating_a_complete_action_anything_but_blue_reopens_it(client, director, on_time):
    client.force_login(director)
    post(client, on_time, rag="blue", commentary="Done.", completed_on=TODAY.isoformat())
    on_time.refresh_from_db()
    post(client, on_time, rag="amber", commentary="Not embedded after all.", recovery="Re-audit.")
    on_time.refresh_from_db()
    assert (on_time.status, on_time.completed_on) == (Action.Status.OPEN, None)


def test_a_new_due_date_or_recovery_date_in_the_past_is_refused(client, director, action):
    client.force_login(director)
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    response = post(
        client,
        action,
        rag="red",
        commentary="Behind.",
        recovery="Agency staff.",
        recovery_due=yesterday,
        new_due_date=yesterday,
        due_date_reason="Rephased.",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The new due date is in the past" in page
    assert "The recovery date is in the past" in page
    assert not Rating.objects.exists()


def test_a_rating_better_than_the_dates_suggest_needs_a_reason(client, director, action):
    client.force_login(director)
    response = post(client, action, rag="green", commentary="Nearly there.")
    assert response.status_code == 400
    page = response.content.decode()
    assert "The dates suggest Red: explain why the position is Green." in page
    assert '<a href="#id_override_reason">' in page
    # The question is not marked optional: it says when it is needed.
    assert "Needed only if your rating is better than the dates suggest." in page
    assert "Why is it better than the dates suggest? <span" not in page
    assert not Rating.objects.exists()
    post(client, action, rag="green", commentary="Nearly there.", override_reason="Signed off.")
    rating = Rating.objects.get(action=action)
    assert (rating.suggested_rag, rating.override_reason) == ("red", "Signed off.")


def test_a_new_due_date_is_revised_with_its_reason(client, director, on_time):
    client.force_login(director)
    history_before = on_time.history.count()
    new_date = on_time.due_date + dt.timedelta(days=20)
    post(
        client,
        on_time,
        rag="amber",
        commentary="Slower than planned.",
        recovery="Extra trainer.",
        new_due_date=new_date.isoformat(),
        due_date_reason="Trainer off sick in October.",
        override_reason="",
    )
    on_time.refresh_from_db()
    assert on_time.due_date == new_date
    assert on_time.baseline_due_date == new_date - dt.timedelta(days=20)
    revision = DueDateRevision.objects.get(action=on_time)
    assert (revision.reason, revision.created_by) == ("Trainer off sick in October.", director)
    # One history row for the whole update, saying everything it did.
    assert on_time.history.count() == history_before + 1
    assert on_time.history.first().history_change_reason == (
        "Rated Amber for Q2 2024/25; due date revised: Trainer off sick in October."
    )


def test_slipping_the_due_date_makes_a_green_rating_need_a_reason(client, director, on_time):
    client.force_login(director)
    later = on_time.due_date + dt.timedelta(days=90)
    response = post(
        client,
        on_time,
        rag="green",
        commentary="Fine.",
        new_due_date=later.isoformat(),
        due_date_reason="Rephased.",
    )
    assert response.status_code == 400
    assert "The dates suggest Red" in response.content.decode()
    on_time.refresh_from_db()
    assert on_time.due_date == later - dt.timedelta(days=90)


def test_a_new_due_date_needs_a_reason(client, director, on_time):
    client.force_login(director)
    later = on_time.due_date + dt.timedelta(days=5)
    response = post(client, on_time, new_due_date=later.isoformat(), due_date_reason="")
    assert response.status_code == 400
    assert '<a href="#id_due_date_reason">Say why the due date is changing.</a>' in (
        response.content.decode()
    )
    assert not DueDateRevision.objects.exists()
    assert not Rating.objects.exists()


def test_every_problem_is_listed_at_once(client, director, on_time):
    client.force_login(director)
    response = post(
        client, on_time, rag="red", commentary="", new_due_date="2030-01-01", due_date_reason=""
    )
    page = response.content.decode()
    for anchor in ("#id_commentary", "#id_recovery", "#id_due_date_reason"):
        assert f'<a href="{anchor}">' in page


def test_a_file_attached_to_the_update_is_kept_with_the_rating(client, director, on_time):
    client.force_login(director)
    upload = SimpleUploadedFile("Audit summary.pdf", b"%PDF-1.7\n...", "application/pdf")
    post(client, on_time, evidence_file=upload, evidence_title="October audit")
    evidence = Evidence.objects.get(action=on_time)
    assert evidence.rating == Rating.objects.get(action=on_time)
    assert (evidence.title, evidence.content_type) == ("October audit", "application/pdf")
    assert evidence.file.name.endswith("Audit_summary.pdf")


def test_a_link_can_be_given_as_evidence(client, director, on_time):
    client.force_login(director)
    post(client, on_time, evidence_link="https://intranet.example.org/audit")
    evidence = Evidence.objects.get(action=on_time)
    assert (evidence.link, evidence.title) == (
        "https://intranet.example.org/audit",
        "https://intranet.example.org/audit",
    )


def test_a_link_that_is_not_a_web_address_is_refused(client, director, on_time):
    client.force_login(director)
    response = post(client, on_time, evidence_link="javascript:alert(1)")
    assert response.status_code == 400
    assert '<a href="#id_evidence_link">' in response.content.decode()
    assert not Evidence.objects.exists()
    assert not Rating.objects.exists()


def test_where_the_plan_asks_for_sign_off_the_director_is_told_it_is_proposed(
    client, director, on_time, plan
):
    plan.requires_signoff = True
    plan.save()
    client.force_login(director)
    assert "proposed until a QA lead" in client.get(url(on_time)).content.decode()
    response = post(client, on_time, commentary="Done this month.")
    page = client.get(response["Location"]).content.decode()
    assert "It is proposed until a QA lead or plan administrator confirms it." in page
    assert Rating.objects.get().status == Rating.Status.PROPOSED


def test_a_refused_file_writes_nothing_at_all(client, director, on_time, settings):
    client.force_login(director)
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    later = on_time.due_date + dt.timedelta(days=5)
    response = post(
        client,
        on_time,
        rag="amber",
        commentary="Behind.",
        recovery="Cover.",
        evidence_file=fake,
        new_due_date=later.isoformat(),
        due_date_reason="Rephased.",
    )
    assert response.status_code == 400
    assert "is not a PDF" in response.content.decode()
    assert not Rating.objects.exists()
    assert not RemedialAction.objects.exists()
    assert not DueDateRevision.objects.exists()
    assert not Evidence.objects.exists()
    on_time.refresh_from_db()
    assert on_time.version == 1
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_failure_after_the_file_is_stored_removes_the_file(director, on_time, settings):
    # The new due date equals the current one: refused by action_revise_due_date, the
    # last step, after the evidence file has been written to storage.
    upload = SimpleUploadedFile("notes.txt", b"Minutes of the meeting\n", "text/plain")
    with pytest.raises(services.ValidationError):
        services.action_update(
            action=on_time,
            user=director,
            expected_version=1,
            rag="green",
            commentary="Fine.",
            evidence_file=upload,
            new_due_date=on_time.due_date,
            due_date_reason="No change really.",
        )
    assert not Evidence.objects.exists()
    assert not Rating.objects.exists()
    assert not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))


def test_commentary_that_looks_like_html_is_shown_as_text_with_its_line_breaks(
    client, director, on_time
):
    client.force_login(director)
    post(client, on_time, commentary="Line one\n<script>alert(1)</script>\nLine three")
    page = client.get(on_time.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert (
        '<p class="prewrap">Line one\n&lt;script&gt;alert(1)&lt;/script&gt;\nLine three</p>' in page
    )


# --- Who may update -------------------------------------------------------------------


def test_anyone_signed_out_is_sent_to_sign_in(client, on_time):
    response = client.get(url(on_time))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    response = post(client, on_time)
    assert response.status_code == 302
    assert not Rating.objects.exists()


@pytest.mark.parametrize("who", ["other_director", "board_member", "qa_lead", "clerk"])
def test_nobody_but_an_owner_may_open_the_form(client, on_time, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url(on_time))
    assert response.status_code == 403
    assert "Only the action&#x27;s accountable owners" in response.content.decode()


@pytest.mark.parametrize("who", ["other_director", "board_member", "qa_lead", "clerk"])
def test_a_direct_post_by_anyone_but_an_owner_is_refused_and_changes_nothing(
    client, on_time, who, request
):
    client.force_login(request.getfixturevalue(who))
    response = post(client, on_time, rag="blue", commentary="Done", completed_on=TODAY.isoformat())
    assert response.status_code == 403
    assert not Rating.objects.exists()
    on_time.refresh_from_db()
    assert (on_time.status, on_time.version) == (Action.Status.OPEN, 1)


def test_an_htmx_post_by_another_director_is_refused_too(client, other_director, on_time):
    client.force_login(other_director)
    data = {"version": 1, "rag": "green", "commentary": "Sneaky"}
    response = client.post(url(on_time), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert not Rating.objects.exists()


def test_a_plan_administrator_may_update_any_action(client, plan_admin, on_time):
    client.force_login(plan_admin)
    assert post(client, on_time, commentary="Checked with the team.").status_code == 302
    assert Rating.objects.get(action=on_time).created_by == plan_admin


def test_the_service_refuses_someone_who_may_not_edit(other_director, on_time):
    with pytest.raises(services.PermissionDenied):
        services.action_update(
            action=on_time, user=other_director, expected_version=1, rag="green", commentary="x"
        )
    assert not Rating.objects.exists()


def test_an_action_of_a_closed_plan_cannot_be_updated(client, director, on_time, plan):
    plan.status = "closed"
    plan.save()
    client.force_login(director)
    assert client.get(url(on_time)).status_code == 403


# --- Closed periods ---------------------------------------------------------------------


def test_with_no_open_period_the_page_says_so_and_offers_no_form(client, director, on_time, period):
    services.period_close(period=period, user=director)
    client.force_login(director)
    page = client.get(url(on_time)).content.decode()
    assert "No reporting period is open" in page
    assert "Q2 2024/25 closed on" in page
    assert "Save update" not in page


def test_a_closed_period_cannot_be_rated(client, director, on_time, period):
    loaded_version = on_time.version
    services.period_close(period=period, user=director)
    client.force_login(director)
    response = client.post(
        url(on_time),
        {"version": loaded_version, "period": period.pk, "rag": "green", "commentary": "Late."},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Q2 2024/25 closed while you were writing this update" in page
    assert "Late.</textarea>" in page  # what they wrote is still there to copy
    assert not Rating.objects.filter(carried_forward=False).exists()


def test_a_rating_is_not_moved_into_the_next_period_when_the_loaded_one_closed(
    client, director, on_time, period, plan
):
    factories.PeriodFactory(
        plan=plan,
        label="Q3 2024/25",
        start=dt.date(2024, 10, 1),
        end=dt.date(2024, 12, 31),
        state="upcoming",
    )
    services.period_close(period=period, user=director)  # Q3 opens
    client.force_login(director)
    response = client.post(
        url(on_time),
        {"version": 1, "period": period.pk, "rag": "green", "commentary": "For Q2."},
    )
    assert response.status_code == 400
    assert "Q3 2024/25 is open now." in response.content.decode()
    assert not Rating.objects.filter(carried_forward=False).exists()


# --- No lost updates ----------------------------------------------------------------------


def test_a_stale_form_is_refused_showing_what_the_other_person_saved(
    client, director, plan_admin, on_time
):
    services.action_update(
        action=Action.objects.get(pk=on_time.pk),
        user=plan_admin,
        expected_version=1,
        rag="amber",
        commentary="Admin's view: staffing gap.",
        recovery="Agency staff.",
    )
    client.force_login(director)
    response = post(client, on_time, rag="green", commentary="My view: all fine.")
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else updated 2.1 while you were writing" in page
    assert "has <strong>not</strong> been saved" in page
    assert escape(plan_admin.get_full_name()) in page  # O'Donnell is O&#x27;Donnell
    assert "Admin&#x27;s view: staffing gap." in page
    assert '<span class="rag rag-amber">Amber</span> for Q2 2024/25' in page
    assert "My view: all fine.</textarea>" in page  # the director's text is kept
    assert 'name="version" value="2"' in page  # and can be saved knowingly
    assert list(Rating.objects.values_list("rag", flat=True)) == ["amber"]


def test_after_seeing_the_conflict_the_director_can_save_again(
    client, director, plan_admin, on_time
):
    services.action_update(
        action=Action.objects.get(pk=on_time.pk),
        user=plan_admin,
        expected_version=1,
        rag="green",
        commentary="Admin.",
    )
    client.force_login(director)
    assert post(client, on_time, commentary="Mine.", version=1).status_code == 409
    assert post(client, on_time, commentary="Mine.", version=2).status_code == 302
    assert Rating.objects.count() == 2


def test_every_save_is_in_the_history_with_user_and_reason(client, director, on_time):
    client.force_login(director)
    post(client, on_time, rag="amber", commentary="Behind.", recovery="Cover.")
    entry = on_time.history.first()
    assert entry.history_user == director
    assert entry.history_change_reason == "Rated Amber for Q2 2024/25"
    rating_entry = Rating.objects.get().history.get()
    assert rating_entry.history_user == director
    assert rating_entry.history_change_reason == "Rated Amber in the update form"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_updates_from_the_same_version_save_exactly_one():
    from django.contrib.auth.models import Group

    from plans import roles

    group, _ = Group.objects.get_or_create(name=roles.SERVICE_DIRECTOR)
    first = factories.UserFactory(username="first-director")
    second = factories.UserFactory(username="second-director")
    for user in (first, second):
        user.groups.add(group)
    owner = factories.OwnerFactory(post="Shared post", user=first)
    other = factories.OwnerFactory(post="Other post", user=second)
    plan = factories.PlanFactory()
    factories.PeriodFactory(plan=plan, label="Q2")
    rec = factories.RecommendationFactory(plan=plan)
    action = factories.ActionFactory(
        recommendation=rec, due_date=TODAY + dt.timedelta(days=60), owners=[owner, other]
    )
    history_before = action.history.count()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def update(user, rag: str) -> None:
        try:
            loaded = Action.objects.get(pk=action.pk)
            barrier.wait(timeout=10)
            services.action_update(
                action=loaded,
                user=user,
                expected_version=loaded.version,
                rag=rag,
                commentary=f"{user.username} says {rag}",
                recovery="Cover." if rag == "amber" else "",
            )
            outcomes.append("saved")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            close_old_connections()

    threads = [
        threading.Thread(target=update, args=(first, "green")),
        threading.Thread(target=update, args=(second, "amber")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "saved"]
    action.refresh_from_db()
    assert action.version == 2
    assert Rating.objects.filter(action=action).count() == 1
    assert action.history.count() == history_before + 1
    saved = Rating.objects.get(action=action)
    assert RemedialAction.objects.filter(action=action).count() == (saved.rag == "amber")


def test_a_new_due_date_is_typed_as_day_month_and_year(client, director, on_time):
    client.force_login(director)
    later = on_time.due_date + dt.timedelta(days=30)
    page = client.get(url(on_time)).content.decode()
    assert 'name="new_due_date_day"' in page and 'type="date"' not in page
    assert "For example, 27 3 2025." in page
    response = post(
        client,
        on_time,
        new_due_date_day=str(later.day),
        new_due_date_year=str(later.year),
        due_date_reason="Rephased.",
    )
    assert response.status_code == 400
    assert "The new due date must include a month" in response.content.decode()
    response = post(
        client,
        on_time,
        new_due_date_day=str(later.day),
        new_due_date_month=str(later.month),
        new_due_date_year=str(later.year),
        due_date_reason="Rephased.",
        rag="amber",
        recovery="Agency cover.",
    )
    assert response.status_code == 302
    on_time.refresh_from_db()
    assert on_time.due_date == later

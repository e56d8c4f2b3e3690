"""The bounds of `plans/bounds.py` at every edge: dates in a window, text with a length
limit and no control characters, reasons that show something, periods created a few at
a time. Each of issue 23's findings 1, 2 and 7 is reproduced here through the page a
person would use; finding 3 (exports) is in test_spreadsheet_text.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from audits import services as audit_services
from audits.models import AuditSchedule, DipSample
from plans import bounds, periods
from plans.io.importing import ImportFailed, parse_table
from plans.models import Rating, ReportingPeriod
from tests import factories

WINDOW = "between 1 January 2000 and 31 December 2100"
FOUR_MB = "x" * (4 * 1024 * 1024)


# --- The module itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "accepted"),
    [
        (dt.date(1999, 12, 31), False),
        (dt.date(2000, 1, 1), True),
        (dt.date(2100, 12, 31), True),
        (dt.date(2101, 1, 1), False),
        (dt.date(1, 1, 1), False),
        (dt.date(9999, 12, 31), False),
        (dt.datetime(2024, 5, 1, 12, 0), True),
        (None, True),
    ],
)
def test_a_date_is_accepted_inside_the_window_only(day, accepted):
    problem = bounds.date_problem(day)
    assert (problem is None) == accepted
    if not accepted:
        assert WINDOW in problem


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\u200b", "\u200b \u200c\u200d\ufeff", "\u00ad", "\u2060\u3164", "\n\t\u2800"],
)
def test_text_of_invisible_characters_only_is_blank(text):
    assert bounds.is_blank(text)


@pytest.mark.parametrize("text", ["a", "\u200bx", "0", "·"])
def test_text_that_shows_something_is_not_blank(text):
    assert not bounds.is_blank(text)


@pytest.mark.parametrize(
    ("text", "found"),
    [("Line\x0bbreak", "U+000B"), ("bell\x07", "U+0007"), ("\x00", "U+0000"), ("\x85", "U+0085")],
)
def test_control_characters_are_found_and_named(text, found):
    assert bounds.control_character(text) == found


def test_tab_and_line_breaks_are_not_control_characters_here():
    assert bounds.control_character("a\tb\r\nc\n") is None


def test_spreadsheet_text_turns_vertical_tabs_into_line_breaks_and_drops_the_rest():
    assert bounds.spreadsheet_text("one\x0btwo\x07\x00 three") == "one\ntwo three"
    assert bounds.spreadsheet_text("fine\ttext\n") == "fine\ttext\n"
    assert bounds.spreadsheet_text(12) == 12


class _Form(bounds.BoundedForm):
    reason = forms.CharField(label="Why it changed")
    note = forms.CharField(required=False, max_length=20)
    day = forms.DateField(required=False)
    count = forms.IntegerField(required=False)


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"reason": "\u200b"}, "reason", "Enter why it changed"),
        ({"reason": "\u200b\u200c \ufeff"}, "reason", "Enter why it changed"),
        ({"reason": "a\x0bb"}, "reason", "Why it changed contains a control character (U+000B)"),
        ({"reason": "ok", "note": "n\x00"}, "note", "Note contains a control character (U+0000)"),
        ({"reason": "x" * 5001}, "reason", "at most 5,000 characters long; this is 5,001"),
        ({"reason": "ok", "note": "y" * 21}, "note", "at most 20 characters long; this is 21"),
        ({"reason": "ok", "day": "9999-12-31"}, "day", WINDOW),
        ({"reason": "ok", "day": "0001-01-01"}, "day", WINDOW),
        ({"reason": "ok", "count": str(2**40)}, "count", "less than or equal to 2147483647"),
        ({"reason": "ok", "count": str(-(2**40))}, "count", "greater than or equal to"),
    ],
)
def test_a_bounded_form_refuses_with_a_message_naming_the_bound(data, field, words):
    form = _Form(data)
    assert not form.is_valid()
    assert words in " ".join(form.errors[field])


def test_a_hidden_text_field_holds_as_much_as_stored_text_and_no_control_characters():
    class Hidden(bounds.BoundedForm):
        source = forms.CharField(widget=forms.HiddenInput, required=False)

    assert Hidden({"source": "w" * bounds.LONG_TEXT_LIMIT}).is_valid()
    assert not Hidden({"source": "w" * (bounds.LONG_TEXT_LIMIT + 1)}).is_valid()
    assert not Hidden({"source": "a\x0bb"}).is_valid()


def test_a_bounded_form_accepts_ordinary_text_with_tabs_and_line_breaks():
    form = _Form({"reason": "Line one\r\n\tLine two", "day": "2024-03-31", "count": "3"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["reason"] == "Line one\r\n\tLine two"


# --- Finding 1: an audit schedule's first due date ---------------------------------------


@pytest.mark.parametrize("first_due", ["9999-12-31", "0001-01-01", "2101-01-31", "1999-12-31"])
def test_finding_1_a_schedule_due_outside_the_window_is_refused_and_the_overview_stays_up(
    client, qa_lead, action, first_due
):
    measure = factories.MeasureFactory(action=action, text="Quarterly dip samples x 3")
    client.force_login(qa_lead)
    response = client.post(
        reverse("audits:schedule_confirm", args=[measure.pk]),
        {"cadence": "quarterly", "rounds": "3", "first_due": first_due},
    )
    assert response.status_code == 422
    assert WINDOW in " ".join(response.context["form"].errors["first_due"])
    assert not AuditSchedule.objects.exists()
    assert client.get(reverse("audits:overview")).status_code == 200
    assert client.get(reverse("audits:measure", args=[measure.pk])).status_code == 200


def test_finding_1_the_schedule_service_refuses_dates_outside_the_window_too(qa_lead, action):
    errors = audit_services.schedule_errors(
        cadence="monthly",
        interval_months=None,
        rounds=3,
        first_due=dt.date(9999, 12, 31),
        review_date=dt.date(1, 1, 1),
    )
    assert WINDOW in errors["first_due"][0]
    assert WINDOW in errors["review_date"][0]


def test_a_schedule_at_the_end_of_the_window_with_the_most_rounds_still_shows(
    client, qa_lead, action
):
    measure = factories.MeasureFactory(action=action, text="Dip samples")
    client.force_login(qa_lead)
    response = client.post(
        reverse("audits:schedule_confirm", args=[measure.pk]),
        {
            "cadence": "custom",
            "interval_months": str(audit_services.MAX_INTERVAL_MONTHS),
            "rounds": str(audit_services.MAX_ROUNDS),
            "first_due": "2100-12-31",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("audits:overview")).status_code == 200
    assert client.get(reverse("audits:measure", args=[measure.pk])).status_code == 200


# --- Finding 2: reporting periods ---------------------------------------------------------


def _create_periods(client, plan, **data):
    return client.post(reverse("plans:plan_periods", args=[plan.slug]), data)


def test_finding_2_a_dated_position_in_the_year_9999_is_a_form_error(client, plan, plan_admin):
    client.force_login(plan_admin)
    response = _create_periods(client, plan, rule="dates", dates="31 December 9999")
    assert response.status_code == 400
    assert WINDOW in " ".join(response.context["form"].errors["dates"])
    assert not plan.periods.exists()


@pytest.mark.parametrize(
    ("rule", "start", "end"),
    [("quarters", "2024-04-01", "9999-12-31"), ("months", "2027-01-01", "3026-12-31")],
)
def test_finding_2_quarters_or_months_beyond_the_window_are_a_form_error(
    client, plan, plan_admin, rule, start, end
):
    client.force_login(plan_admin)
    response = _create_periods(client, plan, rule=rule, start=start, end=end)
    assert response.status_code == 400
    assert WINDOW in " ".join(response.context["form"].errors["end"])
    assert not plan.periods.exists()


def test_finding_2_at_most_60_periods_are_created_at_once(client, plan, plan_admin):
    client.force_login(plan_admin)
    response = _create_periods(client, plan, rule="months", start="2027-01-01", end="2100-12-31")
    assert response.status_code == 400
    assert "That would be 888 periods: create at most 60 at once" in response.content.decode()
    assert not plan.periods.exists()


def test_sixty_periods_are_created_at_once(plan, plan_admin):
    created = periods.periods_create(
        plan=plan, rule="months", start=dt.date(2027, 1, 1), end=dt.date(2031, 12, 31)
    )
    assert len(created) == 60


def test_the_period_service_refuses_dates_outside_the_window(plan):
    with pytest.raises(ValidationError, match=WINDOW):
        periods.periods_create(plan=plan, rule=[dt.date(9999, 12, 31)])
    with pytest.raises(ValidationError, match=WINDOW):
        periods.periods_create(
            plan=plan, rule="quarters", start=dt.date(1, 1, 1), end=dt.date(2024, 1, 1)
        )
    assert not ReportingPeriod.objects.filter(plan=plan).exists()


# --- Finding 7: invisible reasons and 4 MB text -------------------------------------------


@pytest.fixture
def sampled(action, qa_lead):
    measure = factories.MeasureFactory(action=action, target=90, tolerance=10)
    audit_services.dip_sample_record(
        measure=measure, user=qa_lead, sampled_on=dt.date(2024, 8, 15), sample_size=10, compliant=8
    )
    return measure


@pytest.mark.parametrize("reason", ["\u200b", "\u200b\u200d\u2060 ", "\ufeff\u00ad"])
def test_finding_7_an_override_reason_of_invisible_characters_is_refused(
    client, qa_lead, sampled, reason
):
    client.force_login(qa_lead)
    before = Rating.objects.filter(measure=sampled).count()
    response = client.post(
        reverse("audits:override", args=[sampled.pk]), {"rag": "green", "reason": reason}
    )
    assert response.status_code == 422
    assert "reason" in response.context["form"].errors
    assert Rating.objects.filter(measure=sampled).count() == before


def test_finding_7_the_override_service_refuses_an_invisible_reason(qa_lead, sampled):
    with pytest.raises(ValidationError) as raised:
        audit_services.measure_rag_override(
            measure=sampled, user=qa_lead, rag="green", reason="\u200b"
        )
    assert "reason" in raised.value.message_dict


def test_finding_7_a_4_mb_override_reason_is_refused_with_the_limit(client, qa_lead, sampled):
    client.force_login(qa_lead)
    before = Rating.objects.filter(measure=sampled).count()
    response = client.post(
        reverse("audits:override", args=[sampled.pk]), {"rag": "green", "reason": FOUR_MB}
    )
    assert response.status_code == 422
    assert "at most 5,000 characters long; this is 4,194,304" in " ".join(
        response.context["form"].errors["reason"]
    )
    assert Rating.objects.filter(measure=sampled).count() == before


def test_finding_7_4_mb_dip_sample_findings_are_refused_with_the_limit(client, qa_lead, sampled):
    client.force_login(qa_lead)
    before = DipSample.objects.count()
    response = client.post(
        reverse("audits:sample_new", args=[sampled.pk]),
        {"sampled_on": "2024-08-20", "sample_size": "10", "compliant": "9", "findings": FOUR_MB},
    )
    assert response.status_code in (200, 422)
    assert "Findings can be at most 5,000 characters long" in " ".join(
        response.context["form"].errors["findings"]
    )
    assert DipSample.objects.count() == before


def _update(client, user, action, **fields):
    client.force_login(user)
    data = {"version": action.version, "rag": "green", "commentary": "On track."} | fields
    return client.post(reverse("plans:action_update", args=[action.pk]), data)


def test_finding_7_an_action_updates_due_date_reason_of_a_zero_width_space_is_refused(
    client, director, action, period
):
    response = _update(
        client, director, action, due_date_reason="\u200b", new_due_date="2024-12-31"
    )
    assert response.status_code == 400
    assert "due_date_reason" in response.context["form"].errors
    assert not Rating.objects.filter(action=action).exists()


def test_a_sent_back_rating_needs_a_visible_comment(client, qa_lead, director, action, period):
    rating = factories.RatingFactory(
        action=action, period=period, status=Rating.Status.PROPOSED, created_by=director
    )
    client.force_login(qa_lead)
    url = reverse("plans:rating_return", args=[rating.pk])
    assert client.post(url, {"comment": "\u200b\u200b"}).status_code == 400
    response = client.post(url, {"comment": "bad\x07"})
    assert response.status_code == 400
    assert "control character (U+0007)" in response.content.decode()
    response = client.post(url, {"comment": "z" * 2001})
    assert response.status_code == 400
    assert "at most 2,000 characters" in response.content.decode()
    rating.refresh_from_db()
    assert rating.status == Rating.Status.PROPOSED


# --- Control characters and dates at the other edges -------------------------------------


def test_an_action_update_with_a_vertical_tab_names_the_field(client, director, action, period):
    response = _update(client, director, action, commentary="Pasted from Word\x0bhere")
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["commentary"])
    assert "Commentary contains a control character (U+000B)" in errors
    assert not Rating.objects.filter(action=action).exists()


@pytest.mark.parametrize("field", ["new_due_date", "recovery_due"])
def test_an_action_updates_dates_outside_the_window_are_refused(
    client, director, action, period, field
):
    response = _update(
        client,
        director,
        action,
        **{
            "rag": "amber",
            "recovery": "More staff.",
            "due_date_reason": "Recruitment",
            "new_due_date": "2025-03-31",
        }
        | {field: "9999-12-31"},
    )
    assert response.status_code == 400
    assert WINDOW in " ".join(response.context["form"].errors[field])


def test_a_committee_reports_meeting_date_outside_the_window_is_refused(
    client, clerk, plan, period
):
    period.state = ReportingPeriod.State.CLOSED
    period.save()
    client.force_login(clerk)
    response = client.post(
        reverse("reporting:report_new", args=[plan.slug]),
        {
            "period": period.pk,
            "committee": "Scrutiny",
            "meeting_date": "9999-12-31",
            "access": "public",
        },
    )
    assert WINDOW in " ".join(response.context["form"].errors["meeting_date"])


def test_the_admin_refuses_a_schedule_due_outside_the_window(client, plan_admin, action):
    measure = factories.MeasureFactory(action=action)
    client.force_login(plan_admin)
    response = client.post(
        reverse("admin:audits_auditschedule_add"),
        {
            "measure": measure.pk,
            "cadence": "monthly",
            "interval_months": "1",
            "rounds": "3",
            "first_due": "9999-12-31",
        },
    )
    assert response.status_code == 200
    assert WINDOW in response.content.decode()
    assert not AuditSchedule.objects.exists()


def test_the_admin_refuses_a_control_character_in_an_owners_post(client, plan_admin):
    client.force_login(plan_admin)
    response = client.post(
        reverse("admin:plans_owner_add"), {"post": "Director\x0bof Care", "person_name": ""}
    )
    assert response.status_code == 200
    assert "contains a control character (U+000B)" in response.content.decode()


def test_an_imported_timescale_outside_the_window_is_refused_by_row_and_column():
    rows = [
        (1, ["Ref", "Outcome", "Actions", "Timescale"]),
        (2, ["What needs to improve? 1 Care leavers", "", "", ""]),
        (3, ["1.1", "PAs allocated", "Allocate a PA", "31.12.2150"]),
        (4, ["1.2", "PAs allocated", "Allocate a PA", "9999-12-31"]),
    ]
    with pytest.raises(ImportFailed) as raised:
        parse_table(rows)
    errors = [(e.row, e.column, e.message) for e in raised.value.errors]
    assert [(row, column) for row, column, _ in errors] == [(3, "Timescale"), (4, "Timescale")]
    assert all(WINDOW in message for _, _, message in errors)


def test_a_committee_reports_narrative_may_be_long_but_not_endless(client, clerk, plan, period):
    period.state = ReportingPeriod.State.CLOSED
    period.save()
    client.force_login(clerk)
    data = {
        "period": period.pk,
        "committee": "Scrutiny",
        "meeting_date": "2025-01-20",
        "access": "public",
        "title": "Improvement plan progress",
        "background": "Long background. " * 1000,
    }
    response = client.post(reverse("reporting:report_new", args=[plan.slug]), data)
    assert response.status_code == 302
    data["background"] = "x" * (bounds.LONG_TEXT_LIMIT + 1)
    response = client.post(reverse("reporting:report_new", args=[plan.slug]), data)
    assert "at most 32,767 characters long" in " ".join(
        response.context["form"].errors["background"]
    )


@pytest.mark.parametrize("first_due", [dt.date(9999, 12, 31), dt.date(1, 1, 31)])
def test_finding_1_a_schedule_saved_before_the_window_still_lets_the_pages_show(
    client, qa_lead, action, first_due
):
    measure = factories.MeasureFactory(action=action, text="Monthly dip samples x 3")
    AuditSchedule.objects.create(
        measure=measure, cadence="monthly", interval_months=1, rounds=3, first_due=first_due
    )
    client.force_login(qa_lead)
    assert client.get(reverse("audits:overview")).status_code == 200
    assert client.get(reverse("audits:measure", args=[measure.pk])).status_code == 200

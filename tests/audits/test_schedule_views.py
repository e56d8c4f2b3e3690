"""Proposing an audit schedule from the measure's words and confirming it in the browser."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.models import AuditSchedule
from core.dates import add_months, month_end
from tests import factories


def propose_url(measure):
    return reverse("audits:schedule_propose", args=[measure.pk])


def confirm_url(measure):
    return reverse("audits:schedule_confirm", args=[measure.pk])


@pytest.mark.parametrize(
    ("text", "cadence", "rounds", "words"),
    [
        ("3 x monthly dip samples then review. Target 90%.", "monthly", 3, "3 × monthly"),
        ("Two monthly dip sample x 3 then review", "two_monthly", 3, "3 × two-monthly"),
        ("Impact measured via 6 x dip sampling then review.", "monthly", 6, "6 × monthly"),
        ("Quarterly dip samples x 3 then review.", "quarterly", 3, "3 × quarterly"),
    ],
)
def test_the_form_is_filled_in_from_the_measures_words(
    client, qa_lead, action, text, cadence, rounds, words
):
    measure = factories.MeasureFactory(action=action, text=text)
    client.force_login(qa_lead)
    response = client.get(propose_url(measure))
    form = response.context["form"]
    assert (form.initial["cadence"], form.initial["rounds"]) == (cadence, rounds)
    interval = {"monthly": 1, "two_monthly": 2, "quarterly": 3}[cadence]
    assert form.initial["first_due"] == month_end(add_months(timezone.localdate(), interval))
    html = response.content.decode()
    assert f"Read as <strong>{words}</strong> rounds, then a review" in html
    assert re.search(rf'name="cadence" value="{cadence}"[^>]* checked>', html)


def test_words_without_a_schedule_leave_the_form_empty_and_say_so(client, qa_lead, action):
    measure = factories.MeasureFactory(action=action, text="Training delivered.")
    client.force_login(qa_lead)
    response = client.get(propose_url(measure))
    assert "does not say how often" in response.content.decode()
    assert "cadence" not in response.context["form"].initial


def test_confirming_saves_the_schedule_and_shows_it_on_the_measure_page(client, qa_lead, action):
    measure = factories.MeasureFactory(action=action, text="Quarterly dip samples x 3")
    client.force_login(qa_lead)
    response = client.post(
        confirm_url(measure),
        {
            "cadence": "quarterly",
            "rounds": "3",
            "first_due": "2024-12-31",
            "review_date": "2025-09-30",
            "source_text": measure.text,
        },
        follow=True,
    )
    schedule = AuditSchedule.objects.get()
    assert (schedule.interval_months, schedule.confirmed_by) == (3, qa_lead)
    assert schedule.source_text == "Quarterly dip samples x 3"
    html = response.content.decode()
    assert "Audit schedule confirmed: 3 x quarterly from 31 Dec 2024." in html
    assert "Round 3: due 30 Jun 2025" in html


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"cadence": "weekly"}, "cadence"),
        ({"cadence": "custom", "interval_months": ""}, "interval_months"),
        ({"rounds": "0"}, "rounds"),
        ({"first_due": ""}, "first_due"),
        ({"review_date": "2024-11-01"}, "review_date"),
    ],
)
def test_a_bad_schedule_gives_a_field_error_and_saves_nothing(client, qa_lead, action, data, field):
    measure = factories.MeasureFactory(action=action)
    client.force_login(qa_lead)
    fields = {"cadence": "monthly", "rounds": "3", "first_due": "2024-10-31"} | data
    response = client.post(confirm_url(measure), fields)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not AuditSchedule.objects.exists()


def test_confirm_only_accepts_posts(client, qa_lead, action):
    client.force_login(qa_lead)
    assert client.get(confirm_url(factories.MeasureFactory(action=action))).status_code == 405


def test_the_form_says_which_schedules_the_measure_already_has(client, qa_lead, action):
    measure = factories.MeasureFactory(action=action, text="3 x monthly dip sample")
    factories.AuditScheduleFactory(measure=measure)
    client.force_login(qa_lead)
    html = client.get(propose_url(measure)).content.decode()
    assert "Already scheduled: 3 x monthly from 31 Oct 2024." in html

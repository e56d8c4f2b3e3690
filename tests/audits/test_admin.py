"""The admin for schedules, dip samples and figures goes through the same services."""

import datetime as dt

import pytest
from django.urls import reverse

from audits import services
from audits.models import AuditSchedule, DipSample, MeasureValue
from plans import services as plan_services
from plans.models import Rating
from tests import factories


@pytest.fixture
def measure(action):
    return factories.MeasureFactory(
        action=action, text="Two monthly dip sample x 3 then review.", target=90, tolerance=10
    )


def sample_data(measure, **overrides):
    return {
        "measure": measure.pk,
        "sampled_on": "2024-10-15",
        "sample_size": "10",
        "compliant": "6",
        "findings": "",
        "mitigation": "",
        "case_codes": "",
    } | overrides


def test_a_sample_added_in_the_admin_rates_the_measure(client, plan_admin, measure):
    client.force_login(plan_admin)
    response = client.post(reverse("admin:audits_dipsample_add"), sample_data(measure))
    assert response.status_code == 302
    sample = DipSample.objects.get()
    assert sample.auditor == plan_admin
    assert sample.history.get().history_user == plan_admin
    assert Rating.objects.get(measure=measure).rag == "red"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"compliant": "11"}, "compliant"),
        ({"sample_size": "0"}, "sample_size"),
        ({"sampled_on": "2099-01-01"}, "sampled_on"),
        ({"case_codes": "Jane Smith"}, "case_codes"),
    ],
)
def test_bad_input_in_the_admin_shows_the_same_errors_and_saves_nothing(
    client, plan_admin, measure, overrides, field
):
    client.force_login(plan_admin)
    response = client.post(reverse("admin:audits_dipsample_add"), sample_data(measure, **overrides))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not DipSample.objects.exists()


def test_a_sample_corrected_in_the_admin_keeps_history(client, plan_admin, qa_lead, measure):
    sample = services.dip_sample_record(
        measure=measure, user=qa_lead, sampled_on=dt.date(2024, 10, 15), sample_size=10, compliant=9
    )
    client.force_login(plan_admin)
    url = reverse("admin:audits_dipsample_change", args=[sample.pk])
    data = sample_data(measure, compliant="4")
    del data["measure"]
    response = client.post(url, data)
    assert response.status_code == 302
    sample.refresh_from_db()
    assert (sample.compliant, sample.version) == (4, 2)
    assert sample.history.first().history_change_reason == "corrected in admin"
    assert (
        client.get(reverse("admin:audits_dipsample_history", args=[sample.pk])).status_code == 200
    )


def test_a_sample_in_a_closed_period_is_read_only_in_the_admin(
    client, plan_admin, qa_lead, measure, period
):
    sample = services.dip_sample_record(
        measure=measure, user=qa_lead, sampled_on=dt.date(2024, 10, 15), sample_size=10, compliant=9
    )
    plan_services.period_close(period=period, user=plan_admin)
    client.force_login(plan_admin)
    url = reverse("admin:audits_dipsample_change", args=[sample.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    response = client.post(url, sample_data(measure, compliant="1"))
    assert response.status_code == 403
    sample.refresh_from_db()
    assert sample.compliant == 9
    assert (
        client.post(
            reverse("admin:audits_dipsample_delete", args=[sample.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert DipSample.objects.filter(pk=sample.pk).exists()


def test_a_schedule_added_from_a_measure_is_filled_in_from_its_words(client, plan_admin, measure):
    client.force_login(plan_admin)
    response = client.get(reverse("admin:audits_auditschedule_add"), {"measure": measure.pk})
    initial = response.context["adminform"].form.initial
    assert (initial["cadence"], initial["interval_months"], initial["rounds"]) == (
        "two_monthly",
        2,
        3,
    )
    assert initial["source_text"] == measure.text


def test_a_schedule_added_in_the_admin_is_confirmed_by_its_author(client, plan_admin, measure):
    client.force_login(plan_admin)
    response = client.post(
        reverse("admin:audits_auditschedule_add"),
        {
            "measure": measure.pk,
            "cadence": "two_monthly",
            "interval_months": "1",
            "rounds": "3",
            "first_due": "2024-11-30",
            "review_date": "",
            "source_text": measure.text,
        },
    )
    assert response.status_code == 302
    schedule = AuditSchedule.objects.get()
    assert (schedule.interval_months, schedule.confirmed_by) == (2, plan_admin)
    listing = client.get(reverse("admin:audits_auditschedule_changelist"))
    assert listing.status_code == 200


def test_a_bad_schedule_in_the_admin_is_refused(client, plan_admin, measure):
    client.force_login(plan_admin)
    response = client.post(
        reverse("admin:audits_auditschedule_add"),
        {
            "measure": measure.pk,
            "cadence": "custom",
            "interval_months": "",
            "rounds": "3",
            "first_due": "2024-11-30",
        },
    )
    assert response.status_code == 200
    assert "interval_months" in response.context["adminform"].form.errors
    assert not AuditSchedule.objects.exists()


def test_a_figure_added_in_the_admin_rates_the_measure(client, plan_admin, action):
    eet = factories.MeasureFactory(action=action, method="performance", target=56, tolerance=5)
    client.force_login(plan_admin)
    response = client.post(
        reverse("admin:audits_measurevalue_add"),
        {
            "measure": eet.pk,
            "as_of": "2024-09-30",
            "value": "46.3",
            "national_average": "56",
            "statistical_neighbours": "52",
            "note": "",
        },
    )
    assert response.status_code == 302
    assert MeasureValue.objects.get().recorded_by == plan_admin
    assert Rating.objects.get(measure=eet).rag == "red"
    duplicate = client.post(
        reverse("admin:audits_measurevalue_add"),
        {"measure": eet.pk, "as_of": "2024-09-30", "value": "50"},
    )
    assert "as_of" in duplicate.context["adminform"].form.errors


def test_editing_a_schedules_cadence_in_the_admin_sets_its_interval(client, plan_admin, measure):
    schedule = factories.AuditScheduleFactory(measure=measure)
    client.force_login(plan_admin)
    response = client.post(
        reverse("admin:audits_auditschedule_change", args=[schedule.pk]),
        {
            "measure": measure.pk,
            "cadence": "quarterly",
            "interval_months": "1",
            "rounds": "3",
            "first_due": "2024-10-31",
            "review_date": "",
            "source_text": "",
        },
    )
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.cadence, schedule.interval_months) == ("quarterly", 3)
    assert schedule.history.first().history_change_reason == "edited in admin"

"""Only QA leads and plan administrators record or change audit evidence; everyone else
is refused before a form is shown, and nothing changes."""

import datetime as dt

import pytest
from django.urls import reverse

from audits import services
from audits.models import AuditSchedule, DipSample, MeasureValue
from plans.models import Measure, Rating
from tests import factories


@pytest.fixture
def measure(action, qa_lead):
    measure = factories.MeasureFactory(action=action, target=90, tolerance=10)
    services.dip_sample_record(
        measure=measure,
        user=qa_lead,
        sampled_on=dt.date(2024, 10, 15),
        sample_size=10,
        compliant=8,
    )
    return measure


def writes(measure):
    """Each write page, with a POST that would succeed for a QA lead."""
    sample = measure.dip_samples.get()
    return [
        (
            reverse("audits:sample_new", args=[measure.pk]),
            {"sampled_on": "2024-10-20", "sample_size": "5", "compliant": "5"},
        ),
        (
            reverse("audits:sample_edit", args=[sample.pk]),
            {"sampled_on": "2024-10-15", "sample_size": "10", "compliant": "1", "version": "1"},
        ),
        (
            reverse("audits:schedule_propose", args=[measure.pk]),
            None,
        ),
        (
            reverse("audits:schedule_confirm", args=[measure.pk]),
            {"cadence": "monthly", "rounds": "3", "first_due": "2024-10-31"},
        ),
        (
            reverse("audits:value_new", args=[measure.pk]),
            {"as_of": "2024-09-30", "value": "50"},
        ),
        (
            reverse("audits:targets", args=[measure.pk]),
            {
                "target": "50",
                "tolerance": "5",
                "direction": "higher",
                "reason": "x",
                "version": "1",
            },
        ),
        (
            reverse("audits:override", args=[measure.pk]),
            {"rag": "red", "reason": "Because"},
        ),
    ]


def state(measure):
    measure = Measure.objects.get(pk=measure.pk)
    return (
        list(DipSample.objects.values_list("pk", "compliant", "version")),
        AuditSchedule.objects.count(),
        MeasureValue.objects.count(),
        list(Rating.objects.values_list("pk", "rag")),
        (measure.target, measure.tolerance, measure.version),
    )


@pytest.mark.parametrize("role", ["director", "board_member", "clerk"])
def test_readers_are_refused_every_write_and_nothing_changes(client, measure, role, request):
    client.force_login(request.getfixturevalue(role))
    before = state(measure)
    for url, data in writes(measure):
        if data is None:
            assert client.get(url).status_code == 403, url
            continue
        assert client.get(url).status_code in (403, 405), url
        assert client.post(url, data).status_code == 403, url
    assert state(measure) == before


def test_a_user_without_a_role_is_refused_every_write(client, measure):
    client.force_login(factories.UserFactory(username="nobody"))
    before = state(measure)
    for url, data in writes(measure):
        response = client.post(url, data) if data else client.get(url)
        assert response.status_code == 403, url
    assert state(measure) == before


def test_anonymous_visitors_are_sent_to_sign_in_and_nothing_changes(client, measure):
    before = state(measure)
    for url, data in writes(measure):
        response = client.post(url, data) if data else client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url
    assert state(measure) == before


@pytest.mark.parametrize("role", ["qa_lead", "plan_admin"])
def test_qa_leads_and_plan_administrators_make_every_write(client, measure, role, request):
    client.force_login(request.getfixturevalue(role))
    for url, data in writes(measure):
        if data is None:
            assert client.get(url).status_code == 200, url
            continue
        response = client.post(url, data)
        assert response.status_code == 302, (url, response.content.decode()[:2000])
    assert DipSample.objects.count() == 2
    assert AuditSchedule.objects.count() == 1
    assert MeasureValue.objects.count() == 1
    assert Measure.objects.get(pk=measure.pk).target == 50
    assert Rating.objects.filter(measure=measure).latest("created", "pk").override_reason == (
        "Because"
    )

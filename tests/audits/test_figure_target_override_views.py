"""Recording a performance figure, changing a target and overriding the RAG in the browser."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from audits import services
from audits.models import MeasureValue
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
    return Measure.objects.get(pk=measure.pk)


def test_a_figure_with_comparators_is_recorded(client, qa_lead, action):
    eet = factories.MeasureFactory(action=action, method="performance", target=56, tolerance=5)
    client.force_login(qa_lead)
    response = client.post(
        reverse("audits:value_new", args=[eet.pk]),
        {
            "as_of": "2024-09-30",
            "value": "46.3",
            "national_average": "56",
            "statistical_neighbours": "52",
            "note": "Q2",
        },
        follow=True,
    )
    figure = MeasureValue.objects.get()
    assert (figure.value, figure.national_average, figure.statistical_neighbours) == (
        Decimal("46.3"),
        56,
        52,
    )
    assert "Performance figure recorded." in response.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"value": ""}, "value"),
        ({"value": "101"}, "value"),
        ({"as_of": "2099-01-01"}, "as_of"),
        ({"national_average": "-4"}, "national_average"),
    ],
)
def test_a_bad_figure_gives_a_field_error_and_saves_nothing(client, qa_lead, action, data, field):
    eet = factories.MeasureFactory(action=action, method="performance")
    client.force_login(qa_lead)
    response = client.post(
        reverse("audits:value_new", args=[eet.pk]), {"as_of": "2024-09-30", "value": "50"} | data
    )
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not MeasureValue.objects.exists()


def test_changing_the_target_re_derives_the_rag_and_says_so(client, qa_lead, measure):
    client.force_login(qa_lead)
    response = client.post(
        reverse("audits:targets", args=[measure.pk]),
        {
            "target": "80",
            "tolerance": "10",
            "direction": "higher",
            "reason": "Reset by the board",
            "version": "1",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "Target saved. The evidence now gives Green." in html
    position = html[html.index('id="position-heading"') : html.index("How the RAG is derived")]
    assert '<span class="rag rag-green">Green</span>' in position


def test_the_target_form_refuses_bad_values_and_a_stale_version(client, qa_lead, measure):
    client.force_login(qa_lead)
    url = reverse("audits:targets", args=[measure.pk])
    fields = {"tolerance": "10", "direction": "higher", "reason": "x", "version": "1"}
    response = client.post(url, fields | {"target": "150"})
    assert response.status_code == 422
    assert "target" in response.context["form"].errors
    response = client.post(url, fields | {"target": "80", "version": "0"})
    assert response.status_code == 422
    assert "Someone else changed this measure" in response.content.decode()
    measure.refresh_from_db()
    assert (measure.target, measure.version) == (90, 1)


def test_an_override_needs_a_reason_and_is_then_shown(client, qa_lead, measure):
    client.force_login(qa_lead)
    url = reverse("audits:override", args=[measure.pk])
    page = client.get(url).content.decode()
    assert 'The evidence gives <span class="rag rag-amber">Amber</span>' in page
    response = client.post(url, {"rag": "green", "reason": ""})
    assert response.status_code == 422
    assert "reason" in response.context["form"].errors
    assert Rating.objects.filter(measure=measure).count() == 1
    response = client.post(
        url, {"rag": "green", "reason": "Files fixed the same week"}, follow=True
    )
    html = response.content.decode()
    assert 'Reason: <span class="prewrap">Files fixed the same week</span>' in html


def test_the_override_form_uses_the_plans_word_for_amber(client, qa_lead, measure):
    measure.plan.amber_label = "Yellow"
    measure.plan.save()
    client.force_login(qa_lead)
    html = client.get(reverse("audits:override", args=[measure.pk])).content.decode()
    assert 'value="amber"' in html and "Yellow</label>" in html

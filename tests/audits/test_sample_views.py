"""Recording and correcting a dip sample in the browser."""

import datetime as dt

import pytest
from django.urls import reverse

from audits import services
from audits.models import DipSample
from plans import services as plan_services
from plans.models import Rating
from tests import factories


@pytest.fixture
def measure(action):
    return factories.MeasureFactory(action=action, target=90, tolerance=10)


def url(measure):
    return reverse("audits:sample_new", args=[measure.pk])


def form_data(**overrides):
    return {
        "sampled_on": "2024-10-15",
        "sample_size": "10",
        "compliant": "9",
        "findings": "",
        "mitigation": "",
        "case_codes": "",
    } | overrides


def test_the_form_asks_for_counts_and_shows_the_result_without_a_result_field(
    client, qa_lead, measure
):
    client.force_login(qa_lead)
    response = client.get(url(measure))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="sample_size"' in html and 'name="compliant"' in html
    assert 'name="result"' not in html
    assert '<output id="sample-result"' in html
    assert "js/audits.js" in html
    assert "<script>" not in html and "style=" not in html


def test_working_out_the_result_shows_it_and_the_rag_it_gives_and_saves_nothing(
    client, qa_lead, measure
):
    client.force_login(qa_lead)
    response = client.post(url(measure), form_data(compliant="8", preview="1"))
    html = response.content.decode()
    assert response.status_code == 200
    assert ">80.0%</output>" in html
    assert 'this result gives <span class="rag rag-amber">Amber</span>' in html
    assert not DipSample.objects.exists()


def test_saving_shows_the_new_rag_on_the_measure_page_at_once(client, qa_lead, measure):
    client.force_login(qa_lead)
    response = client.post(url(measure), form_data(compliant="7"), follow=True)
    html = response.content.decode()
    assert response.redirect_chain == [(measure.get_absolute_url(), 302)]
    assert "Dip sample recorded: 7 of 10 compliant (70.0%). The evidence gives Red." in html
    position = html[html.index('id="position-heading"') : html.index("How the RAG is derived")]
    assert '<span class="rag rag-red">Red</span>' in position
    assert "Dip sample 15 Oct 2024: 7 of 10 compliant (70.0%)" in html
    sample = DipSample.objects.get()
    assert (sample.result, sample.auditor) == (70.0, qa_lead)


def test_a_typed_result_is_ignored(client, qa_lead, measure):
    client.force_login(qa_lead)
    client.post(url(measure), form_data(result="100"))
    assert DipSample.objects.get().result == 90.0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"sample_size": "0"}, "sample_size", "at least 1 case file"),
        ({"sample_size": ""}, "sample_size", "Enter case files sampled"),
        ({"compliant": "-1"}, "compliant", "cannot be negative"),
        ({"compliant": "11"}, "compliant", "cannot be more than the sample size (10)"),
        ({"compliant": "nine"}, "compliant", "Enter a whole number"),
        ({"sampled_on": "2099-01-01"}, "sampled_on", "cannot be in the future"),
        ({"sampled_on": "31/02/2024"}, "sampled_on", "The date sampled must be a real date"),
        ({"case_codes": "Jane Smith"}, "case_codes", "never names"),
        ({"case_codes": "BLOGGS"}, "case_codes", "at least one digit"),
    ],
)
def test_each_bad_input_gives_a_field_error_and_saves_nothing(
    client, qa_lead, measure, overrides, field, message
):
    client.force_login(qa_lead)
    response = client.post(url(measure), form_data(**overrides))
    assert response.status_code == 422
    assert list(response.context["form"].errors) == [field]
    assert message in response.context["form"].errors[field][0]
    html = response.content.decode()
    assert "There is a problem: nothing was saved" in html
    assert f'href="#{response.context["form"][field].id_for_label}"' in html
    assert not DipSample.objects.exists()
    assert not Rating.objects.exists()


def test_with_no_open_period_the_form_says_so_and_saves_nothing(
    client, qa_lead, measure, period, plan_admin
):
    plan_services.period_close(period=period, user=plan_admin)
    client.force_login(qa_lead)
    assert "No reporting period is open" in client.get(url(measure)).content.decode()
    response = client.post(url(measure), form_data())
    assert response.status_code == 422
    assert "No reporting period is open" in response.content.decode()
    assert not DipSample.objects.exists()


# Corrections.


@pytest.fixture
def sample(measure, qa_lead):
    return services.dip_sample_record(
        measure=measure,
        user=qa_lead,
        sampled_on=dt.date(2024, 10, 15),
        sample_size=10,
        compliant=9,
    )


def edit_url(sample):
    return reverse("audits:sample_edit", args=[sample.pk])


def test_a_correction_is_saved_with_its_reason_and_re_rates(client, qa_lead, sample):
    client.force_login(qa_lead)
    response = client.post(
        edit_url(sample), form_data(compliant="5", version="1", reason="Two files double counted")
    )
    assert response.status_code == 302
    sample.refresh_from_db()
    assert (sample.compliant, sample.version) == (5, 2)
    assert sample.history.first().history_change_reason == "Two files double counted"
    assert Rating.objects.filter(measure=sample.measure).latest("created", "pk").rag == "red"


def test_a_correction_from_a_stale_form_is_refused(client, qa_lead, plan_admin, sample):
    services.dip_sample_update(
        sample=sample,
        user=plan_admin,
        expected_version=1,
        sampled_on=sample.sampled_on,
        sample_size=10,
        compliant=8,
    )
    client.force_login(qa_lead)
    response = client.post(edit_url(sample), form_data(compliant="3", version="1"))
    assert response.status_code == 422
    assert "Someone else changed this sample" in response.content.decode()
    sample.refresh_from_db()
    assert sample.compliant == 8


def test_a_sample_in_a_closed_period_cannot_be_corrected(
    client, qa_lead, plan_admin, sample, period
):
    plan_services.period_close(period=period, user=plan_admin)
    client.force_login(qa_lead)
    assert client.get(edit_url(sample)).status_code == 403
    response = client.post(edit_url(sample), form_data(compliant="1", version="1"))
    assert response.status_code == 403
    assert "Q2 2024/25 is closed" in response.content.decode()
    sample.refresh_from_db()
    assert sample.compliant == 9
    page = client.get(sample.measure.get_absolute_url()).content.decode()
    assert edit_url(sample) not in page

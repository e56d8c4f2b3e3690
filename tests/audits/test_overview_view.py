"""The QA overview: every audited measure, its latest result, RAG, trend and next audit."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits import services
from tests import factories

URL = reverse("audits:overview")


@pytest.fixture
def audited(action, qa_lead):
    """A dip-sampled measure with an overdue round, and one whose next round is ahead."""
    overdue = factories.MeasureFactory(
        action=action, text="3 x monthly dip sample then review. Target 90%.", target=90
    )
    factories.AuditScheduleFactory(measure=overdue, first_due=dt.date(2024, 10, 31), rounds=3)
    for day, compliant in [(dt.date(2024, 10, 20), 6), (dt.date(2024, 11, 20), 8)]:
        services.dip_sample_record(
            measure=overdue, user=qa_lead, sampled_on=day, sample_size=10, compliant=compliant
        )
    ahead = factories.MeasureFactory(action=action, text="Quarterly dip samples x 3", target=75)
    factories.AuditScheduleFactory(
        measure=ahead,
        cadence="quarterly",
        interval_months=3,
        first_due=timezone.localdate() + dt.timedelta(days=40),
    )
    return overdue, ahead


def rows(response):
    return {row.measure.pk: row for row in response.context["rows"]}


def test_every_audited_measure_is_listed_and_no_other(client, qa_lead, audited, action):
    unaudited = factories.MeasureFactory(action=action, text="Training delivered.")
    client.force_login(qa_lead)
    response = client.get(URL)
    assert response.status_code == 200
    assert set(rows(response)) == {m.pk for m in audited}
    assert unaudited.pk not in rows(response)


def test_a_row_shows_target_tolerance_latest_result_rag_with_word_and_trend(
    client, qa_lead, audited
):
    client.force_login(qa_lead)
    html = client.get(URL).content.decode()
    row = re.search(r"<tr class=\"row-overdue\">.*?</tr>", html, re.S).group(0)
    assert '<td class="num">90%</td>' in row
    assert '<td class="num">10</td>' in row
    assert "<strong>80.0%</strong>" in row and "20 Nov 2024" in row
    assert '<span class="rag rag-amber">Amber</span>' in row
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-sparkline"' in row
    assert "Results 60, 80; latest 80. Target 90." in row


def test_an_overdue_round_is_highlighted_with_its_date(client, qa_lead, audited):
    overdue, ahead = audited
    client.force_login(qa_lead)
    response = client.get(URL)
    html = response.content.decode()
    days = (timezone.localdate() - dt.date(2024, 12, 31)).days
    assert rows(response)[overdue.pk].overdue
    assert not rows(response)[ahead.pk].overdue
    assert html.count('class="row-overdue"') == 1
    assert f"overdue by {days} days" in html
    assert "31 Dec 2024" in html and "round 3 of 3" in html
    assert response.context["overdue_count"] == 1


def test_the_overdue_filter_keeps_only_overdue_measures(client, qa_lead, audited):
    client.force_login(qa_lead)
    response = client.get(URL, {"overdue": "on"})
    assert list(rows(response)) == [audited[0].pk]


def test_filters_by_plan_recommendation_and_owner(client, qa_lead, audited, plan, qa_lead_owner):
    other_plan = factories.PlanFactory(slug="other")
    factories.PeriodFactory(plan=other_plan)
    other_rec = factories.RecommendationFactory(plan=other_plan, ref="7")
    other_action = factories.ActionFactory(recommendation=other_rec, owners=[qa_lead_owner])
    elsewhere = factories.MeasureFactory(action=other_action)
    factories.AuditScheduleFactory(measure=elsewhere)
    client.force_login(qa_lead)
    everything = {m.pk for m in audited} | {elsewhere.pk}
    assert set(rows(client.get(URL))) == everything
    assert set(rows(client.get(URL, {"plan": "other"}))) == {elsewhere.pk}
    assert set(rows(client.get(URL, {"plan": plan.slug}))) == {m.pk for m in audited}
    rec = audited[0].action.recommendation
    assert set(rows(client.get(URL, {"recommendation": rec.pk}))) == {m.pk for m in audited}
    assert set(rows(client.get(URL, {"owner": qa_lead_owner.pk}))) == {elsewhere.pk}


@pytest.fixture
def qa_lead_owner(db):
    return factories.OwnerFactory(post="Head of Quality Assurance")


def test_an_unknown_filter_value_is_ignored_and_said_so(client, qa_lead, audited):
    client.force_login(qa_lead)
    response = client.get(URL, {"plan": "no-such-plan"})
    assert response.status_code == 200
    assert set(rows(response)) == {m.pk for m in audited}
    assert "were not recognised" in response.content.decode()


def test_an_override_is_shown_with_its_reason_on_the_overview(client, qa_lead, audited):
    services.measure_rag_override(
        measure=audited[0], user=qa_lead, rag="green", reason="Two files were transfers in"
    )
    client.force_login(qa_lead)
    html = client.get(URL).content.decode()
    assert '<span class="rag rag-green">Green</span>' in html
    assert "evidence gives Amber" in html
    assert "Overridden: Two files were transfers in" in html


@pytest.mark.parametrize("role", ["director", "board_member", "clerk", "plan_admin", "qa_lead"])
def test_everyone_with_a_role_reads_the_overview(client, role, request, audited):
    client.force_login(request.getfixturevalue(role))
    assert client.get(URL).status_code == 200


def test_a_user_without_a_role_is_refused_and_anonymous_is_sent_to_sign_in(client, db):
    assert client.get(URL).status_code == 302
    client.force_login(factories.UserFactory(username="nobody"))
    assert client.get(URL).status_code == 403


def _build(plan, period, count, auditor):
    rec = factories.RecommendationFactory(plan=plan)
    owner = factories.OwnerFactory()
    for index in range(count):
        action = factories.ActionFactory(recommendation=rec, owners=[owner])
        measure = factories.MeasureFactory(action=action, target=90, tolerance=10)
        factories.AuditScheduleFactory(measure=measure, first_due=dt.date(2024, 10, 31))
        for month in range(1, 9):
            factories.DipSampleFactory(
                measure=measure,
                period=period,
                sampled_on=dt.date(2024, month, 10),
                compliant=(index + month) % 11,
            )
        factories.RatingFactory(
            action=None, measure=measure, subject="measure", plan=plan, rag="amber"
        )
        figure = factories.MeasureValueFactory(measure=factories.MeasureFactory(action=action))
        figure.measure.ratings.create(
            plan=plan, period=period, subject="measure", rag="green", created=timezone.now()
        )


def test_the_overview_takes_the_same_number_of_queries_at_any_size(
    client, qa_lead, plan, period, django_assert_num_queries
):
    client.force_login(qa_lead)
    _build(plan, period, 3, qa_lead)
    client.get(URL)  # the session and the user's roles are loaded once, as in real use
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(URL).context["rows"]) == 6
    with CaptureQueriesContext(connection) as small_filtered:
        client.get(URL, {"plan": plan.slug, "overdue": "on"})
    _build(plan, period, 30, qa_lead)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(client.get(URL).context["rows"]) == 66
    with django_assert_num_queries(len(small_filtered.captured_queries)):
        assert len(client.get(URL, {"plan": plan.slug, "overdue": "on"}).context["rows"]) == 33


def test_a_rated_measure_without_a_target_says_there_is_nothing_to_derive_from(
    client, qa_lead, action
):
    measure = factories.MeasureFactory(action=action, target=None, tolerance=None)
    factories.AuditScheduleFactory(measure=measure)
    factories.RatingFactory(
        action=None, measure=measure, plan=measure.plan, subject="measure", rag="green"
    )
    client.force_login(qa_lead)
    html = client.get(URL).content.decode()
    assert '<span class="rag rag-green">Green</span>' in html
    assert "no target to derive from" in html
    assert "evidence gives Not rated" not in html

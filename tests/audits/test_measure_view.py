"""The measure page: results as a table and a chart, schedule, figures with comparators,
the RAG derivation in words and the rating history."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits import services
from plans.models import RagCriterion
from tests import factories


@pytest.fixture
def criteria(plan):
    for rag, text in [
        ("green", "Current outcome measure in line with target."),
        ("amber", "Current outcome measure is not in line with target, but mitigation is in place"),
        ("red", "Current outcome measure not in line with target, and no mitigation is in place"),
    ]:
        RagCriterion.objects.create(plan=plan, kind="outcome", rag=rag, criteria=text)
    RagCriterion.objects.create(
        plan=plan, kind="action", rag="green", criteria="Actions will complete by the due date"
    )


@pytest.fixture
def measure(action, qa_lead, criteria):
    measure = factories.MeasureFactory(
        action=action,
        text="Impact measured via 6 x dip sampling then review. Target 100% - tolerance 10%.",
        target=100,
        tolerance=10,
    )
    factories.AuditScheduleFactory(
        measure=measure, rounds=6, first_due=dt.date(2024, 10, 31), review_date=dt.date(2025, 4, 30)
    )
    for day, compliant, mitigation in [
        (dt.date(2024, 10, 25), 7, ""),
        (dt.date(2024, 11, 27), 9, ""),
        (dt.date(2024, 12, 18), 6, "Team manager reviews every plan weekly"),
    ]:
        services.dip_sample_record(
            measure=measure,
            user=qa_lead,
            sampled_on=day,
            sample_size=10,
            compliant=compliant,
            mitigation=mitigation,
            findings="Chronologies not updated" if compliant < 9 else "",
            case_codes="C-1042, C-1077",
        )
    return measure


def page(client, user, measure):
    client.force_login(user)
    response = client.get(measure.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_every_result_is_in_the_table_newest_first(client, board_member, measure):
    html = page(client, board_member, measure)
    table = html[html.index("<h3>Dip samples</h3>") : html.index("<h2>Audit schedule</h2>")]
    positions = [table.index(day) for day in ("18 Dec 2024", "27 Nov 2024", "25 Oct 2024")]
    assert positions == sorted(positions)
    assert "<strong>70.0%</strong>" in table and "<strong>90.0%</strong>" in table
    assert "Team manager reviews every plan weekly" in table
    assert "C-1042, C-1077" in table


def test_the_chart_draws_the_results_against_the_target_line_and_tolerance_band(
    client, board_member, measure
):
    html = page(client, board_member, measure)
    chart = html[
        html.index('<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-measure"') :
    ]
    chart = chart[: chart.index("</svg>")]
    assert 'class="target"' in chart and "Target 100%" in chart
    assert 'class="tolerance-band"' in chart and "90\u2013100%" in chart
    assert chart.count('class="point"') == 3
    assert "Results: Oct 24 70%, Nov 24 90%, Dec 24 60%." in chart


def test_the_derivation_is_explained_in_words_with_the_plans_criteria(
    client, board_member, measure
):
    html = page(client, board_member, measure)
    assert (
        "The latest result, 60.0% on 18 Dec 2024, is 40.0 percentage points below the target "
        "of 100% (higher is better), beyond its tolerance (10.0 percentage points), but "
        "mitigation is in place (\u201cTeam manager reviews every plan weekly\u201d), so it is "
        "Amber."
    ) in html
    assert "<caption>The plan's outcome RAG criteria</caption>" in html
    assert "mitigation is in place <strong>(this measure now)</strong>" in html
    assert "Actions will complete by the due date" not in html


def test_the_schedule_shows_each_round_and_the_overdue_one(client, board_member, measure):
    html = page(client, board_member, measure)
    schedule = html[html.index("<h2>Audit schedule</h2>") : html.index("<h2>Rating history")]
    assert "3 of 6 rounds sampled, then review by 30 Apr 2025" in schedule
    assert schedule.count('<span class="tag tag-done">sampled</span>') == 3
    days = (timezone.localdate() - dt.date(2025, 1, 31)).days
    assert "Round 4: due 31 Jan 2025 —" in schedule
    assert f"overdue by {days} days" in schedule


def test_the_rating_history_shows_every_rating_with_its_commentary(client, board_member, measure):
    html = page(client, board_member, measure)
    history = html[html.index("<h2>Rating history</h2>") :]
    assert history.count('<span class="rag rag-') == 3
    assert "Dip sample 18 Dec 2024: 6 of 10 compliant (60.0%). Mitigation in place" in history


def test_an_override_reason_is_shown_with_the_current_rag_and_in_the_history(
    client, qa_lead, board_member, measure
):
    services.measure_rag_override(
        measure=measure, user=qa_lead, rag="green", reason="Sample skewed by transfers in"
    )
    html = page(client, board_member, measure)
    position = html[html.index('id="position-heading"') : html.index("How the RAG is derived")]
    assert '<span class="rag rag-green">Green</span>' in position
    assert "the evidence gives Amber. Reason:" in position
    assert "Sample skewed by transfers in" in position
    history = html[html.index("<h2>Rating history</h2>") :]
    assert "(evidence gave Amber)" in history and "Sample skewed by transfers in" in history


def test_performance_figures_show_with_their_comparators(client, board_member, action, qa_lead):
    eet = factories.MeasureFactory(
        action=action, text="EET", method="performance", target=56, tolerance=5
    )
    services.measure_value_record(
        measure=eet,
        user=qa_lead,
        as_of=dt.date(2024, 9, 30),
        value=Decimal("46.3"),
        national_average=Decimal("56"),
        statistical_neighbours=Decimal("52"),
    )
    html = page(client, board_member, eet)
    figures = html[html.index("<h3>Performance figures</h3>") :]
    assert "<strong>46.3%</strong>" in figures
    assert '<td class="num">56%</td>' in figures and '<td class="num">52%</td>' in figures
    assert "Dip samples" not in html
    assert 'class="chart chart-measure"' in html


def test_readers_see_no_recording_buttons_and_qa_leads_do(client, board_member, qa_lead, measure):
    new_sample = reverse("audits:sample_new", args=[measure.pk])
    assert new_sample not in page(client, board_member, measure)
    assert new_sample in page(client, qa_lead, measure)


@pytest.mark.parametrize("role", ["director", "board_member", "clerk", "plan_admin"])
def test_everyone_with_a_role_reads_the_measure_page(client, role, request, measure):
    page(client, request.getfixturevalue(role), measure)


def test_a_user_without_a_role_is_refused(client, measure):
    client.force_login(factories.UserFactory(username="nobody"))
    assert client.get(measure.get_absolute_url()).status_code == 403
    client.logout()
    assert client.get(measure.get_absolute_url()).status_code == 302


def test_an_unknown_measure_is_not_found(client, qa_lead):
    client.force_login(qa_lead)
    assert client.get(reverse("audits:measure", args=[999999])).status_code == 404


def _grow(measure, period, count):
    for index in range(count):
        factories.DipSampleFactory(
            measure=measure,
            period=period,
            sampled_on=dt.date(2024, 1, 1) + dt.timedelta(days=index),
            compliant=index % 11,
        )
        factories.MeasureValueFactory(
            measure=measure, as_of=dt.date(2023, 1, 1) + dt.timedelta(days=index)
        )
        factories.AuditScheduleFactory(measure=measure, first_due=dt.date(2025, 1, 1))
        measure.ratings.create(
            plan=measure.plan, period=period, subject="measure", rag="red", created=timezone.now()
        )


def test_the_measure_page_takes_the_same_number_of_queries_at_any_size(
    client, qa_lead, measure, period, django_assert_num_queries
):
    client.force_login(qa_lead)
    client.get(measure.get_absolute_url())
    with CaptureQueriesContext(connection) as small:
        client.get(measure.get_absolute_url())
    _grow(measure, period, 40)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(measure.get_absolute_url())
    assert len(response.context["page"].samples) == 43

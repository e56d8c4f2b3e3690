"""One definition of overdue (`plans.rules.overdue_as_of`): the same action shows
the same days overdue, and says "as of" the same date, on every page that shows it."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from plans import rules, services
from plans.models import ReportingPeriod
from reporting.content import report_content
from reporting.services import report_html
from tests import factories

TODAY = timezone.localdate()
AS_OF = f"as of {TODAY.day} {TODAY:%b %Y}"


def test_a_period_that_has_ended_is_judged_on_its_end_and_anything_else_on_today():
    ended = ReportingPeriod(start=dt.date(2024, 7, 1), end=dt.date(2024, 9, 30))
    running = ReportingPeriod(start=TODAY - dt.timedelta(days=5), end=TODAY + dt.timedelta(days=5))
    assert rules.overdue_as_of(ended, today=TODAY) == dt.date(2024, 9, 30)
    assert rules.overdue_as_of(running, today=TODAY) == TODAY
    assert rules.overdue_as_of(today=TODAY) == TODAY


def test_days_are_counted_from_the_due_date_to_the_as_of_date():
    assert rules.days_past(dt.date(2024, 9, 1), dt.date(2024, 9, 30)) == 29
    assert rules.days_past(dt.date(2024, 9, 30), dt.date(2024, 9, 30)) == 0
    assert rules.days_past(None, dt.date(2024, 9, 30)) == 0


@pytest.fixture
def running(plan):
    """The plan's open period, running today: every page judges overdue on today."""
    return factories.PeriodFactory(
        plan=plan,
        label="This quarter",
        start=TODAY - dt.timedelta(days=40),
        end=TODAY + dt.timedelta(days=50),
        state=ReportingPeriod.State.OPEN,
    )


@pytest.fixture
def late(plan, running, owner):
    rec = factories.RecommendationFactory(plan=plan, ref="1", title="Care leavers")
    return factories.ActionFactory(
        recommendation=rec,
        ref="1.1",
        text="Allocate a PA to every care leaver",
        due_date=TODAY - dt.timedelta(days=30),
        owners=[owner],
    )


def _days(html: str) -> set[str]:
    """Every "N days overdue" the page shows, with the as-of date beside it."""
    return set(re.findall(r"(\d+) days overdue</span> <span[^>]*>(as of [^<]+)</span>", html))


def test_the_same_action_shows_the_same_days_overdue_on_every_page(
    client, director, board_member, plan, running, late
):
    client.force_login(director)
    mine = client.get(reverse("plans:my_actions")).content.decode()
    page = client.get(late.get_absolute_url()).content.decode()
    update = client.get(reverse("plans:action_update", args=[late.pk])).content.decode()
    client.force_login(board_member)
    query = {"plan": plan.slug, "period": running.pk}
    overview = client.get(reverse("board:dashboard"), query).content.decode()
    listed = client.get(reverse("board:list", args=["overdue"]), query).content.decode()
    drill = client.get(
        reverse("board:recommendation", args=[late.recommendation_id]), query
    ).content.decode()

    expected = {("30", AS_OF)}
    for name, html in [
        ("My actions", mine),
        ("action page", page),
        ("update page", update),
        ("dashboard drill-down", drill),
    ]:
        assert _days(html) == expected, name
    # The dashboard counts it as overdue with the date it judged on; its overdue list
    # shows the figure in its column and the date in the heading.
    overdue = overview[overview.index('id="overdue"') : overview.index('id="slipped"')]
    assert "<strong>1</strong> overdue action</a> " + AS_OF in overdue
    assert f"Days overdue {AS_OF}" in listed
    assert '<td class="num">30</td>' in listed


def test_the_report_of_a_running_period_judges_overdue_on_its_generation_day(
    plan, running, late, director
):
    # Exceptions list Red and Amber items, marked where they are overdue.
    services.rating_record(item=late, rag="amber", user=director, confirmed=True)
    report = factories.CommitteeReportFactory(plan=plan, period=running)
    content = report_content(report, generated_at=timezone.now())
    assert content.overdue_as_of == TODAY
    assert [e.ref for e in content.exceptions if e.overdue] == ["1.1"]
    assert f"overdue as of {TODAY.day} {TODAY:%b %Y}" in report_html(
        report, generated_at=timezone.now()
    )


def test_a_closed_period_is_judged_on_its_end_on_the_dashboard_and_in_the_report(
    client, board_member, plan, owner
):
    closed = factories.PeriodFactory(
        plan=plan,
        label="Q2 2024/25",
        start=dt.date(2024, 7, 1),
        end=dt.date(2024, 9, 30),
        state=ReportingPeriod.State.CLOSED,
    )
    rec = factories.RecommendationFactory(plan=plan, ref="1", title="Care leavers")
    factories.ActionFactory(
        recommendation=rec, ref="1.1", due_date=dt.date(2024, 9, 1), owners=[owner]
    )
    client.force_login(board_member)
    html = client.get(reverse("board:dashboard"), {"plan": plan.slug}).content.decode()
    overdue = html[html.index('id="overdue"') : html.index('id="slipped"')]
    assert "<strong>1</strong> overdue action</a> as of 30 Sep 2024" in overdue
    listed = client.get(reverse("board:list", args=["overdue"]), {"plan": plan.slug})
    assert "Days overdue as of 30 Sep 2024" in listed.content.decode()
    assert '<td class="num">29</td>' in listed.content.decode()
    report = factories.CommitteeReportFactory(plan=plan, period=closed)
    assert report_content(report, generated_at=timezone.now()).overdue_as_of == closed.end

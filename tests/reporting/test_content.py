"""What a committee report says: frozen positions, exceptions, not updated, movement."""

import datetime as dt

import pytest
from django.utils import timezone

from audits.models import DipSample
from plans import movement, periods, services
from reporting.content import DIRECTIONS, narrative_paragraphs, report_content, report_sections
from reporting.services import report_html
from tests import factories
from tests.reporting.builders import build_reported_plan, noon

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def content_of(built, **kwargs):
    return report_content(built.report, generated_at=NOW, **kwargs)


def row(content, ref):
    return next(r for area in content.areas for r in area.actions if r.action.ref == ref)


def test_positions_are_those_of_the_reports_period_not_later_ones():
    built = build_reported_plan()
    first = built.actions[0]
    services.rating_record(item=first, rag="blue", user=None, period=built.q3)

    content = content_of(built)

    assert row(content, first.ref).rag == "red"
    assert row(content, first.ref).commentary == "Recruitment of personal advisers is behind plan."


def test_proposed_ratings_do_not_count(director):
    built = build_reported_plan()
    built.plan.requires_signoff = True
    built.plan.save()
    fourth = built.actions[3]
    # A proposed rating in the open period: a Q3 report must still show the Q2 position.
    services.rating_record(item=fourth, rag="red", user=director, period=built.q3)
    built.report.period = built.q3

    content = content_of(built, period=built.q3)

    assert row(content, fourth.ref).rag == "green"


def test_only_a_confirmed_rating_of_its_own_is_an_update_in_the_period(director, qa_lead):
    built = build_reported_plan()
    built.plan.requires_signoff = True
    built.plan.save()
    fourth, fifth, sixth = built.actions[3:6]
    services.rating_record(item=fourth, rag="red", user=director, period=built.q3)
    confirmed = services.rating_record(item=fifth, rag="red", user=director, period=built.q3)
    periods.rating_confirm(rating=confirmed, user=qa_lead)
    built.report.period = built.q3

    content = content_of(built, period=built.q3)

    # Proposed only: not an update yet; the last update is still Q2's own rating.
    assert not row(content, fourth.ref).updated_in_period
    assert row(content, fourth.ref).last_updated == "Q2 2024/25"
    assert row(content, fifth.ref).updated_in_period
    assert row(content, fifth.ref).last_updated == "Q3 2024/25"
    assert not row(content, sixth.ref).updated_in_period
    # Closing carries the fourth's confirmed position forward: still not an update.
    services.period_close(period=built.q3)
    built.q3.refresh_from_db()
    content = content_of(built, period=built.q3)
    assert not row(content, fourth.ref).updated_in_period
    assert row(content, fourth.ref).last_updated == "Q2 2024/25"
    assert row(content, fifth.ref).last_updated == "Q3 2024/25"


def test_the_report_says_how_many_ratings_await_confirmation(director, qa_lead):
    built = build_reported_plan()
    built.plan.requires_signoff = True
    built.plan.save()
    for action in built.actions[3:5]:
        services.rating_record(item=action, rag="red", user=director, period=built.q3)
    confirmed = services.rating_record(
        item=built.actions[5], rag="red", user=director, period=built.q3
    )
    periods.rating_confirm(rating=confirmed, user=qa_lead)
    built.report.period = built.q3

    assert content_of(built, period=built.q3).awaiting_confirmation == 2
    html = report_html(built.report, generated_at=NOW)
    assert "2 proposed ratings await confirmation and are not counted." in html

    services.period_close(period=built.q3)
    built.q3.refresh_from_db()
    html = report_html(built.report, generated_at=NOW)
    assert "2 proposed ratings were not confirmed before the period closed" in html
    assert content_of(built, period=built.q2).awaiting_confirmation == 0  # Q2 had none


def test_counts_per_area_and_for_the_plan():
    built = build_reported_plan(areas=2, actions_per_area=3)

    content = content_of(built)

    first_area = content.areas[0]
    assert first_area.action_counts == {"blue": 0, "green": 1, "amber": 1, "red": 1, "": 0}
    assert first_area.measure_counts["red"] == 1
    assert content.totals["actions"]["green"] == 4
    assert sum(content.totals["measures"].values()) == 6


def test_movement_since_the_previous_period_is_counted_per_area():
    built = build_reported_plan(areas=1, actions_per_area=3)

    content = content_of(built)

    assert content.previous_period == built.q1
    # Actions: red and amber worsened, the third unchanged (carried forward); measures:
    # the first worsened, the others unchanged.
    assert content.areas[0].movement["worsened"] == 3
    assert content.areas[0].movement["unchanged"] == 3
    assert content.movement_totals["improved"] == 0


def test_exceptions_list_red_amber_and_revised_due_dates_with_remedial_action():
    built = build_reported_plan(areas=1, actions_per_area=4)
    first, second = built.actions[:2]

    exceptions = {(e.kind, e.ref): e for e in content_of(built).exceptions}

    red = exceptions[("action", first.ref)]
    assert red.rag == "red"
    assert red.remedial[0].text.startswith("Agency personal advisers")
    assert red.owners == "Service Director – Practice"
    amber = exceptions[("action", second.ref)]
    assert amber.slipped and amber.due == dt.date(2025, 2, 28)
    assert amber.baseline == dt.date(2024, 12, 31)
    assert exceptions[("measure", first.ref)].rag == "red"
    assert ("action", built.actions[3].ref) not in exceptions  # green and on time


def test_a_due_date_revised_after_the_period_closed_is_not_in_its_report():
    built = build_reported_plan(areas=1, actions_per_area=4)
    fourth = built.actions[3]
    fourth.refresh_from_db()
    services.action_revise_due_date(
        action=fourth,
        new_date=dt.date(2025, 6, 30),
        reason="Moved in Q3",
        user=None,
        expected_version=fourth.version,
    )

    content = content_of(built)

    assert row(content, fourth.ref).due == dt.date(2024, 12, 31)
    assert not row(content, fourth.ref).slipped


def test_an_action_past_its_due_date_is_an_exception_only_if_rated_red_or_amber():
    built = build_reported_plan(areas=1, actions_per_area=4)
    second, fourth = built.actions[1], built.actions[3]
    type(fourth).objects.filter(pk__in=[second.pk, fourth.pk]).update(
        due_date=dt.date(2024, 8, 31), baseline_due_date=dt.date(2024, 8, 31)
    )

    content = content_of(built)
    exceptions = {(e.kind, e.ref): e for e in content.exceptions}

    assert row(content, fourth.ref).overdue and row(content, fourth.ref).rag == "green"
    assert ("action", fourth.ref) not in exceptions
    assert exceptions[("action", second.ref)].overdue
    assert exceptions[("action", second.ref)].rag == "amber"


def test_exceptions_hold_only_red_and_amber_items():
    built = build_reported_plan(areas=2, actions_per_area=4)

    content = content_of(built)

    assert content.exceptions
    assert {e.rag for e in content.exceptions} <= {"red", "amber"}


def test_items_not_updated_this_period_are_listed_separately_with_their_last_update():
    built = build_reported_plan(areas=1, actions_per_area=3)
    third = built.actions[2]

    content = content_of(built)

    listed = [item for item in content.not_updated if getattr(item, "action", None) == third]
    assert listed and listed[0].last_updated == "Q1 2024/25"
    assert listed[0].rag == "green"  # the Q1 position, carried forward
    assert not content.never_rated


def test_items_never_rated_are_listed_by_area():
    built = build_reported_plan(areas=1, actions_per_area=3)
    late = factories.ActionFactory(
        recommendation=built.recommendations[0], ref="1.9", text="Added in Q2"
    )

    content = content_of(built)

    assert content.never_rated == [(built.recommendations[0], [late.ref])]


def test_measure_results_after_the_period_are_left_out():
    built = build_reported_plan(areas=1, actions_per_area=2)
    measure = built.measures[0]
    DipSample.objects.create(
        measure=measure, sampled_on=dt.date(2024, 10, 20), sample_size=10, compliant=10
    )

    rows = {m.measure.pk: m for m in content_of(built).measures}

    assert rows[measure.pk].latest == (dt.date(2024, 9, 15), 60.0)
    assert "Sep 24 60%" in rows[measure.pk].chart
    performance = rows[built.measures[-1].pk]
    assert performance.latest == (dt.date(2024, 9, 30), 46.3)
    assert (performance.national, performance.neighbours) == (56, 52)


def test_every_section_of_the_council_template_is_printed_in_its_numbering():
    built = build_reported_plan(areas=1, actions_per_area=1)

    sections = report_sections(built.report)

    assert [(s.number, s.key) for s in sections] == [
        (1, "origin"),
        (2, "purpose"),
        (3, "timescales"),
        (4, "background"),
        (5, "corporate_priorities"),
        (6, "consultation"),
        (7, "outcomes"),
        (8, "reason"),
        (9, "alternatives"),
        (10, "implications"),
        (11, "background_documents"),
        (12, "appendices"),
    ]
    assert [p.number for p in sections[1].paragraphs] == ["2.1", "2.2"]
    assert [key for key, _ in sections[3].generated] == ["progress", "exceptions", "measures"]
    # Nobody wrote section 6: it says so, rather than vanishing from the numbering.
    assert [(p.number, p.text, p.missing) for p in sections[5].paragraphs] == [
        ("6.1", "Not yet written.", True)
    ]


def test_a_section_marked_not_applicable_prints_na_and_parts_continue_the_numbering():
    built = build_reported_plan(areas=1, actions_per_area=1)
    report = built.report
    report.financial_implications = "Investment.\n\nMore investment."
    report.not_applicable = ["legal_implications", "background_documents"]
    report.equalities_implications = "No EIA needed."
    report.major_policy_item = True
    report.cabinet_date = dt.date(2025, 1, 13)

    sections = {s.key: s for s in report_sections(report)}

    implications = sections["implications"]
    assert [
        (b.heading, [(p.number, p.text) for p in b.paragraphs]) for b in implications.blocks
    ] == [
        ("Financial Implications", [("10.1", "Investment."), ("10.2", "More investment.")]),
        ("Legal Implications", [("10.3", "N/A")]),
        ("Equalities Implications", [("10.4", "No EIA needed.")]),
    ]
    documents = sections["background_documents"]
    assert [(p.number, p.text) for p in documents.paragraphs] == [("11.1", "N/A")]
    assert "Access to Information) Act 1985" in documents.lead
    assert sections["timescales"].timescales == (
        ("Is this a Major Policy Item/Statutory Plan?", "YES"),
        ("If yes, date for Cabinet meeting", "13 January 2025"),
    )


def test_paragraphs_numbered_by_the_clerk_keep_their_numbers_exactly():
    paragraphs = narrative_paragraphs(
        "4.1 First.\n\nContinued\nline two.\r\n\r\n4.1.1 Sub.\n\n4.2 Next.", 4
    )

    assert [(p.number, p.text) for p in paragraphs] == [
        ("4.1", "First."),
        ("", "Continued\nline two."),
        ("4.1.1", "Sub."),
        ("4.2", "Next."),
    ]


def test_unnumbered_paragraphs_are_numbered_from_the_given_start():
    paragraphs = narrative_paragraphs("One.\n\n1. A list item\n- more", 10, first=3)

    assert [(p.number, p.text) for p in paragraphs] == [
        ("10.3", "One."),
        ("10.4", "1. A list item\n- more"),
    ]


def test_reading_the_content_takes_the_same_queries_for_a_bigger_plan(
    django_assert_max_num_queries,
):
    small = build_reported_plan(areas=1, actions_per_area=2, slug="small")
    large = build_reported_plan(areas=4, actions_per_area=8, slug="large")

    with django_assert_max_num_queries(30) as small_queries:
        content_of(small)
    with django_assert_max_num_queries(len(small_queries)):
        content_of(large)


def test_the_first_period_has_no_movement():
    built = build_reported_plan(areas=1, actions_per_area=2)
    built.report.period = built.q1

    content = content_of(built, period=built.q1)

    assert content.previous_period is None
    assert content.trend_chart == ""
    assert sum(content.movement_totals.values()) == 0


def test_the_trend_compares_the_periods_up_to_the_reports():
    built = build_reported_plan(areas=1, actions_per_area=2)
    services.rating_record(
        item=built.actions[0],
        rag="blue",
        user=None,
        period=built.q3,
        created=noon(dt.date(2024, 11, 1)),
    )

    chart = content_of(built).trend_chart

    assert "Q1 2024/25" in chart and "Q2 2024/25" in chart
    assert "Q3 2024/25" not in chart


def test_an_overridden_measure_rag_is_reported_with_its_reason(qa_lead):
    from audits.services import measure_rag_override
    from reporting.services import report_html

    built = build_reported_plan(areas=1, actions_per_area=2)
    measure = built.measures[0]  # 6 of 10 compliant against 90%: the evidence gives Red
    reason = "Four of the files were transfers in, reviewed within the week"
    measure_rag_override(measure=measure, user=qa_lead, rag="amber", reason=reason)
    built.report.period = built.q3
    built.report.save()

    content = content_of(built, period=built.q3)

    reported = next(m for m in content.measures if m.measure.pk == measure.pk)
    assert (reported.rag, reported.suggested_rag, reported.override_reason) == (
        "amber",
        "red",
        reason,
    )
    exception = next(e for e in content.exceptions if e.kind == "measure")
    assert (exception.suggested_rag, exception.override_reason) == ("red", reason)
    html = report_html(built.report, generated_at=NOW)
    note = (
        '<span class="label">RAG overridden:</span> the evidence gives Red. '
        f'Reason: <span class="prewrap">{reason}</span>'
    )
    # The outcome measure's card, the exceptions and the action plan appendix.
    assert html.count(note) == 3

    # A later report where the measure was not updated still says why.
    q4 = factories.PeriodFactory(
        plan=built.plan,
        label="Q4 2024/25",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 3, 31),
        state="upcoming",
    )
    services.period_close(period=built.q3, now=noon(built.q3.end))
    built.report.period = q4
    built.report.save()
    html = report_html(built.report, generated_at=NOW)
    not_updated = html[html.index("Not updated this period") :]
    not_updated = not_updated[: not_updated.index("</section>")]
    carried = f"{measure.action.ref} M1 Amber, carried forward from Q3 2024/25:</span>"
    assert carried in not_updated
    assert note in not_updated[not_updated.index(carried) :]


def test_movement_and_facet_positions_follow_the_plans_movement_rule():
    built = build_reported_plan(areas=2, actions_per_area=3)
    rec = built.recommendations[0]
    services.rating_record(
        item=rec, facet="impact", rag="amber", user=None, commentary="Some", period=built.q3
    )
    services.rating_record(item=built.actions[3], rag="blue", user=None, period=built.q3)
    services.rating_record(item=built.measures[4], rag="red", user=None, period=built.q3)

    content = content_of(built, period=built.q3)

    moved = movement.movement(built.plan, built.q2, built.q3)
    assert [area.recommendation for area in content.areas] == [
        rec_moved.recommendation for rec_moved in moved.recommendations
    ]
    for area, rec_moved in zip(content.areas, moved.recommendations, strict=True):
        counted = [
            str(item.direction)
            for item in rec_moved.items
            if item.kind in ("action", "measure") and (item.then_rag or item.now_rag)
        ]
        assert area.movement == {kind: counted.count(kind) for kind in DIRECTIONS}
    assert content.movement_totals["completed"] == 1
    assert content.movement_totals["worsened"] == 1
    assert content.facet_labels == ["Impact for children"]
    assert [(f.subject, f.previous_rag, f.rag) for f in content.areas[0].facets] == [
        ("impact", "", "amber")
    ]

"""Positions kept as rows: the rule (`plans.positions.derive`), the services writing the
table in the same transaction as each change, closed periods frozen, and
`rebuild_positions` checking and rebuilding the table."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from plans import periods, positions, rules, services
from plans.models import Position, Rating, ReportingPeriod
from tests import factories
from tests.conftest import requires_postgres

AT = dt.datetime(2024, 8, 1, 12, tzinfo=dt.UTC)


def facts(pk, period_id, *, key=("action", 1), minutes=0, status="confirmed", rag="green", **kw):
    return positions.RatingFacts(
        pk=pk,
        key=key,
        period_id=period_id,
        created=AT + dt.timedelta(minutes=minutes),
        status=status,
        rag=rag,
        carried_forward=kw.get("carried", False),
        suggested_rag=kw.get("suggested", ""),
        override_reason=kw.get("reason", ""),
    )


PERIODS = [(10, dt.date(2024, 6, 30)), (11, dt.date(2024, 9, 30)), (12, dt.date(2024, 12, 31))]


# --- The rule ---------------------------------------------------------------------------


def test_the_latest_rating_in_the_latest_period_up_to_each_period_is_the_position():
    ratings = [
        # Made later, but in an earlier period: the later period's rating still wins.
        facts(1, 11, rag="amber", minutes=0),
        facts(2, 10, rag="red", minutes=5),
        facts(3, 11, rag="green", minutes=1),
    ]
    derived = positions.derive(PERIODS, ratings)
    assert derived[(("action", 1), 10)].rating_id == 2
    assert derived[(("action", 1), 11)].rating_id == 3
    assert derived[(("action", 1), 12)].rating_id == 3  # carried on into later periods
    assert derived[(("action", 1), 12)].rating_period_id == 11
    assert derived[(("action", 1), 11)].rated_in_period is True
    assert derived[(("action", 1), 12)].rated_in_period is False


def test_within_a_period_the_same_moment_goes_to_the_higher_id():
    derived = positions.derive(PERIODS, [facts(8, 10, rag="red"), facts(7, 10, rag="blue")])
    assert derived[(("action", 1), 10)].rag == "red"


def test_a_rating_sent_back_is_never_the_position_and_a_proposed_one_is_not_confirmed():
    ratings = [
        facts(1, 10, rag="green"),
        facts(2, 11, rag="red", status="returned", minutes=1),
        facts(3, 11, rag="amber", status="proposed", minutes=2),
    ]
    derived = positions.derive(PERIODS, ratings)[(("action", 1), 11)]
    assert (derived.rating_id, derived.rag, derived.status) == (3, "amber", "proposed")
    assert (derived.confirmed_rating_id, derived.confirmed_rag) == (1, "green")
    assert derived.confirmed_period_id == 10


def test_an_item_only_sent_back_has_no_position_and_no_row():
    derived = positions.derive(PERIODS, [facts(1, 10, status="returned")])
    assert derived == {}


def test_items_are_kept_apart_and_carried_positions_say_so():
    ratings = [
        facts(1, 10, key=("measure", 1), rag="red", carried=True, suggested="red"),
        facts(2, 10, key=("outcome", 1), rag="amber", suggested="red", reason="new data"),
    ]
    derived = positions.derive(PERIODS, ratings)
    measure = derived[(("measure", 1), 10)]
    assert measure.carried_forward and measure.confirmed_carried_forward
    assert measure.rated_in_period is False
    facet = derived[(("outcome", 1), 12)]
    assert (facet.rag, facet.suggested_rag, facet.override_reason) == ("amber", "red", "new data")
    assert (("action", 1), 10) not in derived


# --- Dates --------------------------------------------------------------------------------


def test_overdue_slipped_and_behind_follow_the_due_date_and_the_baseline(plan, action):
    action.due_date = dt.date(2025, 4, 30)  # the baseline stays 31 March
    today = dt.date(2025, 5, 10)
    assert rules.is_slipped(action)
    assert rules.is_overdue(action, today=today)
    assert rules.days_overdue(action, today=today) == 10
    assert rules.days_behind(action, today=today) == 30  # slipped 30, late 10
    assert rules.suggested_rag(action, today=today) == "amber"
    assert rules.suggested_rag(action, today=dt.date(2025, 6, 1)) == "red"
    action.status, action.completed_on = "complete", dt.date(2025, 5, 1)
    assert not rules.is_overdue(action, today=today)
    assert rules.days_behind(action, today=today) == 0


# --- The services write the table --------------------------------------------------------


def _two_quarters(plan):
    q2 = factories.PeriodFactory(
        plan=plan, label="Q2", start=dt.date(2024, 7, 1), end=dt.date(2024, 9, 30)
    )
    q3 = factories.PeriodFactory(
        plan=plan,
        label="Q3",
        start=dt.date(2024, 10, 1),
        end=dt.date(2024, 12, 31),
        state=ReportingPeriod.State.UPCOMING,
    )
    return q2, q3


def _row(item, period):
    return Position.objects.get(period=period, **{item._meta.model_name: item})


def assert_table_matches(plan):
    assert positions.differences(plan.pk) == []


def test_recording_confirming_and_sending_back_move_the_position_at_once(
    plan, director, qa_lead, owner
):
    plan.requires_signoff = True
    plan.save()
    q2, q3 = _two_quarters(plan)
    action = factories.ActionFactory(recommendation__plan=plan, owners=[owner])
    first = services.rating_record(item=action, rag="green", user=qa_lead)
    proposed = services.rating_record(item=action, rag="red", user=director)
    row = _row(action, q2)
    assert (row.rating_id, row.status) == (proposed.pk, "proposed")
    assert row.confirmed_rating_id == first.pk
    assert _row(action, q3).rating_id == proposed.pk  # the upcoming period has it too
    periods.rating_return(rating=proposed, user=qa_lead, comment="No evidence")
    row = _row(action, q2)
    assert (row.rating_id, row.rag, row.status) == (first.pk, "green", "confirmed")
    again = services.rating_record(item=action, rag="amber", user=director)
    periods.rating_confirm(rating=again, user=qa_lead)
    row = _row(action, q2)
    assert row.rating_id == row.confirmed_rating_id == again.pk
    assert row.confirmed_rag == "amber"
    assert_table_matches(plan)


def test_closing_carries_forward_into_the_rows_and_reopening_takes_it_back(
    plan, director, plan_admin, owner
):
    q2, q3 = _two_quarters(plan)
    action = factories.ActionFactory(recommendation__plan=plan, owners=[owner])
    measure = factories.MeasureFactory(action=action)
    rated = services.rating_record(item=action, rag="amber", user=director)
    services.period_close(period=q2, user=director)
    q3.refresh_from_db()
    assert q3.state == "open"
    services.rating_record(item=measure, rag="red", user=director)
    services.period_close(period=q3, user=director)
    carried = _row(action, q3)
    assert carried.carried_forward and carried.rag == "amber" and carried.rating_id != rated.pk
    assert not carried.rated_in_period
    assert _row(measure, q3).rated_in_period
    assert _row(measure, q2).rag == ""  # closing gave it "not rated" in Q2
    assert_table_matches(plan)

    periods.period_reopen(period=q3, user=plan_admin, reason="Late update")
    assert _row(action, q3).rating_id == rated.pk  # the carried rating is gone
    assert not _row(action, q3).carried_forward
    assert_table_matches(plan)


def test_a_closed_periods_rows_do_not_change_when_later_ratings_come(plan, director, owner):
    q2, q3 = _two_quarters(plan)
    action = factories.ActionFactory(recommendation__plan=plan, owners=[owner])
    services.rating_record(item=action, rag="green", user=director)
    services.period_close(period=q2, user=director)
    before = positions.stored(plan.pk, [q2.pk])
    services.rating_record(item=action, rag="red", user=director)
    positions.refresh(plan.pk)
    assert positions.stored(plan.pk, [q2.pk]) == before
    assert _row(action, q3).rag == "red"


def test_new_periods_take_the_positions_on(plan, director, owner):
    periods.periods_create(
        plan=plan, rule="quarters", start=dt.date(2024, 7, 1), end=dt.date(2024, 9, 30)
    )
    action = factories.ActionFactory(recommendation__plan=plan, owners=[owner])
    services.rating_record(item=action, rag="green", user=director)
    (later,) = periods.periods_create(
        plan=plan, rule="quarters", start=dt.date(2024, 10, 1), end=dt.date(2024, 12, 31)
    )
    assert _row(action, later).rag == "green"
    assert_table_matches(plan)


def test_an_import_writes_the_positions_it_states(db):
    from tests.plans.test_importing import load, row, table

    summary = load(table(row(action_rag="Amber", measure_rag="Red")))
    plan = summary.plan
    rows = Position.objects.filter(plan=plan)
    assert {(r.subject, r.rag, r.status) for r in rows} == {
        ("action", "amber", "confirmed"),
        ("measure", "red", "confirmed"),
    }
    assert_table_matches(plan)


def test_removing_an_unrated_action_removes_nothing_else(plan, director, owner):
    _two_quarters(plan)
    kept = factories.ActionFactory(recommendation__plan=plan, owners=[owner])
    gone = factories.ActionFactory(recommendation=kept.recommendation)
    services.rating_record(item=kept, rag="green", user=director)
    gone.delete()
    assert Position.objects.filter(plan=plan).count() == 2
    assert_table_matches(plan)


# --- rebuild_positions ---------------------------------------------------------------------


def _run(*args):
    from io import StringIO

    out = StringIO()
    call_command("rebuild_positions", *args, stdout=out)
    return out.getvalue()


def test_check_passes_on_a_table_the_services_wrote(plan, director, owner):
    _two_quarters(plan)
    action = factories.ActionFactory(recommendation__plan=plan, owners=[owner])
    services.rating_record(item=action, rag="green", user=director)
    assert "Every position matches" in _run("--check")
    assert "Every position matches" in _run("--check", "--plan", plan.slug)


def test_check_lists_every_difference_changes_nothing_and_fails_then_rebuild_fixes_it(
    plan, director, owner
):
    q2, q3 = _two_quarters(plan)
    action = factories.ActionFactory(recommendation__plan=plan, owners=[owner])
    other = factories.ActionFactory(recommendation=action.recommendation)
    services.rating_record(item=action, rag="green", user=director)
    services.rating_record(item=other, rag="red", user=director)
    Position.objects.filter(action=action, period=q2).update(rag="red")
    Position.objects.filter(action=other, period=q3).delete()
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError, match="2 positions differ"):
        call_command("rebuild_positions", "--check", stdout=out)
    listed = out.getvalue()
    assert f"action {action.pk} in period {q2.pk}: rag 'red' should be 'green'" in listed
    assert f"action {other.pk} in period {q3.pk}: missing" in listed
    assert Position.objects.get(action=action, period=q2).rag == "red"  # unchanged

    assert f"{plan.slug}: 4 positions written" in _run("--plan", plan.slug)
    assert "Every position matches" in _run("--check")


def test_rebuild_rewrites_a_closed_periods_rows_from_its_ratings(plan, director, owner):
    q2, _ = _two_quarters(plan)
    action = factories.ActionFactory(recommendation__plan=plan, owners=[owner])
    services.rating_record(item=action, rag="green", user=director)
    services.period_close(period=q2, user=director)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL plans.positions_rebuild = 'on'")
        Position.objects.filter(period=q2).delete()  # as a faulty restore might leave it
    with pytest.raises(CommandError):
        _run("--check")
    _run()
    assert _row(action, q2).rag == "green"


def test_an_unknown_plan_is_named(db):
    with pytest.raises(CommandError, match="No plan with the slug 'nope'"):
        _run("--check", "--plan", "nope")


@requires_postgres
def test_the_database_refuses_to_change_a_closed_periods_positions(plan, director, owner):
    q2, _ = _two_quarters(plan)
    action = factories.ActionFactory(recommendation__plan=plan, owners=[owner])
    services.rating_record(item=action, rag="green", user=director)
    services.period_close(period=q2, user=director)
    for change in (
        lambda: Position.objects.filter(period=q2).update(rag="red"),
        lambda: Position.objects.filter(period=q2).delete(),
    ):
        with pytest.raises(IntegrityError, match="closed period"), transaction.atomic():
            change()
    assert Rating.objects.filter(period=q2).count() == 1


# --- The data migration ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_fills_the_table_from_existing_ratings(director, owner):
    from django.db.migrations.executor import MigrationExecutor

    plan = factories.PlanFactory()
    q2, q3 = _two_quarters(plan)
    action = factories.ActionFactory(recommendation__plan=plan, owners=[owner])
    measure = factories.MeasureFactory(action=action)
    services.rating_record(item=action, rag="amber", user=director)
    services.rating_record(item=measure, rag="red", user=director)
    services.period_close(period=q2, user=director)
    services.rating_record(item=action, rag="green", user=director)
    expected = positions.stored(plan.pk)
    assert len(expected) == 4

    executor = MigrationExecutor(connection)
    executor.migrate([("plans", "0010_positions")])
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL plans.positions_rebuild = 'on'")
        Position.objects.all().delete()  # as before the table existed
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert positions.stored(plan.pk) == expected


def test_a_period_added_in_the_admin_takes_the_positions_on(client, plan, plan_admin, owner):
    q2, q3 = _two_quarters(plan)
    action = factories.ActionFactory(recommendation__plan=plan, owners=[owner])
    services.rating_record(item=action, rag="amber", user=plan_admin)
    client.force_login(plan_admin)
    response = client.post(
        "/admin/plans/reportingperiod/add/",
        {"plan": plan.pk, "label": "Q4", "start": "2025-01-01", "end": "2025-03-31"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    q4 = ReportingPeriod.objects.get(plan=plan, label="Q4")
    assert _row(action, q4).rag == "amber"
    assert_table_matches(plan)

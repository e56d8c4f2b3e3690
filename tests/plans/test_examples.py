"""The two example plans load from the seed documents, exactly and idempotently."""

import datetime as dt

import pytest
from django.core.management import call_command

from plans.models import Action, DueDateRevision, Plan, Rating, RemedialAction


@pytest.fixture
def examples(db):
    call_command("load_examples")


def position(plan_slug: str, rec_ref: str, facet: str, day: dt.date) -> str:
    rating = (
        Rating.objects.filter(
            plan__slug=plan_slug, recommendation__ref=rec_ref, subject=facet, period__end=day
        )
        .order_by("-created", "-pk")
        .first()
    )
    return rating.rag


def test_the_2024_plan_has_all_areas_and_refs(examples):
    plan = Plan.objects.get(slug="ilacs-2024")
    assert plan.recommendations.count() == 8
    assert plan.actions.count() == 56
    assert plan.actions.filter(ref="8.3 a").exists()
    first = plan.recommendations.get(ref="1")
    assert first.title.startswith("The quality of support, advice, and guidance for care leavers")
    action = plan.actions.get(ref="1.1")
    assert sorted(o.post for o in action.owners.all()) == ["Head of Service", "Service Director QA"]
    assert action.due_date == dt.date(2024, 5, 31)
    assert plan.rag_criteria.get(kind="action", rag="blue").criteria == (
        "All necessary actions have been completed"
    )
    assert plan.measures.get(action__ref="2.1a").target == 100
    assert plan.measures.get(action__ref="2.1a").tolerance == 10


def test_the_2024_plan_has_quarters_with_q3_open_and_illustrative_ratings(examples):
    plan = Plan.objects.get(slug="ilacs-2024")
    assert list(plan.periods.values_list("label", "state")) == [
        ("Q1 2024/25", "closed"),
        ("Q2 2024/25", "closed"),
        ("Q3 2024/25", "open"),
        ("Q4 2024/25", "upcoming"),
    ]
    rated = Rating.objects.filter(plan=plan, carried_forward=False, subject="action")
    assert rated.exists()
    assert all(r.commentary.startswith("Illustrative") for r in rated)
    intl = rated.filter(action__ref="8.3b", period__label="Q2 2024/25").get()
    assert intl.rag == "amber"
    assert "Six international social workers started on 2 October" in intl.commentary
    assert plan.actions.get(ref="8.3b").is_slipped


def test_the_2015_plan_has_its_four_dated_positions_as_the_document_gives_them(examples):
    plan = Plan.objects.get(slug="ofsted-2015")
    assert plan.amber_label == "Yellow"
    assert plan.recommendations.count() == 19
    assert list(plan.periods.values_list("end", flat=True)) == [
        dt.date(2015, 11, 1),
        dt.date(2016, 3, 1),
        dt.date(2016, 7, 1),
        dt.date(2016, 11, 1),
    ]
    assert position("ofsted-2015", "2", "outcome", dt.date(2015, 11, 1)) == "red"
    assert position("ofsted-2015", "2", "outcome", dt.date(2016, 3, 1)) == "green"
    assert position("ofsted-2015", "1", "outcome", dt.date(2016, 3, 1)) == "amber"
    assert position("ofsted-2015", "4", "impact", dt.date(2015, 11, 1)) == "red"
    assert position("ofsted-2015", "1", "outcome", dt.date(2016, 7, 1)) == ""
    assert plan.rag_label("amber") == "Yellow"


def test_the_2015_plan_keeps_future_actions_slippage_and_remedial_actions(examples):
    plan = Plan.objects.get(slug="ofsted-2015")
    slipped = DueDateRevision.objects.filter(action__plan=plan)
    assert slipped.count() >= 15
    first = Action.objects.get(plan=plan, ref="1.1")
    assert first.text == "Upgrade LL to latest version"
    assert first.timescale_text == "March 2016"
    assert RemedialAction.objects.filter(plan=plan).count() == 22
    assert Action.objects.filter(plan=plan).count() == 84


def test_loading_twice_changes_nothing(examples):
    def history_rows() -> int:
        return sum(model.history.count() for model in (Action, Rating, Plan, RemedialAction))

    before = (history_rows(), Rating.objects.count())
    call_command("load_examples")
    assert (history_rows(), Rating.objects.count()) == before


def test_the_2024_table_exports_as_csv(examples, capsys):
    call_command("export_plan", "--plan", "ilacs-2024", "--format", "csv", "-o", "-")
    out = capsys.readouterr().out
    assert out.startswith("Ref,Outcome,Actions,Outcome measure,Timescale,Action RAG")
    assert "8.3b,," in out or "8.3b," in out

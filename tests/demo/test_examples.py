"""The two example plans load from the seed documents, exactly and idempotently."""

import csv
import datetime as dt
import io
import json
from collections import Counter
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command

from audits.models import DipSample, MeasureValue
from demo.examples import ILLUSTRATIVE, INVENTED
from plans.io.parsing import owner_key
from plans.models import (
    Action,
    DueDateRevision,
    Measure,
    Outcome,
    Owner,
    Plan,
    RagCriterion,
    Rating,
    Recommendation,
    RemedialAction,
    ReportingPeriod,
)

HISTORY_MODELS = [
    Plan,
    Recommendation,
    Outcome,
    Action,
    Measure,
    Owner,
    Rating,
    ReportingPeriod,
    DueDateRevision,
    RemedialAction,
    RagCriterion,
    DipSample,
    MeasureValue,
]


@pytest.fixture
def examples(db):
    out = io.StringIO()
    call_command("load_examples", stdout=out)
    return out.getvalue()


def position(slug: str, rec_ref: str, facet: str, day: dt.date) -> Rating:
    return (
        Rating.objects.filter(
            plan__slug=slug, recommendation__ref=rec_ref, subject=facet, period__end=day
        )
        .order_by("-created", "-pk")
        .first()
    )


def test_the_2024_plan_is_the_whole_ilacs_table_with_its_criteria(examples):
    plan = Plan.objects.get(slug="ilacs-2024")
    assert plan.title == "Children's Services Inspection Action Plan 2024"
    assert (plan.framework, plan.judgement) == ("ILACS", "Inadequate")
    assert (plan.inspection_start, plan.inspection_end) == (
        dt.date(2023, 11, 27),
        dt.date(2023, 12, 8),
    )
    assert plan.requires_signoff is False
    assert plan.recommendations.count() == 8
    assert plan.actions.count() == 56
    assert plan.measures.count() == 60  # 1.3's four measures, a date each
    assert list(plan.recommendations.values_list("ref", flat=True)) == [str(n) for n in range(1, 9)]
    first = plan.recommendations.get(ref="1")
    assert first.title.startswith("The quality of support, advice, and guidance for care leavers")
    assert plan.recommendations.get(ref="8").title.startswith("Service capacity")
    refs = set(plan.actions.values_list("ref", flat=True))
    assert {"1.1", "1.1a", "1.1b", "1.15a", "2.1a", "4.1b", "5.2c", "8.3a", "8.3b", "8.8"} <= refs

    action = plan.actions.get(ref="1.1")
    assert sorted(o.post for o in action.owners.all()) == ["Head of Service", "Service Director QA"]
    assert action.outcome.text == "All care leavers are allocated a PA in a timely way."
    assert action.timescale_text == "May 24"
    assert action.baseline_due_date == dt.date(2024, 5, 31)
    measure = action.measures.get()
    assert (measure.target, measure.method) == (90, Measure.Method.AUDIT)
    sub = plan.actions.get(ref="2.1a").measures.get()
    assert (sub.target, sub.tolerance) == (100, 10)
    assert plan.actions.get(ref="1.1b").measures.count() == 2
    assert plan.actions.get(ref="8.8").timescale_needs_review

    assert plan.rag_criteria.count() == 7
    assert plan.rag_criteria.get(kind="action", rag="blue").criteria == (
        "All necessary actions have been completed"
    )
    assert plan.rag_criteria.get(kind="outcome", rag="amber").criteria == (
        "Current outcome measure is not in line with target, but mitigation is in place to "
        "ensure a positive outcome at inspection."
    )


def test_the_demo_directors_posts_exist_with_the_keys_the_demo_users_use(examples):
    practice = Owner.objects.get(key=owner_key("Service Director – Practice"))
    qa = Owner.objects.get(key=owner_key("Service Director QA"))
    assert (practice.key, qa.key) == ("service director practice", "service director qa")
    assert practice.actions.filter(plan__slug="ilacs-2024").count() >= 5
    assert qa.actions.filter(plan__slug="ilacs-2024").count() >= 5


def test_the_2024_plan_has_quarters_and_illustrative_positions(examples):
    plan = Plan.objects.get(slug="ilacs-2024")
    assert list(plan.periods.values_list("label", "start", "end", "state")) == [
        ("Q1 2024/25", dt.date(2024, 4, 1), dt.date(2024, 6, 30), "closed"),
        ("Q2 2024/25", dt.date(2024, 7, 1), dt.date(2024, 9, 30), "closed"),
        ("Q3 2024/25", dt.date(2024, 10, 1), dt.date(2024, 12, 31), "open"),
        ("Q4 2024/25", dt.date(2025, 1, 1), dt.date(2025, 3, 31), "upcoming"),
    ]
    rated = Rating.objects.filter(plan=plan, carried_forward=False)
    assert 20 <= rated.count() <= 60
    # Every rating says it is illustrative; the one figure in no document says it was
    # invented and names no source.
    assert all(r.commentary.startswith((ILLUSTRATIVE, INVENTED)) for r in rated)
    assert ILLUSTRATIVE.startswith("Illustrative rating, not the council's")
    invented = rated.get(commentary__startswith=INVENTED)
    assert invented.measure.action.ref == "2.1a" and "scrutiny report" not in invented.commentary
    assert plan.example_data is True
    assert Plan.objects.get(slug="ofsted-2015").example_data is False
    assert set(rated.values_list("period__label", flat=True)) == {"Q1 2024/25", "Q2 2024/25"}
    mix = Counter(rated.values_list("rag", flat=True))
    assert all(mix[rag] >= 2 for rag in ("blue", "green", "amber", "red"))
    assert rated.filter(subject="measure").count() >= 5

    intl = rated.get(action__ref="8.3b", period__label="Q2 2024/25")
    assert intl.rag == "amber"
    assert "Six international social workers started on 2 October 2024" in intl.commentary
    assert intl.suggested_rag == "red"
    assert intl.override_reason.startswith("Six of the fifteen started")
    # 91.6% (accommodation, report 4.10.1) has no measure in the plan to belong to: 1.4's
    # measure is a scoping milestone.
    assert not rated.filter(measure__action__ref="1.4").exists()
    assert not MeasureValue.objects.filter(measure__action__ref="1.4").exists()
    figure = MeasureValue.objects.get(measure__action__ref="1.12")
    assert (figure.value, figure.national_average) == (Decimal("46.3"), 56)
    assert plan.actions.get(ref="1.1").status == Action.Status.COMPLETE


def test_the_2024_plan_has_slipped_due_dates_with_reasons(examples):
    plan = Plan.objects.get(slug="ilacs-2024")
    slipped = {a.ref: a for a in plan.actions.all() if a.is_slipped}
    # Only 8.3b: the report gives its new date (March 2025, 4.8); no document revises
    # 2.1's or 4.1's.
    assert set(slipped) == {"8.3b"}
    assert (slipped["8.3b"].baseline_due_date, slipped["8.3b"].due_date) == (
        dt.date(2024, 9, 30),
        dt.date(2025, 3, 31),
    )
    revision = DueDateRevision.objects.get(action=slipped["8.3b"])
    assert revision.reason.startswith("Illustrative: Social Work England registration")
    # A remedial action is due after the position it answers, and only when the report
    # gives a date: 1.12's answers Q2 and the report gives none.
    remedial = dict(RemedialAction.objects.filter(plan=plan).values_list("action__ref", "due_date"))
    assert remedial == {
        "1.12": None,
        "4.1": None,
        "8.3b": dt.date(2025, 3, 31),
        "1.11": dt.date(2025, 1, 31),
    }


def test_every_illustrative_item_says_so(settings):
    path = settings.BASE_DIR / "fixtures" / "ilacs-2024" / "illustrative-ratings.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["illustrative"] is True
    items = [
        item
        for quarter in data["periods"]
        for key, value in quarter.items()
        if isinstance(value, list)
        for item in value
    ]
    assert len(items) > 40
    assert all(item["illustrative"] is True for item in items)


def test_the_2015_plan_has_its_dated_positions_as_the_document_gives_them(examples):
    plan = Plan.objects.get(slug="ofsted-2015")
    assert plan.amber_label == "Yellow"
    assert plan.rag_label("amber") == "Yellow"
    assert plan.requires_signoff is False
    assert plan.recommendations.count() == 19
    assert list(plan.periods.values_list("label", "end", "state")) == [
        ("As of 1 November 2015", dt.date(2015, 11, 1), "closed"),
        ("As of 1 March 2016", dt.date(2016, 3, 1), "closed"),
        ("As of 1 July 2016", dt.date(2016, 7, 1), "closed"),
        ("As of 1 November 2016", dt.date(2016, 11, 1), "open"),
    ]
    rec = plan.recommendations.get(ref="2")
    assert rec.outcome_required.startswith("Service and action plans are clear, specific")
    assert rec.impact_for_children.startswith("Children and young people benefit")
    assert position("ofsted-2015", "2", "outcome", dt.date(2015, 11, 1)).rag == "red"
    assert position("ofsted-2015", "2", "outcome", dt.date(2016, 3, 1)).rag == "green"
    assert position("ofsted-2015", "2", "outcome", dt.date(2016, 7, 1)).rag == "green"
    assert position("ofsted-2015", "1", "outcome", dt.date(2016, 3, 1)).rag == "amber"
    assert position("ofsted-2015", "4", "impact", dt.date(2015, 11, 1)).rag == "red"
    assert position("ofsted-2015", "10", "progress", dt.date(2015, 11, 1)).rag == "green"
    assert position("ofsted-2015", "1", "outcome", dt.date(2016, 7, 1)).rag == ""
    completed = position("ofsted-2015", "2", "progress", dt.date(2016, 3, 1))
    assert completed.commentary.splitlines()[1] == "Comprehensive audit programme in place;"
    assert completed.status == Rating.Status.CONFIRMED


def test_the_2015_plan_keeps_future_actions_slippage_and_remedial_actions(examples):
    plan = Plan.objects.get(slug="ofsted-2015")
    assert plan.actions.count() == 83  # 84 rows, less recommendation 15's "none" row
    assert not plan.actions.filter(recommendation__ref="15").exists()
    first = plan.actions.get(ref="1.1")
    assert (first.text, first.timescale_text) == ("Upgrade LL to latest version", "March 2016")
    slipped = plan.actions.get(ref="2.2")
    assert slipped.timescale_text == "August 2016 [slipped from June 2016]"
    assert (slipped.baseline_due_date, slipped.due_date) == (
        dt.date(2016, 6, 30),
        dt.date(2016, 8, 31),
    )
    revision = slipped.revisions.get()
    assert (revision.old_date, revision.new_date) == (dt.date(2016, 6, 30), dt.date(2016, 8, 31))
    # The reason the document gives, in the remedial action that answers it (issue 22).
    assert revision.reason.startswith(
        "As the July 2016 update gives it: Evaluation workshops to be programmed in"
    )
    assert "delay in implementing the new quality assurance service structure" in revision.reason
    # Every slipped due date in the document: 21 "[slipped from …]" and 2.3's
    # "Feb 2016 to achieve 80% compliance  New target date end September 2016".
    assert DueDateRevision.objects.filter(action__plan=plan).count() == 22
    moved = plan.actions.get(ref="2.3")
    assert (moved.baseline_due_date, moved.due_date) == (
        dt.date(2016, 2, 29),
        dt.date(2016, 9, 30),
    )
    assert sorted(o.post for o in plan.actions.get(ref="2.4").owners.all()) == [
        "Alison Bennett",
        "Claire Gregory",
    ]
    assert plan.actions.get(ref="1.6").owners.count() == 0
    july = Rating.objects.get(action__ref="7.4", action__plan=plan, carried_forward=False)
    assert (july.rag, july.period.label) == ("amber", "As of 1 July 2016")
    remedial = RemedialAction.objects.filter(plan=plan)
    assert remedial.count() == 22
    linked = remedial.get(outstanding__startswith="Evaluation process to measure impact")
    assert linked.action == plan.actions.get(ref="2.2")
    assert (linked.responsible, linked.due_text, linked.due_date) == (
        "Alison Bennett, Nicola Curley, Clare Gregory and Heads of Service",
        "by end of August 2016",
        dt.date(2016, 8, 31),
    )


def test_the_2015_split_rag_cell_is_held_as_the_document_has_it(examples):
    # 12.1's future-action RAG cell is green above yellow (issue 22: it was missing).
    rating = Rating.objects.get(
        action__plan__slug="ofsted-2015", action__ref="12.1", carried_forward=False
    )
    assert rating.rag == "amber"
    assert rating.period.label == "As of 1 July 2016"
    assert "the cell is split in two: Green, then Yellow" in rating.commentary


def test_the_2015_remedial_actions_have_owner_date_and_action(examples):
    """Issue 22: "Person responsible & to be completed by" was one text, so the dates
    were blank in all 22 and 7 were linked to no action."""
    remedial = RemedialAction.objects.filter(plan__slug="ofsted-2015").select_related("action")
    assert remedial.count() == 22
    # 15 give a date; "On-going" (2), "from October 2016", "by time of next action plan
    # update", the two cells that name no date and 18's empty cell give none, and keep
    # what they say.
    assert remedial.exclude(due_date=None).count() == 15
    assert set(remedial.filter(due_date=None).values_list("due_text", flat=True)) == {
        "",
        "On-going",
        "on-going",
        "from October 2016",
        "Progress to be evident by time of next action plan update",
    }
    # 20 answer a future action; 9's and the first of 14's answer the recommendation.
    unlinked = remedial.filter(action=None)
    assert sorted(r.recommendation.ref for r in unlinked) == ["14", "9"]
    website = remedial.get(recommendation__ref="17")
    assert website.action.text.startswith("Website developed in partnership")
    live = remedial.get(recommendation__ref="1")
    assert live.action.timescale_text == "September 2016 [slipped from July 2016]"
    reason = live.action.revisions.get().reason
    assert "This follows a decision to develop performance dashboards in Clickview" in reason
    provider = remedial.get(responsible__startswith="Alison Bennett & Claire Gregory/WFD")
    assert provider.due_date == dt.date(2016, 7, 31)  # "by end July/beginning August"


def test_loading_twice_changes_nothing(examples):
    def state():
        return (
            tuple(model.objects.count() for model in HISTORY_MODELS),
            tuple(model.history.count() for model in HISTORY_MODELS),
        )

    before = state()
    out = io.StringIO()
    call_command("load_examples", stdout=out)
    assert state() == before
    assert "ilacs-2024: imported again (0 changes)" in out.getvalue()
    assert "ofsted-2015: already loaded, left unchanged" in out.getvalue()


def test_the_2024_table_exports_as_csv(examples, capsys):
    call_command("export_plan", "--plan", "ilacs-2024", "--format", "csv", "-o", "-")
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == (
        "Ref,Outcome,Actions,Outcome measure,Timescale,Action RAG,Accountability,"
        "Outcome Measure RAG,Target,Tolerance,Method,Example data"
    )
    rows = list(csv.reader(io.StringIO(out)))
    assert {row[-1] for row in rows[1:] if not row[0].startswith("What needs to improve?")} == {
        "Example data: ratings are illustrative, not the council's"
    }
    assert any(line.startswith("8.3b,") and ",Amber,Transformation Lead," in line for line in lines)
    # The illustrative slip of 8.3b, from September 2024 to March 2025.
    assert any(
        line.startswith("8.3b,") and ",March 2025 [slipped from Sep 24],Amber," in line
        for line in lines
    )


def test_the_demo_target_loads_the_examples_before_the_demo_users():
    makefile = (settings.BASE_DIR / "Makefile").read_text()
    demo = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert demo.index("manage.py load_examples") < demo.index("manage.py create_demo_users")


def without_timescale_text(action: tuple) -> tuple:
    """An action of `structure` without its timescale text and the milestones read from it."""
    return action[:7] + action[8:12] + action[13:]


def test_both_example_plans_round_trip_through_an_export(examples):
    from plans.io.exporting import export_plan
    from plans.io.importing import import_file
    from tests.plans.test_exporting import structure

    for slug, fmt in (("ofsted-2015", "xlsx"), ("ilacs-2024", "csv")):
        original = Plan.objects.get(slug=slug)
        exported = export_plan(original, fmt)
        copy = import_file(exported, f"x.{fmt}", plan_name=f"Copy of {slug}").plan
        assert copy.amber_label == original.amber_label
        recs, actions = structure(original)
        copy_recs, copy_actions = structure(copy)
        assert copy_recs == recs
        # The due date revised in the app (the illustrative slip of 8.3b)
        # come back with their baseline, due date and revision in a Timescale cell that
        # says so (so its text and the milestones parsed from it differ); everything else,
        # measure methods set by hand (1.4 and 1.12 are performance figures) included, is
        # as it was.
        revised = {"8.3b"} if slug == "ilacs-2024" else set()
        assert len(copy_actions) == len(actions)
        for before, after in zip(actions, copy_actions, strict=True):
            if before[1] in revised:
                text, due, baseline, revisions = before[7], before[10], before[11], before[15]
                assert due != baseline and len(revisions) == 1
                assert after[7] == f"{due:%B %Y} [slipped from {text}]"
                assert (after[10], after[11], after[15]) == (due, baseline, revisions)
                assert without_timescale_text(after) == without_timescale_text(before)
            else:
                assert after == before
        if slug == "ilacs-2024":
            methods = {m[1] for a in copy_actions for m in a[17]}
            assert Measure.Method.PERFORMANCE in methods
        # The export imported into the plan it came from changes nothing: no second
        # revision for a slip the plan already records, no new timescale text, no
        # position renumbered.
        revisions = DueDateRevision.objects.filter(action__plan=original).count()
        again = import_file(exported, f"x.{fmt}", plan_name=slug)
        assert again.plan == original
        assert again.created == {}
        assert again.updated == {}
        assert DueDateRevision.objects.filter(action__plan=original).count() == revisions
        assert structure(original) == [recs, actions]


def test_posts_the_plan_writes_in_full_and_by_abbreviation_are_one_owner(examples):
    """The plan writes "Corporate Leadership Team (CLT)" and elsewhere "CLT": one post,
    so the dashboard's owner filter lists it once."""
    for short, full in (
        ("CLT", "Corporate Leadership Team (CLT)"),
        ("CSLT", "Children's Services Leadership Team (CSLT)"),
    ):
        duplicate = Owner.objects.get(key=owner_key(short))
        kept = Owner.objects.get(key=owner_key(full))
        assert duplicate.merged_into == kept
        assert not duplicate.actions.exists()
        assert kept.actions.filter(plan__slug="ilacs-2024", ref="8.3").exists()
        assert duplicate.history.first().history_change_reason.startswith("merged")

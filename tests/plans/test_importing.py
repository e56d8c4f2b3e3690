"""Importing a plan table: layouts, ragged rows, cells, bad input, idempotency, history."""

import csv
import datetime as dt
import io
import math
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from core.dates import financial_quarter_label
from plans import services
from plans.io.importing import ImportFailed, import_file, measure_method, parse_file
from plans.models import (
    Action,
    DueDateRevision,
    Measure,
    Outcome,
    Owner,
    Plan,
    Position,
    Rating,
    Recommendation,
    ReportingPeriod,
)
from tests import factories

HEADER = [
    "Ref",
    "Outcome",
    "Actions",
    "Outcome measure",
    "Timescale",
    "Action RAG",
    "Accountability",
    "Outcome Measure RAG",
]


def as_csv(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def as_xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table(*rows, header=HEADER):
    return [header, ["What needs to improve? 1 Care leavers"] + [""] * (len(header) - 1), *rows]


def row(
    ref="1.1",
    outcome="PAs allocated",
    action="Allocate a PA",
    measure="Audit. Target 90%",
    timescale="May 24",
    action_rag="",
    owners="Service Director QA",
    measure_rag="",
):
    return [ref, outcome, action, measure, timescale, action_rag, owners, measure_rag]


def more(measure="", timescale="", owners="", action_rag="", measure_rag=""):
    """A continuation row: no Ref and no action."""
    return ["", "", "", measure, timescale, action_rag, owners, measure_rag]


def counts() -> tuple:
    return tuple(
        model.objects.count()
        for model in (
            Plan,
            Recommendation,
            Outcome,
            Action,
            Measure,
            Owner,
            Rating,
            ReportingPeriod,
            DueDateRevision,
        )
    )


def history_counts() -> tuple:
    return tuple(
        model.history.count()
        for model in (Plan, Recommendation, Outcome, Action, Measure, Owner, Rating)
    )


def load(rows, name="p.csv", plan="Care plan", **kwargs):
    data = as_xlsx(rows) if name.endswith(".xlsx") else as_csv(rows)
    return import_file(data, name, plan_name=plan, **kwargs)


# --- Layouts ---------------------------------------------------------------------------


def test_a_csv_table_becomes_recommendations_outcomes_actions_and_measures(db):
    summary = load(table(row()))
    action = Action.objects.get(ref="1.1")
    assert summary.plan.title == "Care plan"
    assert summary.plan.slug == "care-plan"
    assert action.recommendation.ref == "1"
    assert action.recommendation.title == "Care leavers"
    assert action.outcome.ref == "1.1"
    assert action.outcome.text == "PAs allocated"
    assert action.measures.get().target == 90
    assert [o.post for o in action.owners.all()] == ["Service Director QA"]
    assert action.due_date == dt.date(2024, 5, 31)
    assert action.baseline_due_date == dt.date(2024, 5, 31)


def test_an_xlsx_workbook_imports_the_same_way(db):
    load(table(row()), name="plan.xlsx")
    assert Action.objects.get(ref="1.1").text == "Allocate a PA"


def test_headers_match_in_any_case_and_order(db):
    header = [h.upper() for h in reversed(HEADER)]
    load(table(list(reversed(row())), header=header))
    assert Action.objects.get(ref="1.1").outcome.text == "PAs allocated"


def test_a_blank_first_heading_is_the_ref_column_as_in_the_word_table(db):
    load(table(row(), header=["", *HEADER[1:]]))
    assert Action.objects.get().ref == "1.1"


def test_title_rows_above_the_header_are_skipped(db):
    rows = [["Children's Services Inspection Action Plan 2024"], [], *table(row())]
    load(rows, name="p.xlsx")
    assert Action.objects.get().ref == "1.1"


def test_an_area_column_names_the_recommendation(db):
    header = ["Area", *HEADER]
    rows = [
        header,
        ["2 Disabled children", *row(ref="2.1")],
        ["", *row(ref="2.2", outcome="")],
        ["3 Missing education", *row(ref="3.1", outcome="Referred without delay")],
    ]
    load(rows)
    assert list(Recommendation.objects.values_list("ref", "title")) == [
        ("2", "Disabled children"),
        ("3", "Missing education"),
    ]
    assert Action.objects.get(ref="2.2").outcome.ref == "2.1"
    assert Action.objects.get(ref="3.1").recommendation.ref == "3"


def test_a_heading_row_and_its_title_may_be_two_rows(db):
    rows = [
        HEADER,
        ["What needs to improve?"] + [""] * 7,
        ["3 Missing education"] + [""] * 7,
        row(ref="3.1"),
    ]
    load(rows)
    assert Action.objects.get(ref="3.1").recommendation.title == "Missing education"


def test_optional_columns_give_why_difference_lead_links_target_and_tolerance(db):
    header = [*HEADER, "Links", "Why", "Difference", "Lead", "Target", "Tolerance"]
    rows = [
        header,
        ["What needs to improve? IN10 Leadership"] + [""] * 13,
        ["IN10.1", "o", "Lead well", "m", "May 24", "", "CSLT", "", "", "", "", "", "", "", ""],
        ["What needs to improve? OR 2 Care leavers"] + [""] * 13,
        [*row(ref="2.1", measure="Dip sample x 3"), "IN10", "So that", "Better", "Ann Lee", 85, 5],
    ]
    load(rows)
    action = Action.objects.get(ref="2.1")
    assert (action.why, action.difference, action.lead) == ("So that", "Better", "Ann Lee")
    assert [r.ref for r in action.links.all()] == ["IN10"]
    measure = action.measures.get()
    assert (measure.target, measure.tolerance) == (85, 5)
    assert Recommendation.objects.filter(ref="OR2").exists()


def test_an_optional_method_column_sets_how_each_measure_is_tested(db):
    header = [*HEADER, "METHOD"]  # any case, like the other headers
    rows = table(
        [*row(measure="Audit of plans"), "performance data"],
        [*more("Dip sample x 3", "Apr 25"), "Milestone"],
        [*more("Care leavers in EET", "May 25"), ""],  # blank: from the measure's words
        [*row(ref="1.2", outcome="", measure="Case audit"), "dip_sample"],
        header=header,
    )
    load(rows)
    methods = list(Measure.objects.order_by("action__ref", "position").values_list("method"))
    assert methods == [("performance",), ("milestone",), ("milestone",), ("dip_sample",)]
    rows[2][-1] = "Audit"
    load(rows, plan="care-plan")
    assert Measure.objects.get(text="Audit of plans").method == Measure.Method.AUDIT
    assert Measure.objects.get(text="Case audit").method == Measure.Method.DIP_SAMPLE


def test_refs_may_have_two_or_three_levels_and_spaces(db):
    load(table(row(ref="2.1.3"), row(ref="8.3 a", outcome=""), row(ref="8.3b", outcome="")))
    # "8.3 a" is stored as "8.3a", like every other sub-ref (issue 22).
    assert sorted(Action.objects.values_list("ref", flat=True)) == ["2.1.3", "8.3a", "8.3b"]


# --- Ragged rows -----------------------------------------------------------------------


def test_an_empty_outcome_continues_the_outcome_above(db):
    load(table(row(ref="1.1"), row(ref="1.1b", outcome=""), row(ref="1.2", outcome="New")))
    assert Action.objects.get(ref="1.1b").outcome == Action.objects.get(ref="1.1").outcome
    assert Outcome.objects.count() == 2


def test_a_row_with_no_ref_and_no_action_adds_a_measure_to_the_action_above(db):
    rows = table(
        row(ref="1.1b", action="Returning young people allocated"),
        more("Audit the impact on CL of prompt allocation dates.", "Apr 25", measure_rag="Red"),
    )
    load(rows)
    action = Action.objects.get(ref="1.1b")
    first, second = action.measures.all()
    assert first.text == "Audit. Target 90%"
    assert (first.timescale_text, first.due_date) == ("", dt.date(2024, 5, 31))
    assert second.text == "Audit the impact on CL of prompt allocation dates."
    assert (second.timescale_text, second.due_date) == ("Apr 25", dt.date(2025, 4, 30))
    assert action.due_date == dt.date(2024, 5, 31)
    assert action.milestones == ["2024-05-31", "2025-04-30"]
    assert Rating.objects.get(measure=second).rag == "red"


def test_a_measure_below_an_action_without_one_keeps_its_own_timescale(db):
    load(
        table(
            row(ref="4.2a", measure="", owners=""),
            more("Monthly x 6 dip samples", "Jan – June 25", "Service Director QA"),
        )
    )
    action = Action.objects.get(ref="4.2a")
    measure = action.measures.get()
    assert (measure.timescale_text, measure.due_date) == ("Jan – June 25", dt.date(2025, 6, 30))
    assert measure.method == Measure.Method.DIP_SAMPLE
    assert action.due_date == dt.date(2024, 5, 31)
    assert [o.post for o in action.owners.all()] == ["Service Director QA"]


def test_a_timescale_alone_below_an_action_is_a_further_milestone(db):
    load(table(row(timescale="Sep 24"), more(timescale="Nov 24 - Apr 25")))
    action = Action.objects.get()
    assert action.timescale_text == "Sep 24 Nov 24 - Apr 25"
    assert action.milestones == ["2024-09-30", "2025-04-30"]
    assert action.due_date == dt.date(2025, 4, 30)
    assert action.measures.count() == 1


def test_a_numbered_row_without_an_action_or_owner_stays_without_owner(db):
    # Issue 22: 1.1a, 1.15a and 5.2c of the 2024 plan name no one; the owners of the row
    # above are not copied in.
    load(
        table(
            row(owners="Service Director QA Head of Service"),
            row(ref="1.1a", outcome="", action="", owners=""),
        )
    )
    sub = Action.objects.get(ref="1.1a")
    assert sub.text == ""
    assert list(sub.owners.all()) == []
    assert sub.accountability == ""


def test_the_accountability_cell_is_kept_as_written_and_matched_leniently(db):
    load(
        table(
            row(owners="Service Director - Practice"),
            row(ref="1.2", owners="Service Director Practice"),
        )
    )
    first, second = Action.objects.order_by("ref")
    assert (first.accountability, second.accountability) == (
        "Service Director - Practice",
        "Service Director Practice",
    )
    # One post, matched however it is typed.
    assert [o.pk for o in first.owners.all()] == [o.pk for o in second.owners.all()]
    assert Owner.objects.count() == 1


def test_an_accountability_cell_wrapped_onto_the_next_row_is_joined(db):
    load(
        table(
            row(owners="Service Director Children's Commissioning and"),
            more("", "", owners="Head of Housing"),
        )
    )
    action = Action.objects.get()
    assert action.accountability == "Service Director Children's Commissioning and Head of Housing"


def test_measures_with_a_date_each_in_one_row_are_kept_as_several_measures(db):
    load(
        table(
            row(
                measure="<p>Revised offer agreed.</p> <p>Offer on the intranet. Target 90%</p>",
                timescale="<p>Mar 24</p> <p>Oct 24</p>",
            )
        )
    )
    action = Action.objects.get()
    measures = list(action.measures.order_by("position"))
    assert [(m.text, m.timescale_text, m.due_date, m.target) for m in measures] == [
        ("Revised offer agreed.", "Mar 24", dt.date(2024, 3, 31), None),
        ("Offer on the intranet. Target 90%", "Oct 24", dt.date(2024, 10, 31), Decimal(90)),
    ]
    assert action.timescale_text == "Mar 24 Oct 24"
    assert action.milestones == ["2024-03-31", "2024-10-31"]


def test_paragraphs_of_a_measure_with_one_date_stay_one_measure(db):
    load(table(row(measure="<p>Training delivered.</p> <p>Slides sent.</p>", timescale="June 24")))
    assert Measure.objects.get().text == "Training delivered.\nSlides sent."


def test_a_lone_full_stop_in_the_actions_cell_is_empty(db):
    load(table(row(), row(ref="4.1b", outcome="", action=".")))
    assert Action.objects.get(ref="4.1b").text == ""


def test_an_action_rag_on_a_continuation_row_rates_the_action_above(db):
    load(table(row(), more("Second measure", "June 24", action_rag="Green")))
    assert Rating.objects.get(subject="action").rag == "green"


# --- Cells ------------------------------------------------------------------------------


def test_word_html_in_cells_is_kept_as_text_with_line_breaks_and_no_markup(db):
    cell = (
        "<p>Revised offer agreed.</p> "
        "<ul><li>Phase 1</li><li>Phase 2 <script>alert(1)</script></li></ul>"
    )
    load(table(row(measure=cell, timescale="<p>Mar 24</p> <p>Oct 24</p>")))
    measure = Measure.objects.get()
    assert measure.text.splitlines() == ["Revised offer agreed.", "Phase 1", "Phase 2"]
    action = Action.objects.get()
    assert action.timescale_text == "Mar 24 Oct 24"
    assert action.milestones == ["2024-03-31", "2024-10-31"]


@pytest.mark.parametrize(
    "cell",
    [
        '<svg onload="alert(1)">Allocate a PA</svg>',
        '<iframe src="https://example.org"></iframe>Allocate a PA',
        '<img src=x onerror="alert(1)">Allocate a PA',
        "<b>Allocate</b> a <unknown-tag x=1>PA",
    ],
)
def test_nothing_that_could_run_as_markup_is_stored(db, cell):
    load(table(row(action=cell)))
    text = Action.objects.get().text
    assert text == "Allocate a PA"


def test_text_with_angle_brackets_that_is_not_markup_survives(db):
    load(table(row(action="Caseloads < 18 per worker")))
    assert Action.objects.get().text == "Caseloads < 18 per worker"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Red", "red"),
        ("red", "red"),
        ("R", "red"),
        ("amber", "amber"),
        ("A", "amber"),
        ("Green", "green"),
        ("G", "green"),
        ("Blue", "blue"),
        ("b", "blue"),
        ("Yellow", "amber"),
        ("Y", "amber"),
        ("yellow", "amber"),
        (" GREEN ", "green"),
    ],
)
def test_every_rag_form_is_understood(db, word, expected):
    load(table(row(action_rag=word, measure_rag=word)))
    assert Rating.objects.get(subject="action").rag == expected
    assert Rating.objects.get(subject="measure").rag == expected


def test_a_blank_rag_cell_records_no_rating(db):
    load(table(row(action_rag="", measure_rag="")))
    assert not Rating.objects.exists()
    assert not ReportingPeriod.objects.exists()


@pytest.mark.parametrize(
    ("text", "start", "due", "needs_review"),
    [
        ("May 24", None, "2024-05-31", False),
        ("June 24 – Dec 24", "2024-06-01", "2024-12-31", False),
        ("Sep 24 - 25", "2024-09-01", "2025-09-30", True),
        ("Nov -Dec 24", "2024-11-01", "2024-12-31", False),
        ("Oct24", None, "2024-10-31", False),
        ("July 24.", None, "2024-07-31", False),
        ("01 Mar 24", None, "2024-03-01", False),
        ("31.03.12", None, "2012-03-31", False),
        ("03.01.12 – 31.03.12", "2012-01-03", "2012-03-31", False),
        ("March 2016", None, "2016-03-31", False),
        ("End May 2016", None, "2016-05-31", False),
        ("From Jan 2016", "2016-01-01", None, False),
        ("Monthly review", None, None, True),
        ("From Autumn 24 - Throughout 2024 and 2025", None, None, True),
    ],
)
def test_timescales_keep_their_text_and_parse_what_they_can(db, text, start, due, needs_review):
    summary = load(table(row(timescale=text)))
    action = Action.objects.get()
    assert action.timescale_text == text
    assert (action.start_date.isoformat() if action.start_date else None) == start
    assert (action.due_date.isoformat() if action.due_date else None) == due
    assert action.timescale_needs_review is needs_review
    flagged = [str(w) for w in summary.warnings]
    assert bool(flagged) is needs_review
    if needs_review:
        assert flagged == [f"Row 3, column 'Timescale': \"{text}\" kept as text: needs review"]


def test_several_dates_for_several_measures_become_milestones(db):
    load(table(row(timescale="Mar 24 Apr 24 Sep 24 Mar – Dec 25")))
    action = Action.objects.get()
    assert action.milestones == ["2024-03-31", "2024-04-30", "2024-09-30", "2025-12-31"]
    assert action.due_date == dt.date(2025, 12, 31)


def test_a_slipped_timescale_records_a_revision_from_the_earlier_date(db):
    load(table(row(timescale="August 2016 [slipped from June 2016]")))
    action = Action.objects.get()
    assert action.baseline_due_date == dt.date(2016, 6, 30)
    assert action.due_date == dt.date(2016, 8, 31)
    assert action.is_slipped
    revision = DueDateRevision.objects.get()
    assert (revision.old_date, revision.new_date) == (dt.date(2016, 6, 30), dt.date(2016, 8, 31))
    assert "slipped from June 2016" in revision.reason
    assert revision.history.get().history_change_reason == "import"
    # The slip moves the action, not the measure in its row, as a revision in the app does.
    assert action.measures.get().due_date == dt.date(2016, 6, 30)


def test_owners_are_matched_whatever_the_dash_or_case_and_never_duplicated(db):
    Owner.objects.create(post="Service Director – Practice")
    load(
        table(
            row(owners="service director - practice"),
            row(ref="1.2", owners="Service Director-Practice; Service Director QA"),
            row(ref="1.3", owners="SERVICE DIRECTOR QA"),
        )
    )
    assert Owner.objects.count() == 2
    assert Action.objects.filter(owners__post="Service Director – Practice").count() == 2
    assert Action.objects.filter(owners__post="Service Director QA").count() == 2


def test_an_accountability_cell_with_several_posts_gives_several_owners(db):
    load(
        table(row(owners="Service Director Head of Children's Commissioning and Head of Housing."))
    )
    assert sorted(o.post for o in Action.objects.get().owners.all()) == [
        "Head of Children's Commissioning",
        "Head of Housing",
        "Service Director",
    ]


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("3 x monthly dip sample then review", Measure.Method.DIP_SAMPLE),
        ("Dip Sampling to test impact", Measure.Method.DIP_SAMPLE),
        ("Audit of all new cases since Mar 24", Measure.Method.AUDIT),
        ("Training delivered", Measure.Method.MILESTONE),
    ],
)
def test_a_measures_method_is_guessed_from_its_words(text, method):
    assert measure_method(text) == method


# --- Bad input: clear errors, nothing written ------------------------------------------


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (table(row(action_rag="Purple")), "Row 3, column 'Action RAG': Unknown RAG \"Purple\""),
        (table(row(measure_rag="Done")), "Row 3, column 'Outcome Measure RAG': Unknown RAG"),
        (table(row(), row()), "Row 4, column 'Ref': Ref \"1.1\" is used twice (first in row 3)"),
        (
            table(row(ref="8.3a"), row(ref="8.3 A")),
            "Row 4, column 'Ref': Ref \"8.3A\" is used twice (first in row 3)",
        ),
        (
            [
                HEADER[:4] + HEADER[5:],
                ["What needs to improve? 1 A"],
                ["1.1", "o", "a", "m", "", "x", ""],
            ],
            "Row 1, column 'Timescale': This required column is missing",
        ),
        (
            [
                HEADER[:2] + HEADER[3:],
                ["What needs to improve? 1 A"],
                ["1.1", "o", "m", "May 24", "", "x", ""],
            ],
            "Row 1, column 'Actions': This required column is missing",
        ),
        (
            table(["", "", "An action", "m", "May 24", "", "", ""]),
            "Row 3, column 'Ref': This row has an action but no Ref",
        ),
        ([HEADER, row()], "Row 2, column 'Ref': This row comes before any area"),
        (table(more("A measure")), "Row 3, column 'Ref': A continuation row with no action"),
        (
            table(row(measure="", measure_rag="Red")),
            "Row 3, column 'Outcome Measure RAG': A RAG is given but no outcome measure",
        ),
        (
            table([*row(), "Survey"], header=[*HEADER, "Method"]),
            "Row 3, column 'Method': \"Survey\" is not a method: use one of Dip sample, Audit, "
            "Performance data, Milestone / deliverable",
        ),
        (
            table([*row(measure=""), "Audit"], header=[*HEADER, "Method"]),
            "Row 3, column 'Method': A method is given but no outcome measure",
        ),
        (
            table(row(action_rag="Green"), more("m", action_rag="Red")),
            "Row 4, column 'Action RAG': Conflicts with the Action RAG for 1.1 in row 3",
        ),
        (
            [HEADER, ["What needs to improve? Care leavers"] + [""] * 7, row()],
            "Row 2, column 'Area': \"Care leavers\" should start with its number",
        ),
        (table(row(ref="1." + "1" * 30)), "Row 3, column 'Ref': Longer than 20 characters"),
    ],
)
def test_bad_input_names_row_and_column_and_writes_nothing(db, rows, message):
    before = counts()
    with pytest.raises(ImportFailed) as failure:
        load(rows)
    assert any(str(e).startswith(message) for e in failure.value.errors), failure.value.errors
    assert counts() == before


def test_bad_targets_and_links_are_row_errors(db):
    header = [*HEADER, "Target", "Links"]
    rows = [
        header,
        ["What needs to improve? 1 A"] + [""] * 9,
        [*row(), "150%", ""],
        [*row(ref="1.2"), "ninety", ""],
        [*row(ref="1.3"), "", "IN99"],
    ]
    with pytest.raises(ImportFailed) as failure:
        load(rows)
    messages = [str(e) for e in failure.value.errors]
    assert messages[0].startswith("Row 3, column 'Target': \"150%\" is more than 100%")
    assert messages[1].startswith("Row 4, column 'Target': \"ninety\" is not a percentage")
    assert messages[2] == "Row 5, column 'Links': \"IN99\" is not an area for improvement here."
    assert counts() == (0, 0, 0, 0, 0, 0, 0, 0, 0)


def test_every_error_in_the_file_is_reported_at_once(db):
    with pytest.raises(ImportFailed) as failure:
        load(table(row(action_rag="Purple"), row(ref="1.2", measure_rag="Pink"), row(ref="1.2")))
    assert [(e.row, e.column) for e in failure.value.errors] == [
        (3, "Action RAG"),
        (4, "Outcome Measure RAG"),
        (5, "Ref"),
    ]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.7 not a table", "plan.pdf", "is not a .xlsx or .csv file"),
        (b"PK\x03\x04 broken zip", "plan.xlsx", "not a readable Excel workbook"),
        (b"%PDF-1.7\x00\x01binary", "plan.csv", "not a CSV table"),
        (b"just,some,words\nand,more,words\n", "plan.csv", "No header row found"),
        (b"Dear committee,\nplease find the plan attached.\n", "plan.csv", "not a plan table"),
        (b"", "plan.csv", "The file is empty"),
        (as_csv([HEADER]), "plan.csv", "no areas for improvement or actions"),
    ],
)
def test_a_file_that_is_not_a_plan_table_is_refused_clearly(db, data, name, message):
    with pytest.raises(ImportFailed) as failure:
        import_file(data, name, plan_name="Care plan")
    assert message in str(failure.value)
    assert counts() == (0, 0, 0, 0, 0, 0, 0, 0, 0)


def test_a_failed_import_into_an_existing_plan_changes_nothing_in_it(db):
    load(table(row(), row(ref="1.2")))
    before, history = counts(), history_counts()
    with pytest.raises(ImportFailed):
        load(table(row(action="Changed"), row(ref="1.2", action_rag="Purple")), plan="care-plan")
    assert counts() == before
    assert history_counts() == history
    assert Action.objects.get(ref="1.1").text == "Allocate a PA"


def test_after_a_period_that_ended_inside_this_quarter_the_rest_of_it_opens(db, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args: dt.date(2026, 11, 20))
    load(table(row()))
    plan = Plan.objects.get()
    factories.PeriodFactory(
        plan=plan,
        label="As of 15 November 2026",
        start=dt.date(2026, 10, 1),
        end=dt.date(2026, 11, 15),
        state=ReportingPeriod.State.CLOSED,
    )
    load(table(row(action_rag="Red")), plan="care-plan")
    period = Rating.objects.get().period
    assert (period.label, period.start, period.end, period.state) == (
        "Q3 2026/27",
        dt.date(2026, 11, 16),
        dt.date(2026, 12, 31),
        ReportingPeriod.State.OPEN,
    )


def test_ratings_without_an_open_period_and_with_a_later_one_stop_the_import(db):
    load(table(row()))
    plan = Plan.objects.get()
    factories.PeriodFactory(
        plan=plan,
        label="Q4 2099/00",
        start=dt.date(2100, 1, 1),
        end=dt.date(2100, 3, 31),
        state=ReportingPeriod.State.UPCOMING,
    )
    before = counts()
    with pytest.raises(ImportFailed) as failure:
        load(table(row(action_rag="Red")), plan="care-plan")
    assert str(failure.value.errors[0]).startswith(
        "Row 3, column 'Action RAG': The file has RAG ratings but no reporting period is open: "
        "open Q4 2099/00"
    )
    assert counts() == before


# --- Ratings and periods ---------------------------------------------------------------


def test_a_rag_in_the_file_is_recorded_in_an_import_period_when_none_is_open(db):
    summary = load(table(row(action_rag="Red", measure_rag="Amber")))
    ratings = Rating.objects.all()
    assert {r.subject: r.rag for r in ratings} == {"action": "red", "measure": "amber"}
    period = ReportingPeriod.objects.get(state=ReportingPeriod.State.OPEN)
    today = timezone.localdate()
    assert period.label == financial_quarter_label(today)
    assert period.start <= today <= period.end
    assert (period.start.day, (period.start.month - 4) % 3) == (1, 0)
    # The rest of the financial year follows as upcoming quarters.
    later = ReportingPeriod.objects.exclude(pk=period.pk).order_by("start")
    assert all(p.state == ReportingPeriod.State.UPCOMING for p in later)
    assert [p.end for p in later][-1:] in ([], [dt.date(today.year + (today.month >= 4), 3, 31)])
    assert len(later) == 3 - (period.start.month - 4) % 12 // 3
    assert {r.period for r in ratings} == {period}
    assert summary.period_created
    assert all(r.status == Rating.Status.CONFIRMED for r in ratings)
    assert {r.history.get().history_change_reason for r in ratings} == {"import"}


def test_rags_go_into_the_plans_open_period(db, plan, period):
    import_file(as_csv(table(row(action_rag="G"))), "p.csv", plan_name=plan.slug)
    assert Rating.objects.get().period == period
    assert ReportingPeriod.objects.count() == 1


def test_a_rag_equal_to_the_current_position_is_not_recorded_again(db):
    load(table(row(action_rag="Red")))
    load(table(row(action_rag="Red")), plan="care-plan")
    assert Rating.objects.count() == 1
    load(table(row(action_rag="Green")), plan="care-plan")
    assert list(Rating.objects.values_list("rag", flat=True)) == ["red", "green"]


# --- Dry run, idempotency, changes, history --------------------------------------------


def test_a_dry_run_reports_exact_counts_and_writes_nothing(db):
    summary = load(table(row(action_rag="Red"), row(ref="1.2")), dry_run=True)
    assert summary.dry_run
    assert summary.created["actions"] == 2
    assert summary.created["ratings"] == 1
    assert counts() == (0, 0, 0, 0, 0, 0, 0, 0, 0)


def test_the_new_plan_is_created_only_if_the_import_succeeds(db):
    with pytest.raises(ImportFailed):
        load(table(row(action_rag="Purple")), plan="Brand new plan")
    assert not Plan.objects.exists()


def test_importing_the_same_file_twice_changes_nothing(db):
    data = table(
        row(action_rag="Red", owners="Service Director QA Head of Service"),
        row(ref="1.2", outcome="", timescale="August 2016 [slipped from June 2016]"),
        more("A second measure", "Apr 25", measure_rag="Green"),
    )
    load(data)
    before, history = counts(), history_counts()
    summary = load(data, plan="care-plan")
    assert summary.created == {}
    assert summary.updated == {}
    assert summary.unchanged["actions"] == 2
    assert summary.unchanged["measures"] == 3
    assert [kind for _row, kind, _ref, _what in summary.actions] == ["skip", "skip"]
    assert counts() == before
    assert history_counts() == history


def test_a_changed_cell_updates_the_record_with_history_reason_import(db, plan_admin):
    load(table(row()))
    summary = load(
        table(row(action="Allocate a PA within 5 days", owners="Head of Service")),
        plan="care-plan",
        user=plan_admin,
    )
    action = Action.objects.get()
    assert action.text == "Allocate a PA within 5 days"
    assert [o.post for o in action.owners.all()] == ["Head of Service"]
    latest = action.history.first()
    assert latest.history_change_reason == "import"
    assert latest.history_user == plan_admin
    assert Action.objects.count() == 1
    assert summary.updated["actions"] == 1
    assert summary.actions[0][1] == "update"


def test_changed_area_outcome_and_measure_cells_are_recorded_with_reason_import(db, plan_admin):
    load(table(row()))
    rows = table(row(outcome="PAs allocated on time", measure="Audit. Target 95%"))
    rows[1][0] = "What needs to improve? 1 Care leavers and their PAs"
    load(rows, plan="care-plan", user=plan_admin)
    changed = [
        Recommendation.objects.get(title="Care leavers and their PAs"),
        Outcome.objects.get(text="PAs allocated on time"),
        Measure.objects.get(text="Audit. Target 95%", target=95),
    ]
    for record in changed:
        assert record.history.count() == 2
        latest = record.history.first()
        assert (latest.history_change_reason, latest.history_user) == ("import", plan_admin)


def test_the_plan_may_be_named_by_its_exact_title_to_import_into_it_again(db):
    first = load(table(row())).plan
    again = load(table(row(), row(ref="1.2")), plan="Care plan")
    assert again.plan == first
    assert not again.plan_created
    assert Plan.objects.count() == 1
    assert first.actions.count() == 2


def test_a_changed_timescale_moves_the_due_date_and_records_the_revision(db):
    load(table(row(timescale="May 24")))
    load(table(row(timescale="Sept 24")), plan="care-plan")
    action = Action.objects.get()
    assert (action.baseline_due_date, action.due_date) == (
        dt.date(2024, 5, 31),
        dt.date(2024, 9, 30),
    )
    revision = DueDateRevision.objects.get()
    assert (revision.old_date, revision.new_date) == (dt.date(2024, 5, 31), dt.date(2024, 9, 30))
    assert revision.reason == 'timescale changed to "Sept 24" on import'


def test_reimporting_keeps_a_due_date_revised_in_the_app(db, plan_admin):
    data = table(row(timescale="May 24"))
    load(data)
    action = Action.objects.get()
    services.action_revise_due_date(
        action=action,
        new_date=dt.date(2024, 8, 31),
        reason="Waiting for recruitment",
        user=plan_admin,
        expected_version=action.version,
    )
    load(data, plan="care-plan")
    assert Action.objects.get().due_date == dt.date(2024, 8, 31)


def test_refs_are_the_natural_key_whatever_their_spacing(db):
    load(table(row(ref="8.3a")))
    summary = load(table(row(ref="8.3 a")), plan="care-plan")
    assert list(Action.objects.values_list("ref", flat=True)) == ["8.3a"]
    assert summary.unchanged["actions"] == 1


def test_actions_missing_from_the_file_are_left_and_listed(db):
    load(table(row(), row(ref="1.2")))
    summary = load(table(row()), plan="care-plan")
    assert Action.objects.count() == 2
    assert summary.not_in_file == ["1.2"]


def test_a_new_actions_history_row_records_its_owners(db, plan_admin):
    load(table(row(owners="Service Director QA; Head of Service")), user=plan_admin)
    action = Action.objects.get()
    created = action.history.get()
    assert created.history_type == "+"
    assert created.history_change_reason == "import"
    assert created.history_user == plan_admin
    assert sorted(o.owner.post for o in created.owners.all()) == [
        "Head of Service",
        "Service Director QA",
    ]


def test_the_whole_2024_plan_table_imports(db):
    from django.conf import settings

    path = settings.BASE_DIR / "fixtures" / "ilacs-2024" / "plan.csv"
    parsed = parse_file(path.read_bytes(), path.name)
    assert len(parsed.recommendations) == 8
    assert len(list(parsed.actions)) == 56
    summary = import_file(path.read_bytes(), path.name, plan_name="ILACS")
    assert summary.created["actions"] == 56
    assert summary.created["measures"] == 60  # 1.3 has four, a date each
    assert [w.row for w in summary.warnings] == [42, 51, 69]


# --- The command -----------------------------------------------------------------------


def test_the_command_imports_and_reports(db, tmp_path, plan_admin):
    path = tmp_path / "plan.csv"
    path.write_bytes(as_csv(table(row(), row(ref="1.2", timescale="Monthly review"))))
    out = io.StringIO()
    call_command("import_plan", str(path), "--plan", "Care plan", "--user", "admin", stdout=out)
    text = out.getvalue()
    assert "Imported plan.csv into 'Care plan' (care-plan)" in text
    assert "actions: 2 created, 0 updated, 0 unchanged" in text
    assert "Row 4, column 'Timescale': \"Monthly review\" kept as text: needs review" in text
    assert Action.objects.get(ref="1.1").history.get().history_user == plan_admin


def test_the_command_dry_run_writes_nothing(db, tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(as_xlsx(table(row())))
    out = io.StringIO()
    call_command("import_plan", str(path), "--plan", "Care plan", "--dry-run", stdout=out)
    assert "Dry run: would import plan.xlsx" in out.getvalue()
    assert counts() == (0, 0, 0, 0, 0, 0, 0, 0, 0)


def test_the_command_exits_non_zero_with_row_errors(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(as_csv(table(row(action_rag="Purple"))))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_plan", str(path), "--plan", "P", stderr=err)
    assert "Row 3, column 'Action RAG'" in err.getvalue()
    assert not Plan.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "--plan", "P"], "No file at missing.csv"),
        (["{path}", "--plan", "P", "--user", "nobody"], "No user called 'nobody'"),
    ],
)
def test_the_command_refuses_a_missing_file_or_user(db, tmp_path, args, message):
    path = tmp_path / "plan.csv"
    path.write_bytes(as_csv(table(row())))
    with pytest.raises(CommandError, match=message):
        call_command("import_plan", *[a.format(path=path) for a in args])


# --- The admin: upload, preview, confirm -----------------------------------------------


def _upload(client, data: bytes, name: str = "plan.csv", **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = {"resource": "0", "format": "1" if name.endswith(".csv") else "0", **fields}
    form["import_file"] = SimpleUploadedFile(name, data)
    return client.post(reverse("admin:plans_plan_import"), form)


def test_the_admin_previews_an_import_and_writes_nothing_until_confirmed(client, plan_admin):
    client.force_login(plan_admin)
    changelist = client.get(reverse("admin:plans_plan_changelist"))
    assert reverse("admin:plans_plan_import") in changelist.text
    preview = _upload(
        client,
        as_csv(table(row(action_rag="Amber"), row(ref="1.2", timescale="Monthly review"))),
        new_plan_title="Uploaded plan",
    )
    assert preview.status_code == 200
    assert "Preview: a new plan, Uploaded plan" in preview.text
    assert "actions: 2 created, 0 updated, 0 unchanged" in preview.text
    assert "Row 4, column &#x27;Timescale&#x27;: &quot;Monthly review&quot; kept as text" in (
        preview.text
    )
    assert "Confirm import" in preview.text
    assert counts() == (0, 0, 0, 0, 0, 0, 0, 0, 0)

    confirm = preview.context["confirm_form"]
    done = client.post(
        reverse("admin:plans_plan_process_import"),
        {name: value or "" for name, value in confirm.initial.items()},
    )
    plan = Plan.objects.get(title="Uploaded plan")
    assert done.status_code == 302
    assert done["Location"] == reverse("admin:plans_plan_change", args=[plan.pk])
    assert plan.actions.count() == 2
    action = plan.actions.get(ref="1.1")
    assert action.history.get().history_user == plan_admin
    assert Rating.objects.get().created_by == plan_admin


def test_the_admin_imports_into_an_existing_plan(client, plan_admin, plan):
    client.force_login(plan_admin)
    preview = _upload(client, as_xlsx(table(row())), name="plan.xlsx", plan=plan.pk)
    assert f"Preview: import into {plan.title}" in preview.text
    confirm = preview.context["confirm_form"]
    client.post(
        reverse("admin:plans_plan_process_import"),
        {name: value or "" for name, value in confirm.initial.items()},
    )
    assert plan.actions.get().ref == "1.1"


def test_the_admin_lists_each_problem_by_row_and_column(client, plan_admin):
    client.force_login(plan_admin)
    response = _upload(
        client,
        as_csv(table(row(action_rag="Purple"), row(), row(ref="1.2", measure="", measure_rag="R"))),
        new_plan_title="Bad plan",
    )
    text = response.text
    assert "<tr><td>3</td><td>Action RAG</td><td>Unknown RAG &quot;Purple&quot;" in text
    assert "<tr><td>4</td><td>Ref</td><td>Ref &quot;1.1&quot; is used twice" in text
    assert "<tr><td>5</td><td>Outcome Measure RAG</td><td>A RAG is given but no" in text
    assert "Some rows cannot be imported" in response.text
    assert "Confirm import" not in response.text
    assert counts() == (0, 0, 0, 0, 0, 0, 0, 0, 0)


def test_the_admin_says_clearly_when_a_file_is_not_a_plan_table(client, plan_admin):
    client.force_login(plan_admin)
    response = _upload(client, b"Dear committee,\nhere is our plan.\n", new_plan_title="P")
    assert "No header row found in the first 30 rows, so this is not a plan table" in (
        response.text
    )
    broken = _upload(client, b"PK\x03\x04 broken", name="plan.xlsx", new_plan_title="P")
    assert "This is not a readable Excel workbook" in broken.text
    assert not Plan.objects.exists()


def test_the_admin_names_a_missing_column(client, plan_admin):
    client.force_login(plan_admin)
    rows = [HEADER[:4] + HEADER[5:], ["What needs to improve? 1 A"], ["1.1", "o", "a", "m"]]
    response = _upload(client, as_csv(rows), new_plan_title="P")
    assert "<tr><td>1</td><td>Timescale</td><td>This required column is missing." in (response.text)
    assert "Confirm import" not in response.text
    assert not Plan.objects.exists()


def test_the_admin_asks_which_plan_to_import_into(client, plan_admin):
    client.force_login(plan_admin)
    response = _upload(client, as_csv(table(row())))
    assert "Choose the plan to import into, or name a new plan." in response.text
    assert not Plan.objects.exists()


def test_only_plan_administrators_import(client, director):
    director.is_staff = True
    director.save()
    client.force_login(director)
    assert client.get(reverse("admin:plans_plan_import")).status_code == 403


def test_the_admin_plan_page_has_export_buttons(client, plan_admin, plan):
    client.force_login(plan_admin)
    response = client.get(reverse("admin:plans_plan_change", args=[plan.pk]))
    url = reverse("plans:plan_export", args=[plan.slug])
    assert f"{url}?format=xlsx" in response.text
    assert f"{url}?format=csv" in response.text


def test_queries_do_not_grow_with_the_rows(db, django_assert_max_num_queries):
    def rows(n):
        return [
            row(ref=f"1.{i}", outcome=f"Outcome {i}", action_rag="Green", measure_rag="Red")
            for i in range(1, n + 1)
        ] + [more("A further measure", "May 24")]

    def is_position_insert(query):
        return query["sql"].startswith('INSERT INTO "plans_position"')

    first, inserts, batches = {}, {}, {}
    fields = [f for f in Position._meta.concrete_fields if not f.primary_key]
    for n in (5, 60):
        with CaptureQueriesContext(connection) as new_plan:
            plan = load(table(*rows(n)), plan=f"Plan {n}").plan
        with django_assert_max_num_queries(25):
            load(table(*rows(n)), plan=f"plan-{n}")
        first[n] = len([q for q in new_plan.captured_queries if not is_position_insert(q)])
        inserts[n] = len([q for q in new_plan.captured_queries if is_position_insert(q)])
        written = Position.objects.filter(plan=plan).count()
        # bulk_create's statements: SQLite takes at most 999 parameters in one.
        batch = min(2000, connection.ops.bulk_batch_size(fields, [None] * written))
        batches[n] = math.ceil(written / batch)
    # A new plan's import also creates the financial year's quarters (one to four, by
    # today's date), the same for both sizes; 60 rows cost a few more bulk batches.
    assert first[5] <= 90 and first[60] <= first[5] + 5
    # The positions (one row per item and period, so more with more quarters) are
    # inserted in batches: more rows cost more batches on SQLite, never one per row.
    assert inserts[60] <= inserts[5] + batches[60]


def test_a_ref_excel_turned_into_a_number_gets_a_hint(db):
    rows = table(row(ref=1.1), row(ref=1.1, outcome=""))
    with pytest.raises(ImportFailed) as failure:
        load(rows, name="p.xlsx")
    assert "make the column text" in str(failure.value.errors[0])


@pytest.mark.parametrize(
    ("words", "label"),
    [
        (["Yellow", "Y"], "Yellow"),
        (["Amber"], "Amber"),
        (["Yellow", "Amber"], "Amber"),
        ([], "Amber"),
    ],
)
def test_a_new_plan_names_amber_as_the_file_does(db, words, label):
    rows = [row(ref=f"1.{n}", outcome="", action_rag=word) for n, word in enumerate(words, 1)]
    plan = load(table(row(ref="1.0"), *rows)).plan
    assert plan.amber_label == label
    assert set(Rating.objects.values_list("rag", flat=True)) <= {"amber"}


def test_an_existing_plan_keeps_its_own_name_for_amber(db, plan):
    import_file(as_csv(table(row(action_rag="Yellow"))), "p.csv", plan_name=plan.slug)
    plan.refresh_from_db()
    assert plan.amber_label == "Amber"


def test_imported_positions_never_go_into_a_closed_or_another_plans_period(db, action, period):
    from django.core.exceptions import ValidationError

    services.period_close(period=period)
    with pytest.raises(ValidationError, match="is closed"):
        services.ratings_record_many(
            plan=action.plan, ratings=[(action, "red")], user=None, period=period
        )
    other = factories.PeriodFactory(plan=factories.PlanFactory())
    with pytest.raises(ValidationError, match="another plan"):
        services.ratings_record_many(
            plan=action.plan, ratings=[(action, "red")], user=None, period=other
        )
    with pytest.raises(ValidationError, match="Unknown RAG"):
        services.ratings_record_many(plan=action.plan, ratings=[(action, "pink")], user=None)
    assert not Rating.objects.filter(carried_forward=False).exists()

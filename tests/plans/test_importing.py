"""Importing a plan table: layouts, ragged rows, bad input, idempotency."""

import csv
import io

import pytest
from openpyxl import Workbook

from plans.importing import ImportFailed, import_file
from plans.models import Action, DueDateRevision, Measure, Outcome, Owner, Plan, Rating

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


def counts() -> tuple:
    return (
        Plan.objects.count(),
        Action.objects.count(),
        Measure.objects.count(),
        Owner.objects.count(),
        Rating.objects.count(),
    )


def test_a_csv_table_becomes_recommendations_outcomes_actions_and_measures(db):
    summary = import_file(as_csv(table(row())), "plan.csv", plan_name="Care plan")
    action = Action.objects.get(ref="1.1")
    assert summary.plan.title == "Care plan"
    assert action.recommendation.title == "Care leavers"
    assert action.outcome.text == "PAs allocated"
    assert action.measures.get().target == 90
    assert [o.post for o in action.owners.all()] == ["Service Director QA"]
    assert action.due_date.isoformat() == "2024-05-31"


def test_an_xlsx_workbook_imports_the_same_way(db):
    import_file(as_xlsx(table(row())), "plan.xlsx", plan_name="Care plan")
    assert Action.objects.get(ref="1.1").text == "Allocate a PA"


def test_headers_match_in_any_case_and_order(db):
    header = [h.upper() for h in reversed(HEADER)]
    data = [list(reversed(row()))]
    import_file(as_csv(table(*data, header=header)), "p.csv", plan_name="Care plan")
    assert Action.objects.get(ref="1.1").outcome.text == "PAs allocated"


def test_an_area_column_names_the_recommendation(db):
    header = ["Area", *HEADER]
    rows = [
        header,
        ["2 Disabled children", *row(ref="2.1")],
        ["2 Disabled children", *row(ref="2.2", outcome="")],
    ]
    import_file(as_csv(rows), "p.csv", plan_name="Care plan")
    assert {a.recommendation.ref for a in Action.objects.all()} == {"2"}
    assert Action.objects.get(ref="2.2").outcome.ref == "2.1"


def test_a_heading_row_and_its_title_may_be_two_rows(db):
    rows = [
        HEADER,
        ["What needs to improve?"] + [""] * 7,
        ["3 Missing education"] + [""] * 7,
        row(ref="3.1"),
    ]
    import_file(as_csv(rows), "p.csv", plan_name="Care plan")
    assert Action.objects.get(ref="3.1").recommendation.title == "Missing education"


def test_ragged_rows_continue_the_outcome_and_add_measures(db):
    rows = table(
        row(ref="1.1"),
        row(ref="1.1b", outcome="", action="Returning young people allocated"),
        ["", "", "", "Audit the impact on CL of prompt allocation dates.", "Apr 25", "", "", ""],
    )
    import_file(as_csv(rows), "p.csv", plan_name="Care plan")
    second = Action.objects.get(ref="1.1b")
    assert second.outcome == Action.objects.get(ref="1.1").outcome
    assert [m.text for m in second.measures.all()] == [
        "Audit. Target 90%",
        "Audit the impact on CL of prompt allocation dates.",
    ]
    assert second.measures.last().due_date.isoformat() == "2025-04-30"
    assert Outcome.objects.count() == 1


def test_word_html_in_cells_is_kept_as_text_without_markup(db):
    cell = (
        "<p>Revised offer agreed.</p> "
        "<ul><li>Phase 1</li><li>Phase 2 <script>alert(1)</script></li></ul>"
    )
    import_file(as_csv(table(row(measure=cell))), "p.csv", plan_name="Care plan")
    text = Measure.objects.get().text
    assert "<" not in text and "alert" not in text
    assert text.splitlines() == ["Revised offer agreed.", "Phase 1", "Phase 2"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Red", "red"),
        ("amber", "amber"),
        ("G", "green"),
        ("b", "blue"),
        ("Yellow", "amber"),
        ("Y", "amber"),
        (" GREEN ", "green"),
    ],
)
def test_every_rag_form_is_understood(db, word, expected):
    import_file(as_csv(table(row(action_rag=word))), "p.csv", plan_name="Care plan")
    assert Rating.objects.get(action__ref="1.1").rag == expected


def test_a_rag_in_the_file_is_recorded_in_an_import_period_when_none_is_open(db):
    import_file(as_csv(table(row(action_rag="Red", measure_rag="Amber"))), "p.csv", plan_name="P")
    ratings = Rating.objects.all()
    assert {r.subject: r.rag for r in ratings} == {"action": "red", "measure": "amber"}
    assert {r.period.label.startswith("As of") for r in ratings} == {True}
    assert all(r.period.state == "open" for r in ratings)


@pytest.mark.parametrize(
    ("text", "due", "needs_review"),
    [
        ("May 24", "2024-05-31", False),
        ("June 24 – Dec 24", "2024-12-31", False),
        ("Nov -Dec 24", "2024-12-31", False),
        ("Oct24", "2024-10-31", False),
        ("July 24.", "2024-07-31", False),
        ("01 Mar 24", "2024-03-01", False),
        ("31.03.12", "2012-03-31", False),
        ("03.01.12 – 31.03.12", "2012-03-31", False),
        ("March 2016", "2016-03-31", False),
        ("End May 2016", "2016-05-31", False),
        ("Monthly review", None, True),
        ("From Autumn 24 - Throughout 2024 and 2025", None, True),
    ],
)
def test_timescales_keep_their_text_and_parse_what_they_can(db, text, due, needs_review):
    import_file(as_csv(table(row(timescale=text))), "p.csv", plan_name="Care plan")
    action = Action.objects.get()
    assert action.timescale_text == text
    assert (action.due_date.isoformat() if action.due_date else None) == due
    assert action.timescale_needs_review is needs_review


def test_several_dates_for_several_measures_become_milestones(db):
    import_file(
        as_csv(table(row(timescale="Mar 24 Apr 24 Sep 24 Mar – Dec 25"))),
        "p.csv",
        plan_name="Care plan",
    )
    assert Action.objects.get().milestones == [
        "2024-03-31",
        "2024-04-30",
        "2024-09-30",
        "2025-12-31",
    ]


def test_a_slipped_timescale_records_a_revision_from_the_earlier_date(db):
    import_file(
        as_csv(table(row(timescale="August 2016 [slipped from June 2016]"))),
        "p.csv",
        plan_name="Care plan",
    )
    action = Action.objects.get()
    assert action.baseline_due_date.isoformat() == "2016-06-30"
    assert action.due_date.isoformat() == "2016-08-31"
    revision = DueDateRevision.objects.get()
    assert (revision.old_date.isoformat(), revision.new_date.isoformat()) == (
        "2016-06-30",
        "2016-08-31",
    )


def test_owners_are_matched_whatever_the_dash_or_case_and_never_duplicated(db):
    Owner.objects.create(post="Service Director – Practice")
    rows = table(
        row(owners="service director - practice"),
        row(ref="1.2", owners="Service Director-Practice"),
    )
    import_file(as_csv(rows), "p.csv", plan_name="Care plan")
    assert Owner.objects.count() == 1
    assert Action.objects.filter(owners__post="Service Director – Practice").count() == 2


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (table(row(action_rag="Purple")), "Row 3, column 'Action RAG': Unknown RAG"),
        (table(row(), row()), "Row 4, column 'Ref': Ref \"1.1\" is used twice (first in row 3)"),
        (
            [
                HEADER[:3] + HEADER[4:],
                ["What needs to improve? 1 A"],
                ["1.1", "o", "a", "May 24", "", "x", ""],
            ],
            "Row 1, column 'Outcome measure': This required column is missing",
        ),
        (
            table(["", "", "An action", "m", "May 24", "", "", ""]),
            "Row 3, column 'Ref': This row has an action but no Ref",
        ),
        ([HEADER, row()], "Row 2, column 'Ref': This row comes before any area"),
    ],
)
def test_bad_input_names_row_and_column_and_writes_nothing(db, rows, message):
    before = counts()
    with pytest.raises(ImportFailed) as failure:
        import_file(as_csv(rows), "p.csv", plan_name="Care plan")
    assert any(str(e).startswith(message) for e in failure.value.errors), failure.value.errors
    assert counts() == before


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.7 not a table", "plan.pdf", "is not a .xlsx or .csv file"),
        (b"PK\x03\x04 broken zip", "plan.xlsx", "not a readable Excel workbook"),
        (b"just,some,words\nand,more,words\n", "plan.csv", "No header row found"),
        (b"", "plan.csv", "The file is empty"),
    ],
)
def test_a_file_that_is_not_a_plan_table_is_refused_clearly(db, data, name, message):
    with pytest.raises(ImportFailed) as failure:
        import_file(data, name, plan_name="Care plan")
    assert message in str(failure.value)
    assert not Plan.objects.exists()


def test_a_dry_run_reports_exact_counts_and_writes_nothing(db):
    summary = import_file(
        as_csv(table(row(), row(ref="1.2"))), "p.csv", plan_name="Care plan", dry_run=True
    )
    assert summary.created["actions"] == 2
    assert counts() == (0, 0, 0, 0, 0)


def test_importing_the_same_file_twice_changes_nothing(db):
    data = as_csv(table(row(), row(ref="1.2", outcome="")))
    import_file(data, "p.csv", plan_name="Care plan")
    history = sum(a.history.count() for a in Action.objects.all())
    summary = import_file(data, "p.csv", plan_name="care-plan")
    assert summary.created == {}
    assert summary.unchanged["actions"] == 2
    assert sum(a.history.count() for a in Action.objects.all()) == history


def test_a_changed_cell_updates_the_record_with_history_reason_import(db):
    import_file(as_csv(table(row())), "p.csv", plan_name="Care plan")
    import_file(
        as_csv(table(row(action="Allocate a PA within 5 days"))), "p.csv", plan_name="care-plan"
    )
    action = Action.objects.get()
    assert action.text == "Allocate a PA within 5 days"
    assert action.history.first().history_change_reason == "import"
    assert Action.objects.count() == 1


def test_the_command_exits_non_zero_with_row_errors(db, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "bad.csv"
    path.write_bytes(as_csv(table(row(action_rag="Purple"))))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_plan", str(path), "--plan", "P", stderr=err)
    assert "Row 3, column 'Action RAG'" in err.getvalue()

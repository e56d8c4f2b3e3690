"""Export writes the import layout, so export then import loses nothing."""

import csv
import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from plans import services
from plans.io.exporting import export_plan, plan_rows
from plans.io.importing import import_file
from plans.io.parsing import normalise_ref
from plans.models import Action, DueDateRevision, Measure, Owner, Plan
from plans.selectors import actions_with_position, measures_with_position
from tests import factories
from tests.plans.test_importing import HEADER, as_csv, more, row, table

PLAN_CSV = settings.BASE_DIR / "fixtures" / "ilacs-2024" / "plan.csv"


def structure(plan: Plan) -> list[tuple]:
    """Everything the table layout carries, in the plan's order (which the layout keeps,
    rather than the position numbers)."""
    recs = [(r.ref, r.title, r.position) for r in plan.recommendations.all()]
    actions = []
    for action in actions_with_position(
        plan.actions.order_by("recommendation__position", "position")
    ):
        measures = measures_with_position(action.measures.order_by("position"))
        actions.append(
            (
                action.recommendation.ref,
                action.ref,
                (action.outcome.ref, action.outcome.text) if action.outcome else None,
                action.text,
                action.why,
                action.difference,
                action.lead,
                action.timescale_text,
                action.timescale_needs_review,
                action.start_date,
                action.due_date,
                action.baseline_due_date,
                tuple(action.milestones),
                tuple(o.post for o in action.owners.order_by("post")),
                tuple(r.ref for r in action.links.order_by("ref")),
                tuple(action.revisions.values_list("old_date", "new_date")),
                action.current_rag or "",
                tuple(
                    (
                        m.text,
                        m.method,
                        m.target,
                        m.tolerance,
                        m.timescale_text,
                        m.due_date,
                        m.current_rag or "",
                    )
                    for m in measures
                ),
            )
        )
    return [recs, actions]


def round_trip(original: Plan, fmt: str) -> Plan:
    return import_file(export_plan(original, fmt), f"export.{fmt}", plan_name="Copy").plan


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_gives_the_same_plan(db, fmt):
    header = [*HEADER, "Target", "Tolerance", "Links", "Why", "Difference", "Lead"]
    pad = [""] * 6
    rows = [
        header,
        ["What needs to improve? 1 Care leavers"] + [""] * 13,
        [*row(owners="Service Director QA Head of Service", action_rag="Yellow"), *pad],
        [*row(ref="1.1a", outcome="", action="", measure="Audit impact", owners=""), *pad],
        [*more("Dip sample x 3", "Apr 25", measure_rag="R"), "100", "10", "", "", "", ""],
        [*row(ref="1.2", outcome="Well prepared", timescale="Nov -Dec 24"), *pad],
        [*more(timescale="Mar 25"), *pad],
        ["What needs to improve? 2 Disabled children"] + [""] * 13,
        [
            *row(ref="2.1", timescale="August 2016 [slipped from June 2016]", measure=""),
            "",
            "",
            "1",
            "Because <b>thresholds</b>",
            "Right help",
            "Ann Lee",
        ],
        [*more("Monthly x 6 dip samples", "Jan – June 25", "Service Director QA"), *pad],
        [*row(ref="2.2", outcome="", action="=SUM(A1:A2)", timescale="Monthly review"), *pad],
    ]
    original = import_file(as_csv(rows), "p.csv", plan_name="Original").plan
    copy = round_trip(original, fmt)
    assert structure(copy) == structure(original)
    assert Action.objects.get(plan=copy, ref="2.2").text == "=SUM(A1:A2)"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_whole_2024_plan_round_trips(db, fmt):
    original = import_file(PLAN_CSV.read_bytes(), PLAN_CSV.name, plan_name="ILACS").plan
    copy = round_trip(original, fmt)
    assert copy.actions.count() == 56
    assert structure(copy) == structure(original)


def revise(action: Action, new_date: dt.date) -> None:
    services.action_revise_due_date(
        action=action,
        new_date=new_date,
        reason="Recruitment delayed",
        user=None,
        expected_version=action.version,
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("timescale", "new_date", "cell"),
    [
        ("June 24", dt.date(2024, 12, 31), "December 2024 [slipped from June 24]"),
        ("Jul 24 Oct 24", dt.date(2025, 3, 31), "Jul 24 Oct 24 New target date March 2025"),
        (
            "June 24 – Dec 24",
            dt.date(2025, 3, 15),
            "June 2024 – 15 March 2025 [slipped from December 2024]",
        ),
        ("Dec 24", dt.date(2024, 10, 31), "October 2024 [slipped from Dec 24]"),
    ],
)
def test_a_due_date_revised_in_the_app_is_carried_by_the_timescale_cell(
    db, fmt, timescale, new_date, cell
):
    rows = table(row(timescale=timescale), row(ref="1.2", outcome="", timescale="May 24"))
    original = import_file(as_csv(rows), "p.csv", plan_name="Original").plan
    action = Action.objects.get(plan=original, ref="1.1")
    revise(action, new_date)
    assert plan_rows(original)[2][4] == cell
    assert plan_rows(original)[3][4] == "May 24"  # not revised: written as it was

    copied = Action.objects.get(plan=round_trip(original, fmt), ref="1.1")
    action.refresh_from_db()
    for name in ("start_date", "due_date", "baseline_due_date"):
        assert getattr(copied, name) == getattr(action, name)
    assert list(copied.revisions.values_list("old_date", "new_date")) == list(
        action.revisions.values_list("old_date", "new_date")
    )
    assert copied.timescale_text == cell
    # The measure in the action's row keeps the date it was first due, as in the app.
    assert copied.measures.get().due_date == action.measures.get().due_date


def test_an_export_imported_into_its_own_plan_does_not_revise_again(db):
    plan = import_file(as_csv(table(row(timescale="June 24"))), "p.csv", plan_name="P").plan
    revise(Action.objects.get(), dt.date(2024, 12, 31))
    before = structure(plan)
    summary = import_file(export_plan(plan, "csv"), "p.csv", plan_name="p")
    assert (summary.plan, summary.created, summary.updated) == (plan, {}, {})
    assert DueDateRevision.objects.count() == 1
    assert structure(plan) == before
    assert Action.objects.get().timescale_text == "June 24"


def test_a_method_set_by_hand_is_exported_and_comes_back(db):
    rows = table(row(measure="Audit. Target 90%"), row(ref="1.2", outcome="", measure="PAs"))
    original = import_file(as_csv(rows), "p.csv", plan_name="Original").plan
    assert "Method" not in plan_rows(original)[0]  # each method is what the words suggest
    Measure.objects.filter(action__ref="1.2").update(method=Measure.Method.PERFORMANCE)
    rows = plan_rows(original)
    assert rows[0][-1] == "Method"
    assert [r[-1] for r in rows[2:]] == ["Audit", "Performance data"]
    copy = round_trip(original, "csv")
    assert structure(copy) == structure(original)
    assert Measure.objects.get(plan=copy, action__ref="1.2").method == Measure.Method.PERFORMANCE


def test_the_export_is_the_2024_table_as_the_council_wrote_it(db):
    original = import_file(PLAN_CSV.read_bytes(), PLAN_CSV.name, plan_name="ILACS").plan
    exported = list(csv.reader(io.StringIO(export_plan(original, "csv").decode("utf-8-sig"))))
    source = list(csv.reader(io.StringIO(PLAN_CSV.read_text(encoding="utf-8"))))
    assert exported[0] == source[0]
    assert len(exported) == len(source)
    # Refs as the import tidies them: the document's "8.3 a" is "8.3a".
    assert [r[0] for r in exported] == [
        r[0] if r[0].startswith("What") else normalise_ref(r[0]) for r in source
    ]
    by_ref = {r[0]: r for r in exported}
    # The Accountability cell as written; 1.3's four measures in one row, a date each.
    assert by_ref["1.1"][6] == "Service Director QA Head of Service"
    assert by_ref["4.2"][6] == "Service Director Practice"
    assert by_ref["1.3"][4] == "Mar 24\nOct 24\nAugust 24\nAug 24"
    assert by_ref["1.3"][3].split("\n")[1] == "All CL receive copy of new offer. Phase 1."
    assert by_ref["2.1a"][8:10] == ["100", "10"]


def test_export_writes_current_rag_in_the_plans_own_words(db):
    plan = import_file(as_csv(table(row())), "p.csv", plan_name="P").plan
    plan.amber_label = "Yellow"
    plan.save()
    factories.PeriodFactory(plan=plan)
    services.rating_record(item=Action.objects.get(), rag="amber", user=None, commentary="late")
    rows = plan_rows(plan)
    assert rows[0][:8] == HEADER
    assert rows[1][0] == "What needs to improve? 1 Care leavers"
    assert rows[2][0] == "1.1" and rows[2][5] == "Yellow"


def test_the_accountability_cell_is_written_as_the_plan_wrote_it(db):
    plan = import_file(
        as_csv(table(row(owners="Service Director QA Head of Service ICB Chief Nurse"))),
        "p.csv",
        plan_name="P",
    ).plan
    assert plan_rows(plan)[2][6] == "Service Director QA Head of Service ICB Chief Nurse"


def test_owners_changed_in_the_app_are_joined_with_semicolons_in_the_order_given(db):
    plan = import_file(
        as_csv(table(row(owners="Service Director QA Head of Service"))),
        "p.csv",
        plan_name="P",
    ).plan
    action = Action.objects.get()
    action.owners.add(Owner.objects.create(post="ICB Chief Nurse"))
    assert plan_rows(plan)[2][6] == "Service Director QA; Head of Service; ICB Chief Nurse"
    # And the export imported back changes nothing.
    again = import_file(export_plan(plan, "csv"), "p.csv", plan_name=plan.slug)
    assert again.updated == {}


def test_optional_columns_appear_only_when_used(db):
    plan = import_file(as_csv(table(row())), "p.csv", plan_name="P").plan
    assert plan_rows(plan)[0] == [*HEADER, "Target", "Tolerance"]
    Action.objects.filter(plan=plan).update(lead="Ann Lee")
    assert plan_rows(plan)[0][-1] == "Lead"


def test_a_csv_cell_that_would_run_as_a_formula_is_marked_as_text(db):
    plan = import_file(as_csv(table(row(action="=HYPERLINK(1)"))), "p.csv", plan_name="P").plan
    text = export_plan(plan, "csv").decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


def test_an_xlsx_cell_is_always_text(db):
    plan = import_file(as_csv(table(row(action="=1+1"))), "p.csv", plan_name="P").plan
    sheet = load_workbook(io.BytesIO(export_plan(plan, "xlsx"))).active
    assert sheet["C3"].value == "=1+1"
    assert sheet["C3"].data_type == "s"


def test_the_export_takes_a_fixed_number_of_queries(db, django_assert_max_num_queries):
    small = import_file(as_csv(table(row())), "p.csv", plan_name="Small").plan
    rows = [row(ref=f"1.{n}", outcome="") for n in range(1, 40)]
    large = import_file(as_csv(table(*rows)), "p.csv", plan_name="Large").plan
    for plan in (small, large):
        with django_assert_max_num_queries(5):
            plan_rows(plan)


# --- The command -----------------------------------------------------------------------


def test_the_command_prints_csv_to_standard_output(db, capsys):
    import_file(as_csv(table(row())), "p.csv", plan_name="Care plan")
    call_command("export_plan", "--plan", "care-plan", "--format", "csv", "-o", "-")
    assert "1.1,PAs allocated,Allocate a PA" in capsys.readouterr().out


def test_the_command_finds_a_plan_by_its_exact_title_and_writes_a_file(db, tmp_path):
    import_file(as_csv(table(row())), "p.csv", plan_name="Care plan")
    path = tmp_path / "out.xlsx"
    call_command("export_plan", "--plan", "Care plan", "--format", "xlsx", "-o", str(path))
    assert load_workbook(path).active["A3"].value == "1.1"


def test_an_unknown_plan_is_an_error(db):
    with pytest.raises(CommandError, match="No plan"):
        call_command("export_plan", "--plan", "nope", "--format", "csv", "-o", "-")


# --- The download ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("csv", "text/csv; charset=utf-8"),
    ],
)
def test_the_plan_downloads_in_the_table_layout(client, board_member, fmt, content_type):
    plan = import_file(as_csv(table(row())), "p.csv", plan_name="Care plan").plan
    client.force_login(board_member)
    response = client.get(reverse("plans:plan_export", args=[plan.slug]), {"format": fmt})
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="care-plan-action-plan.{fmt}"'
    )
    if fmt == "csv":
        assert response.content == export_plan(plan, fmt)
    else:  # a workbook carries the time it was written: compare its cells
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
            [cell or None for cell in line] for line in plan_rows(plan)
        ]


def test_the_download_needs_a_role(client, db, plan):
    url = reverse("plans:plan_export", args=[plan.slug])
    assert client.get(url).status_code == 302
    client.force_login(factories.UserFactory(username="nobody"))
    assert client.get(url).status_code == 403


def test_an_unknown_format_is_not_found(client, board_member, plan):
    client.force_login(board_member)
    url = reverse("plans:plan_export", args=[plan.slug])
    assert client.get(url, {"format": "pdf"}).status_code == 404


def test_the_plan_page_has_an_export_button(client, board_member, plan, period):
    client.force_login(board_member)
    response = client.get(plan.get_absolute_url())
    assert reverse("plans:plan_export", args=[plan.slug]) + "?format=xlsx" in response.text
    assert "Export plan (XLSX)" in response.text

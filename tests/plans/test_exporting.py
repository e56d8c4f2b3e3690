"""Export writes the import layout, so export then import loses nothing."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from plans import services
from plans.exporting import export_plan
from plans.importing import import_file
from plans.models import Action, Plan
from tests.plans.test_importing import as_csv, row, table


def structure(plan: Plan) -> list[tuple]:
    out = []
    for action in plan.actions.order_by("recommendation__position", "position"):
        out.append(
            (
                action.recommendation.ref,
                action.recommendation.title,
                action.ref,
                action.outcome.text if action.outcome else "",
                action.text,
                action.timescale_text,
                action.due_date,
                tuple(sorted(o.post for o in action.owners.all())),
                tuple(
                    (m.text, m.timescale_text, m.target, m.tolerance) for m in action.measures.all()
                ),
            )
        )
    return out


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_gives_the_same_plan(db, fmt):
    rows = table(
        row(owners="Service Director QA Head of Service"),
        row(
            ref="1.1a",
            outcome="",
            action="",
            measure="Audit impact",
            timescale="June 24",
            owners="",
        ),
        ["", "", "", "Dip sample x 3. Target 100% - tolerance 10%", "Apr 25", "", "", ""],
        row(ref="1.2", outcome="Care leavers well prepared", timescale="Nov -Dec 24"),
    )
    original = import_file(as_csv(rows), "p.csv", plan_name="Original").plan
    data = export_plan(original, fmt)
    copy = import_file(data, f"export.{fmt}", plan_name="Copy").plan
    assert structure(copy) == structure(original)


def test_export_writes_current_rag_in_the_plans_own_words(db):
    plan = import_file(as_csv(table(row())), "p.csv", plan_name="P").plan
    plan.amber_label = "Yellow"
    plan.save()
    action = Action.objects.get()
    from tests import factories

    factories.PeriodFactory(plan=plan)
    services.rating_record(item=action, rag="amber", user=None, commentary="late")
    rows = list(csv.reader(io.StringIO(export_plan(plan, "csv").decode("utf-8-sig"))))
    assert rows[0][:8] == [
        "Ref",
        "Outcome",
        "Actions",
        "Outcome measure",
        "Timescale",
        "Action RAG",
        "Accountability",
        "Outcome Measure RAG",
    ]
    assert rows[1][0] == "What needs to improve? 1 Care leavers"
    assert rows[2][0] == "1.1" and rows[2][5] == "Yellow"


def test_the_command_prints_csv_to_standard_output(db, capsys):
    import_file(as_csv(table(row())), "p.csv", plan_name="Care plan")
    call_command("export_plan", "--plan", "care-plan", "--format", "csv", "-o", "-")
    assert "1.1,PAs allocated,Allocate a PA" in capsys.readouterr().out


def test_an_unknown_plan_is_an_error(db):
    with pytest.raises(CommandError, match="No plan"):
        call_command("export_plan", "--plan", "nope", "--format", "csv", "-o", "-")

"""Positions by period (plans.positions_table): the 2015 plan's 206 RAG cells go out and
come back in without change (issue 22).

The document (fixtures/ofsted-2015/action-plan-update-document.txt, a copy of
shared/seeds/ofsted-2015-action-plan-update.txt) is read here on its own terms, not with
the loader's data: each "OFSTED SAID WE MUST" starts the next recommendation, each
"Position as of 1st <month> <year>" a position, and each "Outcome Required", "Impact for
Children" and "Actions Completed" row has the RAG in its third cell.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.conf import settings
from django.core.management import call_command

from plans.io.importing import ImportFailed
from plans.models import EXAMPLE_DATA_NOTE, Plan, Rating
from plans.positions_table import export_positions_csv, import_positions, positions_rows

DOCUMENT = settings.BASE_DIR / "fixtures" / "ofsted-2015" / "action-plan-update-document.txt"
FACET_ROWS = {
    "Outcome Required": "Outcome required",
    "Impact for Children": "Impact for children",
    "Actions Completed": "Actions completed",
}
POSITION = re.compile(r"Position as of\s*1\s*(?:st)?\s+([A-Za-z]{3})[a-z]*\s+(\d{4})")


def untagged(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def document_cells() -> dict[tuple[str, str, tuple[str, int]], str]:
    """(recommendation, facet, (month, year)) -> the RAG cell as the document writes it."""
    cells = {}
    rec = 0
    when = None
    for line in DOCUMENT.read_text(encoding="utf-8").split("\n"):
        parts = line.split("\t")
        first = untagged(parts[0])
        if first.startswith("OFSTED SAID WE"):
            rec += 1
            when = None
        elif match := POSITION.search(first):
            when = (match[1].casefold(), int(match[2]))
        elif when and (label := first.rstrip(":")) in FACET_ROWS and len(parts) == 3:
            cells[str(rec), FACET_ROWS[label], when] = untagged(parts[2])
    return cells


def app_cells(plan: Plan) -> dict[tuple[str, str, tuple[str, int]], str]:
    rows = positions_rows(plan)
    periods = {p.label: p for p in plan.periods.all()}
    keys = [
        (f"{periods[label].end:%b}".casefold(), periods[label].end.year) for label in rows[0][2:]
    ]
    return {
        (row[0], row[1], key): cell
        for row in rows[1:]
        for key, cell in zip(keys, row[2:], strict=True)
    }


@pytest.fixture
def plan(db):
    call_command("load_examples", stdout=io.StringIO())
    return Plan.objects.get(slug="ofsted-2015")


def test_the_document_has_206_rag_cells():
    cells = document_cells()
    assert len(cells) == 206
    assert sorted({k[0] for k in cells}, key=int) == [str(n) for n in range(1, 20)]
    assert sorted(set(cells.values())) == ["", "Green", "Red", "Yellow"]


def test_the_layout_is_recommendation_facet_and_a_column_per_period(plan):
    rows = positions_rows(plan)
    assert rows[0] == [
        "Recommendation",
        "Facet",
        "As of 1 November 2015",
        "As of 1 March 2016",
        "As of 1 July 2016",
        "As of 1 November 2016",
    ]
    assert rows[1][:4] == ["1", "Outcome required", "Red", "Yellow"]
    assert len(rows) == 1 + 19 * 3


def test_all_206_rag_cells_of_the_2015_document_survive_a_round_trip(plan):
    document = document_cells()

    def compare():
        held = app_cells(plan)
        differences = [
            f"{key}: document {value!r}, app {held.get(key)!r}"
            for key, value in document.items()
            if held.get(key) != value
        ]
        # Every cell the document does not have (three positions it leaves out) is blank.
        extra = [
            f"{key}: {value!r}" for key, value in held.items() if key not in document and value
        ]
        assert not differences, "\n".join(differences)
        assert not extra, "\n".join(extra)

    compare()
    exported = export_positions_csv(plan)
    ratings = Rating.objects.filter(plan=plan).count()
    summary = import_positions(exported, "positions.csv", plan=plan)
    assert summary.recorded == []
    assert summary.unchanged == 19 * 3 * 4
    assert Rating.objects.filter(plan=plan).count() == ratings
    compare()
    assert export_positions_csv(plan) == exported


def edited(plan: Plan, ref: str, facet: str, column: int, value: str) -> bytes:
    rows = list(csv.reader(io.StringIO(export_positions_csv(plan).decode("utf-8-sig"))))
    for row in rows:
        if row[:2] == [ref, facet]:
            row[column] = value
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def test_a_changed_cell_in_the_open_period_is_recorded_there(plan):
    data = edited(plan, "3", "Impact for children", 5, "Green")
    summary = import_positions(data, "p.csv", plan=plan)
    assert summary.recorded == [("3", "Impact for children", "As of 1 November 2016", "Green")]
    rating = Rating.objects.filter(plan=plan, recommendation__ref="3", subject="impact").latest(
        "created", "pk"
    )
    assert (rating.rag, rating.period.label) == ("green", "As of 1 November 2016")
    again = import_positions(data, "p.csv", plan=plan)
    assert again.recorded == []


def test_a_changed_cell_in_a_closed_period_is_refused_and_nothing_written(plan):
    before = Rating.objects.count()
    data = edited(plan, "1", "Outcome required", 2, "Green")
    with pytest.raises(ImportFailed) as failure:
        import_positions(data, "p.csv", plan=plan)
    assert str(failure.value.errors[0]) == (
        "Row 2, column 'As of 1 November 2015': As of 1 November 2015 is closed: 1 outcome "
        "required stays Red as reported."
    )
    assert Rating.objects.count() == before


def test_an_unknown_period_or_rag_is_a_row_and_column_error(plan):
    data = edited(plan, "1", "Outcome required", 5, "Purple")
    with pytest.raises(ImportFailed) as failure:
        import_positions(data, "p.csv", plan=plan)
    assert "Unknown RAG" in str(failure.value.errors[0])
    text = export_positions_csv(plan).decode("utf-8-sig").replace("As of 1 July 2016", "July")
    with pytest.raises(ImportFailed) as failure:
        import_positions(text.encode(), "p.csv", plan=plan)
    assert "has no period 'July'" in str(failure.value.errors[0])


def test_the_commands_export_and_import_the_positions(plan, tmp_path):
    path = tmp_path / "positions.csv"
    call_command(
        "export_plan",
        "--plan",
        "ofsted-2015",
        "--layout",
        "positions",
        "-o",
        str(path),
        stderr=io.StringIO(),
    )
    out = io.StringIO()
    call_command("import_positions", str(path), "--plan", "ofsted-2015", stdout=out)
    assert "228 cells as the plan holds them (unchanged)" in out.getvalue()


def test_an_example_plans_positions_say_so_and_still_import_back(plan):
    example = Plan.objects.get(slug="ilacs-2024")
    rows = positions_rows(example)
    assert rows[0][-1] == "Example data"
    assert {row[-1] for row in rows[1:]} == {EXAMPLE_DATA_NOTE}
    summary = import_positions(export_positions_csv(example), "p.csv", plan=example)
    assert summary.recorded == []

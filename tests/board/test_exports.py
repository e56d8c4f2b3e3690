"""Every download of the dashboard, whole: each table's headings in their order and each
cell, on the small plan of test_dashboard.py as of Q3 2024/25 (figures worked out there),
so that a changed heading, a moved column or a changed cell fails here."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from plans import services
from plans.models import Action
from tests.board.test_dashboard import build_board_plan

EXPECTED = {
    "plans": """\
Plan,Period,Actions: Blue,Actions: Green,Actions: Amber,Actions: Red,Actions: Not rated,\
Actions: Total,Measures: Blue,Measures: Green,Measures: Amber,Measures: Red,\
Measures: Not rated,Measures: Total,Actions improved,Actions worsened,Overdue actions,\
Slipped actions,Measures below target,Items not updated,Audits overdue,\
Ratings awaiting confirmation
Children's services plan,Q3 2024/25,1,1,0,1,1,4,0,1,0,1,1,3,1,1,2,1,2,3,1,1
""",
    "recommendations": """\
Ref,Recommendation,Actions: Blue,Actions: Green,Actions: Amber,Actions: Red,\
Actions: Not rated,Actions: Total,Measures: Blue,Measures: Green,Measures: Amber,\
Measures: Red,Measures: Not rated,Measures: Total
1,Care leavers,0,1,0,1,0,2,0,1,0,1,0,2
2,Front door,1,0,0,0,1,2,0,0,0,0,1,1
""",
    "movement": """\
Ref,Recommendation,Improved,Worsened,Unchanged,New,Completed
1,Care leavers,2,1,1,0,0
2,Front door,0,0,3,0,0
""",
    "moved": """\
Kind,Ref,Item,Recommendation,Then,Now,Movement,Suggested RAG,Override reason
Action,1.1,'=Action 1.1,1,Amber,Red,Worsened,,
Action,1.2,Action 1.2,1,Amber,Green,Improved,Red,'=Signed off
Outcome measure,1.1,M1 dip sample,1,Amber,Green,Improved,,
""",
    "worsened": """\
Kind,Ref,Item,Recommendation,Then,Now,Movement,Suggested RAG,Override reason
Action,1.1,'=Action 1.1,1,Amber,Red,Worsened,,
""",
    "overdue": """\
Ref,Action,Recommendation,Accountable,Due,Days overdue as of 31 Dec 2024
2.2,Action 2.2,2,,2024-06-30,184
1.1,'=Action 1.1,1,Head of Service – Care Leavers,2024-11-30,31
""",
    "slipped": """\
Ref,Action,Recommendation,Accountable,Original due date,Revised due date,Days slipped,\
Revisions,Latest reason
1.2,Action 1.2,1,,2024-12-31,2025-03-31,90,1,Waiting for the new system
""",
    "below_target": """\
Action,Measure,Recommendation,Latest result,Result date,Target,Unit,Better when,RAG,\
Suggested RAG,Override reason
1.1,M2 dip sample,1,70.0,2024-11-20,90.0,%,Higher,Red,,
2.1,M3 figure,2,40.0,2024-12-01,50.0,%,Higher,Not rated,,
""",
    "not_updated": """\
Kind,Ref,Item,Recommendation,Position carried forward,Suggested RAG,Override reason
Action,2.1,Action 2.1,2,Blue,,
Outcome measure,1.1,M2 dip sample,1,Red,,
Outcome measure,2.1,M3 figure,2,Not rated,,
""",
    "audits_overdue": """\
Measure,Round,Due,Days overdue
M2 dip sample,2 of 3,2024-11-30,31
""",
    "awaiting": """\
Kind,Ref,Proposed RAG,Commentary,Proposed by,Proposed at
Action,2.2,Green,green in Q3 2024/25,Pat Admin,2024-12-02 10:00:00
""",
    "trend": """\
Period,Kind,Blue,Green,Amber,Red,Not rated,Total
Q1 2024/25,Actions,0,2,1,0,1,4
Q2 2024/25,Actions,1,0,2,0,1,4
Q3 2024/25,Actions,1,1,0,1,1,4
Q1 2024/25,Outcome measures,0,0,1,0,2,3
Q2 2024/25,Outcome measures,0,0,1,1,1,3
Q3 2024/25,Outcome measures,0,1,0,1,1,3
""",
    "actions": """\
Plan,Ref,Action,Recommendation,Outcome,Accountable,Original due date,Due date,RAG,\
Suggested RAG,Override reason,Commentary,Updated this period
Children's services plan,1.1,'=Action 1.1,1,,Head of Service – Care Leavers,2024-11-30,\
2024-11-30,Red,,,red in Q3 2024/25,Yes
Children's services plan,1.2,Action 1.2,1,,,2024-12-31,2025-03-31,Green,Red,'=Signed off,\
Green with sign-off,Yes
Children's services plan,2.1,Action 2.1,2,,Head of Service – Care Leavers,2025-01-31,\
2025-01-31,Blue,,,blue in Q2 2024/25,No
Children's services plan,2.2,Action 2.2,2,,,2024-06-30,2024-06-30,Not rated,,,,Yes
""",
    "measures": """\
Action,Measure,Recommendation,Target,Unit,Latest result,Result date,RAG,Suggested RAG,\
Override reason,Commentary,Updated this period
1.1,M1 dip sample,1,90.0,%,95.0,2024-11-10,Green,,,green in Q3 2024/25,Yes
1.1,M2 dip sample,1,90.0,%,70.0,2024-11-20,Red,,,red in Q2 2024/25,No
2.1,M3 figure,2,50.0,%,40.0,2024-12-01,Not rated,,,,No
""",
    "facets": """\
Facet,RAG,Commentary
Impact for children,Amber,
""",
}


@pytest.fixture
def built(plan_admin):
    plan_admin.first_name, plan_admin.last_name = "Pat", "Admin"
    plan_admin.save()
    built = build_board_plan(plan_admin)
    for action in built["actions"]:
        Action.objects.filter(pk=action.pk).update(text=f"Action {action.ref}")
    # A text a spreadsheet would run as a formula, and an override of what the dates gave.
    Action.objects.filter(pk=built["actions"][0].pk).update(text="=Action 1.1")
    services.rating_record(
        item=built["actions"][1],
        rag="green",
        user=plan_admin,
        commentary="Green with sign-off",
        period=built["periods"][2],
        suggested_rag="red",
        override_reason="=Signed off",
        created=timezone.make_aware(dt.datetime(2024, 12, 3, 10)),
    )
    services.rating_record(
        item=built["recs"][0],
        facet="impact",
        rag="amber",
        user=plan_admin,
        period=built["periods"][2],
    )
    return built


def _export(client, built, table: str, fmt: str):
    query = {"plan": built["plan"].slug, "period": built["periods"][2].pk}
    if table == "facets":
        query["recommendation"] = built["recs"][0].pk
    response = client.get(reverse("board:export"), query | {"table": table, "format": fmt})
    assert response.status_code == 200
    return response


def test_each_table_downloads_its_columns_in_order_with_each_cell(client, built, board_member):
    client.force_login(board_member)
    for table, expected in EXPECTED.items():
        content = _export(client, built, table, "csv").content
        assert content.startswith(b"\xef\xbb\xbf"), table  # a byte-order mark for Excel
        assert content[3:].decode() == expected.replace("\n", "\r\n"), table


def _text(cell) -> str:
    """A sheet's cell as the CSV spells it."""
    value = cell.value
    if isinstance(value, dt.datetime):
        assert cell.number_format == "d mmm yyyy"
        return value.date().isoformat() if value.time() == dt.time.min else str(value)
    if isinstance(value, str):
        assert cell.data_type == "s"  # never a formula
    return "" if value is None else str(value)


def _numbers(rows: list[list[str]]) -> list[list]:
    """Numbers as numbers: the sheet reads 90.0 back as 90."""

    def number(text: str):
        try:
            return float(text)
        except ValueError:
            return text

    return [[number(text) for text in row] for row in rows]


def test_the_xlsx_holds_the_same_cells_with_bold_headings(client, built, board_member):
    client.force_login(board_member)
    for table, expected in EXPECTED.items():
        sheet = load_workbook(io.BytesIO(_export(client, built, table, "xlsx").content)).active
        assert all(cell.font.b for cell in sheet[1]), table
        rows = [[_text(cell) for cell in row] for row in sheet.iter_rows()]
        assert _numbers(rows) == _numbers(list(csv.reader(io.StringIO(expected)))), table

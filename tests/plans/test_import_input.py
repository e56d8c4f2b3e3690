"""Importing files as spreadsheet programs write them, and files the import refuses: too
many rows, too large, too slow, or holding cells that cannot be stored. Each refusal
names the row and column (or the figure it is over), and nothing is written."""

import csv
import io
import re
import zipfile

import pytest

from plans.importing import ImportFailed, import_file
from plans.models import Action, Rating
from tests.plans.test_importing import counts, load, row, table

NOTHING = (0, 0, 0, 0, 0, 0, 0, 0, 0)


def excel_csv(rows, *, delimiter=",", encoding="utf-8-sig") -> bytes:
    """A CSV file as Excel saves one ("CSV UTF-8"): a byte-order mark, CRLF line ends, and
    a cell that holds the delimiter, a quote or a line break in quotes, each quote doubled."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, dialect="excel", delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def refused(data: bytes, name: str, **kwargs) -> list[str]:
    """The errors an import of the file gives; it must write nothing."""
    before = counts()
    with pytest.raises(ImportFailed) as failure:
        import_file(data, name, plan_name="Care plan", **kwargs)
    assert counts() == before
    return [str(error) for error in failure.value.errors]


def with_cached_results(workbook: bytes, results: dict[str, str]) -> bytes:
    """The workbook as Excel saves it: each formula cell named in `results` (by its
    reference, "F3") with the text result Excel computed stored beside its formula.
    openpyxl writes formulas with no result, as programs that generate workbooks do."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                for ref, value in results.items():
                    text, found = re.subn(
                        rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?',
                        rf'<c r="{ref}"\1 t="str"><f>\2</f><v>{value}</v>',
                        text,
                    )
                    assert found == 1, ref
                content = text.encode()
            target.writestr(info, content)
    return out.getvalue()


# --- Finding 8: files as councils' spreadsheet programs write them ----------------------

WORD_HTML = '<p class="MsoNormal">Allocate a PA, then <b>review</b> the plan</p>'


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_a_csv_saved_by_excel_with_quotes_in_cells_reads_each_cell_in_its_own_column(db, delimiter):
    rows = table(
        row(
            action=WORD_HTML,
            measure="Audit, monthly. Target 90%",
            action_rag="Green",
            owners="Head of Service",
            measure_rag="Red",
        )
    )
    data = excel_csv(rows, delimiter=delimiter)
    assert b'<p class=""MsoNormal"">' in data
    import_file(data, "plan.csv", plan_name="Care plan")
    action = Action.objects.get(ref="1.1")
    assert action.text == "Allocate a PA, then review the plan"
    assert action.timescale_text == "May 24"
    assert [o.post for o in action.owners.all()] == ["Head of Service"]
    assert action.measures.get().text == "Audit, monthly. Target 90%"
    assert Rating.objects.get(action=action).rag == "green"
    assert Rating.objects.get(measure__action=action).rag == "red"


def test_a_table_that_rates_actions_only_imports_with_its_one_rag_column(db):
    header = ["Ref", "Outcome", "Actions", "Outcome measure", "Timescale", "RAG", "Lead"]
    rows = table(
        ["1.1", "PAs allocated", "Allocate a PA", "Audit", "May 24", "Amber", "Jo Bloggs"],
        header=header,
    )
    load(rows, name="plan.xlsx")
    action = Action.objects.get(ref="1.1")
    assert Rating.objects.get().action == action
    assert Rating.objects.get().rag == "amber"
    assert action.lead == "Jo Bloggs"
    assert not action.owners.exists()


def test_only_the_columns_that_identify_and_describe_an_action_are_required(db):
    header = ["Ref", "Outcome", "Actions", "Timescale"]
    load(table(["1.1", "PAs allocated", "Allocate a PA", "May 24"], header=header))
    action = Action.objects.get(ref="1.1")
    assert action.due_date.isoformat() == "2024-05-31"
    assert not action.measures.exists()
    errors = refused(excel_csv([header[:3], ["What needs to improve? 1 A"]]), "p.csv")
    assert errors == ["Row 1, column 'Timescale': This required column is missing."]

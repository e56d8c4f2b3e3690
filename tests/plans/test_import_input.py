"""Importing files as spreadsheet programs write them, and files the import refuses: too
many rows, too large, too slow, or holding cells that cannot be stored. Each refusal
names the row and column (or the figure it is over), and nothing is written."""

import csv
import io
import re
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from plans.io import importing
from plans.io.importing import ImportFailed, import_file
from plans.models import Action, Plan, Rating
from tests.plans.test_importing import HEADER, _upload, as_xlsx, counts, load, more, row, table

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


# --- Finding 7: duplicate headers, mixed encodings, formulas without a result -----------


def test_two_columns_with_the_same_heading_are_an_error_naming_both(db):
    rows = table([*row(), "A second text"], header=[*HEADER, "Action"])
    errors = refused(as_xlsx(rows), "p.xlsx")
    assert errors == [
        'Row 1, column \'Actions\': Columns C ("Actions") and I ("Action") are both the '
        "Actions column: rename or remove one."
    ]


def test_a_csv_in_windows_1252_imports(db):
    rows = table(row(action="Review café provision – weekly"))
    text = excel_csv(rows, encoding="cp1252")
    import_file(text, "p.csv", plan_name="Care plan")
    assert Action.objects.get().text == "Review café provision – weekly"


def test_a_csv_starting_as_utf_8_and_going_on_in_windows_1252_names_the_row(db):
    head = excel_csv(table(row(action="Review the café")))
    tail = excel_csv([row(ref="1.2", action="Visit the café")], encoding="cp1252")
    errors = refused(head + tail, "p.csv")
    assert len(errors) == 1
    assert errors[0].startswith("Row 4: This row is not UTF-8 text like the rest of the file")
    assert "0xE9" in errors[0]
    assert "No header row" not in errors[0]


def test_a_csv_without_a_byte_order_mark_in_two_encodings_names_the_row(db):
    head = excel_csv(table(row(action="Review the café")), encoding="utf-8")
    tail = excel_csv([row(ref="1.2"), row(ref="1.3", action="Visit the café")], encoding="cp1252")
    errors = refused(head + tail, "p.csv")
    assert [e.split(":")[0] for e in errors] == ["Row 5"]


def test_a_formula_without_a_saved_result_is_reported_by_row_and_column(db):
    rows = table(row(action_rag='="Gr"&"een"'), row(ref="1.2"))
    errors = refused(as_xlsx(rows), "p.xlsx")
    assert errors == [
        'Row 3, column \'Action RAG\': This cell is a formula (="Gr"&"een") with no '
        "result saved in the file: open the file in Excel and save it, or paste the values "
        "instead of the formula."
    ]


def test_a_formula_whose_result_excel_saved_is_read_as_that_result(db):
    rows = table(row(action_rag='=IF(TRUE,"Green","Red")'), row(ref="1.2"))
    data = with_cached_results(as_xlsx(rows), {"F3": "Green"})
    import_file(data, "p.xlsx", plan_name="Care plan")
    assert Rating.objects.get(action__ref="1.1").rag == "green"


def test_a_formula_in_a_column_the_import_does_not_read_is_ignored(db):
    rows = table([*row(), "=1+1"], header=[*HEADER, "Notes"])
    load(rows, name="p.xlsx")
    assert Action.objects.get().text == "Allocate a PA"


# --- Finding 3: control characters ------------------------------------------------------


def test_a_cell_with_a_control_character_is_refused_naming_row_and_column(db):
    rows = table(row(action="Allocate\x07 a PA"), row(ref="1.2", outcome="Line\x0bbreak"))
    errors = refused(excel_csv(rows), "p.csv")
    assert errors == [
        "Row 3, column 'Actions': Contains a control character (U+0007), which cannot be "
        "stored: delete it (tabs and line breaks are fine).",
        "Row 4, column 'Outcome': Contains a control character (U+000B), which cannot be "
        "stored: delete it (tabs and line breaks are fine).",
    ]


def test_a_nul_in_a_cell_is_refused_naming_row_and_column_not_as_a_database_error(db):
    rows = [row(ref=f"1.{n}") for n in range(1, 61)]
    data = excel_csv(table(*rows, row(ref="1.61", owners="Head\x00 of Service")))
    assert data.index(b"\x00") > 4096
    errors = refused(data, "p.csv")
    assert errors == [
        "Row 63, column 'Accountability': Contains a control character (U+0000), which cannot "
        "be stored: delete it (tabs and line breaks are fine)."
    ]


def test_a_control_character_that_excel_escaped_in_a_workbook_is_refused(db):
    # Excel stores U+000B (Word's Shift+Enter, pasted) in a workbook as _x000B_.
    errors = refused(as_xlsx(table(row(action="Allocate_x000B_a PA"))), "p.xlsx")
    assert errors[0].startswith("Row 3, column 'Actions': Contains a control character (U+000B)")


def test_tabs_and_line_breaks_in_cells_are_imported(db):
    load(table(row(action="Allocate\ta PA\r\nthen review")))
    assert Action.objects.get().text == "Allocate a PA\nthen review"


def test_a_plan_name_with_a_control_character_is_refused(db):
    with pytest.raises(ImportFailed, match="control character"):
        import_file(excel_csv(table(row())), "p.csv", plan_name="Care\x07plan")
    assert not Plan.objects.exists()


# --- Text that would not fit its field ------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            table(row(owners="Head of " + "Service " * 30)),
            "Row 3, column 'Accountability': \"Head of Service Service Service Service",
        ),
        (
            [HEADER, ["What needs to improve? " + "1" * 21 + " Care leavers"], row()],
            "Row 2, column 'Area': The number of the area for improvement is longer than 20",
        ),
        (
            table(row(), more("A measure", "May 24 " * 50)),
            "Row 4, column 'Timescale': Longer than 300 characters",
        ),
        (
            table(row(timescale="by " + "May 24, " * 45)),
            "Row 3, column 'Timescale': Longer than 300 characters",
        ),
        (
            table(row(action="x" * 32_768)),
            "Row 3, column 'Actions': Longer than 32,767 characters",
        ),
    ],
)
def test_text_longer_than_its_field_names_row_column_and_limit(db, rows, message):
    errors = refused(excel_csv(rows), "p.csv")
    assert any(e.startswith(message) for e in errors), errors


def test_a_lead_continued_on_the_rows_below_is_checked_as_a_whole(db):
    header = [*HEADER, "Lead"]
    rows = table([*row(), "A" * 200], [*more(), "B" * 200], header=header)
    errors = refused(excel_csv(rows), "p.csv")
    assert errors == [
        "Row 4, column 'Lead': With the rows above for 1.1 this is longer than 300 characters "
        "(401): shorten it."
    ]


def test_a_plan_name_longer_than_a_title_holds_is_refused_not_cut_short(db):
    with pytest.raises(ImportFailed, match="longer than 300 characters"):
        import_file(excel_csv(table(row())), "p.csv", plan_name="P" * 301)
    assert not Plan.objects.exists()


# --- Finding 5: bounded work -----------------------------------------------------------


@pytest.mark.parametrize("name", ["p.csv", "p.xlsx"])
def test_a_table_over_the_row_limit_is_refused_before_the_rest_is_read(db, settings, name):
    settings.IMPORT_MAX_ROWS = 10
    rows = table(*[row(ref=f"1.{n}") for n in range(1, 21)])
    # A cell past the limit that would be an error if it were read.
    rows[15][2] = "=1+1" if name.endswith(".xlsx") else "Bell\x07"
    data = as_xlsx(rows) if name.endswith(".xlsx") else excel_csv(rows)
    assert refused(data, name) == [
        "The table has more than 10 rows: one import reads at most 10. Split it into "
        "smaller files and import each."
    ]


def test_the_command_refuses_a_workbook_over_the_row_limit_at_once(db, tmp_path):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for cells in table(*[row(ref=f"1.{n}", outcome="") for n in range(1, 5_100)]):
        sheet.append(cells)
    path = tmp_path / "big.xlsx"
    workbook.save(path)
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_plan", str(path), "--plan", "Big", "--dry-run", stderr=err)
    assert "The table has more than 5,000 rows: one import reads at most 5,000." in err.getvalue()


def test_a_file_over_the_size_limit_is_refused_with_the_figure(db, settings, tmp_path):
    settings.IMPORT_MAX_BYTES = 2048
    data = excel_csv(table(*[row(ref=f"1.{n}") for n in range(1, 40)]))
    assert len(data) > 2048
    assert refused(data, "p.csv") == ["The file is larger than 2 KB, the most one import reads."]
    path = tmp_path / "p.csv"
    path.write_bytes(data)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_plan", str(path), "--plan", "P", stderr=err)
    assert "larger than 2 KB" in err.getvalue()


def test_a_workbook_that_unpacks_to_more_than_the_size_limit_is_refused_at_once(db, settings):
    settings.IMPORT_MAX_BYTES = 60 * 1024
    data = as_xlsx(table(*[row(ref=f"1.{n}", outcome="") for n in range(1, 400)]))
    assert len(data) < 60 * 1024
    assert refused(data, "p.xlsx") == [
        "The workbook is larger than 60 KB once unpacked (an .xlsx file is compressed), "
        "the most one import reads."
    ]


def test_the_admin_refuses_a_file_over_the_size_limit_before_storing_it(
    client, plan_admin, settings, tmp_path
):
    settings.IMPORT_MAX_BYTES = 2048
    settings.MEDIA_ROOT = tmp_path
    client.force_login(plan_admin)
    data = excel_csv(table(*[row(ref=f"1.{n}") for n in range(1, 40)]))
    response = _upload(client, data, new_plan_title="P")
    assert "The file is larger than 2 KB, the most one import reads." in response.text
    assert "Confirm import" not in response.text
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]
    assert not Plan.objects.exists()


def test_the_admin_import_page_states_the_limits(client, plan_admin, settings):
    settings.IMPORT_MAX_ROWS = 1200
    client.force_login(plan_admin)
    response = client.get(reverse("admin:plans_plan_import"))
    assert (
        "One import reads at most 1,200 rows and 20 MB, and stops after 40 seconds: split a "
        "larger table into several files."
    ) in response.text
    assert "<code>Ref, Outcome, Actions, Timescale</code>" in response.text


class Clock:
    """A clock that moves one second each time the import looks at it."""

    def __init__(self) -> None:
        self.looks = 0

    def __call__(self) -> float:
        self.looks += 1
        return float(self.looks)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    ticking = Clock()
    monkeypatch.setattr(importing, "monotonic", ticking)
    return ticking


TIMED = excel_csv(table(row(action_rag="Green"), row(ref="1.2"), more("A measure", "June 24")))


def test_an_import_out_of_time_stops_wherever_it_is_and_writes_nothing(db, clock, settings):
    """With a budget of n seconds the import runs out of time at its n-th look, whether
    reading, parsing or writing (its last look is in the writer)."""
    settings.IMPORT_TIME_LIMIT_SECONDS = 10_000
    import_file(TIMED, "p.csv", plan_name="Timing")
    total = clock.looks
    assert total > 10
    for budget in sorted({1, total // 3, total // 2, total - 2}):
        clock.looks = 0
        settings.IMPORT_TIME_LIMIT_SECONDS = budget
        errors = refused(TIMED, "p.csv")
        assert len(errors) == 1
        assert f"took longer than {budget} seconds" in errors[0]
        assert "Nothing was imported" in errors[0]


def test_the_admins_reading_and_importing_steps_share_one_time_budget(
    client, plan_admin, clock, settings
):
    client.force_login(plan_admin)
    settings.IMPORT_TIME_LIMIT_SECONDS = 10_000
    assert "Confirm import" in _upload(client, TIMED, new_plan_title="P").text
    # Three seconds short of the whole: the file is read (six looks), and time runs out
    # in the library's next step, which parses and writes, only if that step goes on
    # with the budget the reading started.
    settings.IMPORT_TIME_LIMIT_SECONDS = clock.looks - 3
    clock.looks = 0
    response = _upload(client, TIMED, new_plan_title="P")
    limit = settings.IMPORT_TIME_LIMIT_SECONDS
    assert f"The import took longer than {limit} seconds" in response.text
    assert "Confirm import" not in response.text
    assert not Plan.objects.exists()

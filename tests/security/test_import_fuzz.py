"""Property-based tests: whatever a workbook holds, the importer either imports it or
reports row errors; it never raises anything else and never leaves a partial plan."""

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from plans.io.importing import ImportFailed, import_file
from plans.io.parsing import ParseError, parse_rag, parse_timescale
from plans.models import Action, Measure, Owner, Plan, Rating, Recommendation
from tests.plans.test_importing import HEADER, as_xlsx

RAG_WORDS = ["Red", "Amber", "Green", "Blue", "Yellow", "R", "A", "G", "B", "Y", ""]
# Control characters cannot be stored in an .xlsx file at all, so they are not generated.
cell_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
cells = st.one_of(
    cell_text,
    st.sampled_from(RAG_WORDS + ["Purple", "<p>x</p>", "May 24", "Sep 24 - 25", "1.1", "1.1"]),
)
rows = st.lists(st.lists(cells, min_size=0, max_size=10), min_size=0, max_size=12)
ref_rows = st.lists(
    st.tuples(
        st.sampled_from(["1.1", "1.2", "1.2a", "", "2.1"]),
        cell_text,
        st.sampled_from(RAG_WORDS + ["Purple", "bad"]),
        st.one_of(cell_text, st.sampled_from(["May 24", "31.02.12", "Nov -Dec 24", "Oct24"])),
    ),
    max_size=10,
)


def _state() -> tuple:
    return tuple(
        model.objects.count() for model in (Plan, Recommendation, Action, Measure, Owner, Rating)
    )


class ImporterFuzzTest(TestCase):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rows)
    def test_random_tables_import_or_report_errors_and_never_half_write(self, table):
        buffer = io.StringIO()
        csv.writer(buffer).writerows(table)
        before = _state()
        try:
            import_file(buffer.getvalue().encode(), "fuzz.csv", plan_name="Fuzz plan")
        except ImportFailed as failure:
            assert failure.errors
            assert _state() == before

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(ref_rows)
    def test_plausible_workbooks_with_bad_cells_never_leave_a_partial_plan(self, data):
        table = [HEADER, ["What needs to improve? 1 Fuzzed area"] + [""] * 7]
        for ref, text, rag, timescale in data:
            table.append([ref, text, text, text, timescale, rag, "Service Director", ""])
        before = _state()
        try:
            summary = import_file(as_xlsx(table), "fuzz.xlsx", plan_name="Fuzz plan")
        except ImportFailed as failure:
            assert failure.errors
            assert all(error.row is None or error.row >= 1 for error in failure.errors)
            assert _state() == before
        else:
            assert summary.plan.pk is not None

    @settings(max_examples=40, deadline=None)
    @given(st.binary(max_size=400))
    def test_random_bytes_named_as_a_workbook_are_refused_cleanly(self, data):
        for name in ("x.xlsx", "x.csv"):
            before = _state()
            try:
                import_file(data, name, plan_name="Bytes")
            except ImportFailed as failure:
                assert failure.errors
                assert _state() == before


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_timescale_text_parses_without_raising(text):
    parsed = parse_timescale(text)
    if parsed.start and parsed.due:
        assert parsed.start <= parsed.due


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_any_rag_word_is_understood_or_refused_with_parse_error(text):
    try:
        assert parse_rag(text) in {"", "blue", "green", "amber", "red"}
    except ParseError as error:
        assert "Unknown RAG" in str(error)

"""The committee report set up for the 2024 example plan (slug ilacs-2024), for the Q2
2024/25 position.

Its cover and every section of the council's template are the November 2024 scrutiny
report's (shared/seeds/scrutiny-report-nov-2024.txt), word for word, from
fixtures/ilacs-2024/committee-report-2024-11.txt; the progress, exceptions and measures
under section 4 come from the example plan's data as usual. `load_examples` sets it up,
and the benchmark, the tests and the screenshots in docs/ use it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from django.conf import settings

from plans.models import Plan
from reporting import services
from reporting.models import CommitteeReport, ReportAppendix
from reporting.template import NARRATIVE_FIELDS

SECTIONS_FILE = Path(settings.BASE_DIR) / "fixtures" / "ilacs-2024" / "committee-report-2024-11.txt"


def read_sections(path: Path) -> dict[str, str]:
    """The `## field` blocks of a sections file, by field name. A name not in the
    template is an error naming it, not a section silently dropped."""
    sections: dict[str, str] = {}
    for chunk in re.split(r"^## ", path.read_text(encoding="utf-8"), flags=re.M)[1:]:
        name, _, text = chunk.partition("\n")
        name = name.strip()
        if name not in NARRATIVE_FIELDS:
            raise ValueError(f"{path.name}: '{name}' is not a section of the report template")
        sections[name] = text.strip()
    return sections


EXAMPLE_REPORT = {
    "committee": "Children and Education Scrutiny Committee",
    "meeting_date": dt.date(2024, 11, 11),
    "agenda_item": "6",
    "access": CommitteeReport.Access.PUBLIC,
    "title": "Children's Services Improvement: Action Plan & Progress Monitoring",
    "report_of": "John Gregg, Executive Director for Children and Young People",
    "cabinet_member": "Councillor Katy Cole, Cabinet Member for Children's Services",
    "contact_officers": (
        "Sara Graves, Service Director, Targeted Support & Safeguarding. Tel. 07483 351428"
    ),
    "recommendations": (
        "It is recommended that the Children and Education Scrutiny Committee reviews the "
        "content of the report and agrees to continue to support officers in delivering "
        "continuing improvement."
    ),
    "deadline_date": None,
    "major_policy_item": False,
    "cabinet_date": None,
    **read_sections(SECTIONS_FILE),
    # The seed prints "11.1 N/A": the clerk's "not applicable".
    "not_applicable": ["background_documents"],
}


# Section 12 of the November 2024 report. The letter and the programme overview are
# the council's documents, not in this repository: listed, not attached.
EXAMPLE_APPENDICES = [
    (
        "1",
        "Ofsted letter – Monitoring Visit to Peterborough Children's Services July 24.",
        ReportAppendix.Kind.UPLOAD,
    ),
    (
        "2a",
        "Peterborough City Council Children's Services Inspection Action Plan (submitted "
        "to Ofsted April 2024), with the position of each action and measure.",
        ReportAppendix.Kind.PLAN,
    ),
    ("2b", "Ofsted Programme Overview", ReportAppendix.Kind.UPLOAD),
    ("2c", "RAG criteria of the action plan", ReportAppendix.Kind.CRITERIA),
]


def example_report_create(*, plan: Plan | None = None, user=None) -> CommitteeReport:
    """Set up the example report for the ilacs-2024 plan's Q2 2024/25 position."""
    plan = plan or Plan.objects.get(slug="ilacs-2024")
    period = plan.periods.get(label="Q2 2024/25")
    return services.report_create(
        plan=plan,
        period=period,
        user=user,
        reason="example report",
        appendix_entries=EXAMPLE_APPENDICES,
        **EXAMPLE_REPORT,
    )


def example_report_ensure() -> str:
    """Set up the example report unless the plan's Q2 2024/25 already has one; returns
    a line saying which."""
    plan = Plan.objects.get(slug="ilacs-2024")
    existing = plan.committee_reports.filter(period__label="Q2 2024/25").first()
    if existing is not None:
        return f"{plan.slug}: committee report for Q2 2024/25 already set up"
    report = example_report_create(plan=plan)
    return f"{plan.slug}: committee report set up for {report}"

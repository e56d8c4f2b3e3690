"""The committee report set up for the 2024 example plan (slug ilacs-2024), for the Q2
2024/25 position.

Its cover and narrative are taken from the November 2024 scrutiny report
(shared/seeds/scrutiny-report-nov-2024.txt), shortened; the progress, exceptions and
measures sections come from the example plan's data as usual. The benchmark, the tests
and the screenshots in docs/ use it.
"""

from __future__ import annotations

import datetime as dt

from plans.models import Plan
from reporting import services
from reporting.models import CommitteeReport

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
    "origin": (
        "This report is submitted to Scrutiny Committee following their Group "
        "Representatives meeting."
    ),
    "purpose": (
        "The purpose of this report is to provide Scrutiny Committee with a summary and "
        "overview of monitoring and progress in respect of Children's Services Ofsted "
        "Inspection Action Plan, implemented following the ILACS inspection which took "
        "place from 27th November to 8th December 2023. Peterborough Children's Services "
        "was graded Inadequate for 'Overall Effectiveness', and eight key improvement "
        "recommendations were identified.\n\n"
        "This report is for the Children and Education Scrutiny Committee to consider "
        "under its Terms of Reference Part 3, Section 4 - Overview and Scrutiny Functions, "
        "paragraph No. 2.1 Functions determined by Council: Children's Services including "
        "social care of children; safeguarding; children's health; and targeted youth "
        "support (including youth offending)."
    ),
    "background": (
        "In November 2023, Ofsted notified Peterborough City Council of a standard ILACS "
        "inspection. Following a week of offsite evidence gathering to inform key lines of "
        "enquiry, the Inspectorate were on site at Sand Martin House from 27th November to "
        "8th December 2023.\n\n"
        "The inspection report was published on Monday 29th January; Peterborough received "
        "an Inadequate outcome overall for the effectiveness of Children's Services and "
        "subsequently are subject to monitoring visits every six months. The first "
        "monitoring visit took place on the 30th & 31st July 2024.\n\n"
        "There are eight key improvement recommendations arising from the ILACS "
        "inspection, which have been incorporated into the Local Authority's Ofsted "
        "improvement plan and is overseen by Children's Services Improvement Board. The "
        "sections below summarise the position of every action and outcome measure in the "
        "plan at the end of Q2 2024/25; the full plan is at Appendix A."
    ),
    "key_issues": (
        "Phase 2 of the Local Offer scoping and implementation along with close management "
        "of larger projects, need to be closely overseen to prevent slippage.\n\n"
        "Service capacity is impacting the overall pace of change and budgetary pressures "
        "are exacerbating this. Progress in respect of Care Leaver Support is susceptible "
        "in this context."
    ),
    "implications": (
        "Financial: there has been significant Corporate financial investment into "
        "Children's Services to support the improvement activities referenced in this "
        "report.\n\n"
        "Legal: there are no specific legal implications arising from the contents of this "
        "report, as the report is for information and updating the committee.\n\n"
        "Equalities: an Equalities Impact Assessment is not needed because the issues "
        "covered are for information purposes only."
    ),
    "appendices": (
        "Appendix A - Children's Services Inspection Action Plan, position as of the end "
        "of Q2 2024/25.\n\n"
        "Appendix B - RAG criteria of the action plan."
    ),
}


def example_report_create(*, plan: Plan | None = None, user=None) -> CommitteeReport:
    """Set up the example report for the ilacs-2024 plan's Q2 2024/25 position."""
    plan = plan or Plan.objects.get(slug="ilacs-2024")
    period = plan.periods.get(label="Q2 2024/25")
    return services.report_create(
        plan=plan, period=period, user=user, reason="example report", **EXAMPLE_REPORT
    )

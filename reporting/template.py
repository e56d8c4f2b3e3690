"""The council's committee-report template: its twelve numbered sections, in order.

One definition serves the model's fields, the clerk's form (grouped as the report is),
the PDF and the Word version, so the three cannot number a section differently. The
numbering and headings follow the council's report (the November 2024 scrutiny report
in shared/seeds/): Deadline date beside the recommendations, then 1 Origin of report to
12 Appendices.
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_APPLICABLE = "N/A"


@dataclass(frozen=True)
class Part:
    """One text field of a section. A part with a heading prints it as a sub-heading
    (10's "Financial Implications"); an optional part is left out when blank."""

    field: str
    label: str
    heading: str = ""
    optional: bool = False


@dataclass(frozen=True)
class TemplateSection:
    number: int
    key: str
    heading: str
    parts: tuple[Part, ...] = ()
    lead: str = ""  # fixed words printed under the heading, as the council prints them


BACKGROUND_DOCUMENTS_LEAD = (
    "Used to prepare this report, in accordance with the Local Government (Access to "
    "Information) Act 1985"
)

COUNCIL_TEMPLATE: tuple[TemplateSection, ...] = (
    TemplateSection(1, "origin", "Origin of report", (Part("origin", "Origin of report"),)),
    TemplateSection(
        2,
        "purpose",
        "Purpose and reason for report",
        (
            Part("purpose", "Purpose and reason for report"),
            Part(
                "care_promise",
                "Link to the Children in Care Promise",
                heading="How does this report link to the Children in Care Promise?",
                optional=True,
            ),
        ),
    ),
    # Section 3 is the council's two-question table, from its own two fields.
    TemplateSection(3, "timescales", "Timescales"),
    TemplateSection(
        4,
        "background",
        "Background and key issues",
        (Part("background", "Background and key issues"),),
    ),
    TemplateSection(
        5,
        "corporate_priorities",
        "Corporate priorities",
        (
            Part("corporate_priorities", "Corporate priorities"),
            Part(
                "climate_change",
                "Environment and climate change",
                heading="Environment & Climate Change",
            ),
        ),
    ),
    TemplateSection(6, "consultation", "Consultation", (Part("consultation", "Consultation"),)),
    TemplateSection(
        7,
        "outcomes",
        "Anticipated outcomes or impact",
        (Part("outcomes", "Anticipated outcomes or impact"),),
    ),
    TemplateSection(
        8,
        "reason",
        "Reason for the recommendation",
        (Part("recommendation_reason", "Reason for the recommendation"),),
    ),
    TemplateSection(
        9,
        "alternatives",
        "Alternative options considered",
        (Part("alternatives", "Alternative options considered"),),
    ),
    TemplateSection(
        10,
        "implications",
        "Implications",
        (
            Part("financial_implications", "Financial implications", "Financial Implications"),
            Part("legal_implications", "Legal implications", "Legal Implications"),
            Part("equalities_implications", "Equalities implications", "Equalities Implications"),
            Part("implications", "Other implications", "Other Implications", optional=True),
        ),
    ),
    TemplateSection(
        11,
        "background_documents",
        "Background documents",
        (Part("background_documents", "Background documents"),),
        lead=BACKGROUND_DOCUMENTS_LEAD,
    ),
    TemplateSection(12, "appendices", "Appendices", (Part("appendices", "Appendices"),)),
)

# The narrative fields in template order, and those a clerk may mark "not applicable".
NARRATIVE_FIELDS: tuple[str, ...] = tuple(
    part.field for section in COUNCIL_TEMPLATE for part in section.parts
)
PARTS_BY_FIELD: dict[str, Part] = {
    part.field: part for section in COUNCIL_TEMPLATE for part in section.parts
}
# The sections the plan's data fills go under section 4, after the clerk's paragraphs.
GENERATED_UNDER = "background"

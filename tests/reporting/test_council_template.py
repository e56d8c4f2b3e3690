"""The council's committee-report template: every section, the clerk's form, the
example report and the README's render_report command after load_examples."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from demo.example_report import EXAMPLE_REPORT, SECTIONS_FILE, read_sections
from reporting.content import report_sections
from reporting.models import CommitteeReport
from reporting.pdf import pdf_text
from reporting.template import COUNCIL_TEMPLATE, NARRATIVE_FIELDS, PARTS_BY_FIELD
from tests.reporting.builders import build_reported_plan

pytestmark = pytest.mark.django_db

HEADINGS = [f"{s.number}. {s.heading}".upper() for s in COUNCIL_TEMPLATE]


def _edit(client, clerk, changes: dict):
    """A reported plan, and the response to posting its report's edit form with
    `changes` over what the form shows."""
    built = build_reported_plan(areas=1, actions_per_area=1)
    client.force_login(clerk)
    url = reverse("reporting:report_edit", args=[built.report.pk])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "not_applicable"}
    data["period"] = getattr(form.initial["period"], "pk", form.initial["period"])
    return built, client.post(url, {**data, "version": built.report.version, **changes})


def test_the_readme_render_report_command_works_right_after_load_examples(tmp_path):
    out = tmp_path / "report.pdf"

    call_command("load_examples", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("render_report", "--plan", "ilacs-2024", "-o", str(out))

    text = " ".join(pdf_text(out.read_bytes()).split())
    positions = [text.find(heading) for heading in HEADINGS]
    assert -1 not in positions, [h for h, at in zip(HEADINGS, positions, strict=True) if at < 0]
    assert positions == sorted(positions)  # the council's order
    assert "Deadline date: N/A" in text
    section_11 = text[text.find(HEADINGS[10]) : text.find(HEADINGS[11])]
    assert "N/A" in section_11
    timescales = text[text.find(HEADINGS[2]) : text.find(HEADINGS[3])]
    assert "Is this a Major Policy Item/ Statutory Plan?" in timescales  # wrapped at the /
    assert "NO" in timescales.split("?")[1]
    assert "Environment & Climate Change" in text
    section_12 = text[text.find(HEADINGS[11]) :]
    for label in ("1", "2a", "2b", "2c"):
        assert f"Appendix {label} – " in section_12
    assert "APPENDIX 2A: THE ACTION PLAN" in text and "APPENDIX 2C: RAG CRITERIA" in text
    assert (
        "Equalities Impact Assessment is not needed because the issues covered are for "
        "information purposes only, therefore the Council's full EIA process" in text
    )


def test_load_examples_sets_the_example_report_up_once():
    call_command("load_examples", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("load_examples", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert CommitteeReport.objects.filter(plan__slug="ilacs-2024").count() == 1


def test_the_example_report_fills_every_section_of_the_template():
    sections = read_sections(SECTIONS_FILE)
    report = CommitteeReport(**EXAMPLE_REPORT)

    for name in NARRATIVE_FIELDS:
        if PARTS_BY_FIELD[name].optional or name == "appendices":  # listed: EXAMPLE_APPENDICES
            continue
        assert sections.get(name) or name in EXAMPLE_REPORT["not_applicable"], name
    printed = report_sections(report)
    assert not [p for s in printed for p in s.paragraphs if p.missing]
    background = next(s for s in printed if s.key == "background")
    numbers = [p.number for p in background.paragraphs if p.number]
    assert numbers[:6] == ["4.1", "4.2", "4.3", "4.4", "4.5", "4.5.1"]
    assert numbers[-1] == "4.19"
    appendices = next(s for s in printed if s.key == "appendices")
    # An unsaved report lists the generated appendices; the saved example its own four.
    assert appendices.paragraphs[0].text.startswith("Appendix A – ")


def test_a_sections_file_naming_an_unknown_section_is_refused(tmp_path):
    path = tmp_path / "sections.txt"
    path.write_text("## origin\nText.\n\n## key_issues\nMore.\n", encoding="utf-8")

    with pytest.raises(ValueError, match="'key_issues' is not a section"):
        read_sections(path)


def test_the_form_groups_fields_as_the_report_numbers_them(client, clerk):
    built = build_reported_plan(areas=1, actions_per_area=1)
    client.force_login(clerk)

    response = client.get(reverse("reporting:report_new", args=[built.plan.slug]))

    html = response.content.decode()
    legends = re.findall(r"<legend><h2>(.*?)</h2></legend>", html)
    assert legends == ["Cover", "Recommendations"] + [
        f"{s.number}. {s.heading}" for s in COUNCIL_TEMPLATE
    ]
    assert 'name="na_consultation"' in html


def test_marking_a_section_not_applicable_is_saved_and_carried_to_the_next_report(client, clerk):
    built, response = _edit(
        client,
        clerk,
        {
            "consultation": "",
            "na_consultation": "on",
            "corporate_priorities": "Children.",
            "deadline_date": "2024-12-01",
        },
    )

    assert response.status_code == 302
    built.report.refresh_from_db()
    assert built.report.not_applicable == ["consultation"]
    new = client.get(reverse("reporting:report_new", args=[built.plan.slug])).context["form"]
    assert new["na_consultation"].initial is True
    assert new.initial["corporate_priorities"] == "Children."
    assert "deadline_date" not in new.initial  # the previous meeting's deadline


def test_a_section_both_written_and_marked_not_applicable_is_refused(client, clerk):
    _, response = _edit(
        client,
        clerk,
        {
            "consultation": "Staff were consulted.",
            "na_consultation": "on",
            "cabinet_date": "2025-01-13",
        },
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["consultation"] == [
        "Either write this section or mark it not applicable, not both."
    ]
    assert "major policy item" in errors["cabinet_date"][0]

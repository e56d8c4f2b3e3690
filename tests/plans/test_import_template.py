"""The import template a plan administrator downloads: the importer's columns, a sheet
saying what goes in each, and examples that import as the sheet says."""

import datetime as dt
import io

from django.urls import reverse
from openpyxl import load_workbook

from plans.io.exporting import TEMPLATE_GUIDE, import_template_xlsx
from plans.io.importing import import_file
from plans.models import Action
from tests import factories


def test_the_template_has_the_columns_and_a_guide_to_each():
    workbook = load_workbook(io.BytesIO(import_template_xlsx()))
    table, guide = workbook["Action plan"], workbook["How to fill it in"]
    assert [cell.value for cell in table[1]] == [column for column, *_ in TEMPLATE_GUIDE]
    described = {row[0].value: row[1].value for row in guide.iter_rows(min_row=2) if row[1].value}
    assert {name for name, required in described.items() if required == "Required"} == {
        "Ref",
        "Outcome",
        "Actions",
        "Timescale",
    }


def test_the_examples_import_as_the_guide_says(db):
    workbook = load_workbook(io.BytesIO(import_template_xlsx()))
    sheet = workbook["Action plan"]
    sheet["A2"] = "What needs to improve? 1 Care leavers"
    sheet.append([example for *_, example in TEMPLATE_GUIDE])
    buffer = io.BytesIO()
    workbook.save(buffer)

    import_file(buffer.getvalue(), "plan.xlsx", plan_name="Template plan")

    action = Action.objects.get(ref="1.1")
    measure = action.measures.get()
    assert (action.start_date, action.due_date) == (dt.date(2024, 6, 1), dt.date(2024, 12, 31))
    assert sorted(action.owners.values_list("post", flat=True)) == [
        "Head of Service",
        "Service Director - Practice",
    ]
    assert action.ratings.get().rag == "amber"
    assert measure.ratings.get().rag == "green"
    assert (measure.target, measure.tolerance) == (90, 5)


def test_only_plan_administrators_download_it(client, plan_admin):
    url = reverse("admin:plans_plan_import_template")
    assert client.get(url).status_code == 302  # to the admin's sign-in
    staff = factories.UserFactory(username="staff-director", role="Service director")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.get(url).status_code == 403
    client.force_login(plan_admin)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="action-plan-template.xlsx"'
    page = client.get(reverse("admin:plans_plan_import")).content.decode()
    assert f'href="{url}"' in page
    assert "This importer will import the following fields" not in page
    assert 'value="Upload and preview"' in page

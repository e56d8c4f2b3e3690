"""The admin's plan import: django-import-export's upload, preview and confirm steps, with
our one import service (`plans.io.importing`) doing the reading and the writing.

django-import-export's own row model is one row, one record, with columns as fields. The
councils' tables do not fit it: an area heading row starts a recommendation, a row with
no Ref adds a measure to the action above, an empty Outcome continues the one above. So
the library keeps what it is good at (the upload form, the temporary file between the
preview and the confirm step, the preview table, permissions and the admin log), and:

- `PlanTableCSV` and `PlanTableXLSX` hand the library every row of the file, numbered as
  the spreadsheet numbers them, ragged or not, read by `plans.io.importing.read_rows`;
- `PlanTableResource.import_data` parses and applies them with `plans.io.importing`
  (a dry run for the preview, for real on confirm) and reports the result in the
  library's terms: one preview line per action (new, update or skipped), and every
  problem with its row number and column, nothing written.
"""

from __future__ import annotations

import tablib
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from import_export.admin import ImportMixin
from import_export.fields import Field
from import_export.formats import base_formats
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.resources import Resource
from import_export.results import Error, Result, RowResult

from plans import access, roles
from plans.io.exporting import FORMATS, import_template_xlsx
from plans.io.importing import (
    COLUMNS,
    REQUIRED,
    ImportBudget,
    ImportFailed,
    apply_import,
    check_file_size,
    describe_limits,
    parse_table,
    read_rows,
)
from plans.models import Action, Plan


class _PlanTableFormat:
    """Every row of the file, as (row number, cells), for `PlanTableResource`. Read as
    bytes by our own reader, which knows CSV encodings and tells a table from a file
    that is not one."""

    extension = ""

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"

    def create_dataset(self, in_stream) -> tablib.Dataset:
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        dataset = tablib.Dataset(headers=["row", "cells"])
        # The import's time runs from here: the next step parses and writes the rows.
        dataset.budget = ImportBudget()
        for number, cells in read_rows(
            in_stream, f"upload.{self.extension}", budget=dataset.budget
        ):
            dataset.append((number, cells))
        return dataset


class PlanTableCSV(_PlanTableFormat, base_formats.CSV):
    extension = "csv"


class PlanTableXLSX(_PlanTableFormat, base_formats.XLSX):
    extension = "xlsx"


class PlanTableResource(Resource):
    """A whole plan table in the councils' layout, imported by `plans.io.importing`."""

    ref = Field(column_name=COLUMNS["ref"])
    outcome = Field(column_name=COLUMNS["outcome"])
    actions = Field(column_name=COLUMNS["actions"])
    timescale = Field(column_name=COLUMNS["timescale"])
    optional = Field(
        column_name="(optional) "
        + ", ".join(header for key, header in COLUMNS.items() if key not in REQUIRED)
    )

    @classmethod
    def get_display_name(cls) -> str:
        return "Plan table in the councils' layout"

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ) -> Result:
        result = Result()
        result.diff_headers = ["Row", "Ref", "Action"]
        rows = [(row[0], row[1]) for row in dataset]
        budget = getattr(dataset, "budget", None) or ImportBudget()
        try:
            parsed = parse_table(rows, budget=budget)
            summary = apply_import(
                parsed,
                plan=kwargs.get("plan"),
                title=kwargs.get("new_plan_title") or "",
                user=kwargs.get("user"),
                dry_run=dry_run,
                budget=budget,
            )
        except ImportFailed as failure:
            _report_errors(result, failure)
            if raise_errors:
                raise
            return result
        result.plan_summary = summary
        instances = {}
        if not dry_run:
            refs = [ref for _row, _kind, ref, _what in summary.actions]
            instances = {a.ref: a for a in Action.objects.filter(plan=summary.plan, ref__in=refs)}
        for number, kind, ref, what in summary.actions:
            row = RowResult()
            row.import_type = kind
            row.diff = [number, ref, what]
            row.add_instance_info(instances.get(ref))
            row.instance = instances.get(ref)
            result.append_row_result(row)
            result.increment_row_result_total(row)
        result.total_rows = len(summary.actions)
        return result


class ImportProblem(Exception):
    """A problem with no row to point at (the file as a whole)."""


def _report_errors(result: Result, failure: ImportFailed) -> None:
    """Row problems as the library's invalid rows (row number, column, message); problems
    of the whole file as its base errors."""
    if any(error.row is None for error in failure.errors):
        for error in failure.errors:
            result.append_base_error(Error(ImportProblem(str(error))))
        return
    by_row: dict[int, dict[str, list[str]]] = {}
    for error in failure.errors:
        by_row.setdefault(error.row, {}).setdefault(error.column or "Row", []).append(error.message)
    for number, problems in sorted(by_row.items()):
        result.append_invalid_row(number, {}, ValidationError(problems))


class PlanImportForm(ImportForm):
    """Upload a plan table and say which plan it goes into."""

    plan = forms.ModelChoiceField(
        queryset=Plan.objects.order_by("title"),
        required=False,
        help_text="Import into this plan: rows with the same Ref update its actions.",
    )
    new_plan_title = forms.CharField(
        required=False,
        max_length=300,
        label="Or a new plan called",
        help_text="Created only if the whole file imports.",
    )
    field_order = ["resource", "import_file", "format", "plan", "new_plan_title"]

    def clean_import_file(self):
        """A file larger than one import reads is refused before the library copies it
        (in memory, chunk by chunk) to its temporary storage."""
        upload = self.cleaned_data["import_file"]
        try:
            check_file_size(upload.size)
        except ImportFailed as failure:
            raise ValidationError([str(error) for error in failure.errors]) from None
        return upload

    def clean(self):
        data = super().clean()
        if bool(data.get("plan")) == bool((data.get("new_plan_title") or "").strip()):
            raise ValidationError("Choose the plan to import into, or name a new plan.")
        return data


class PlanConfirmImportForm(ConfirmImportForm):
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.all(), required=False, widget=forms.HiddenInput
    )
    new_plan_title = forms.CharField(required=False, widget=forms.HiddenInput)


class PlanImportAdminMixin(ImportMixin):
    """Adds "Import" to the plan admin: upload, preview (a dry run through our service),
    confirm (the same import, for real, in one transaction)."""

    resource_classes = [PlanTableResource]
    import_formats = [PlanTableXLSX, PlanTableCSV]
    import_form_class = PlanImportForm
    confirm_form_class = PlanConfirmImportForm
    import_template_name = "admin/plans/plan/import.html"
    import_error_display = ("message",)

    def has_import_permission(self, request) -> bool:
        return roles.is_plan_admin(request.user)

    def get_urls(self):
        template = path(
            "import/template.xlsx",
            self.admin_site.admin_view(self.import_template_view),
            name="plans_plan_import_template",
        )
        return [template, *super().get_urls()]

    def import_template_view(self, request):
        """The empty table to fill in, with a sheet saying what goes in each column."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        response = HttpResponse(import_template_xlsx(), content_type=FORMATS["xlsx"][0])
        response["Content-Disposition"] = 'attachment; filename="action-plan-template.xlsx"'
        return response

    def get_import_context_data(self, **kwargs):
        context = super().get_import_context_data(**kwargs)
        context["import_limits"] = describe_limits()
        return context

    def create_import_form(self, request):
        form = super().create_import_form(request)
        form.fields["plan"].queryset = access.visible_plans(request.user).order_by("title")
        return form

    def create_confirm_form(self, request, import_form=None):
        form = super().create_confirm_form(request, import_form)
        form.fields["plan"].queryset = access.visible_plans(request.user)
        return form

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            plan = import_form.cleaned_data.get("plan")
            initial["plan"] = plan.pk if plan else None
            initial["new_plan_title"] = import_form.cleaned_data.get("new_plan_title", "")
        return initial

    def get_import_data_kwargs(self, **kwargs):
        form = kwargs.get("form")
        data = super().get_import_data_kwargs(**kwargs)
        if form is not None and hasattr(form, "cleaned_data"):
            data["plan"] = form.cleaned_data.get("plan")
            data["new_plan_title"] = form.cleaned_data.get("new_plan_title") or ""
        return data

    def add_data_read_fail_error_to_form(self, form, e) -> None:
        if isinstance(e, ImportFailed):
            for error in e.errors:
                form.add_error("import_file", str(error))
            return
        super().add_data_read_fail_error_to_form(form, e)

    def add_success_message(self, result, request) -> None:
        summary = getattr(result, "plan_summary", None)
        if summary is None:
            return super().add_success_message(result, request)
        counts = "; ".join(summary.lines()[:7])
        messages.success(request, f"Imported into {summary.plan.title}: {counts}.")

    def process_result(self, result, request):
        response = super().process_result(result, request)
        summary = getattr(result, "plan_summary", None)
        if summary is not None and summary.plan is not None:
            return HttpResponseRedirect(reverse("admin:plans_plan_change", args=[summary.plan.pk]))
        return response

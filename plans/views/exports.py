"""The plan as a download in the councils' table layout, the layout the importer reads."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from plans import access, roles
from plans.io.exporting import FORMATS, export_filename, export_plan
from plans.models import Plan


@require_GET
@login_required
def plan_export(request: HttpRequest, slug: str) -> HttpResponse:
    """Everyone who may read the plan may download it: it holds what the plan page shows."""
    plan = get_object_or_404(Plan, slug=slug)
    access.require_visible(request.user, plan)
    if not roles.can_view_plan(request.user, plan):
        raise PermissionDenied
    fmt = request.GET.get("format", "xlsx")
    if fmt not in FORMATS:
        raise Http404("Export as xlsx or csv.")
    response = HttpResponse(export_plan(plan, fmt), content_type=FORMATS[fmt][0])
    response["Content-Disposition"] = f'attachment; filename="{export_filename(plan, fmt)}"'
    return response

"""The read-only API's views: one list per resource (`api.resources`), paged JSON or
the whole table as streamed CSV, and a committee report's PDF."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics, pagination, renderers
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.response import Response
from rest_framework.reverse import reverse

from api.auth import caller_of
from api.filters import filterset_for
from api.renderers import CSVRenderer, stream_csv
from api.resources import RESOURCES, Resource
from plans import roles
from reporting.models import ReportRender
from reporting.services import download_filename

CSV_CHUNK = 2000


class Paging(pagination.PageNumberPagination):
    """Pages with `next` links Power BI follows; ?page_size= up to 2,000."""

    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 2000


class ResourceList(generics.ListAPIView):
    resource: Resource
    filter_backends = [DjangoFilterBackend]
    pagination_class = Paging
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer]

    def get_serializer_class(self):
        return self.resource.serializer

    def get_queryset(self):
        caller = caller_of(self.request)
        resource = self.resource
        rows = resource.rows(caller).filter(**{f"{resource.plan}__in": caller.plan_ids})
        return rows.order_by(*resource.order)

    def list(self, request, *args, **kwargs):
        rows = self.filter_queryset(self.get_queryset()).values(*self.resource.columns())
        if request.accepted_renderer.format == "csv":
            serializer = self.get_serializer()
            response = StreamingHttpResponse(
                stream_csv(serializer, rows.iterator(chunk_size=CSV_CHUNK)),
                content_type="text/csv; charset=utf-8",
            )
            response["Content-Disposition"] = f'attachment; filename="{self.resource.name}.csv"'
            return response
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def list_view(name: str):
    """The list view of one resource, its docstring (the schema's description) from the
    resource's serializer."""
    resource = RESOURCES[name]
    view = type(
        f"{resource.serializer.__name__}List",
        (ResourceList,),
        {
            "resource": resource,
            "filterset_class": filterset_for(resource),
            "__doc__": (resource.serializer.__doc__ or f"The {name} of the plans you read.")
            + "\n\nJSON in pages (`next` links); `?format=csv` for the whole table.",
        },
    )
    return view.as_view()


@extend_schema(exclude=True)
@api_view(["GET"])
@renderer_classes([renderers.JSONRenderer, renderers.BrowsableAPIRenderer])
def root(request):
    """The lists this API offers; each takes ?plan=<slug> and ?format=csv."""
    return Response(
        {name: reverse(f"api:{name}", request=request) for name in RESOURCES}
        | {"schema": reverse("api:schema", request=request)}
    )


@extend_schema(responses={(200, "application/pdf"): bytes})
@api_view(["GET"])
@renderer_classes([renderers.JSONRenderer])
def report_pdf(request, pk: int):
    """The committee report's latest ready PDF."""
    caller = caller_of(request)
    reports = RESOURCES["reports"].rows(caller).filter(plan__in=caller.plan_ids)
    report = reports.select_related("plan", "period").filter(pk=pk).first()
    if report is None:
        raise Http404("No such report.")
    render = (
        ReportRender.objects.filter(report=report, state=ReportRender.State.READY)
        .exclude(pdf="")
        .order_by("-number")
        .first()
    )
    if render is None:
        raise Http404("This report has no PDF yet.")
    try:
        handle = render.pdf.open("rb")
    except FileNotFoundError:
        raise Http404("The PDF file is missing.") from None
    response = FileResponse(
        handle, filename=download_filename(report), content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


# How the docs page names each column's type.
KINDS = {
    "IntegerField": "whole number",
    "DecimalField": "number",
    "FloatField": "number",
    "DateField": "date (YYYY-MM-DD)",
    "DateTimeField": "date and time (ISO 8601)",
    "BooleanField": "true or false",
    "SerializerMethodField": "link",
}


@login_required
@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    """The lists, their columns and their filters, for people, in the site's own layout
    (Swagger UI and Redoc load scripts from a CDN, which the site's policy refuses)."""
    if not roles.has_role(request.user, *roles.ALL_ROLES):
        raise PermissionDenied
    lists = [
        {
            "name": name,
            "url": reverse(f"api:{name}", request=request),
            "about": (resource.serializer.__doc__ or "").strip(),
            "columns": [
                (column, KINDS.get(type(field).__name__, "text"))
                for column, field in resource.serializer().fields.items()
            ],
            "filters": list(filterset_for(resource).base_filters),
        }
        for name, resource in RESOURCES.items()
    ]
    return render(
        request,
        "api/docs.html",
        {"lists": lists, "schema": reverse("api:schema", request=request)},
    )

"""The public pages of published committee reports: no sign-in, nothing personal.

They read only `publishing.published_reports()`, never the session: no cookie is set or
needed, and the answers may be cached by the council's website and browsers for a few
minutes (PUBLIC_MAX_AGE), revalidated with an ETag.
"""

from __future__ import annotations

import hashlib
from itertools import groupby

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseGone
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_GET

from plans.models import EXAMPLE_DATA_NOTE
from reporting import appendices, publishing, services
from reporting.content import report_content

# How long a browser or the council's web cache may keep a public page before asking
# again: long enough to take a rush of visitors, short enough that unpublishing is felt.
PUBLIC_MAX_AGE = 300


def _public(response: HttpResponse, etag: str | None = None) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    if etag:
        response["ETag"] = etag
    return response


def _not_there(plan_slug: str, period: str) -> HttpResponse:
    """410 Gone where a report was published and is no longer; else 404."""
    if not publishing.was_published(plan_slug, period):
        raise Http404("No published report at this address.")
    response = HttpResponseGone(
        render_to_string("reporting/published_gone.html", {}).encode(),
        content_type="text/html; charset=utf-8",
    )
    return _public(response)


@require_GET
def published_index(request: HttpRequest) -> HttpResponse:
    """Every published report, grouped by plan."""
    reports = publishing.published_reports().order_by("plan__title", "plan_id", "-period__end")
    plans = [(plan, list(rows)) for plan, rows in groupby(reports, key=lambda r: r.plan)]
    response = render(
        request,
        "reporting/published_index.html",
        {"plans": plans, "example_note": EXAMPLE_DATA_NOTE},
    )
    return _public(response)


@require_GET
def published_report(request: HttpRequest, plan_slug: str, period: str) -> HttpResponse:
    """The published report as an accessible web page: the PDF's content, as of its
    closed period, from the same `ReportContent`."""
    report = publishing.published_report(plan_slug, period)
    if report is None:
        return _not_there(plan_slug, period)
    render_ = report.published_render
    content = report_content(report, generated_at=render_.finished_at or report.published_at)
    earlier = (
        publishing.published_reports()
        .filter(plan=report.plan, period__end__lt=report.period.end)
        .order_by("-period__end")
    )
    html = render_to_string(
        "reporting/published_report.html",
        {
            "report": report,
            "plan": content.plan,
            "period": content.period,
            "content": content,
            "public": True,
            "render": render_,
            "earlier": earlier,
            "period_slug": publishing.period_slug(report.period),
            "example_note": EXAMPLE_DATA_NOTE if content.plan.example_data else "",
            "appendix_labels": {a.kind: a.label for a in appendices.listed(report)},
        },
        request=request,
    )
    # From the page itself: the report reads the plan's wording as it is now, so a
    # correction must change the tag, which the render and publication alone would not.
    etag = '"' + hashlib.sha256(html.encode()).hexdigest()[:32] + '"'
    unchanged = get_conditional_response(request, etag=etag)
    if unchanged is not None:
        return _public(unchanged, etag)
    return _public(HttpResponse(html), etag)


@require_GET
def published_pdf(request: HttpRequest, plan_slug: str, period: str) -> HttpResponse:
    """The published render's PDF, and nothing else of the report's files."""
    report = publishing.published_report(plan_slug, period)
    if report is None:
        return _not_there(plan_slug, period)
    render_ = report.published_render
    etag = f'"{render_.checksum}"' if render_.checksum else None
    unchanged = get_conditional_response(request, etag=etag) if etag else None
    if unchanged is not None:
        return _public(unchanged, etag)
    try:
        handle = render_.pdf.open("rb")
    except FileNotFoundError:
        raise Http404("The PDF file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=services.download_filename(report),
        content_type="application/pdf",
    )
    return _public(response, etag)

"""Pages of the site as a whole, readable without signing in."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement the public sector accessibility regulations require:
    how accessible the service is, what is known not to be, and whom to tell. The
    operator's name and contact come from the environment (docs/configuration.md)."""
    return render(
        request,
        "accessibility.html",
        {
            "organisation": settings.ACCESSIBILITY_ORGANISATION,
            "contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL,
            "contact_phone": settings.ACCESSIBILITY_CONTACT_PHONE,
            "reviewed": settings.ACCESSIBILITY_STATEMENT_REVIEWED,
            "site_url": settings.SITE_URL,
        },
    )

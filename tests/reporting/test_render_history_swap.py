"""The report page's renders table follows the status panel's htmx updates."""

import pytest
from django.urls import reverse

from reporting.models import ReportRender
from tests.reporting.builders import build_reported_plan

pytestmark = pytest.mark.django_db


def test_a_status_update_swaps_the_renders_table_out_of_band(client, clerk):
    report = build_reported_plan(areas=1, actions_per_area=1).report
    render = ReportRender.objects.create(report=report, number=1)
    client.force_login(clerk)
    url = reverse("reporting:report_status", args=[report.pk])
    render.state = "failed"
    render.error = "The job queue could not be reached."
    render.save()

    html = client.get(url, {"state": "1-queued"}, headers={"HX-Request": "true"}).content.decode()

    history = html[html.index('<div id="render-history" hx-swap-oob="true">') :]
    assert "Failed" in history and "No renders yet" not in history


def test_a_plain_status_request_answers_the_panel_alone(client, clerk):
    report = build_reported_plan(areas=1, actions_per_area=1).report
    ReportRender.objects.create(report=report, number=1)
    client.force_login(clerk)

    html = client.get(reverse("reporting:report_status", args=[report.pk])).content.decode()

    assert "render-history" not in html and "Queued" in html

"""Cross-site scripting: whatever people type (commentary, recovery, committee-report
narrative, dip-sample findings, owners' names and posts, evidence titles, imported
cells) is shown as text on every page, and as text in the PDF, which carries no
JavaScript."""

from __future__ import annotations

import re

import pypdf
from django.urls import reverse
from django.utils.html import escape
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from plans.io.importing import import_file
from plans.models import Plan
from reporting import services as report_services
from reporting.models import ReportRender
from reporting.pdf import pdf_text
from tests.plans.test_importing import HEADER, as_xlsx
from tests.security.test_permission_matrix import MATRIX
from tests.security.world import World, clients_for

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'><svg onload=alert(3)>"
WORLD_TEXT = PAYLOAD
WORLD_EVIDENCE_NAME = 'minutes"><img src=x onerror=alert(4)>.pdf'
# Any of these in a page's HTML would be markup the browser runs.
RAW = ("<script>alert", "<img src=x", "<svg onload", "\"'><", "onerror=alert(4)>")
ESCAPED = escape("<script>alert(1)</script><img src=x onerror=alert(2)>")
READERS = ("plan_admin", "director", "qa_lead", "clerk", "board_member")


def html_of(response) -> str | None:
    if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
        return None
    return response.content.decode()


def assert_shown_as_text(html: str, where: str) -> None:
    for marker in RAW:
        assert marker not in html, f"{where}: {marker!r} reaches the page as markup"


def test_user_text_is_never_markup_on_any_page_for_any_role(world: World):
    clients = clients_for(world)
    pages = 0
    for role in READERS:
        for route, row in MATRIX.items():
            url = row.url(world)
            html = html_of(clients[role].get(url))
            if html is not None:
                assert_shown_as_text(html, f"{url} as {role} ({route})")
                pages += 1
    assert pages >= 120  # the sweep really covered the site


def test_user_text_appears_escaped_where_it_is_shown(world: World):
    clients = clients_for(world)
    admin, director = clients["plan_admin"], clients["director"]
    expected = {
        # commentary, recovery, evidence title, owner's post and name, action text
        reverse("plans:action", args=[world.action.pk]): admin,
        reverse("plans:plan", args=[world.plan.slug]): admin,
        reverse("plans:recommendation", args=[world.recommendation.pk]): admin,
        reverse("plans:to_confirm"): admin,
        reverse("plans:my_actions"): director,
        reverse("plans:action_update", args=[world.action.pk]): director,
        reverse("audits:measure", args=[world.measure.pk]): admin,
        reverse("audits:sample_edit", args=[world.sample.pk]): admin,
        reverse("reporting:report", args=[world.report.pk]): admin,
        reverse("reporting:report_edit", args=[world.report.pk]): admin,
        reverse("reporting:report_preview", args=[world.report.pk]): admin,
        reverse("board:recommendation", args=[world.recommendation.pk]): admin,
        reverse("board:owner", args=[world.owner.pk]): admin,
    }
    for url, client in expected.items():
        html = html_of(client.get(url))
        assert html is not None, url
        assert_shown_as_text(html, url)
        assert ESCAPED in html, f"{url} does not show the text, escaped"

    action_page = admin.get(reverse("plans:action", args=[world.action.pk])).content.decode()
    for field in (
        world.proposed.commentary,
        world.evidence.title,
        world.owner.person_name,
        world.action.text,
    ):
        assert escape(field) in action_page, field
    measure_page = admin.get(reverse("audits:measure", args=[world.measure.pk])).content.decode()
    for field in (world.sample.findings, world.sample.mitigation):
        assert escape(field) in measure_page, field


def test_imported_cells_with_markup_are_stored_and_shown_as_text(world: World):
    rows = [
        HEADER,
        [f"What needs to improve? 1 Care leavers {PAYLOAD}"] + [""] * 7,
        [
            "1.1",
            f"PAs allocated {PAYLOAD}",
            f"Allocate a PA {PAYLOAD} when score < 5",
            f"Audit {PAYLOAD}. Target 90%",
            "May 24",
            "",
            f"Service Director {PAYLOAD}",
            "",
        ],
    ]
    summary = import_file(
        as_xlsx(rows),
        "plan.xlsx",
        plan_name="Imported XSS plan",
        organisation=world.plan.organisation,  # the world has several: name the owner
    )
    plan = Plan.objects.get(pk=summary.plan.pk)
    action = plan.actions.get()
    assert "<script" not in action.text and "<img" not in action.text
    assert "score < 5" in action.text  # text that merely looks like markup is kept

    admin = clients_for(world)["plan_admin"]
    for url in (
        reverse("plans:plan", args=[plan.slug]),
        reverse("plans:action", args=[action.pk]),
        reverse("board:dashboard") + f"?plan={plan.slug}",
    ):
        html = html_of(admin.get(url))
        assert html is not None, url
        assert_shown_as_text(html, url)
    action_page = admin.get(reverse("plans:action", args=[action.pk])).content.decode()
    assert escape(action.text) in action_page


def _javascript_in(value, seen: set) -> list[str]:
    """Every place a PDF object names JavaScript, an automatic action or a launch."""
    found = []
    if isinstance(value, IndirectObject):
        key = (value.idnum, value.generation)
        if key in seen:
            return found
        seen.add(key)
        value = value.get_object()
    if isinstance(value, DictionaryObject):
        for name, item in value.items():
            if name in ("/JS", "/JavaScript", "/AA"):
                found.append(name)
            if name == "/S" and item in ("/JavaScript", "/Launch"):
                found.append(f"/S {item}")
            found += _javascript_in(item, seen)
    elif isinstance(value, ArrayObject):
        for item in value:
            found += _javascript_in(item, seen)
    return found


def test_the_pdf_shows_user_text_as_text_and_has_no_javascript(world: World):
    render = ReportRender.objects.create(report=world.report, number=2)
    assert report_services.render_run(render_id=render.pk) is True
    render.refresh_from_db()
    data = render.pdf.read()

    squashed = re.sub(r"\s+", "", pdf_text(data))
    for text in (world.report.background, world.report.committee, world.action.text):
        assert re.sub(r"\s+", "", text) in squashed, text
    assert re.sub(r"\s+", "", PAYLOAD) in squashed

    assert re.search(rb"/(JS|JavaScript|AA|Launch)\b", data) is None
    reader = pypdf.PdfReader(render.pdf.path)
    assert _javascript_in(reader.trailer, set()) == []

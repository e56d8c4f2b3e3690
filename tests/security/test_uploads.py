"""Evidence uploads: size limit, type by content (not by name), safe stored names, and
downloads served as attachments, never sniffed, only to people who may see the plan.

The rules are in `plans/evidence.py`; uploads arrive through the director's update form
(`plans.views.actions.action_update`) and `plans.services.action_update`.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from plans import roles, services
from plans.models import Evidence, Rating
from tests import factories
from tests.security.world import minimal_pdf

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
TODAY = dt.date(2024, 8, 1)


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.fixture
def signed_in(client, director):
    client.force_login(director)
    return client


def upload(client: Client, action, name: str, data: bytes, content_type: str = "", **fields):
    """The update form, as the browser posts it, with one file attached."""
    form = {
        "version": action.version,
        "period": services.open_period(action.plan).pk,
        "rag": "green",
        "commentary": "Panel minutes attached.",
        # The action is past its due date: Green needs a reason, or the form says so.
        "override_reason": "The work finished; the report is in the minutes.",
        "evidence_file": SimpleUploadedFile(name, data, content_type or "application/pdf"),
        **fields,
    }
    return client.post(reverse("plans:action_update", args=[action.pk]), form)


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_refused(response, message: str, settings) -> None:
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Evidence.objects.count() == 0
    assert Rating.objects.count() == 0  # the whole update is refused, not just the file
    assert stored_files(settings) == []


def test_a_file_over_the_size_limit_is_refused_and_nothing_is_kept(signed_in, action, settings):
    settings.EVIDENCE_MAX_BYTES = 2048
    data = minimal_pdf() + b"%" + b"x" * 4096

    response = upload(signed_in, action, "minutes.pdf", data)

    assert_refused(response, "the limit is", settings)


def test_a_pdf_named_as_an_image_is_refused(signed_in, action, settings):
    response = upload(signed_in, action, "photo.png", minimal_pdf(), "image/png")

    assert_refused(response, "content is not a PNG image", settings)


def test_a_web_page_named_as_a_pdf_is_refused(signed_in, action, settings):
    response = upload(signed_in, action, "minutes.pdf", HTML, "application/pdf")

    assert_refused(response, "content is not a PDF", settings)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("setup.exe", EXE, "Files of type .exe cannot be attached"),
        ("setup.pdf", EXE, "content is not a PDF"),
        ("chart.svg", SVG, "Files of type .svg cannot be attached"),
        ("page.html", HTML, "Files of type .html cannot be attached"),
        ("passwd", b"root:x:0:0:root:/root:/bin/bash\n", "(no extension) cannot be attached"),
        ("empty.pdf", b"", "file is empty"),
    ],
)
def test_files_that_are_not_evidence_are_refused(signed_in, action, settings, name, data, message):
    response = upload(signed_in, action, name, data)

    assert_refused(response, message, settings)


def test_the_stored_type_comes_from_the_content_not_from_the_browser(signed_in, action, settings):
    response = upload(signed_in, action, "report.docx", docx(), "text/html")

    assert response.status_code == 302
    item = Evidence.objects.get()
    assert item.content_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert item.size == len(docx())


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\win.ini.pdf", "win.ini.pdf"),
        ('minutes "final"\r\nX-Evil: 1.pdf', "minutes_finalX-Evil_1.pdf"),
        ("'; DROP TABLE plans_action; --.pdf", "DROP_TABLE_plans_action.pdf"),
        ("--.pdf", "evidence.pdf"),
        ("a" * 300 + ".pdf", "a" * 96 + ".pdf"),
    ],
)
def test_stored_names_are_plain_and_stay_in_the_actions_folder(
    action, director, settings, name, stored
):
    services.action_update(
        action=action,
        user=director,
        expected_version=action.version,
        rag="green",
        commentary="Minutes attached.",
        evidence_file=SimpleUploadedFile(name, minimal_pdf(), "application/pdf"),
        today=TODAY,
    )

    item = Evidence.objects.get()
    folder = f"evidence/plan-{action.plan_id}/action-{action.pk}"
    assert item.file.name == f"{folder}/{stored}"
    path = Path(item.file.path).resolve()
    assert path.is_relative_to(Path(settings.MEDIA_ROOT).resolve() / folder)
    assert path.read_bytes() == minimal_pdf()


def test_a_download_is_an_attachment_that_browsers_must_not_sniff_or_run(
    signed_in, action, director, settings
):
    services.action_update(
        action=action,
        user=director,
        expected_version=action.version,
        rag="green",
        commentary="Minutes attached.",
        evidence_file=SimpleUploadedFile(
            'minutes "final"\r\nSet-Cookie: x=1.pdf', minimal_pdf(), "text/html"
        ),
        today=TODAY,
    )
    item = Evidence.objects.get()

    response = signed_in.get(reverse("plans:evidence_download", args=[item.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="minutes_finalSet-Cookie_x1.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"
    assert not response.has_header("Set-Cookie") or "x=1" not in response["Set-Cookie"]
    assert b"".join(response.streaming_content) == minimal_pdf()


def test_only_people_who_may_see_the_plan_can_download_evidence(client, action, director, settings):
    services.action_update(
        action=action,
        user=director,
        expected_version=action.version,
        rag="green",
        commentary="Minutes attached.",
        evidence_file=SimpleUploadedFile("minutes.pdf", minimal_pdf()),
        today=TODAY,
    )
    url = reverse("plans:evidence_download", args=[Evidence.objects.get().pk])

    assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(factories.UserFactory(username="nobody"))
    refused = client.get(url)
    assert refused.status_code == 403
    assert not refused.has_header("Content-Disposition")
    client.force_login(factories.UserFactory(username="member", role=roles.BOARD_MEMBER))
    assert client.get(url).status_code == 200

"""Evidence files: checked by content as well as name, limited in size, stored privately,
downloaded only by people who may see the plan, and never rendered by the browser."""

import io
import zipfile

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from plans import evidence, services
from plans.models import Evidence, Rating


def ooxml(main_part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<document/>")
    return buffer.getvalue()


def opendocument(mimetype: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def real_xlsx() -> bytes:
    book = Workbook()
    book.active["A1"] = "Dip sample results"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504

GOOD = {
    "minutes.pdf": b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n",
    "plan.docx": ooxml("word/document.xml"),
    "figures.xlsx": real_xlsx(),
    "board.pptx": ooxml("ppt/presentation.xml"),
    "old.doc": OLE2,
    "old.xls": OLE2,
    "notes.odt": opendocument("application/vnd.oasis.opendocument.text"),
    "sheet.ods": opendocument("application/vnd.oasis.opendocument.spreadsheet"),
    "chart.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
    "photo.jpg": b"\xff\xd8\xff\xe0" + b"\x00" * 40,
    "photo.jpeg": b"\xff\xd8\xff\xe1" + b"\x00" * 40,
    "diagram.gif": b"GIF89a" + b"\x00" * 40,
    "notes.txt": "Met the team on 3 October.\nAll files checked — 9/10 compliant.\n".encode(),
    "results.csv": "case,compliant\r\nC-1001,yes\r\nC-1002,no\r\n".encode("cp1252"),
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_each_allowed_kind_of_file_is_accepted_by_its_content(name):
    kind = evidence.evidence_check(SimpleUploadedFile(name, GOOD[name]))
    assert name.rsplit(".", 1)[1] in " ".join(kind.extensions)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", b"MZ\x90\x00\x03 a Windows program"),
        ("report.pdf", b"<html><script>alert(1)</script></html>"),
        ("plan.docx", b"PK\x03\x04 not really a zip"),
        ("plan.docx", ooxml("xl/workbook.xml")),  # a workbook renamed .docx
        ("figures.xlsx", ooxml("word/document.xml")),
        ("photo.png", b"\xff\xd8\xff\xe0 a JPEG named .png"),
        ("notes.txt", b"\x7fELF\x02\x01\x01\x00\x00binary"),
        ("notes.odt", opendocument("application/vnd.oasis.opendocument.spreadsheet")),
        ("old.doc", b"{\\rtf1 a rich text file}"),
    ],
)
def test_a_file_whose_content_is_not_what_its_name_says_is_refused(name, content):
    with pytest.raises(ValidationError, match="content is not"):
        evidence.evidence_check(SimpleUploadedFile(name, content))


@pytest.mark.parametrize("name", ["script.js", "page.html", "tool.exe", "image.svg", "noext"])
def test_other_types_are_refused_whatever_their_content(name):
    with pytest.raises(ValidationError, match="cannot be attached"):
        evidence.evidence_check(SimpleUploadedFile(name, b"%PDF-1.7 pretending"))


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError, match="empty"):
        evidence.evidence_check(SimpleUploadedFile("empty.pdf", b""))


def test_the_size_limit_comes_from_settings(settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    evidence.evidence_check(SimpleUploadedFile("ok.pdf", b"%PDF-" + b"x" * 1019))
    with pytest.raises(ValidationError, match="the limit is"):
        evidence.evidence_check(SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * 1020))


def test_the_default_limit_is_10_mb():
    assert django_settings.EVIDENCE_MAX_BYTES == 10 * 1024 * 1024
    assert "up to 10 MB" in evidence.describe_limits()


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\dana\\Board report (final).PDF", "Board_report_final.pdf"),
        ('"><script>.pdf', "script.pdf"),
        ("___.pdf", "evidence.pdf"),
        ("a" * 300 + ".docx", "a" * 95 + ".docx"),
    ],
)
def test_file_names_are_sanitised(given, stored):
    assert evidence.safe_name(given) == stored


@pytest.fixture
def stored(director, action):
    services.action_update(
        action=action,
        user=director,
        expected_version=action.version,
        rag="red",
        commentary="Behind.",
        recovery="Weekly review.",
        evidence_file=SimpleUploadedFile(
            "../Audit <October>.pdf", GOOD["minutes.pdf"], content_type="text/html"
        ),
    )
    return Evidence.objects.get(action=action)


def test_an_upload_is_stored_privately_under_the_media_root(stored, settings):
    path = stored.file.path
    assert path.startswith(str(settings.MEDIA_ROOT))
    assert not path.startswith(str(settings.STATIC_ROOT))
    assert stored.file.name == (
        f"evidence/plan-{stored.action.plan_id}/action-{stored.action_id}/Audit_October.pdf"
    )
    # The type comes from the content check, not from what the browser claimed.
    assert stored.content_type == "application/pdf"
    assert stored.size == len(GOOD["minutes.pdf"])
    assert stored.rating == Rating.objects.get(action=stored.action)


def test_the_owner_downloads_it_as_an_attachment_never_rendered(client, director, stored):
    client.force_login(director)
    response = client.get(reverse("plans:evidence_download", args=[stored.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Audit_October.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == GOOD["minutes.pdf"]


@pytest.mark.parametrize("who", ["board_member", "qa_lead", "clerk", "other_director"])
def test_anyone_who_may_see_the_plan_may_download(client, stored, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("plans:evidence_download", args=[stored.pk])).status_code == 200


def test_a_signed_out_visitor_is_sent_to_sign_in(client, stored):
    response = client.get(reverse("plans:evidence_download", args=[stored.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_without_a_role_cannot_download(client, stored):
    from tests import factories

    client.force_login(factories.UserFactory(username="nobody"))
    assert client.get(reverse("plans:evidence_download", args=[stored.pk])).status_code == 403


def test_there_is_no_public_url_for_media(client, stored, settings):
    client.force_login(stored.created_by)
    response = client.get(settings.MEDIA_URL + stored.file.name)
    assert response.status_code == 404


def test_a_text_file_is_served_as_plain_text_attachment(client, director, action):
    services.action_update(
        action=action,
        user=director,
        expected_version=action.version,
        rag="red",
        commentary="x",
        recovery="y",
        evidence_file=SimpleUploadedFile("page.txt", b"<html><script>alert(1)</script>"),
    )
    item = Evidence.objects.get()
    client.force_login(director)
    response = client.get(reverse("plans:evidence_download", args=[item.pk]))
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")


def test_an_oversized_upload_through_the_form_is_refused_with_the_limit(
    client, director, action, settings
):
    settings.EVIDENCE_MAX_BYTES = 2048
    client.force_login(director)
    response = client.post(
        reverse("plans:action_update", args=[action.pk]),
        {
            "version": action.version,
            "rag": "red",
            "commentary": "Behind.",
            "recovery": "Review.",
            "evidence_file": SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 4096),
        },
    )
    assert response.status_code == 400
    assert '<a href="#id_evidence_file">The file is 5 KB: the limit is 2 KB.</a>' in (
        response.content.decode()
    )
    assert not Evidence.objects.exists()
    assert not Rating.objects.exists()

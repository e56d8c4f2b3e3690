"""Evidence files: what may be uploaded, how it is named and stored, and how it is served.

A file is accepted only when its extension is on the list *and* its content is what
the extension says: a PDF starts with "%PDF-", a .docx is a zip holding a Word document,
and so on. The content type we store and serve comes from that check, never from the
browser. Files are stored under MEDIA_ROOT, which is outside the static root and has no
URL of its own: the only way to read one is `evidence_response`, behind a permission
check in the view.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.validators import URLValidator
from django.http import FileResponse
from django.utils import timezone
from django.utils.text import get_valid_filename

from plans.models import Evidence

# Long enough for a meaningful name, short enough that evidence_path stays well inside
# the FileField's 300 characters with the storage's de-duplicating suffix.
MAX_NAME_LENGTH = 100
# How much of a text file is checked for being text.
TEXT_SAMPLE_BYTES = 64 * 1024

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of legacy .doc and .xls


def _starts(*signatures: bytes) -> Callable[[UploadedFile, bytes], bool]:
    def check(upload: UploadedFile, head: bytes) -> bool:
        return any(head.startswith(signature) for signature in signatures)

    return check


def _zip_names(upload: UploadedFile) -> list[str] | None:
    """The member names of a zip file, or None if it is not one. Only the central
    directory is read: nothing is decompressed, so a zip bomb costs nothing here."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)


def _ooxml(part: str) -> Callable[[UploadedFile, bytes], bool]:
    """An Office Open XML package: a zip with [Content_Types].xml and the main part."""

    def check(upload: UploadedFile, head: bytes) -> bool:
        if not head.startswith(b"PK\x03\x04"):
            return False
        names = _zip_names(upload)
        return names is not None and "[Content_Types].xml" in names and part in names

    return check


def _opendocument(mimetype: bytes) -> Callable[[UploadedFile, bytes], bool]:
    """An OpenDocument package: a zip whose first member, "mimetype", is stored
    uncompressed, so its value sits at a fixed offset (byte 38) of the file."""

    def check(upload: UploadedFile, head: bytes) -> bool:
        if not (head.startswith(b"PK\x03\x04") and head[30:38] == b"mimetype"):
            return False
        if not head[38:].startswith(mimetype):
            return False
        names = _zip_names(upload)
        return names is not None and "content.xml" in names

    return check


def _is_text(upload: UploadedFile, head: bytes) -> bool:
    """Plain text: no NUL bytes and no control characters other than tab, line feed,
    carriage return and form feed, in UTF-8 or Windows-1252 (what Excel writes CSV in)."""
    upload.seek(0)
    sample = upload.read(TEXT_SAMPLE_BYTES)
    upload.seek(0)
    if not sample or b"\x00" in sample:
        return False
    try:
        text = sample.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # The sample may end inside a multi-byte character.
        if error.start >= len(sample) - 3 and len(sample) == TEXT_SAMPLE_BYTES:
            text = sample[: error.start].decode("utf-8-sig")
        else:
            try:
                text = sample.decode("cp1252")
            except UnicodeDecodeError:
                return False
    return not any(ord(char) < 32 and char not in "\t\n\r\f" for char in text)


@dataclass(frozen=True)
class Kind:
    """One accepted kind of file: its extensions, what it is served as, and the check of
    its content."""

    label: str
    extensions: tuple[str, ...]
    content_type: str
    matches: Callable[[UploadedFile, bytes], bool]


KINDS: tuple[Kind, ...] = (
    Kind("PDF", (".pdf",), "application/pdf", _starts(b"%PDF-")),
    Kind(
        "Word document",
        (".docx",),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ooxml("word/document.xml"),
    ),
    Kind(
        "Excel workbook",
        (".xlsx",),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ooxml("xl/workbook.xml"),
    ),
    Kind(
        "PowerPoint presentation",
        (".pptx",),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ooxml("ppt/presentation.xml"),
    ),
    Kind("Word 97–2003 document", (".doc",), "application/msword", _starts(OLE2)),
    Kind("Excel 97–2003 workbook", (".xls",), "application/vnd.ms-excel", _starts(OLE2)),
    Kind(
        "OpenDocument text",
        (".odt",),
        "application/vnd.oasis.opendocument.text",
        _opendocument(b"application/vnd.oasis.opendocument.text"),
    ),
    Kind(
        "OpenDocument spreadsheet",
        (".ods",),
        "application/vnd.oasis.opendocument.spreadsheet",
        _opendocument(b"application/vnd.oasis.opendocument.spreadsheet"),
    ),
    Kind("PNG image", (".png",), "image/png", _starts(b"\x89PNG\r\n\x1a\n")),
    Kind("JPEG image", (".jpg", ".jpeg"), "image/jpeg", _starts(b"\xff\xd8\xff")),
    Kind("GIF image", (".gif",), "image/gif", _starts(b"GIF87a", b"GIF89a")),
    Kind("text file", (".txt",), "text/plain; charset=utf-8", _is_text),
    Kind("CSV file", (".csv",), "text/csv; charset=utf-8", _is_text),
)
_BY_EXTENSION = {ext: kind for kind in KINDS for ext in kind.extensions}

ACCEPT = ",".join(sorted(_BY_EXTENSION))
"""For the file input's `accept` attribute: a hint to the browser, never relied on."""


def max_bytes() -> int:
    return settings.EVIDENCE_MAX_BYTES


def file_size(size: int) -> str:
    """A size as people say it: "10 MB", "2.5 MB", "300 KB"."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    return f"{-(-size // 1024)} KB"


def describe_limits() -> str:
    """What the form tells people before they choose a file."""
    return (
        "PDF, Word, Excel, PowerPoint, OpenDocument, images (PNG, JPEG, GIF) or text/CSV, "
        f"up to {file_size(max_bytes())}."
    )


def safe_name(name: str) -> str:
    """A file name safe to store and to send back: no path, only letters, digits,
    dashes, underscores and dots, at most MAX_NAME_LENGTH characters with the extension
    kept."""
    base = os.path.basename(name.replace("\\", "/"))
    try:
        cleaned = get_valid_filename(base)
    except SuspiciousFileOperation:  # raised for "", "." and ".."
        cleaned = ""
    stem, ext = os.path.splitext(cleaned)
    ext = ext.lower()[:10]
    stem = stem.strip("._-") or "evidence"
    return stem[: MAX_NAME_LENGTH - len(ext)] + ext


def evidence_check(upload: UploadedFile) -> Kind:
    """The kind of an uploaded file, or a ValidationError saying why it is refused."""
    if upload.size is not None and upload.size > max_bytes():
        raise ValidationError(
            f"The file is {file_size(upload.size)}: the limit is {file_size(max_bytes())}.",
            code="too_large",
        )
    if not upload.size:
        raise ValidationError("The file is empty.", code="empty")
    ext = os.path.splitext(upload.name or "")[1].lower()
    kind = _BY_EXTENSION.get(ext)
    if kind is None:
        raise ValidationError(
            f"Files of type {ext or '(no extension)'} cannot be attached. {describe_limits()}",
            code="type",
        )
    upload.seek(0)
    head = upload.read(512)
    upload.seek(0)
    if not kind.matches(upload, head):
        raise ValidationError(
            f"The file's content is not a {kind.label}, although its name ends {ext}.",
            code="content",
        )
    return kind


def evidence_file_put(*, item: Evidence, upload: UploadedFile, kind: Kind) -> None:
    """Put an upload that passed `evidence_check` on `item`: under its safe name, with
    the content type the check found (never the browser's) and its size. The file is
    written when `item.file` is saved."""
    upload.name = safe_name(upload.name or "")
    item.file = upload
    item.content_type = kind.content_type
    item.size = upload.size


def evidence_link_check(link: str) -> None:
    """A link is a web address: http or https, never file:, ftp: or javascript:."""
    try:
        URLValidator(schemes=["http", "https"])(link)
    except ValidationError:
        raise ValidationError("Enter a web address starting https://.", code="link") from None


def evidence_response(evidence: Evidence) -> FileResponse:
    """Serve a stored evidence file as a download, never rendered in the browser."""
    name = os.path.basename(evidence.file.name)
    kind = _BY_EXTENSION.get(os.path.splitext(name)[1].lower())
    content_type = evidence.content_type or (kind.content_type if kind else "")
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=name,
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- A file kept through a form's errors -------------------------------------------------
#
# A browser never keeps a chosen file when a page comes back with errors, so a director
# who attached evidence and mistyped a date would lose it without noticing. A file that
# passed `evidence_check` is kept in storage instead, and the form carries a signed token
# naming it, for this user and this action only, for KEPT_SECONDS. A kept file is
# deleted when the update is saved; those never used are deleted by the next `evidence_keep`
# once they are older than KEPT_SECONDS.

KEPT_DIR = "kept-evidence"
KEPT_SECONDS = 24 * 60 * 60
_KEPT_SALT = "plans.evidence.kept"


@dataclass(frozen=True)
class Kept:
    """A kept file: its token for the form and the name the person chose."""

    token: str
    name: str


def evidence_keep(upload: UploadedFile, *, user_id: int, action_id: int) -> Kept | None:
    """Keep an upload through a form's errors, or None if it is not a file we accept
    (then its own error says why, and nothing is stored)."""
    try:
        evidence_check(upload)
    except ValidationError:
        return None
    evidence_kept_sweep()
    name = safe_name(upload.name or "")
    upload.seek(0)
    # Flat, so that nothing is left behind when a file is deleted: "<32 hex>-<name>".
    path = default_storage.save(f"{KEPT_DIR}/{secrets.token_hex(16)}-{name}", upload)
    upload.seek(0)
    token = signing.dumps({"u": user_id, "a": action_id, "p": path}, salt=_KEPT_SALT)
    return Kept(token=token, name=name)


def _kept_path(token: str, *, user_id: int, action_id: int) -> str | None:
    try:
        value = signing.loads(token, salt=_KEPT_SALT, max_age=KEPT_SECONDS)
    except signing.BadSignature:  # also raised for an expired token
        return None
    if not isinstance(value, dict) or value.get("u") != user_id or value.get("a") != action_id:
        return None
    path = value.get("p")
    if not isinstance(path, str) or not path.startswith(f"{KEPT_DIR}/") or ".." in path:
        return None
    return path


def _kept_name(path: str) -> str:
    return os.path.basename(path)[33:]


def evidence_kept(token: str, *, user_id: int, action_id: int) -> Kept | None:
    """The kept file a form's token names, if it is this user's for this action and
    still stored."""
    path = _kept_path(token, user_id=user_id, action_id=action_id)
    if path is None or not default_storage.exists(path):
        return None
    return Kept(token=token, name=_kept_name(path))


def evidence_kept_upload(token: str, *, user_id: int, action_id: int) -> UploadedFile | None:
    """The kept file as an upload, to be checked and saved like a new one."""
    path = _kept_path(token, user_id=user_id, action_id=action_id)
    if path is None or not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as stored:
        content = stored.read()
    return SimpleUploadedFile(_kept_name(path), content)


def evidence_kept_discard(token: str, *, user_id: int, action_id: int) -> None:
    """Delete a kept file (once saved as evidence, or no longer wanted)."""
    path = _kept_path(token, user_id=user_id, action_id=action_id)
    if path is not None:
        default_storage.delete(path)


def evidence_kept_sweep(*, now: dt.datetime | None = None) -> int:
    """Delete kept files older than KEPT_SECONDS; returns how many."""
    now = now or timezone.now()
    try:
        _, names = default_storage.listdir(KEPT_DIR)
    except FileNotFoundError:
        return 0
    deleted = 0
    for name in names:
        path = f"{KEPT_DIR}/{name}"
        if (now - default_storage.get_modified_time(path)).total_seconds() > KEPT_SECONDS:
            default_storage.delete(path)
            deleted += 1
    return deleted

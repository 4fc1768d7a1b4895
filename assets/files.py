"""Report and certificate files: stored under ``MEDIA_ROOT`` with their SHA-256, never served by
the web server, handed out only by permission-checked, audited views (``assets.views.files``)."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse

ALLOWED_REPORT_EXTENSIONS = {".pdf", ".html", ".htm", ".csv", ".json", ".xml", ".txt", ".zip", ".xlsx", ".sarif"}


def sha256_of(fileobj) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


# What the first bytes of a file of each binary report format are; text formats must look like text.
MAGIC_BYTES = {".pdf": (b"%PDF-",), ".zip": (b"PK\x03\x04", b"PK\x05\x06"), ".xlsx": (b"PK\x03\x04",)}
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def content_matches(upload, extension: str) -> bool:
    """Sniff the content instead of trusting the name or the browser's content type: a binary
    format must start with its signature, a text format must not hold NUL bytes (unless UTF-16),
    and nothing may be a program (Windows, Linux or macOS executable)."""
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    if head.startswith(EXECUTABLE_MAGIC):
        return False
    if extension in MAGIC_BYTES:
        return head.startswith(MAGIC_BYTES[extension])
    return head.startswith(UTF16_BOMS) or b"\x00" not in head


def check_report(upload) -> None:
    """Refuse a report that is too large, not a report format, or whose content is not what its
    name says (shown next to the field)."""
    extension = PurePath(upload.name).suffix.lower()
    if extension not in ALLOWED_REPORT_EXTENSIONS:
        allowed = ", ".join(sorted(ALLOWED_REPORT_EXTENSIONS))
        raise ValidationError(f"Upload the report as one of {allowed}.")
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError(f"The report is larger than {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    if not content_matches(upload, extension):
        raise ValidationError(f"The file's content is not a {extension[1:].upper()} file: upload the report as the scanner wrote it.")


def attach_report(record, upload) -> None:
    """Store ``upload`` as ``record.report`` under a random name, with its original name and hash."""
    check_report(upload)
    extension = PurePath(upload.name).suffix.lower()
    record.report_sha256 = sha256_of(upload)
    record.report_name = PurePath(upload.name).name[:200]
    record.report.save(f"{uuid.uuid4().hex}{extension}", upload, save=False)


def save_pdf(field, data: bytes, stem: str) -> str:
    """Save PDF bytes into a FileField and return their SHA-256."""
    field.save(f"{stem}-{uuid.uuid4().hex[:12]}.pdf", ContentFile(data), save=False)
    return hashlib.sha256(data).hexdigest()


def file_response(field, download_name: str, content_type: str = "application/octet-stream") -> FileResponse:
    """Always an attachment, never rendered inline (a report could hold active HTML)."""
    response = FileResponse(field.open("rb"), as_attachment=True, filename=download_name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response

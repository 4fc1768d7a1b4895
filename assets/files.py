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


def check_report(upload) -> None:
    """Refuse a report that is too large or not a report format (shown next to the field)."""
    extension = PurePath(upload.name).suffix.lower()
    if extension not in ALLOWED_REPORT_EXTENSIONS:
        allowed = ", ".join(sorted(ALLOWED_REPORT_EXTENSIONS))
        raise ValidationError(f"Upload the report as one of {allowed}.")
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError(f"The report is larger than {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")


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

"""Uploaded document files of versions: kept under ``MEDIA_ROOT`` (outside the web root) with their
SHA-256, handed out only by a permission-checked, audited view, always as an attachment."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse

from grc.files import sha256_of

ALLOWED_EXTENSIONS = {".pdf", ".docx", ".odt", ".md", ".txt", ".html", ".htm"}


def check_upload(upload) -> None:
    """Refuse a file that is too large or not a document format (shown next to the field)."""
    extension = PurePath(upload.name).suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise ValidationError({"file": f"Upload the document as one of {', '.join(sorted(ALLOWED_EXTENSIONS))}."})
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError({"file": f"The file is larger than {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB."})


def attach_version_file(version, upload) -> None:
    """Store ``upload`` as the version's file under a random name, with its original name and hash."""
    check_upload(upload)
    extension = PurePath(upload.name).suffix.lower()
    version.file_sha256 = sha256_of(upload)
    version.file_name = PurePath(upload.name).name[:200]
    version.file.save(f"{uuid.uuid4().hex}{extension}", upload, save=False)


def file_response(field, download_name: str) -> FileResponse:
    """Always an attachment, never rendered inline (an uploaded HTML file could hold scripts)."""
    response = FileResponse(field.open("rb"), as_attachment=True, filename=download_name, content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response

"""Files the evidence app keeps (remediation evidence, written approvals, packs, letters): stored
under MEDIA_ROOT with a random name and their SHA-256, never served by the web server, handed out
only as attachments by permission-checked, audited views."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse

ALLOWED_EXTENSIONS = {".pdf", ".png", ".jpg", ".jpeg", ".txt", ".csv", ".json", ".zip", ".eml", ".msg", ".docx", ".xlsx", ".html", ".htm"}


def original_name(upload) -> str:
    return PurePosixPath((upload.name or "file").replace("\\", "/")).name[:200] or "file"


def check_upload(upload) -> None:
    extension = PurePosixPath(original_name(upload)).suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise ValidationError(f"Upload one of {', '.join(sorted(ALLOWED_EXTENSIONS))}.")
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError(f"The file is larger than {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")


def store_upload(record, field_name: str, upload) -> None:
    """Save ``upload`` into ``record.<field_name>`` under a random name; set its name, size and SHA-256."""
    check_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    record.original_name = original_name(upload)
    record.size = upload.size
    record.sha256 = digest.hexdigest()
    extension = PurePosixPath(record.original_name).suffix.lower()
    getattr(record, field_name).save(f"{uuid.uuid4().hex}{extension}", upload, save=False)


def file_response(field_file, download_name: str, content_type: str = "application/octet-stream") -> FileResponse:
    """Always an attachment, never rendered inline."""
    response = FileResponse(field_file.open("rb"), as_attachment=True, filename=download_name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response

"""Report and certificate files: stored under ``MEDIA_ROOT`` with their SHA-256, never served by
the web server, handed out only by permission-checked, audited views (``assets.views.files``)."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import PurePath

from django.core.files.base import ContentFile

from grc.files import check_evidence_upload, file_response, sha256_of  # noqa: F401  (file_response: used by the views)

ALLOWED_REPORT_EXTENSIONS = {".pdf", ".html", ".htm", ".csv", ".json", ".xml", ".txt", ".zip", ".xlsx", ".sarif"}


def check_report(upload) -> None:
    """Refuse a report that is too large, not a report format, or whose content is not what its
    name says (shown next to the field)."""
    check_evidence_upload(upload, allowed=ALLOWED_REPORT_EXTENSIONS, what="report", hint="upload the report as the scanner wrote it")


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

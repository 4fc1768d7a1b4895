"""Report and certificate files: stored under ``MEDIA_ROOT`` with their SHA-256, never served by
the web server, handed out only by permission-checked, audited views (``assets.views.files``)."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from grc.files import check_evidence_upload, content_matches, file_response, sha256_of  # noqa: F401  (file_response: used by the views)

# .nessus is Nessus' XML export, .sarif the SARIF JSON of code scanners (both text, sniffed as such)
ALLOWED_REPORT_EXTENSIONS = {".pdf", ".html", ".htm", ".csv", ".json", ".xml", ".txt", ".zip", ".xlsx", ".sarif", ".nessus"}
DEFAULT_SCAN_IMPORT_MAX_BYTES = 50 * 1024 * 1024


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


def scan_import_max_bytes() -> int:
    """Scanner reports run larger than other evidence (a 10,000-finding Trivy JSON is tens of MB)."""
    return int(getattr(settings, "SCAN_IMPORT_MAX_BYTES", DEFAULT_SCAN_IMPORT_MAX_BYTES))


def check_scan_import_size(size: int) -> None:
    limit = scan_import_max_bytes()
    if size > limit:
        raise ValidationError({"file": f"The report is larger than {limit // (1024 * 1024)} MB: split the scan or export fewer targets."})


def report_file_name(filename: str, data: bytes) -> str:
    """The name to store an imported report under: the sent one when its extension is a report
    format, else one from the content (a raw API body has no name)."""
    name = PurePath(filename or "report").name[:200] or "report"
    if PurePath(name).suffix.lower() in ALLOWED_REPORT_EXTENSIONS - {".pdf", ".zip", ".xlsx"}:
        return name
    head = data[:64].lstrip()
    extension = ".json" if head[:1] in (b"{", b"[") else ".xml" if head[:1] == b"<" else ".csv"
    return f"{PurePath(name).stem or 'report'}{extension}"


def attach_scan_report(record, upload) -> None:
    """Store an imported scanner report (already parsed, so its format is known good): the
    extension and content checks of ``check_report``, the size limit of scan imports."""
    extension = PurePath(upload.name).suffix.lower()
    if extension not in ALLOWED_REPORT_EXTENSIONS:
        raise ValidationError({"file": f"Upload the report as one of {', '.join(sorted(ALLOWED_REPORT_EXTENSIONS))}."})
    check_scan_import_size(upload.size)
    if not content_matches(upload, extension):
        raise ValidationError({"file": f"The file's content is not a {extension[1:].upper()} file."})
    record.report_sha256 = sha256_of(upload)
    record.report_name = PurePath(upload.name).name[:200]
    record.report.save(f"{uuid.uuid4().hex}{extension}", upload, save=False)


def save_pdf(field, data: bytes, stem: str) -> str:
    """Save PDF bytes into a FileField and return their SHA-256."""
    field.save(f"{stem}-{uuid.uuid4().hex[:12]}.pdf", ContentFile(data), save=False)
    return hashlib.sha256(data).hexdigest()

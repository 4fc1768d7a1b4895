"""Stored files, shared by every app: hashing, content sniffing, validation and safe downloads.

Files live under ``MEDIA_ROOT`` (outside the web root) with their SHA-256 and are handed out only
by permission-checked, audited views, always as an attachment.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from pathlib import PurePath
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse

if TYPE_CHECKING:
    from django.core.files import File
    from django.db.models.fields.files import FieldFile

# What the first bytes of a file of each binary format are; text formats must look like text.
MAGIC_BYTES = {".pdf": (b"%PDF-",), ".zip": (b"PK\x03\x04", b"PK\x05\x06"), ".xlsx": (b"PK\x03\x04",), ".docx": (b"PK\x03\x04",)}
MAGIC_BYTES.update({".png": (b"\x89PNG",), ".jpg": (b"\xff\xd8",), ".jpeg": (b"\xff\xd8",)})
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
EVIDENCE_EXTENSIONS = {".pdf", ".png", ".jpg", ".jpeg", ".csv", ".json", ".txt", ".html", ".htm", ".xml", ".zip", ".xlsx", ".docx"}


def sha256_of(fileobj: IO[bytes]) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def content_matches(upload: IO[bytes], extension: str) -> bool:
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


def check_evidence_upload(
    upload: File[bytes], *, allowed: Iterable[str] = EVIDENCE_EXTENSIONS, what: str = "evidence file", hint: str = ""
) -> None:
    """Refuse a file that is too large, of another format, or whose content is not what its name says
    (the messages are shown next to the field; ``hint`` ends the content message)."""
    assert upload.name is not None  # an uploaded file always has the name the browser sent
    extension = PurePath(upload.name).suffix.lower()
    if extension not in allowed:
        raise ValidationError(f"Upload the {what} as one of {', '.join(sorted(allowed))}.")
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError(f"The {what} is larger than {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    if not content_matches(upload, extension):
        raise ValidationError(f"The file's content is not a {extension[1:].upper()} file{': ' + hint if hint else ''}.")


def store_upload(field: FieldFile, upload: File[bytes]) -> str:
    """Save ``upload`` into a FileField under a random name (the original name is never a path); return its SHA-256."""
    digest = sha256_of(upload)
    assert upload.name is not None  # an uploaded file always has the name the browser sent
    field.save(f"{uuid.uuid4().hex}{PurePath(upload.name).suffix.lower()}", upload, save=False)
    return digest


def file_response(field: FieldFile, download_name: str, content_type: str = "application/octet-stream") -> FileResponse:
    """Always an attachment, never rendered inline (a report could hold active HTML)."""
    response = FileResponse(field.open("rb"), as_attachment=True, filename=download_name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response

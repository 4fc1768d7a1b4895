"""Assessment documents (architecture, data-flow and network diagrams …) with review dates.

The policy library (grc/policies) governs text documents with versions and signed reviews; a
diagram an assessor asks to see is a file with a review date, so the kit keeps this small model
and puts each document's periodic review on the obligation clock
(``compliance.kit_document_review``, 12 months by default, adjustable like every cadence).
Files live under ``MEDIA_ROOT`` with their SHA-256 and are only handed out by an audited view.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse

from grc.audit.services import record_change
from grc.compliance.services import obligation_complete, obligation_open, obligation_waive
from grc.kit.models import KitDocument, KitDocumentKind

REVIEW_KIND = "compliance.kit_document_review"
ALLOWED_EXTENSIONS = {".pdf", ".png", ".jpg", ".jpeg", ".svg", ".vsdx", ".drawio", ".txt", ".md"}
DEFAULT_CLAUSES: dict[str, list[str]] = {
    KitDocumentKind.ARCHITECTURE: ["1.1", "2.3", "3"],
    KitDocumentKind.DATA_FLOW: ["1.8", "2.1", "2.2", "3"],
    KitDocumentKind.NETWORK: ["1.1", "1.5", "3"],
    KitDocumentKind.OTHER: ["3"],
}


def check_upload(upload) -> None:
    extension = PurePath(upload.name).suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise ValidationError({"file": f"Upload the document as one of {', '.join(sorted(ALLOWED_EXTENSIONS))}."})
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError({"file": f"The file is larger than {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB."})
    if upload.size == 0:
        raise ValidationError({"file": "The file is empty."})


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _open_review(document: KitDocument, anchor_at: datetime, owner) -> None:
    obligation = obligation_open(
        kind=REVIEW_KIND,
        subject=document,
        anchor_at=anchor_at,
        owner=owner,
        title=f"Review the {document.get_kind_display().lower()} (document {document.pk})",
        url=document.get_absolute_url(),
    )
    document.review_due_at = obligation.due_at
    document.save(update_fields=["review_due_at"])


@transaction.atomic
def kit_document_upload(
    *, kind: str, title: str, clauses: list[str], upload, by, now: datetime, supersedes: KitDocument | None = None, request=None
) -> KitDocument:
    """Attach a document; the upload counts as its first review. A new version supersedes the old one."""
    check_upload(upload)
    if kind not in KitDocumentKind.values:
        raise ValidationError({"kind": "Choose the kind of document."})
    if supersedes is not None and supersedes.superseded_at is not None:
        raise ValidationError({"supersedes": "That document was already replaced."})
    extension = PurePath(upload.name).suffix.lower()
    document = KitDocument(
        kind=kind,
        title=title.strip(),
        clauses=sorted(set(clauses or DEFAULT_CLAUSES[kind]), key=lambda c: [int(p) for p in c.split(".")]),
        file_name=PurePath(upload.name).name[:200],
        file_sha256=_sha256(upload),
        file_size=upload.size,
        uploaded_by=by,
        uploaded_at=now,
        reviewed_at=now,
        reviewed_by=by,
        review_due_at=now,
        supersedes=supersedes,
    )
    document.file.save(f"{uuid.uuid4().hex}{extension}", upload, save=False)
    document.save()
    _open_review(document, now, by)
    if supersedes is not None:
        supersedes.superseded_at = now
        supersedes.save(update_fields=["superseded_at"])
        obligation_waive(kind=REVIEW_KIND, subject=supersedes, when=now, reason=f"replaced by document {document.pk}", by=by)
        record_change(
            "updated", supersedes, request=request, actor=by, changed_fields=["superseded_at"], message=f"superseded by {document.pk}"
        )
    record_change("created", document, request=request, actor=by, changed_fields=["kind", "title", "clauses", "file"])
    return document


@transaction.atomic
def kit_document_review(*, document: KitDocument, by, now: datetime, request=None) -> KitDocument:
    """Record that the document was reviewed and is still accurate; the next review is due a period later."""
    if document.superseded_at is not None:
        raise ValidationError("A replaced document is not reviewed: review the current one.")
    document.reviewed_at, document.reviewed_by = now, by
    document.save(update_fields=["reviewed_at", "reviewed_by"])
    obligation_complete(kind=REVIEW_KIND, subject=document, completed_at=now, completed_by=by, open_next=False)
    _open_review(document, now, by)
    record_change("reviewed", document, request=request, actor=by, changed_fields=["reviewed_at"])
    return document


def document_response(document: KitDocument) -> FileResponse:
    """Always an attachment, never rendered inline (an SVG could hold script)."""
    response = FileResponse(document.file.open("rb"), as_attachment=True, filename=document.file_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response

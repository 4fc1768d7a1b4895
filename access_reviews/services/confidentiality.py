"""Recording confidentiality agreements (DPP 2.2). The signed document, when uploaded, is kept
under ``MEDIA_ROOT`` with its SHA-256 (it names the person: it is served only by an audited view).
Audit events carry field names only."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from access_reviews.models import ConfidentialityAgreement, Person
from grc.audit.services import record_change

DOCUMENT_TYPES = (".pdf", ".png", ".jpg", ".jpeg", ".docx", ".odt")


def check_document(upload) -> None:
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError({"document": f"The file is larger than {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB."})
    if PurePath(upload.name).suffix.lower() not in DOCUMENT_TYPES:
        raise ValidationError({"document": f"Attach the signed document as one of {', '.join(DOCUMENT_TYPES)}."})


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def agreement_record(
    *,
    person: Person,
    signed_on: date,
    valid_until: date | None,
    reference: str,
    document=None,
    by,
    now: datetime,
    request=None,
) -> ConfidentialityAgreement:
    """Record a signed confidentiality agreement (or contract clause) of ``person``."""
    if signed_on > now.date():
        raise ValidationError({"signed_on": "The agreement cannot be signed in the future."})
    if valid_until is not None and valid_until < signed_on:
        raise ValidationError({"valid_until": "It cannot end before it was signed."})
    if document is None and not reference.strip():
        raise ValidationError({"reference": "Attach the signed document or say where the clause is."})
    agreement = ConfidentialityAgreement(
        person=person, signed_on=signed_on, valid_until=valid_until, reference=reference.strip(), recorded_by=by, recorded_at=now
    )
    if document is not None:
        check_document(document)
        extension = PurePath(document.name).suffix.lower()
        agreement.document_sha256 = _sha256(document)
        agreement.document_name = f"confidentiality-{person.person_id}{extension}"[:200]
        agreement.document.save(f"{uuid.uuid4().hex}{extension}", document, save=False)
    agreement.save()
    fields = ["signed_on", "valid_until", "reference"] + (["document"] if document is not None else [])
    record_change("created", agreement, request=request, actor=by, changed_fields=fields)
    return agreement

"""Evidence and its chain of custody (DPP 1.6: "maintain the chain of custody for all evidences").

Files are stored under ``MEDIA_ROOT`` (outside the web root, never served by a URL of their own)
in a random folder with a sanitised name; their SHA-256 is computed while they are stored.
Custody entries are append-only: collection, each hand-over, each download and each hash check
is a new entry. ``evidence_verify`` re-reads the stored file and compares its hash (the result
is audited and shown).
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import datetime
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.db import transaction
from django.utils.text import get_valid_filename

from grc.audit.services import record_change, record_event
from incidents.models import CustodyEntry, CustodyKind, EvidenceItem, EvidenceKind, Incident

EVIDENCE_STORE = "portal evidence store"
MAX_NAME_LENGTH = 120


def safe_filename(name: str) -> str:
    """The last path component of an uploaded name, reduced to safe characters.

    ``../../etc/passwd`` → ``passwd``; ``C:\\logs\\a b.txt`` → ``a_b.txt``; hidden files lose their
    leading dots; an empty result becomes ``evidence``.
    """
    name = unicodedata.normalize("NFKC", name or "").replace("\\", "/").replace("\x00", "")
    name = PurePosixPath(name).name
    try:
        name = get_valid_filename(name)
    except SuspiciousFileOperation:  # Django refuses names like ".." outright
        name = ""
    name = name.lstrip(".")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[: MAX_NAME_LENGTH - len(suffix) - 1] + dot + suffix) if dot and len(suffix) <= 10 else name[:MAX_NAME_LENGTH]
    return name or "evidence"


def sha256_of(chunks) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def max_upload_bytes() -> int:
    return int(settings.MAX_UPLOAD_BYTES)


def _person_label(user) -> str:
    return user.get_full_name() or user.get_username()


def _append(
    *,
    evidence: EvidenceItem,
    kind: str,
    from_party: str,
    to_party: str,
    at: datetime,
    purpose: str,
    by,
    recorded_at: datetime | None = None,
) -> CustodyEntry:
    return CustodyEntry.objects.create(
        evidence=evidence,
        kind=kind,
        from_party=from_party,
        to_party=to_party,
        at=at,
        purpose=purpose,
        recorded_by=by,
        recorded_at=recorded_at or at,
    )


@transaction.atomic
def evidence_add(
    *,
    incident: Incident,
    by,
    label: str,
    description: str = "",
    upload=None,
    collected_by,
    collected_at: datetime,
    now: datetime,
    request=None,
) -> EvidenceItem:
    """Add a file (stored with its SHA-256) or, without a file, a physical item; the custody
    chain starts with the collection."""
    if collected_at > now:
        raise ValidationError({"collected_at": "The collection time cannot be in the future."})
    item = EvidenceItem(
        incident=incident,
        kind=EvidenceKind.FILE if upload is not None else EvidenceKind.PHYSICAL,
        label=label,
        description=description,
        collected_by=collected_by,
        collected_at=collected_at,
        recorded_by=by,
        recorded_at=now,
        storage_token=secrets.token_hex(16),
    )
    if upload is not None:
        if upload.size > max_upload_bytes():
            raise ValidationError({"upload": f"The file is larger than the limit of {max_upload_bytes() // (1024 * 1024)} MB."})
        if not description.strip() and not label.strip():
            raise ValidationError({"label": "Say what the file is."})
        item.sha256, item.size = sha256_of(upload.chunks())
        item.original_name = safe_filename(upload.name)
        item.file.save(item.original_name, upload, save=False)
    elif not description.strip():
        raise ValidationError({"description": "Describe the physical item (what it is, where it is kept), or upload a file."})
    item.save()
    where = EVIDENCE_STORE if item.is_file else "evidence custodian"
    _append(
        evidence=item,
        kind=CustodyKind.COLLECTED,
        from_party="incident scene",
        to_party=f"{_person_label(collected_by)} → {where}" if item.is_file else _person_label(collected_by),
        at=collected_at,
        purpose="collected as evidence",
        by=by,
        recorded_at=now,
    )
    record_change("created", item, request=request, actor=by, changed_fields=["label", "description", "file", "sha256"])
    return item


@transaction.atomic
def custody_append(
    *, evidence: EvidenceItem, by, from_party: str, to_party: str, at: datetime, purpose: str, now: datetime, request=None
) -> CustodyEntry:
    """Record a hand-over or access. Entries are never changed: a correction is a new entry."""
    if at > now:
        raise ValidationError({"at": "The hand-over time cannot be in the future."})
    if at < evidence.collected_at:
        raise ValidationError({"at": "A hand-over cannot come before the item was collected."})
    entry = _append(
        evidence=evidence,
        kind=CustodyKind.HANDOVER,
        from_party=from_party,
        to_party=to_party,
        at=at,
        purpose=purpose,
        by=by,
        recorded_at=now,
    )
    record_change("created", entry, request=request, actor=by, changed_fields=["from_party", "to_party", "at", "purpose"])
    return entry


@transaction.atomic
def evidence_accessed(*, evidence: EvidenceItem, by, purpose: str, now: datetime) -> CustodyEntry:
    """A download is an access: it joins the chain (the audit event is written by the view)."""
    return _append(
        evidence=evidence, kind=CustodyKind.ACCESS, from_party=EVIDENCE_STORE, to_party=_person_label(by), at=now, purpose=purpose, by=by
    )


def stored_hash(evidence: EvidenceItem) -> str | None:
    """SHA-256 of the stored file now, or None when the file is gone."""
    try:
        with evidence.file.open("rb") as handle:
            digest, _ = sha256_of(handle.chunks())
    except (FileNotFoundError, ValueError):
        return None
    return digest


@transaction.atomic
def evidence_verify(*, evidence: EvidenceItem, by, now: datetime, request=None) -> bool:
    """Re-read the stored file and compare its SHA-256 with the one taken on upload."""
    if not evidence.is_file:
        raise ValidationError("A physical item has no file hash to verify.")
    current = stored_hash(evidence)
    match = current == evidence.sha256
    EvidenceItem.objects.filter(pk=evidence.pk).update(last_verified_at=now, last_verified_match=match)
    evidence.last_verified_at, evidence.last_verified_match = now, match
    _append(
        evidence=evidence,
        kind=CustodyKind.VERIFIED,
        from_party=EVIDENCE_STORE,
        to_party=EVIDENCE_STORE,
        at=now,
        purpose="SHA-256 re-verified: matches" if match else ("SHA-256 re-verified: MISMATCH" if current else "file missing"),
        by=by,
    )
    record_event(
        "incidents.evidenceitem.verified",
        request=request,
        actor=by,
        obj=evidence,
        outcome="success" if match else "failure",
        message="hash matches" if match else ("hash mismatch" if current else "file missing"),
        details={"match": match},
    )
    return match

"""Evidence packs: request one (queued to Celery after commit), build it, record who got it.

* ``pack_request`` — a row in ``queued``; the build is queued only once the row is committed.
* ``pack_build`` — one pack, by id: claims it (``queued`` → ``building`` with an update whose row
  count says whether this worker won), assembles it with progress written to the row, stores the
  PDF (and ZIP) with their SHA-256 and records ``evidence.pack.built`` with the hashes in the
  audit trail. A failure is recorded on the row and in the trail (error class only, no PII).
* ``pack_download_recorded`` — the audited download (``record_download``) of the PDF or ZIP.
* ``pack_matching`` — which issued pack (or letter) an uploaded file is, by its SHA-256.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from grc.audit.services import record_event
from grc.evidence.builder import Built, assemble
from grc.evidence.clauses import normalise_scope
from grc.evidence.collect import person_name
from grc.evidence.models import CertificationLetter, EvidencePack, PackChannel, PackStatus

logger = logging.getLogger("grc.evidence")
MAX_PERIOD_DAYS = 3 * 366 + 1  # three years: longer packs belong in several files


def _validate(period_start, period_end, now: datetime) -> None:
    errors = {}
    if period_start > period_end:
        errors["period_end"] = "The period must end on or after its first day."
    elif (period_end - period_start).days + 1 > MAX_PERIOD_DAYS:
        errors["period_end"] = "A pack covers at most three years: build one per year instead."
    elif period_start > now.date():
        errors["period_start"] = "The period cannot start in the future."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def pack_request(
    *,
    period_start,
    period_end,
    clauses,
    by,
    now: datetime,
    include_zip: bool = True,
    channel: str = PackChannel.WEB,
    queue: bool = True,
    request=None,
) -> EvidencePack:
    """Create the pack row and queue its build (after commit). ``queue=False``: the caller builds it."""
    _validate(period_start, period_end, now)
    pack = EvidencePack.objects.create(
        period_start=period_start,
        period_end=period_end,
        clauses=normalise_scope(clauses),
        include_zip=include_zip,
        requested_by=by,
        requested_at=now,
        channel=channel,
        step="Waiting for a worker",
    )
    record_event(
        "evidence.pack.requested",
        request=request,
        actor=by,
        system_actor="" if by else "command:evidence_pack",
        channel=None if request is not None else ("command" if channel == PackChannel.COMMAND else "task"),
        obj=pack,
        details={"period_start": period_start.isoformat(), "period_end": period_end.isoformat(), "clauses": pack.clauses or "all"},
        occurred_at=now,
    )
    if queue:
        from grc.evidence.tasks import build_pack
        from grc.queue import enqueue

        enqueue(build_pack, pack.pk)
    return pack


def _progress_writer(pack_id: int):
    def write(percent: int, step: str) -> None:
        EvidencePack.objects.filter(pk=pack_id, status=PackStatus.BUILDING).update(progress=max(0, min(percent, 99)), step=step[:200])

    return write


def pack_claim(pack_id: int, now: datetime) -> bool:
    """Move a queued pack to ``building``; False when another worker has it (or it is done)."""
    claimed = EvidencePack.objects.filter(pk=pack_id, status=PackStatus.QUEUED).update(
        status=PackStatus.BUILDING, started_at=now, progress=1, step="Starting"
    )
    return claimed == 1


def pack_build(*, pack_id: int, now: datetime | None = None) -> EvidencePack:
    """Build one queued pack. Runs outside a transaction so the page sees the progress."""
    now = now or timezone.now()
    if not pack_claim(pack_id, now):
        return EvidencePack.objects.get(pk=pack_id)
    pack = EvidencePack.objects.select_related("requested_by").get(pk=pack_id)
    requested_by = person_name(pack.requested_by) if pack.requested_by else "the command line (manage.py evidence_pack)"
    try:
        with tempfile.TemporaryFile() as zip_handle:
            built = assemble(
                period=pack.period,
                clauses=pack.clauses,
                now=now,
                reference=pack.reference,
                requested_by=requested_by,
                channel=pack.channel,
                zip_file=zip_handle if pack.include_zip else None,
                progress=_progress_writer(pack.pk),
            )
            _store(pack, built, zip_handle if pack.include_zip else None, finished_at=timezone.now())
    except Exception as error:
        logger.exception("evidence pack %s failed", pack_id)
        return _fail(pack, error)
    return pack


@transaction.atomic
def _store(pack: EvidencePack, built: Built, zip_handle, *, finished_at: datetime) -> None:
    stem = f"{pack.download_name}-{uuid.uuid4().hex[:10]}"
    pack.pdf.save(f"{stem}.pdf", ContentFile(built.pdf), save=False)
    pack.pdf_sha256, pack.pdf_size, pack.page_count = built.pdf_sha256, len(built.pdf), built.page_count
    if zip_handle is not None:
        zip_handle.seek(0)
        digest = hashlib.sha256()
        for chunk in iter(lambda: zip_handle.read(1024 * 1024), b""):
            digest.update(chunk)
        pack.zip_size = zip_handle.tell()
        zip_handle.seek(0)
        pack.zip.save(f"{stem}.zip", File(zip_handle), save=False)
        pack.zip_sha256 = digest.hexdigest()
    pack.manifest = {**built.manifest, "pdf": {"sha256": built.pdf_sha256, "pages": built.page_count}}
    if pack.zip_sha256:
        pack.manifest["zip"] = {"sha256": pack.zip_sha256, "size": pack.zip_size}
    pack.generated_at = datetime.fromisoformat(built.manifest["parameters"]["generated_at"])
    pack.status, pack.progress, pack.step = PackStatus.READY, 100, "Ready"
    pack.finished_at, pack.build_seconds = finished_at, built.seconds
    pack.save()
    record_event(
        "evidence.pack.built",
        actor=pack.requested_by,
        system_actor="task:build_pack",
        channel="command" if pack.channel == PackChannel.COMMAND else "task",
        obj=pack,
        message="evidence pack issued",
        details={
            "pdf_sha256": pack.pdf_sha256,
            "zip_sha256": pack.zip_sha256,
            "pages": pack.page_count,
            "attachments": len(built.manifest["attachments"]),
            "errors": len(built.errors),
            "seconds": built.seconds,
        },
        occurred_at=finished_at,
    )


def _fail(pack: EvidencePack, error: Exception) -> EvidencePack:
    pack.status, pack.failure, pack.finished_at = PackStatus.FAILED, type(error).__name__[:300], timezone.now()
    pack.step = "Failed"
    pack.save(update_fields=["status", "failure", "finished_at", "step"])
    record_event(
        "evidence.pack.failed",
        system_actor="task:build_pack",
        channel="task",
        obj=pack,
        outcome="failure",
        message=f"build failed: {type(error).__name__}",
    )
    return pack


def pack_download_recorded(request, pack: EvidencePack, what: str) -> None:
    from grc.audit.services import record_download

    record_download(request, pack, what=f"evidence_pack_{what}")


@dataclass(frozen=True)
class Match:
    sha256: str
    pack: EvidencePack | None = None
    letter: CertificationLetter | None = None
    what: str = ""  # "pdf", "zip", "letter"

    @property
    def found(self) -> bool:
        return self.pack is not None or self.letter is not None


def sha256_of_upload(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def pack_matching(sha256: str) -> Match:
    """The issued pack (PDF or ZIP) or certification letter with exactly this SHA-256."""
    pack = EvidencePack.objects.select_related("requested_by").filter(status=PackStatus.READY, pdf_sha256=sha256).first()
    if pack is not None:
        return Match(sha256, pack=pack, what="pdf")
    pack = EvidencePack.objects.select_related("requested_by").filter(status=PackStatus.READY, zip_sha256=sha256).first()
    if pack is not None:
        return Match(sha256, pack=pack, what="zip")
    letter = CertificationLetter.objects.select_related("signed_by").filter(sha256=sha256).first()
    if letter is not None:
        return Match(sha256, letter=letter, what="letter")
    return Match(sha256)


def pack_verify(*, upload, by, now: datetime, request=None) -> Match:
    """Hash an uploaded file and say which issued document it is; the attempt is audited
    (with the hash and the result, never the file)."""
    match = pack_matching(sha256_of_upload(upload))
    subject = match.pack or match.letter
    record_event(
        "evidence.pack.verified",
        request=request,
        actor=by,
        obj=subject,
        object_type="" if subject else "evidence.evidencepack",
        outcome="success" if match.found else "failure",
        message="matches an issued document" if match.found else "matches no issued document",
        details={"sha256": match.sha256, "what": match.what, "size": upload.size},
        occurred_at=now,
    )
    return match

"""Evidence packs: request one (queued to Celery after commit), build it, record who got it.

* ``pack_request`` — a row in ``queued``; the build is queued only once the row is committed.
* ``pack_build`` — one pack, by id: claims it under a lease (``grc.jobs``: a queued pack, or a
  building one whose worker stopped renewing), assembles it with progress written to the row —
  each report renews the lease — stores the PDF (and ZIP) with their SHA-256 and records
  ``evidence.pack.built`` with the hashes in the audit trail. An error is recorded on the row and
  in the trail (its class only, no PII). A worker that lost its lease writes nothing.
* ``packs_sweep`` — beat, every minute: a building pack whose lease ran out is queued again
  (built from the start), or failed with the reason after ``EVIDENCE_PACK_MAX_ATTEMPTS``.
* ``pack_retry`` — the security lead or the requester builds a failed pack again (audited).
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

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from grc.audit.services import record_download, record_event
from grc.evidence.builder import Built, assemble
from grc.evidence.clauses import normalise_scope
from grc.evidence.collect import person_name
from grc.evidence.models import CertificationLetter, EvidencePack, PackChannel, PackStatus
from grc.jobs import (
    LeasePolicy,
    attempts_exhausted,
    expired_q,
    lease_claim,
    lease_expired,
    lease_release,
    lease_renew,
    leases_expired,
    seconds_left,
)
from grc.queue import enqueue

logger = logging.getLogger("grc.evidence")
# queued by name (grc.queue looks the task up in Celery's registry): the task module calls this
# service module, so this one does not import it back
BUILD_PACK = "grc.evidence.tasks.build_pack"
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
        enqueue(BUILD_PACK, pack.pk)
    return pack


class LeaseLost(Exception):
    """The sweep or another worker took the pack over: this build stops without writing."""


def pack_lease_policy() -> LeasePolicy:
    return LeasePolicy(
        seconds=settings.EVIDENCE_PACK_LEASE_SECONDS,
        max_attempts=settings.EVIDENCE_PACK_MAX_ATTEMPTS,
        waiting=PackStatus.QUEUED,
        running=PackStatus.BUILDING,
    )


def _progress_writer(pack_id: int, attempt: int):
    """Each progress report is also the heartbeat that keeps the lease."""
    policy = pack_lease_policy()

    def write(percent: int, step: str) -> None:
        fields = {"progress": max(1, min(percent, 99)), "step": step[:200]}
        if not lease_renew(EvidencePack.objects.all(), pack_id, attempt=attempt, policy=policy, now=timezone.now(), **fields):
            raise LeaseLost(f"pack {pack_id} attempt {attempt}")

    return write


def _attempt_words(attempt: int) -> str:
    return f" (attempt {attempt} of {settings.EVIDENCE_PACK_MAX_ATTEMPTS})" if attempt > 1 else ""


def pack_claim(pack_id: int, now: datetime) -> int | None:
    """Take a queued pack, or a building one whose lease ran out, for this worker: the attempt
    number it is built as, or None (another worker has it, it is done, or its attempts are used
    up — then it is failed here with the reason)."""
    policy = pack_lease_policy()
    row = EvidencePack.objects.filter(pk=pack_id).values("attempts").first()
    attempt = (row["attempts"] if row else 0) + 1
    claimed = lease_claim(
        EvidencePack.objects.all(), pack_id, policy=policy, now=now, started_at=now, progress=1, step=f"Starting{_attempt_words(attempt)}"
    )
    if claimed is None:
        pack_give_up_if_exhausted(pack_id, now)
    return claimed


def pack_give_up_if_exhausted(pack_id: int, now: datetime) -> bool:
    """Fail a pack whose worker stopped on its last allowed attempt; True when this call failed it."""
    policy = pack_lease_policy()
    row = EvidencePack.objects.filter(pk=pack_id).values("status", "attempts", "lease_expires_at", "heartbeat_at").first()
    if row is None or row["status"] != PackStatus.BUILDING or not lease_expired(row["lease_expires_at"], now):
        return False
    if not attempts_exhausted(row["attempts"], policy):
        return False
    heartbeat = f" at {row['heartbeat_at']:%Y-%m-%d %H:%M} UTC" if row["heartbeat_at"] else ""
    reason = (
        f"The worker building it stopped {row['attempts']} times before it finished (last sign of life{heartbeat}). "
        "Retry it; if it stops again, tell the portal's administrator."
    )
    failed = EvidencePack.objects.filter(expired_q(now), pk=pack_id, status=PackStatus.BUILDING, attempts=row["attempts"]).update(
        status=PackStatus.FAILED, failure=reason[:300], finished_at=now, step="Failed", lease_expires_at=None
    )
    if failed != 1:
        return False
    record_event(
        "evidence.pack.failed",
        system_actor="task:sweep_pack_leases",
        channel="task",
        obj=EvidencePack(pk=pack_id),
        outcome="failure",
        message=f"build abandoned: worker lost {row['attempts']} times",
        details={"attempts": row["attempts"], "reason": "worker_lost"},
        occurred_at=now,
    )
    return True


def packs_sweep(now: datetime) -> dict[str, int]:
    """Queue again every pack whose worker stopped renewing its lease (or fail it when its attempts
    are used up), so a killed worker costs one lease, not Redis' visibility timeout."""
    policy = pack_lease_policy()
    counts = {"requeued": 0, "failed": 0}
    stale = leases_expired(EvidencePack.objects.all(), policy=policy, now=now).values_list("pk", "attempts").order_by("pk")
    for pack_id, attempts in list(stale):
        if pack_give_up_if_exhausted(pack_id, now):
            counts["failed"] += 1
            continue
        with transaction.atomic():
            step = f"Waiting for a worker: the last one stopped{_attempt_words(attempts + 1)}"
            if not lease_release(EvidencePack.objects.all(), pack_id, attempt=attempts, now=now, policy=policy, progress=0, step=step):
                continue
            record_event(
                "evidence.pack.requeued",
                system_actor="task:sweep_pack_leases",
                channel="task",
                obj=EvidencePack(pk=pack_id),
                message=f"worker lost on attempt {attempts}: queued again",
                details={"attempts": attempts},
                occurred_at=now,
            )
            enqueue(BUILD_PACK, pack_id)
        counts["requeued"] += 1
    return counts


def pack_lease_wait(pack_id: int, now: datetime) -> float | None:
    """Seconds until the lease of another worker on this pack runs out (then a redelivered task
    should try again), or None when the pack needs nothing more from this task."""
    row = EvidencePack.objects.filter(pk=pack_id).values("status", "lease_expires_at").first()
    if row is None or row["status"] != PackStatus.BUILDING:
        return None
    return seconds_left(row["lease_expires_at"], now) + 1


@transaction.atomic
def pack_retry(*, pack: EvidencePack, by, now: datetime, request=None) -> EvidencePack:
    """Build a failed pack again from the start, with a fresh count of attempts (audited)."""
    if not pack.is_failed:
        raise ValidationError("Only a failed pack can be built again.")
    if not pack.may_retry(by):
        raise PermissionDenied("Only the security lead or whoever asked for the pack can build it again.")
    reset = EvidencePack.objects.filter(pk=pack.pk, status=PackStatus.FAILED).update(
        status=PackStatus.QUEUED,
        attempts=0,
        failure="",
        progress=0,
        step="Waiting for a worker",
        started_at=None,
        finished_at=None,
        lease_expires_at=None,
        heartbeat_at=None,
    )
    if reset != 1:
        raise ValidationError("Only a failed pack can be built again.")
    record_event(
        "evidence.pack.retried",
        request=request,
        actor=by,
        obj=pack,
        message="failed pack queued again",
        details={"previous_failure": pack.failure[:120], "previous_attempts": pack.attempts},
        occurred_at=now,
    )
    enqueue(BUILD_PACK, pack.pk)
    pack.refresh_from_db()
    return pack


def pack_build(*, pack_id: int, now: datetime | None = None) -> EvidencePack:
    """Build one pack if this worker can claim it. Runs outside a transaction so the page sees the
    progress; a reclaimed pack is built from the start (nothing is kept between attempts)."""
    now = now or timezone.now()
    attempt = pack_claim(pack_id, now)
    if attempt is None:
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
                progress=_progress_writer(pack.pk, attempt),
            )
            _store(pack, built, zip_handle if pack.include_zip else None, attempt=attempt, finished_at=timezone.now())
    except LeaseLost:
        logger.warning("evidence pack %s: attempt %s lost its lease; another worker builds it", pack_id, attempt)
        return EvidencePack.objects.get(pk=pack_id)
    except Exception as error:
        logger.exception("evidence pack %s failed", pack_id)
        return _fail(pack, error, attempt=attempt)
    return pack


@transaction.atomic
def _store(pack: EvidencePack, built: Built, zip_handle, *, attempt: int, finished_at: datetime) -> None:
    held = EvidencePack.objects.select_for_update().filter(pk=pack.pk, status=PackStatus.BUILDING, attempts=attempt).exists()
    if not held:  # fenced: the lease went to another worker while this one rendered
        raise LeaseLost(f"pack {pack.pk} attempt {attempt}")
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
    pack.attempts, pack.lease_expires_at, pack.heartbeat_at = attempt, None, finished_at
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


def _fail(pack: EvidencePack, error: Exception, *, attempt: int) -> EvidencePack:
    name = type(error).__name__
    reason = f"The build stopped with an error ({name}). Retry it; if it fails again, tell the portal's administrator."
    failed = EvidencePack.objects.filter(pk=pack.pk, status=PackStatus.BUILDING, attempts=attempt).update(
        status=PackStatus.FAILED, failure=reason[:300], finished_at=timezone.now(), step="Failed", lease_expires_at=None
    )
    pack.refresh_from_db()
    if failed != 1:
        return pack
    record_event(
        "evidence.pack.failed",
        system_actor="task:build_pack",
        channel="task",
        obj=pack,
        outcome="failure",
        message=f"build failed: {name}",
        details={"attempts": attempt, "reason": "error", "error": name},
    )
    return pack


def pack_download_recorded(request, pack: EvidencePack, what: str) -> None:
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

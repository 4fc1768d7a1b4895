"""The import page's scanner reports, read in Celery (STYLE: heavy work runs in a task, not in the
request): upload → queued → running → done (the scan) or failed (the parser's message).

The page checks what is cheap (size, extension, a sniff of the format) and calls
``scan_import_request``, which keeps the file and queues ``assets.tasks.import_scan_report``
through the outbox; the task calls ``scan_import_run`` with the job's id. The full parse and the
writes are ``assets.services.scan_import.scan_import``, unchanged: a bad file is a
``ValidationError`` and writes nothing, the same report twice reuses its scan (SHA-256).

Like the accounts import (``access_reviews.imports.jobs``) the run *claims* the job under a lease
(``grc.jobs``); a worker that died leaves its lease to run out, and ``scan_imports_sweep`` (beat,
every minute) queues the job again, or fails it with the reason after ``SCAN_IMPORT_MAX_ATTEMPTS``.
The import and the job's result are one transaction fenced on the attempt claimed, so a worker
that lost its lease writes nothing (its import is rolled back with it).

The uploaded file is deleted once the job is done or failed: the scan keeps its own copy of the
report, and a refused file is still on the lead's machine.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from assets.models import Asset, ScanImportJob, ScanImportStatus
from assets.services.scan_import import scan_import
from grc.audit.services import record_event
from grc.files import sha256_of
from grc.jobs import LeasePolicy, attempts_exhausted, expired_q, lease_claim, lease_expired, lease_release, leases_expired
from grc.queue import enqueue

logger = logging.getLogger("assets.scan_import")

TASK = "assets.tasks.import_scan_report"  # by name: assets.tasks calls this module, not the other way round
FAILED_WORDS = "The import failed and nothing was written. Try again, or ask an administrator."
GONE_WORDS = "The uploaded file is no longer stored; nothing was written. Upload the report again."


class LeaseLost(Exception):
    """The sweep or another worker took the job over: this attempt stops and writes nothing."""


# --- pure rules -----------------------------------------------------------------------------
def scan_import_lease_policy() -> LeasePolicy:
    return LeasePolicy(
        seconds=settings.SCAN_IMPORT_LEASE_SECONDS,
        max_attempts=settings.SCAN_IMPORT_MAX_ATTEMPTS,
        waiting=ScanImportStatus.QUEUED,
        running=ScanImportStatus.RUNNING,
    )


def gave_up_words(attempts: int) -> str:
    return (
        f"The worker stopped {attempts} times before the import finished; nothing was written. "
        "Upload the report again; if it stops again, tell the portal's administrator."
    )


def error_words(error: ValidationError) -> str:
    """The parser's message(s), as the form would show them (they never quote the file)."""
    return " ".join(error.messages)[:500]


def summary_words(summary: dict) -> str:
    """What an import did, in one sentence for the scan page."""
    if summary.get("already_imported"):
        return "This report was already imported: its findings are up to date, nothing was added."
    parts = [
        f"{summary.get('created', 0)} new",
        f"{summary.get('updated', 0)} already known",
        f"{summary.get('closed_fixed', 0)} closed as fixed",
    ]
    parts += [f"{summary['reopened']} reopened"] if summary.get("reopened") else []
    parts += [f"{summary['informational']} informational"] if summary.get("informational") else []
    unmatched = len(summary.get("unmatched_targets") or [])
    tail = f"; {unmatched} target(s) to assign below" if unmatched else ""
    return f"Report imported: {', '.join(parts)} finding(s){tail}."


def _counts(summary: dict) -> dict:
    """The summary for the audit trail: counts only (never the targets' names)."""
    return {key: value for key, value in summary.items() if key != "unmatched_targets"} | {
        "unmatched_targets": len(summary.get("unmatched_targets") or [])
    }


# --- the page -------------------------------------------------------------------------------
@transaction.atomic
def scan_import_request(*, upload, format: str, scope: str, full_scope: bool, assets, by, now: datetime, request=None) -> ScanImportJob:
    """Keep the (already checked) upload and queue its import; the task runs after the commit."""
    extension = PurePath(upload.name).suffix.lower()
    job = ScanImportJob(
        filename=PurePath(upload.name).name[:200],
        upload_sha256=sha256_of(upload),
        format=format or "auto",
        scope=scope or "",
        full_scope=full_scope,
        asset_ids=sorted(asset.pk for asset in assets),
        created_by=by,
        created_at=now,
    )
    job.upload.save(f"{uuid.uuid4().hex}{extension}", upload, save=False)
    job.save()
    record_event(
        "assets.scan_import.requested",
        request=request,
        actor=by,
        obj=job,
        details={"format": job.format, "bytes": upload.size, "full_scope": full_scope, "assets": len(job.asset_ids)},
    )
    enqueue(TASK, job.pk)  # published after commit (grc.queue)
    return job


# --- the worker -----------------------------------------------------------------------------
def _held(job_id: int, attempt: int):
    """The job while this attempt still holds it: every write of a result goes through here."""
    return ScanImportJob.objects.filter(pk=job_id, status=ScanImportStatus.RUNNING, attempts=attempt)


def _drop_upload(job_id: int) -> None:
    """Delete the stored upload of a finished job (the scan has its own copy of the report)."""
    job = ScanImportJob.objects.get(pk=job_id)
    if job.upload:
        job.upload.delete(save=False)
        ScanImportJob.objects.filter(pk=job_id).update(upload="")


def scan_import_claim(job_id: int, now: datetime) -> int | None:
    """Take the job for this worker: the attempt number it runs as (its fencing token), or None —
    it is done or failed, a live worker holds it, or its attempts are used up (then it is failed
    here with the reason)."""
    claimed = lease_claim(ScanImportJob.objects.all(), job_id, policy=scan_import_lease_policy(), now=now)
    if claimed is None:
        scan_import_give_up_if_exhausted(job_id, now, by="task:import_scan_report")
    return claimed


def scan_import_run(*, job_id: int, now: datetime) -> ScanImportJob:
    """Import the job's report (run by Celery, under the job's lease); returns the job as it ends.
    A rerun after a dead worker starts from the start: its transaction was rolled back."""
    attempt = scan_import_claim(job_id, now)
    job = ScanImportJob.objects.select_related("created_by").get(pk=job_id)
    if attempt is None:
        return job
    try:
        with transaction.atomic():
            # locked for the whole import, so the sweep leaves a live worker's job alone (PostgreSQL)
            if not _held(job_id, attempt).select_for_update().exists():
                raise LeaseLost(f"scan import {job_id} attempt {attempt}")
            try:
                with job.upload.open("rb") as stored:
                    data = stored.read()
            except (OSError, ValueError):  # ValueError: the field has no file
                raise ValidationError(GONE_WORDS) from None
            scan, summary = scan_import(
                data=data,
                filename=job.filename,
                format=job.format,
                scope=job.scope or None,
                full_scope=job.full_scope,
                assets=list(Asset.objects.filter(pk__in=job.asset_ids, retired_at__isnull=True)),
                by=job.created_by,
                now=now,
            )
            result = summary.as_dict()
            # fenced: a worker that lost its lease rolls its import back here
            if (
                _held(job_id, attempt).update(
                    status=ScanImportStatus.DONE, scan=scan, summary=result, failure="", finished_at=now, lease_expires_at=None
                )
                != 1
            ):
                raise LeaseLost(f"scan import {job_id} attempt {attempt}")
            record_event(
                "assets.scan_import.done",
                actor=job.created_by,
                channel="task",
                obj=job,
                details={"scan": scan.pk, "attempt": attempt, **_counts(result)},
                occurred_at=now,
            )
    except LeaseLost:
        logger.warning("scan import %s: attempt %s lost its lease; nothing of it was written", job_id, attempt)
    except ValidationError as error:
        _fail(job_id, attempt, error_words(error), reason="invalid_file", now=now, actor=job.created_by)
    except Exception:
        _fail(job_id, attempt, FAILED_WORDS, reason="error", now=now, actor=job.created_by)
        raise
    else:
        _drop_upload(job_id)
    job.refresh_from_db()
    return job


def _fail(job_id: int, attempt: int, failure: str, *, reason: str, now: datetime, actor) -> None:
    """Fail the job this attempt holds, with ``failure`` shown on the job page; the upload goes."""
    with transaction.atomic():
        if _held(job_id, attempt).update(status=ScanImportStatus.FAILED, failure=failure, finished_at=now, lease_expires_at=None) != 1:
            logger.warning("scan import %s: attempt %s lost its lease before failing", job_id, attempt)
            return
        record_event(
            "assets.scan_import.failed",
            actor=actor,
            channel="task",
            obj=ScanImportJob(pk=job_id),
            outcome="failure",
            details={"reason": reason, "attempt": attempt},
            occurred_at=now,
        )
    _drop_upload(job_id)


# --- the sweep ------------------------------------------------------------------------------
def scan_import_give_up_if_exhausted(job_id: int, now: datetime, *, by: str) -> bool:
    """Fail a job whose worker stopped on its last allowed attempt; True when this call failed it."""
    policy = scan_import_lease_policy()
    row = ScanImportJob.objects.filter(pk=job_id).values("status", "attempts", "lease_expires_at").first()
    if row is None or row["status"] != policy.running or not lease_expired(row["lease_expires_at"], now):
        return False
    if not attempts_exhausted(row["attempts"], policy):
        return False
    with transaction.atomic():
        failed = _held(job_id, row["attempts"]).filter(expired_q(now))
        if (
            failed.update(status=ScanImportStatus.FAILED, failure=gave_up_words(row["attempts"]), finished_at=now, lease_expires_at=None)
            != 1
        ):
            return False
        record_event(
            "assets.scan_import.failed",
            system_actor=by,
            channel="task",
            obj=ScanImportJob(pk=job_id),
            outcome="failure",
            message=f"abandoned: worker lost {row['attempts']} times",
            details={"reason": "worker_lost", "attempts": row["attempts"]},
            occurred_at=now,
        )
    _drop_upload(job_id)
    return True


def scan_imports_sweep(now: datetime) -> dict[str, int]:
    """Queue again every scan import whose worker stopped before its lease ran out (through the
    outbox, like the page), or fail it once its attempts are used up. A queued job is waiting for
    its task and is left to it."""
    policy = scan_import_lease_policy()
    counts = {"requeued": 0, "failed": 0}
    stale = leases_expired(ScanImportJob.objects.all(), policy=policy, now=now)
    for job_id, attempts in list(stale.order_by("pk").values_list("pk", "attempts")):
        if scan_import_give_up_if_exhausted(job_id, now, by="task:sweep_scan_import_leases"):
            counts["failed"] += 1
            continue
        with transaction.atomic():
            # a running import's transaction locks its row: a worker that still holds it is alive (PostgreSQL)
            if not ScanImportJob.objects.select_for_update(skip_locked=True).filter(pk=job_id).exists():
                continue
            if not lease_release(ScanImportJob.objects.all(), job_id, attempt=attempts, now=now, policy=policy):
                continue
            record_event(
                "assets.scan_import.requeued",
                system_actor="task:sweep_scan_import_leases",
                channel="task",
                obj=ScanImportJob(pk=job_id),
                message=f"worker lost on attempt {attempts}, queued again",
                details={"attempts": attempts},
                occurred_at=now,
            )
            enqueue(TASK, job_id)
        counts["requeued"] += 1
    return counts

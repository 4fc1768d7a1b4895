"""Writing checkpoints of the audit chain's head to the witness (hourly beat task,
``manage.py audit_checkpoint``; what they are for: grc.audit.witness and grc.audit.chain).

Each checkpoint is written after an incremental verification from the previous verified
checkpoint (so an hour's events are hashed, not the whole trail) and says whether it passed:
later verifications start only from a verified checkpoint. A failed one still records the head
as the table has it (the witness keeps what the table was) and the failure goes to the trail and
the error log, where the dashboard's 2.6 check and the log review see it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured

from grc.audit.chain import ChainReport, chain_result_record, chain_verify
from grc.audit.models import AuditEvent
from grc.audit.witness import Checkpoint, Witness, witness_configured

logger = logging.getLogger("grc.audit")
CHECKPOINT_ACTOR = "task:audit_checkpoint"


def audit_checkpoint_write(*, now: datetime, witness: Witness | None = None, system_actor: str = CHECKPOINT_ACTOR) -> Checkpoint:
    """Verify the events since the last checkpoint, then append the head to the witness."""
    witness = witness if witness is not None else witness_configured()
    if witness is None:
        raise ImproperlyConfigured("AUDIT_CHECKPOINT_DIR is empty: there is no witness to write audit checkpoints to")
    report = chain_verify(now=now, witness=witness)
    head_id, head_hash = (report.head_id, report.head_hash) if report.ok else _table_head()
    occurred = AuditEvent.objects.filter(id=head_id).values_list("occurred_at", flat=True).first() if head_id else None
    previous = witness.latest()
    checkpoint = Checkpoint(
        seq=(previous.seq if previous else 0) + 1,
        at=now,
        head_id=head_id,
        head_hash=head_hash,
        head_occurred_at=occurred,
        count=AuditEvent.objects.count(),
        verified=report.ok,
        anchor_id=report.anchor_id,
    )
    witness.append(checkpoint)
    _log(checkpoint, report)
    if not report.ok:
        chain_result_record(report, now=now, system_actor=system_actor)
    return checkpoint


def checkpoint_latest(witness: Witness | None = None) -> Checkpoint | None:
    """The latest checkpoint of the configured witness (None without a witness or a checkpoint)."""
    witness = witness if witness is not None else witness_configured()
    return witness.latest() if witness is not None else None


def _table_head() -> tuple[int | None, str]:
    head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    return head if head else (None, "")


def _log(checkpoint: Checkpoint, report: ChainReport) -> None:
    write = logger.info if report.ok else logger.error
    write(
        "audit checkpoint written" if report.ok else "audit checkpoint written over a broken chain",
        extra={
            "audit_checkpoint_seq": checkpoint.seq,
            "audit_head_id": checkpoint.head_id,
            "audit_head_hash": checkpoint.head_hash,
            "audit_broken_at": report.broken_at,
            "audit_problem": report.problem,
        },
    )

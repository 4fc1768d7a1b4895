"""Verifying the hash chain of the audit trail (``manage.py verify_audit_log``; DPP 2.6 "access
controls to prevent … tampering").

The walk starts at the latest ``AuditAnchor`` (the last event a retention purge removed) or at
the genesis hash, and reads events in id order in batches with ``values_list`` (no model
instances, constant memory: a million events take seconds). For each event it recomputes
SHA-256(prev_hash + canonical content) and checks that ``prev_hash`` is the hash of the event
before it. The first event that fails is named:

* its own hash does not match its content → the row was **altered** (or forged);
* its ``prev_hash`` is not the previous event's hash but the one before that → the previous row
  was **inserted**;
* otherwise → one or more events were **removed** before it.

A chain without a secret proves its integrity only up to the head it ends with: whoever can
rewrite every row can recompute every hash. So each recorded verification also writes the head
hash to the application log (shipped off the host) and to the trail, where the next verification
and the log review compare it (``chain_verify_record``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import datetime

from grc.audit.models import GENESIS_HASH, HASHED_FIELDS, AuditAnchor, AuditEvent, Channel, canonical_values, chain_hash

logger = logging.getLogger("grc.audit")
BATCH_SIZE = 10_000
VERIFIED_ACTION = "audit.chain.verified"
PURGED_ACTION = "audit.events.purged"


@dataclass
class ChainReport:
    ok: bool
    count: int  # events checked
    head_id: int | None
    head_hash: str
    anchor_id: int | None = None
    start_after_id: int = 0
    broken_at: int | None = None
    problem: str = ""  # "altered", "inserted", "removed", "anchor"
    reason: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.count} events, head #{self.head_id or '-'} {self.head_hash}"
        return f"audit chain broken at event #{self.broken_at}: {self.reason}"


def chain_verify(*, batch_size: int = BATCH_SIZE) -> ChainReport:
    """Walk the whole chain from the latest anchor; stop at the first broken event."""
    started = time.monotonic()
    anchor = AuditAnchor.objects.order_by("-id").values_list("id", "last_purged_id", "last_hash").first()
    anchor_id, cursor, prev_hash = anchor if anchor else (None, 0, GENESIS_HASH)
    report = ChainReport(ok=True, count=0, head_id=None, head_hash=prev_hash, anchor_id=anchor_id, start_after_id=cursor)
    if anchor_id is not None and not AuditEvent.objects.filter(action=PURGED_ACTION, object_id=str(anchor_id), id__gt=cursor).exists():
        return _broken(
            report,
            cursor,
            "anchor",
            f"anchor #{anchor_id} has no audited purge event after it: it was not written by the retention purge",
            started,
        )
    before_prev = None  # the hash before ``prev_hash``: tells an inserted row from a removed one
    prev_id = None
    columns = ("id", *HASHED_FIELDS, "prev_hash", "hash")
    while True:
        rows = list(AuditEvent.objects.filter(id__gt=cursor).order_by("id").values_list(*columns)[:batch_size])
        if not rows:
            break
        for row in rows:
            event_id, stored_prev, stored_hash = row[0], row[-2], row[-1]
            content = canonical_values(*row[1:-2])
            if chain_hash(stored_prev, content) != stored_hash:
                return _broken(report, event_id, "altered", "its content does not match its hash: the row was altered or forged", started)
            if stored_prev != prev_hash:
                if before_prev is not None and stored_prev == before_prev:
                    reason = f"it chains to the event before #{prev_id}: event #{prev_id} was inserted"
                    return _broken(report, prev_id, "inserted", reason, started)
                where = f"#{prev_id}" if prev_id else (f"anchor #{anchor_id}" if anchor_id else "the start of the trail")
                reason = f"its previous hash is not the hash of {where}: events were removed between them"
                return _broken(report, event_id, "removed", reason, started)
            before_prev, prev_hash, prev_id = prev_hash, stored_hash, event_id
            report.count += 1
        cursor = rows[-1][0]
    report.head_id, report.head_hash = prev_id, prev_hash
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _broken(report: ChainReport, event_id, problem: str, reason: str, started: float) -> ChainReport:
    report.ok = False
    report.broken_at = event_id
    report.problem = problem
    report.reason = reason
    report.seconds = round(time.monotonic() - started, 3)
    return report


def chain_verify_record(*, now: datetime, system_actor: str, channel: str = Channel.TASK, request=None, log: bool = True) -> ChainReport:
    """Verify, then write the result to the trail and (``log``) the head hash to the application log.

    The 2.6 check on the dashboard reads the latest of these events. ``verify_audit_log --json``
    passes ``log=False`` so its standard output is the one JSON object (it prints the head itself).
    """
    from grc.audit.services import record_event

    report = chain_verify()
    details = {
        "count": report.count,
        "head_id": report.head_id,
        "head_hash": report.head_hash,
        "anchor_id": report.anchor_id,
        "broken_at": report.broken_at,
        "problem": report.problem,
        "seconds": report.seconds,
    }
    record_event(
        VERIFIED_ACTION,
        request=request,
        system_actor=system_actor if request is None else "",
        channel=channel,
        outcome="success" if report.ok else "failure",
        message="chain intact" if report.ok else f"chain broken at event {report.broken_at} ({report.problem})",
        details=details,
        occurred_at=now,
    )
    if not log:
        return report
    write = logger.info if report.ok else logger.error
    write(
        "audit chain verified" if report.ok else "audit chain broken",
        extra={
            "audit_count": report.count,
            "audit_head_id": report.head_id,
            "audit_head_hash": report.head_hash,
            "audit_broken_at": report.broken_at,
        },
    )
    return report


def last_verification():
    """The latest recorded verification event (or None): one query on the (action, time) index."""
    return AuditEvent.objects.filter(action=VERIFIED_ACTION).order_by("-occurred_at", "-id").first()

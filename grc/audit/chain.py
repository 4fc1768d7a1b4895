"""Verifying the hash chain of the audit trail (``manage.py verify_audit_log``; DPP 2.6 "access
controls to prevent … tampering").

The walk reads events in id order in batches with ``values_list`` (no model instances, constant
memory: a million events take seconds). For each event it recomputes SHA-256(prev_hash +
canonical content) and checks that ``prev_hash`` is the hash of the event before it. The first
event that fails is named:

* its own hash does not match its content → the row was **altered** (or forged);
* its ``prev_hash`` is not the previous event's hash but the one before that → the previous row
  was **inserted**;
* otherwise → one or more events were **removed** before it.

A chain proves nothing about its own end: remove the newest events, or all of them, and what is
left is still whole; and whoever can rewrite every row can recompute every hash. So the table is
first compared with the latest **checkpoint** of an outside witness (grc.audit.witness,
grc.audit.checkpoints, written hourly):

* the checkpointed head is gone and the table now ends before it, or is empty → **truncated**;
* the event at the checkpointed id has another hash → **checkpoint** (rewritten);
* a retention purge removed it although the checkpoint saw it less than 90 days ago → **purged**.

**Incremental** (the default): the walk starts at the latest checkpoint that was verified when it
was written — re-hashing that event and requiring the witness's hash — and checks only the events
after it. ``full=True`` (``--full``, the daily retention task) walks from the latest
``AuditAnchor`` (the last event a retention purge removed) or from the genesis hash. An event
before the checkpoint whose content was altered without touching any hash is found only by a
full walk.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.http import HttpRequest
from django.utils import timezone

from grc.audit.models import GENESIS_HASH, HASHED_FIELDS, AuditAnchor, AuditEvent, Channel, canonical_values, chain_hash
from grc.audit.services import record_event
from grc.audit.witness import Checkpoint, Witness, witness_configured
from grc.books import AUDIT_MINIMUM_DAYS

logger = logging.getLogger("grc.audit")
BATCH_SIZE = 10_000
VERIFIED_ACTION = "audit.chain.verified"
PURGED_ACTION = "audit.events.purged"
COLUMNS = ("id", *HASHED_FIELDS, "prev_hash", "hash")


@dataclass
class ChainReport:
    ok: bool
    count: int  # events walked (after the starting checkpoint, when incremental)
    head_id: int | None
    head_hash: str
    anchor_id: int | None = None
    start_after_id: int = 0
    broken_at: int | None = None
    problem: str = ""  # "altered", "inserted", "removed", "anchor", "truncated", "checkpoint", "purged"
    reason: str = ""
    seconds: float = 0.0
    mode: str = "full"  # or "incremental"
    hashed: int = 0  # events whose hash was recomputed: count, plus the starting checkpoint's event
    start_checkpoint_seq: int | None = None
    checkpoint_seq: int | None = None  # the latest checkpoint the table was compared with
    checkpoint_at: str | None = None
    checkpoint_head_id: int | None = None
    checkpoint_hash: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.count} events, head #{self.head_id or '-'} {self.head_hash}"
        return f"audit chain broken at event #{self.broken_at}: {self.reason}"


def chain_verify(
    *, now: datetime | None = None, full: bool = False, witness: Witness | None = None, batch_size: int = BATCH_SIZE
) -> ChainReport:
    """Compare the table with the latest checkpoint, then walk the chain (from the latest verified
    checkpoint, or from the latest anchor when ``full``); stop at the first broken event.
    ``witness`` defaults to the configured one (none: no comparison, a full walk)."""
    started = time.monotonic()
    now = now or timezone.now()
    witness = witness if witness is not None else witness_configured()
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
    latest = witness.latest() if witness else None
    verified = witness.latest(verified_only=True) if witness else None  # a failed check never moves this baseline
    if latest is not None:
        report.checkpoint_seq, report.checkpoint_at = latest.seq, latest.at.isoformat()
        report.checkpoint_head_id, report.checkpoint_hash = latest.head_id, latest.head_hash
    for checkpoint in {c.seq: c for c in (latest, verified) if c is not None}.values():
        if problem := _compare(checkpoint, anchor, now):
            return _broken(report, checkpoint.head_id, *problem, started)
    if anchor is not None and witness is not None and (problem := _purged_too_young(witness, anchor, now)):
        return _broken(report, cursor, *problem, started)
    before_prev = None  # the hash before ``prev_hash``: tells an inserted row from a removed one
    prev_id = None
    if not full and verified is not None and verified.head_id is not None and verified.head_id > cursor:
        row = AuditEvent.objects.filter(id=verified.head_id).values_list(*COLUMNS).first()
        if row is None:  # removed after the comparison above, while this walk ran
            return _broken(report, verified.head_id, "removed", f"the event {verified.describe()} recorded is missing", started)
        if chain_hash(row[-2], canonical_values(*row[1:-2])) != row[-1]:
            return _broken(report, row[0], "altered", "its content does not match its hash: the row was altered or forged", started)
        report.mode, report.start_checkpoint_seq, report.hashed = "incremental", verified.seq, 1
        cursor, before_prev, prev_hash, prev_id = verified.head_id, row[-2], row[-1], verified.head_id
        report.start_after_id = cursor
    while True:
        rows = list(AuditEvent.objects.filter(id__gt=cursor).order_by("id").values_list(*COLUMNS)[:batch_size])
        if not rows:
            break
        for row in rows:
            event_id, stored_prev, stored_hash = row[0], row[-2], row[-1]
            report.hashed += 1
            if chain_hash(stored_prev, canonical_values(*row[1:-2])) != stored_hash:
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


def _compare(checkpoint: Checkpoint, anchor: tuple | None, now: datetime) -> tuple[str, str] | None:
    """What is wrong with the table given what ``checkpoint`` saw: (problem, reason), or None.

    One query by primary key when the checkpointed event is there (the usual case)."""
    if checkpoint.head_id is None:
        return None
    seen = checkpoint.describe()
    stored = AuditEvent.objects.filter(id=checkpoint.head_id).values_list("hash", flat=True).first()
    if stored is not None:
        if stored != checkpoint.head_hash:
            return "checkpoint", f"its hash is not the one {seen} recorded: the event (or the chain up to it) was rewritten"
        return None
    anchor_id, purged_up_to, purged_hash = anchor or (None, 0, "")
    if checkpoint.head_id <= purged_up_to:
        if purged_up_to == checkpoint.head_id and purged_hash != checkpoint.head_hash:
            return "checkpoint", f"anchor #{anchor_id} names another hash for it than {seen} recorded"
        occurred = checkpoint.head_occurred_at
        if occurred is None or occurred > now - timedelta(days=AUDIT_MINIMUM_DAYS):
            return "purged", (
                f"{seen} saw it (of {occurred:%Y-%m-%d %H:%M} UTC); purge anchor #{anchor_id} removed it before it was "
                f"{AUDIT_MINIMUM_DAYS} days old"
                if occurred
                else f"{seen} saw it; purge anchor #{anchor_id} removed it"
            )
        return None
    head = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    if head is None:
        return "truncated", f"the audit table is empty but {seen} recorded {checkpoint.count} events up to this one"
    if head < checkpoint.head_id:
        return "truncated", f"the newest events were removed: the table ends at #{head}, {seen} recorded the head #{checkpoint.head_id}"
    return "removed", f"the event {seen} recorded as the head is missing"


def _purged_too_young(witness: Witness, anchor: tuple, now: datetime) -> tuple[str, str] | None:
    """Did the latest purge remove events younger than 90 days, by what the witness saw?

    Two facts the database cannot rewrite: a checkpoint at or below the anchor saw a purged event
    and its time as written then; a checkpoint *before* the last purged event was written proves
    that event is younger than that checkpoint (whatever time the event claims)."""
    anchor_id, purged_up_to, _ = anchor
    floor = now - timedelta(days=AUDIT_MINIMUM_DAYS)
    saw = witness.latest(head_at_most=purged_up_to)
    if saw is not None and saw.head_occurred_at is not None and saw.head_occurred_at > floor:
        return "purged", (
            f"{saw.describe()} saw event #{saw.head_id} of {saw.head_occurred_at:%Y-%m-%d %H:%M} UTC; purge anchor "
            f"#{anchor_id} removed it before it was {AUDIT_MINIMUM_DAYS} days old"
        )
    before = witness.latest(head_at_most=purged_up_to - 1)
    if before is not None and before.at > floor:
        return "purged", (
            f"event #{purged_up_to} was written after {before.describe()}, less than {AUDIT_MINIMUM_DAYS} days ago; "
            f"purge anchor #{anchor_id} removed it"
        )
    return None


def _broken(report: ChainReport, event_id: int | None, problem: str, reason: str, started: float) -> ChainReport:
    report.ok = False
    report.broken_at = event_id
    report.problem = problem
    report.reason = reason
    report.seconds = round(time.monotonic() - started, 3)
    return report


def chain_verify_record(
    *,
    now: datetime,
    system_actor: str,
    channel: str = Channel.TASK,
    request: HttpRequest | None = None,
    log: bool = True,
    full: bool = False,
) -> ChainReport:
    """Verify (incrementally unless ``full``), then write the result to the trail and (``log``)
    the head hash to the application log.

    The 2.6 check on the dashboard reads the latest of these events. ``verify_audit_log --json``
    passes ``log=False`` so its standard output is the one JSON object (it prints the head itself).
    """
    report = chain_verify(now=now, full=full)
    chain_result_record(report, now=now, system_actor=system_actor, channel=channel, request=request, log=log)
    return report


def chain_result_record(
    report: ChainReport,
    *,
    now: datetime,
    system_actor: str,
    channel: str = Channel.TASK,
    request: HttpRequest | None = None,
    log: bool = True,
) -> None:
    """Write a verification's result to the trail (``audit.chain.verified``) and the log."""
    details = {
        "count": report.count,
        "head_id": report.head_id,
        "head_hash": report.head_hash,
        "anchor_id": report.anchor_id,
        "broken_at": report.broken_at,
        "problem": report.problem,
        "seconds": report.seconds,
        "mode": report.mode,
        "checkpoint_seq": report.checkpoint_seq,
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
        return
    write = logger.info if report.ok else logger.error
    write(
        "audit chain verified" if report.ok else "audit chain broken",
        extra={
            "audit_count": report.count,
            "audit_head_id": report.head_id,
            "audit_head_hash": report.head_hash,
            "audit_broken_at": report.broken_at,
            "audit_problem": report.problem,
        },
    )


def last_verification() -> AuditEvent | None:
    """The latest recorded verification event (or None): one query on the (action, time) index."""
    return AuditEvent.objects.filter(action=VERIFIED_ACTION).order_by("-occurred_at", "-id").first()

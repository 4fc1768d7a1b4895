"""The audited path that removes expired audit events (DPP 2.6: logs kept at least 90 days).

The trail is append-only everywhere else: the model and queryset refuse updates and deletes, and
on PostgreSQL a trigger (migrations 0003, 0004) rejects UPDATE, TRUNCATE and any DELETE past the
newest ``AuditAnchor``. So the purge needs no setting of its own — a setting the app's database
role could set as freely as the purge does. In one transaction it

1. takes the chain lock (no event is appended meanwhile),
2. finds the prefix of the chain to remove: every event *before* the first one that is still
   within retention (a prefix, so the rest of the chain stays whole),
3. writes an ``AuditAnchor`` with the last removed event's id and hash and the count — the
   append-only row that lets the trigger allow the DELETE up to that id,
4. deletes the prefix, and
5. records an ``audit.events.purged`` event about the anchor,

so ``verify_audit_log`` starts from the anchor and the chain still verifies. What the anchor
cannot prove — that the purged events really were old — the checkpoints do: a purge that removes
an event a checkpoint saw less than 90 days before fails verification (grc.audit.chain).

The trail is also part of the books and records of DPP 3 (kept for the agreement and
``BOOKS_RETENTION_MONTHS`` after it): ``purge_expired`` deletes only events older than both the
``AUDIT_RETENTION_DAYS`` cutoff and the books-and-records cutoff (``grc.books.audit_purge_cutoff``),
so while the Amazon agreement is in force, and until ``BOOKS_RETENTION_MONTHS`` after it ended,
nothing is purged; ``events_purge`` refuses to run inside that window whatever ``before`` it gets.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min

from grc.audit.models import AuditAnchor, AuditEvent, Channel
from grc.audit.services import _lock_chain, record_event
from grc.books import AUDIT_MINIMUM_DAYS, agreement_ended_on, audit_cutoff, audit_purge_cutoff, books_cutoff, retention_months

MINIMUM_RETENTION_DAYS = AUDIT_MINIMUM_DAYS  # DPP 2.6
UNLOCK_SETTING = "grc.audit_unlock"  # honoured by the PostgreSQL trigger for the table owner only; only ever SET LOCAL
PURGE_ACTOR = "task:purge_expired_events"


@contextmanager
def audit_unlock() -> Iterator[None]:
    """Maintenance only: let the statements inside this block update or delete audit rows on
    PostgreSQL — honoured by the trigger only for a role with the table owner's rights (who could
    disable the trigger anyway); for the app role it changes nothing. A no-op on SQLite, where the
    guards are in the application. The purge does not use it; tests that tamper with the trail on
    purpose do.

    ``SET LOCAL`` ends with the transaction, and — because a savepoint's release would otherwise
    carry it into an enclosing transaction — the block switches it off again on the way out; an
    error rolls back past it. Must run inside ``transaction.atomic``.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit_unlock must run inside transaction.atomic()")
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {UNLOCK_SETTING} = 'on'")
    yield
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {UNLOCK_SETTING} = 'off'")


def retention_cutoff(*, now: datetime, days: int | None = None) -> datetime:
    """DPP 2.6 alone: events that occurred before this moment may go; never less than 90 days ago."""
    return audit_cutoff(now, audit_days=settings.AUDIT_RETENTION_DAYS if days is None else days)


def purge_cutoff(*, now: datetime, days: int | None = None) -> datetime | None:
    """What the purge deletes: events older than both ``AUDIT_RETENTION_DAYS`` (or ``days``) and the
    books-and-records window (DPP 3); None while that window runs (nothing is purged)."""
    return audit_purge_cutoff(
        now,
        audit_days=settings.AUDIT_RETENTION_DAYS if days is None else days,
        ended_on=agreement_ended_on(),
        months=retention_months(),
    )


@transaction.atomic
def events_purge(*, before: datetime, now: datetime, system_actor: str = PURGE_ACTOR) -> AuditAnchor | None:
    """Remove the events of the chain's prefix that occurred before ``before``; None if none did."""
    if before > now - timedelta(days=MINIMUM_RETENTION_DAYS):
        raise ValueError(
            f"audit events are kept at least {MINIMUM_RETENTION_DAYS} days (DPP 2.6): refusing to purge after {before:%Y-%m-%d}"
        )
    if books_cutoff(now, ended_on=agreement_ended_on(), months=retention_months()) is None:
        raise ValueError(
            "audit events are books and records (DPP 3) kept for the agreement and BOOKS_RETENTION_MONTHS after it: refusing to purge"
        )
    _lock_chain()
    first_kept = AuditEvent.objects.filter(occurred_at__gte=before).aggregate(first=Min("id"))["first"]
    expired = AuditEvent.objects.all() if first_kept is None else AuditEvent.objects.filter(id__lt=first_kept)
    last = expired.order_by("-id").values_list("id", "hash").first()
    if last is None:
        return None
    last_id, last_hash = last
    count = expired.count()
    anchor = AuditAnchor.objects.create(
        created_at=now, purged_before=before, purged_count=count, last_purged_id=last_id, last_hash=last_hash
    )
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:  # allowed by the trigger up to the anchor just written; the table name comes from the model
        cursor.execute(f"DELETE FROM {table} WHERE id <= %s", [last_id])  # noqa: S608  # nosec B608
    record_event(
        "audit.events.purged",
        system_actor=system_actor,
        channel=Channel.TASK,
        obj=anchor,
        message=f"purged {count} events up to {last_id}",
        details={"count": count, "last_purged_id": last_id, "before": before.isoformat()},
        occurred_at=now,
    )
    return anchor


def purge_expired(*, now: datetime, days: int | None = None) -> int:
    """Purge what neither ``AUDIT_RETENTION_DAYS`` nor books and records keep; returns how many events went."""
    before = purge_cutoff(now=now, days=days)
    if before is None:
        return 0
    anchor = events_purge(before=before, now=now)
    return anchor.purged_count if anchor else 0

"""The audited path that removes expired audit events (DPP 2.6: logs kept at least 90 days).

The trail is append-only everywhere else: the model and queryset refuse updates and deletes, and
on PostgreSQL a trigger (migration 0003) rejects UPDATE and DELETE on the events table. This
module is the one documented way past that trigger (``audit_unlock``): inside its own
transaction it runs

    SET LOCAL grc.audit_unlock = 'on'   -- the DELETE --   SET LOCAL grc.audit_unlock = 'off'

which the trigger function checks; ``SET LOCAL`` also ends with the transaction, so no other
statement of the connection is ever unlocked. In the same transaction it

1. takes the chain lock (no event is appended meanwhile),
2. finds the prefix of the chain to remove: every event *before* the first one that is still
   within retention (a prefix, so the rest of the chain stays whole),
3. writes an ``AuditAnchor`` with the last removed event's id and hash and the count,
4. deletes the prefix, and
5. records an ``audit.events.purged`` event about the anchor,

so ``verify_audit_log`` starts from the anchor and the chain still verifies. The function is
parameterised by the cutoff: longer keeping rules (e.g. books and records kept for the agreement
+ 12 months, DPP 3) pass an earlier ``before``.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min

from grc.audit.models import AuditAnchor, AuditEvent, Channel

MINIMUM_RETENTION_DAYS = 90  # DPP 2.6
UNLOCK_SETTING = "grc.audit_unlock"  # checked by the PostgreSQL trigger; only ever SET LOCAL
PURGE_ACTOR = "task:purge_expired_events"


@contextmanager
def audit_unlock():
    """Let the statements inside this block update or delete audit rows on PostgreSQL (a no-op
    on SQLite, where the guards are in the application).

    ``SET LOCAL`` ends with the transaction, and — because a savepoint's release would otherwise
    carry it into an enclosing transaction — the block switches it off again on the way out; an
    error rolls back past it. Used by ``events_purge`` and nothing else in the application; tests
    that tamper with the trail on purpose use it too. Must run inside ``transaction.atomic``.
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
    """Events that occurred before this moment may be purged; never less than 90 days ago."""
    days = settings.AUDIT_RETENTION_DAYS if days is None else days
    return now - timedelta(days=max(int(days), MINIMUM_RETENTION_DAYS))


@transaction.atomic
def events_purge(*, before: datetime, now: datetime, system_actor: str = PURGE_ACTOR) -> AuditAnchor | None:
    """Remove the events of the chain's prefix that occurred before ``before``; None if none did."""
    from grc.audit.services import _lock_chain, record_event

    if before > now - timedelta(days=MINIMUM_RETENTION_DAYS):
        raise ValueError(
            f"audit events are kept at least {MINIMUM_RETENTION_DAYS} days (DPP 2.6): refusing to purge after {before:%Y-%m-%d}"
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
    with audit_unlock(), connection.cursor() as cursor:  # the table name comes from the model; the value is bound
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
    """Purge what ``AUDIT_RETENTION_DAYS`` no longer keeps; returns how many events went."""
    anchor = events_purge(before=retention_cutoff(now=now, days=days), now=now)
    return anchor.purged_count if anchor else 0

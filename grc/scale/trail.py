"""A year of audit trail: 1,000,000 events on one valid hash chain, and the bi-weekly log reviews.

The events are what the portal writes (sign-ins, one-time codes, page views of records, review
decisions, imports, downloads, reminder sends), dated over the last 360 days in id order. Each
hash is SHA-256(previous hash + canonical content), computed exactly as ``record_event`` does
(``grc.audit.models.canonical_values``), so ``verify_audit_log`` walks the whole chain. On
PostgreSQL the rows go in with one ``COPY`` (about 15 s for a million) under the chain's
advisory lock; elsewhere with ``bulk_create``. Messages hold ids and field names, never PII.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.urls import reverse

from grc.audit.models import GENESIS_HASH, AuditAnchor, AuditEvent, LogReview, canonical_values
from grc.audit.services import CHAIN_LOCK_KEY
from grc.compliance.models import Obligation
from grc.scale.bulk import ScaleContext, insert, insert_stream, is_postgresql, obligation

COLUMNS = (
    "occurred_at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "source_ip",
    "channel",
    "message",
    "details",
)
SPAN = timedelta(days=360)
REMINDER_ACTOR = "task:sweep_reminders"
# action, object type (or "user" for the actor), weight, message, details kind
KINDS = (
    ("accounts.login", "user", 15, "password accepted", ""),
    ("accounts.mfa_verified", "user", 14, "device=otp_totp.totpdevice", ""),
    ("accounts.logout", "user", 5, "", ""),
    ("accounts.login_failed", "user", 1, "wrong password", "failure"),
    ("incidents.incident.viewed", "incidents.incident", 5, "", ""),
    ("access_reviews.person.viewed", "access_reviews.person", 6, "", ""),
    ("access_reviews.account.viewed", "access_reviews.account", 5, "", ""),
    ("assets.asset.viewed", "assets.asset", 6, "", ""),
    ("access_reviews.campaign.viewed", "access_reviews.campaign", 2, "", ""),
    ("access_reviews.system.viewed", "access_reviews.system", 2, "", ""),
    ("access_reviews.reviewrow.decided", "access_reviews.reviewrow", 12, "decision=keep", "decided"),
    ("access_reviews.account.updated", "access_reviews.account", 4, "", "account"),
    ("assets.asset.updated", "assets.asset", 3, "", "asset"),
    ("incidents.incident.updated", "incidents.incident", 1, "", "incident"),
    ("access_reviews.account.created", "access_reviews.account", 2, "", "account"),
    ("download", "access_reviews.account", 2, "csv download", "download"),
    ("compliance.reminder.sent", "compliance.reminder", 5, "", "reminder"),
    ("compliance.digest.sent", "compliance.overduedigest", 1, "", "digest"),
)
DETAILS = {
    "": None,
    "failure": None,
    "decided": {"changed_fields": ["comment", "decision"]},
    "account": {"changed_fields": ["last_login_at", "mfa"]},
    "asset": {"changed_fields": ["baseline_verified_at", "location"]},
    "incident": {"changed_fields": ["actions_taken"]},
}


class Events:
    """Generates the rows of the synthetic trail, oldest first, with their chained hashes."""

    def __init__(self, ctx: ScaleContext, head: str):
        self.ctx, self.prev = ctx, head
        made = ctx.made
        self.users = [u.pk for u in made["users"]]
        self.busy = [u.pk for u in made["leads"] + made["managers"]] * 8 + self.users  # leads and managers act more
        self.objects = {
            "incidents.incident": [i.pk for i in made["incidents"]],
            "access_reviews.person": [p.pk for p in made["people"]],
            "access_reviews.account": [a.pk for a in made["accounts"]],
            "assets.asset": [a.pk for a in made["assets"]],
            "access_reviews.campaign": [made["open_campaign"].pk],
            "access_reviews.system": [s.pk for s in made["systems"]],
        }
        self.table = [n for n, kind in enumerate(KINDS) for _ in range(kind[2])]

    def rows(self, count: int):
        rng, ctx = self.ctx.rng, self.ctx
        start = ctx.now - SPAN - timedelta(minutes=5)
        step = SPAN.total_seconds() / count
        sha256, table, busy, objects = hashlib.sha256, self.table, self.busy, self.objects
        prev = self.prev
        ip: str | None
        details: dict[str, Any] | None
        for n in range(count):
            occurred = start + timedelta(seconds=(n + rng.random() * 0.9) * step)
            action, object_type, _w, message, extra = KINDS[table[rng.randrange(len(table))]]
            actor = busy[rng.randrange(len(busy))]
            outcome, channel, actor_name, ip = "success", "web", "", f"10.{actor % 250}.{(actor // 250) % 250}.{10 + actor % 200}"
            details = DETAILS.get(extra)
            if object_type == "user":
                object_type, object_id = "accounts.user", str(actor)
                if extra == "failure":
                    outcome, actor = "failure", None
            elif extra in ("reminder", "digest"):
                actor, actor_name, channel, ip = None, REMINDER_ACTOR, "task", None
                object_id = str(rng.randint(1, 50_000))
                details = (
                    {"obligation": rng.randint(1, 40_000), "milestone": "-3d", "recipients": 1, "error": ""}
                    if extra == "reminder"
                    else {"items": rng.randint(1, 9), "error": ""}
                )
            elif extra == "download":
                object_id, details = "", {"what": "csv", "count": rng.randint(10, 25_000)}
            elif object_type in objects:
                pool = objects[object_type]
                object_id = str(pool[rng.randrange(len(pool))])
            else:
                object_id = str(rng.randint(1, 300_000))
            details = details or {}
            values = (occurred, actor, actor_name, action, object_type, object_id, outcome, ip, channel, message, details)
            digest = sha256((prev + canonical_values(*values)).encode("utf-8")).hexdigest()
            yield values, prev, digest
            prev = digest
        self.prev = prev


def _head() -> str:
    head = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    if head:
        return head
    return AuditAnchor.objects.order_by("-id").values_list("last_hash", flat=True).first() or GENESIS_HASH


def seed_trail(ctx: ScaleContext) -> None:
    count = ctx.sizes.audit_events
    with transaction.atomic():
        if is_postgresql():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        events = Events(ctx, _head())
        if is_postgresql():
            _copy(events, count)
        else:
            insert_stream(
                AuditEvent,
                (
                    AuditEvent(**dict(zip(COLUMNS, values, strict=True)), prev_hash=prev, hash=digest)
                    for values, prev, digest in events.rows(count)
                ),
            )
    ctx.count("audit_events", count)
    _log_reviews(ctx, count)


def _copy(events: Events, count: int) -> None:
    sql = f"COPY {AuditEvent._meta.db_table} ({', '.join((*COLUMNS, 'prev_hash', 'hash'))}) FROM STDIN"
    dumps = json.dumps
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for values, prev, digest in events.rows(count):
            copy.write_row((*values[:-1], dumps(values[-1]), prev, digest))


def _log_reviews(ctx: ScaleContext, events: int) -> None:
    """A log review every 14 days for the last year (the last one 5 days ago), with their obligations."""
    lead = ctx.made["leads"][0]
    per_review = round(events * 14 / 360)
    url = reverse("audit:reviews")
    reviews, obligations = [], []
    end = ctx.now - timedelta(days=5)
    moments = [end - timedelta(days=14 * k) for k in range(25, -1, -1)]
    anchor = moments[0] - timedelta(days=14)
    for moment in moments:
        reviews.append(
            LogReview(
                reviewed_by=lead,
                reviewed_at=moment,
                period_start=moment - timedelta(days=14),
                period_end=moment,
                note="Alarms, failed sign-ins and exports looked at; nothing unusual (seeded).",
                events_in_period=per_review,
            )
        )
        obligations.append(
            obligation(
                "audit.log_review",
                "programme",
                "audit.log_review",
                anchor_at=anchor,
                owner_id=lead.pk,
                completed_at=moment,
                completed_by_id=lead.pk,
                url=url,
            )
        )
        anchor = moment
    obligations.append(obligation("audit.log_review", "programme", "audit.log_review", anchor_at=anchor, owner_id=lead.pk, url=url))
    insert(LogReview, reviews)
    insert(Obligation, obligations)

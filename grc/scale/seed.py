"""``seed_scale``'s order of work, the reminders already sent, and the marker the bench reads.

Everything is written in one transaction: a failed seed leaves the database as it was. Each step
prints its time; the marker event ``scale.seeded`` records the factor, the counts, the seconds per
step and which users the bench signs in as.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from access_reviews.models import Person
from grc.audit.chain import chain_verify_record
from grc.audit.models import AuditEvent, Channel
from grc.audit.services import record_event
from grc.compliance.cadences import CADENCES
from grc.compliance.models import DeliveryStatus, Obligation, Reminder
from grc.compliance.reminders import longest_milestone
from grc.compliance.status import latest_milestone, milestone_label
from grc.scale.bulk import ScaleContext, insert, step
from grc.scale.campaigns import seed_campaigns
from grc.scale.incidents import seed_incidents
from grc.scale.inventory import seed_assets, seed_deletions, seed_vulnerabilities
from grc.scale.people import seed_people
from grc.scale.registry import seed_accounts, seed_systems, seed_training
from grc.scale.risks import seed_risks
from grc.scale.sizes import Sizes
from grc.scale.trail import seed_trail

SEEDED_ACTION = "scale.seeded"
SYSTEM_ACTOR = "command:seed_scale"


def already_seeded() -> bool:
    return Person.objects.exists()


def last_seed() -> AuditEvent | None:
    """The marker of the last scale seed (its details: factor, counts, bench users), or None."""
    return AuditEvent.objects.filter(action=SEEDED_ACTION).order_by("-id").first()


def seed_scale(*, factor: float, now: datetime, out=print, seed: int = 12) -> ScaleContext:

    if already_seeded():
        raise ValidationError("The registry already has people: seed_scale needs a fresh database (migrate an empty one).")
    ctx = ScaleContext(sizes=Sizes.for_factor(factor), now=now, rng=random.Random(seed), out=out)  # noqa: S311 (made-up data)
    started = time.monotonic()
    with transaction.atomic():
        for name, work in (
            ("users and people", seed_people),
            ("systems", seed_systems),
            ("accounts and requests", seed_accounts),
            ("training", seed_training),
            ("access review campaigns", seed_campaigns),
            ("assets", seed_assets),
            ("vulnerabilities", seed_vulnerabilities),
            ("deletion requests", seed_deletions),
            ("incidents", seed_incidents),
            ("risks", seed_risks),
            ("audit trail", seed_trail),
            ("reminders already sent", seed_sent_reminders),
        ):
            with step(ctx, name):
                work(ctx)
        with step(ctx, "chain verification"):
            report = chain_verify_record(now=now, system_actor=SYSTEM_ACTOR, channel=Channel.COMMAND, log=False)
            if not report.ok:
                raise RuntimeError(f"the seeded audit chain does not verify: {report.describe()}")
        ctx.seconds["total"] = round(time.monotonic() - started, 1)
        record_event(
            SEEDED_ACTION,
            system_actor=SYSTEM_ACTOR,
            channel=Channel.COMMAND,
            message=f"factor={factor}",
            details={
                "factor": factor,
                "counts": ctx.counts,
                "seconds": ctx.seconds,
                "bench_lead": ctx.made["bench_lead"].pk,
                "bench_manager": ctx.made["bench_manager"].pk,
                "open_campaign": ctx.made["open_campaign"].pk,
                "seeded_at": now.isoformat(),
            },
            occurred_at=now,
        )
    if not transaction.get_connection().in_atomic_block:
        analyze(ctx)
    return ctx


def analyze(ctx: ScaleContext) -> None:
    """Fresh planner statistics (and, on PostgreSQL, the visibility map for index-only scans): without
    them the first queries after a bulk load plan for empty tables. Runs after the seed has committed."""
    with step(ctx, "vacuum and analyze"), connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if connection.vendor == "postgresql" else "ANALYZE")


def seed_sent_reminders(ctx: ScaleContext) -> None:
    """The steady state of a running portal: each open obligation's latest reached milestone was
    already emailed, so the next sweep sends only what became due since (and the day's digests)."""
    now = ctx.now
    open_due = Obligation.objects.filter(completed_at__isnull=True, due_at__lte=now + longest_milestone())
    reminders = []
    for pk, kind, due_at, anchor_at, owner_id in open_due.values_list("pk", "kind", "due_at", "anchor_at", "owner_id").iterator(
        chunk_size=5000
    ):
        cadence = CADENCES.get(kind)
        offset = latest_milestone(due_at=due_at, milestones=cadence.milestones, now=now) if cadence else None
        if offset is None:
            continue
        sent = min(max(due_at - offset, anchor_at), now - timedelta(minutes=1))
        reminders.append(
            Reminder(
                obligation_id=pk,
                milestone=milestone_label(offset),
                offset=offset,
                status=DeliveryStatus.SENT,
                attempts=1,
                delivered_to=[owner_id] if owner_id else [],
                created_at=sent,
                sent_at=sent,
            )
        )
    insert(Reminder, reminders)
    ctx.count("reminders", len(reminders))

"""Logging and monitoring evidence (DPP 2.6) from ``grc.audit``, read-only: the hash chain verified
while the pack is built (``grc.audit.chain``; the result and the head hash are printed and
recorded in the trail), statistics of the period's events, alarms and their closure, the
bi-weekly log reviews and the retention settings."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.db.models import Count, Sum

from grc.audit.chain import chain_verify_record
from grc.audit.checkpoints import checkpoint_latest
from grc.audit.models import Alarm, AlarmStatus, AuditAnchor, AuditEvent, LogReview
from grc.books import audit_keep_policy
from grc.evidence.collect import PackContext, hours_between, person_name
from grc.evidence.sections.registry import Evidence, Mark, register
from grc.oversight.log_reviews import review_every

SYSTEM_ACTOR = "task:evidence_pack"


def verify_chain(ctx: PackContext) -> None:
    """Verify (and record) the chain once per pack, before the statuses: the 2.6 status line reads
    this verification, so it names the same number of events as the table below. Incremental: the
    table is compared with the latest checkpoint and the events after the last verified one are
    hashed (the daily retention task walks the whole chain)."""
    if "audit.chain" not in ctx.cache:
        ctx.cache["audit.chain"] = chain_verify_record(now=ctx.now, system_actor=SYSTEM_ACTOR, log=True, full=False)


@register(clause="2.6", key="audit.chain", title="Audit trail integrity: hash chain verification", order=10, prepare=verify_chain)
def chain(ctx: PackContext) -> Evidence:
    verify_chain(ctx)
    report = ctx.cache["audit.chain"]
    checkpoint = checkpoint_latest()
    scope = f"{report.count} (after checkpoint #{report.start_checkpoint_seq})" if report.mode == "incremental" else report.count
    facts = [
        ("Verified at", ctx.now),
        (
            "Result",
            Mark(
                "chain intact" if report.ok else f"BROKEN at event #{report.broken_at} ({report.problem})",
                "met" if report.ok else "not_met",
            ),
        ),
        ("Events checked", scope),
        ("Chain head", f"event #{report.head_id or '—'}"),
        ("Chain head hash (SHA-256)", report.head_hash),
        ("Starts from", f"retention anchor #{report.anchor_id}" if report.anchor_id else "the first event (genesis)"),
    ]
    if checkpoint is None:
        facts.append(("Latest checkpoint", Mark("none: no witness outside the database (AUDIT_CHECKPOINT_DIR)", "at_risk")))
    else:
        facts += [
            (
                "Latest checkpoint",
                f"#{checkpoint.seq} at {checkpoint.at:%Y-%m-%d %H:%M} UTC" + ("" if checkpoint.verified else " (unverified)"),
            ),
            ("Checkpoint head", f"event #{checkpoint.head_id or '—'}"),
            ("Checkpoint head hash (SHA-256)", checkpoint.head_hash or "—"),
        ]
    notes = [
        "Each event stores SHA-256(previous hash + its content): altering, removing or inserting an event breaks the chain. "
        "Every hour the head (id, hash, time, count) is written to a checkpoint outside the database; the table is compared "
        "with the latest one, so removing the newest events or emptying the table is detected too. This verification hashes "
        "the events after the last verified checkpoint; a full re-verification runs daily."
    ]
    if not report.ok:
        notes.append(report.reason)
    return Evidence(facts=facts, notes=notes)


@register(clause="2.6", key="audit.statistics", title="Audit-trail statistics for the period", order=20)
def statistics(ctx: PackContext) -> Evidence:
    events = AuditEvent.objects.filter(ctx.between("occurred_at"))
    by_action = list(events.values("action", "outcome").annotate(n=Count("id")).order_by())
    by_channel = dict(events.values_list("channel").annotate(n=Count("id")).order_by())
    total = sum(row["n"] for row in by_action)
    outcomes, namespaces = Counter[str](), Counter[str]()
    for row in by_action:
        outcomes[row["outcome"]] += row["n"]
        namespaces[row["action"].split(".", 1)[0]] += row["n"]

    def count(*actions: str, outcome: str | None = None) -> int:
        return sum(row["n"] for row in by_action if row["action"] in actions and (outcome is None or row["outcome"] == outcome))

    facts = [
        ("Events recorded in the period", total),
        ("Successes / failures", f"{outcomes['success']} / {outcomes['failure']}"),
        ("By channel", ", ".join(f"{name} {n}" for name, n in sorted(by_channel.items())) or "—"),
        ("Failed sign-ins and one-time codes", count("accounts.login_failed", "accounts.mfa_failed", "accounts.step_up_failed")),
        ("Permission denials", count("accounts.permission_denied", "accounts.network_denied")),
        ("Downloads and exports", count("download")),
        ("Auditor page views", count("evidence.auditor.page_view")),
    ]
    table = ctx.table(
        title="Events by area",
        columns=("Area", "Events"),
        rows=[[name, n] for name, n in namespaces.most_common()],
        csv_name="audit-events-by-action",
        description="DPP 2.6: audit events of the period by area",
        limit=15,
        empty="No event was recorded in this period.",
    )
    ctx.table(
        title="Events by action and outcome",
        columns=("Action", "Outcome", "Events"),
        rows=[[row["action"], row["outcome"], row["n"]] for row in sorted(by_action, key=lambda r: (r["action"], r["outcome"]))],
        csv_name="audit-events-by-action-and-outcome",
        description="DPP 2.6: audit events of the period by action and outcome",
        limit=0,
    )
    return Evidence(facts=facts, tables=[table])


@register(clause="2.6", key="audit.alarms", title="Alarms and their closure", order=30)
def alarms(ctx: PackContext) -> Evidence:
    found = Alarm.objects.filter(ctx.overlaps("raised_at", "closed_at")).select_related("closed_by").order_by("raised_at", "pk")
    rows, states = [], Counter[str]()
    for alarm in found:
        state = Mark(alarm.get_status_display(), "met" if alarm.status == AlarmStatus.CLOSED else "at_risk")
        states[alarm.status] += 1
        rows.append(
            [
                f"#{alarm.pk}",
                alarm.get_rule_display(),
                alarm.raised_at,
                alarm.event_count,
                state,
                alarm.closed_at,
                person_name(alarm.closed_by) if alarm.closed_by else "—",
                hours_between(alarm.raised_at, alarm.closed_at),
            ]
        )
    table = ctx.table(
        title="Alarms raised or open in the period",
        columns=("Alarm", "Rule", "Raised", "Events", "Status", "Closed", "Closed by", "Time to close"),
        rows=rows,
        csv_name="alarms",
        description="DPP 2.6: alarms raised or open in the period and their closure",
        empty="No alarm was raised or open in this period.",
    )
    facts = [
        ("Alarms", len(rows)),
        ("Closed", states[AlarmStatus.CLOSED]),
        (
            "Still open or investigating",
            Mark(
                str(states[AlarmStatus.OPEN] + states[AlarmStatus.INVESTIGATING]),
                "at_risk" if states[AlarmStatus.OPEN] + states[AlarmStatus.INVESTIGATING] else "met",
            ),
        ),
    ]
    return Evidence(facts=facts, tables=[table])


@register(clause="2.6", key="audit.log_reviews", title="Bi-weekly log reviews", order=40)
def log_reviews(ctx: PackContext) -> Evidence:

    reviews = list(LogReview.objects.filter(ctx.between("reviewed_at")).select_related("reviewed_by").order_by("reviewed_at", "pk"))
    every = review_every(ctx.now)
    moments = [ctx.period.start_at, *[r.reviewed_at for r in reviews], min(ctx.period.end_at, ctx.now)]
    longest = max((later - earlier for earlier, later in zip(moments, moments[1:], strict=False)), default=timedelta(0))
    table = ctx.table(
        title="Log reviews recorded in the period",
        columns=("Reviewed", "Reviewed by", "Logs from", "Logs to", "Events", "Alarms"),
        rows=[
            [r.reviewed_at, person_name(r.reviewed_by), r.period_start, r.period_end, r.events_in_period, r.alarms_in_period]
            for r in reviews
        ],
        csv_name="log-reviews",
        description="DPP 2.6: log reviews recorded in the period",
        empty="No log review was recorded in this period.",
    )
    purges = AuditAnchor.objects.filter(ctx.between("created_at")).aggregate(n=Count("id"), events=Sum("purged_count"))
    facts = [
        ("Log reviews in the period", len(reviews)),
        ("Longest time without a review in the period", Mark(f"{longest.days} days", "met" if longest <= every else "not_met")),
        ("Reviews due every", f"{every.days} days (the period in force)"),
        ("Audit events kept", audit_keep_policy(ctx.now).audit_sentence()),
        ("Retention purges in the period", f"{purges['n']} ({purges['events'] or 0} expired events, each recorded with a chain anchor)"),
    ]
    return Evidence(facts=facts, tables=[table])

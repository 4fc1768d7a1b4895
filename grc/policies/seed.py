"""Demo policy library: an approved IR plan whose six-monthly review is due soon, and one major
change waiting for its review. Runs before access_reviews, assets and incidents, which may read
the plan's incident types."""

from __future__ import annotations

from datetime import timedelta

from grc.policies import services
from grc.policies.catalogue import DEFAULT_INCIDENT_TYPES, IR_PLAN, document_types_ensure
from grc.policies.models import ChangeCategory, DocumentType
from grc.timefmt import add_months

IR_PLAN_SECTIONS = {
    "roles": (
        "Incident lead: the security lead (security@ mailbox) runs every incident from triage to closure and decides on "
        "notification.\nInvestigator: the on-call engineer of the affected system collects evidence and keeps its chain of "
        "custody.\nApprover: the engineering manager approves this plan and signs its six-monthly review.\nEveryone: reports "
        "anything suspicious at once through the portal's Report an incident page."
    ),
    "procedures": (
        "For every type: confirm and record the detection time; contain (revoke credentials, isolate hosts, block traffic); "
        "collect evidence with SHA-256 and a custody entry for each hand-over; eradicate the cause; recover from clean backups; "
        "document description, remediation and the corrective controls before closing.\nUnauthorised access / data leak: "
        "snapshot logs first, then rotate every key of the affected system.\nLost or stolen device: remote-wipe, revoke its "
        "sessions and tokens."
    ),
    "escalation": (
        "If Amazon Information is or may be involved, the incident lead emails 3p-security@amazon.com within 24 hours of "
        "detection, using the portal's notification draft (no personal data), and records Amazon's reference. Updates follow "
        "at each workflow step. We never represent or speak for Amazon to any authority or customer unless Amazon asks in writing."
    ),
    "alarms": "Alarms raised from the audit trail are triaged within one working day; a confirmed alarm becomes an incident.",
}


def seed(ctx) -> None:
    document_types_ensure()
    lead, approver = ctx.users["lead"], ctx.users.get("manager") or ctx.users["lead"]
    approved_at = add_months(ctx.now, -6) + timedelta(days=9)  # the six-monthly review is due in 9 days
    ir_type = DocumentType.objects.get(code=IR_PLAN)
    plan = services.document_create(
        type=ir_type, title="Incident response plan", owner=lead, approver=approver, by=lead, now=approved_at - timedelta(days=2)
    )
    draft = plan.versions.get()
    services.version_update(
        version=draft,
        sections=IR_PLAN_SECTIONS,
        lists={"incident_types": DEFAULT_INCIDENT_TYPES},
        change_summary="First version",
        by=lead,
        now=approved_at - timedelta(days=1),
    )
    services.version_approve(version=draft, by=approver, step_up_at=approved_at, now=approved_at)
    change = services.major_change_log(
        document=plan,
        summary="Order database moved to a new cloud account with its own key management",
        category=ChangeCategory.INFRASTRUCTURE,
        changed_at=ctx.now - timedelta(days=4),
        systems="order database, key management",
        by=lead,
        now=ctx.now - timedelta(days=3),
    )
    plan.refresh_from_db()
    ctx.made["ir_plan"] = plan
    ctx.say(
        f"Policy library: IR plan v1 approved; its six-monthly review is due {plan.review_due_at:%d %b %Y}; "
        f"a major change awaits review by {change.review_due_at:%d %b %Y}."
    )

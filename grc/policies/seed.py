"""Demo policy library: an approved IR plan whose six-monthly review is due soon, and one major
change waiting for its review; the other governed documents of the programme (privacy and
classification policies, acceptable use, access control, risk process, vulnerability runbook,
backup and restore plan with RTO/RPO), some with staff acknowledgements outstanding. Runs before
access_reviews, assets and incidents, which may read the plan's incident types."""

from __future__ import annotations

from datetime import timedelta

from grc.classification import LEVELS
from grc.policies import services
from grc.policies.acknowledgements import acknowledgement_record
from grc.policies.catalogue import BUILTIN_BY_CODE, DEFAULT_INCIDENT_TYPES, IR_PLAN, document_types_ensure
from grc.policies.models import ChangeCategory, DocumentReview, DocumentType
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
    seed_library(ctx)


def _text(entry: dict, key: str) -> str:
    """A plausible first text for a section: its own guidance, as a company would start from it."""
    return SECTION_TEXTS.get(key) or entry["help"]


SECTION_TEXTS = {
    "data_rights": "Requests to access, rectify, erase or stop processing reach us through the seller (the Authorized User) or "
    "directly. The privacy contact records each one in the portal's data-subject request register the day it arrives, "
    "verifies identity from the order details only (no identity documents are kept), searches every data store holding "
    "PII and answers within 30 days; an extension is decided once, with a reason, before the deadline.",
    "retention": "Buyer names and addresses are deleted 30 days after delivery by the nightly purge job; VAT invoices are kept "
    "for six years as the VAT rules require, in the finance store only.",
    "confidentiality": "Clause 12 of every employment and contractor contract binds the person to keep PII confidential during "
    "and after the engagement; people without it get no access to systems holding PII.",
}

# code, days ago approved, approver key, acknowledged by (user keys), last reviewed days ago (None: never)
LIBRARY = [
    ("privacy_policy", 25, "lead", ("lead", "manager"), None),
    ("data_classification", 150, "lead", ("lead", "manager", "manager2", "staff", "staff2"), None),
    ("acceptable_use", 60, "manager", ("lead", "manager", "manager2", "staff", "staff2"), None),
    ("access_control", 300, "lead", ("lead", "manager", "manager2", "staff", "staff2"), 20),
    ("risk_process", 340, "manager", (), None),
    ("vuln_runbook", 200, "lead", (), 30),
    ("backup_restore", 90, "lead", (), None),
]
LISTS = {"privacy_policy": {"laws": ["UK GDPR", "Data Protection Act 2018", "VAT record-keeping rules (HMRC Notice 700/21)"]}}
VALUES = {"backup_restore": {"rto_hours": 4, "rpo_hours": 24}}


def seed_library(ctx) -> None:
    """Every other built-in document, approved at different times, with acknowledgements."""
    lead = ctx.users["lead"]
    made = []
    for code, days_ago, approver_key, acknowledged_by, reviewed_days_ago in LIBRARY:
        entry = BUILTIN_BY_CODE[code]
        approver = ctx.users.get(approver_key) or lead
        approved_at = ctx.now - timedelta(days=days_ago)
        document = services.document_create(
            type=DocumentType.objects.get(code=code),
            title=entry["name"],
            owner=lead,
            approver=approver,
            by=lead,
            now=approved_at - timedelta(days=3),
        )
        draft = document.versions.get()
        services.version_update(
            version=draft,
            sections={section["key"]: _text(section, section["key"]) for section in entry["sections"]},
            lists=LISTS.get(code, {}),
            values=VALUES.get(code, {}),
            change_summary="First version",
            by=lead,
            now=approved_at - timedelta(days=1),
        )
        services.version_approve(version=draft, by=approver, step_up_at=approved_at, now=approved_at)
        for key in acknowledged_by:
            user = ctx.users.get(key)
            if user is not None:
                acknowledgement_record(version=draft, user=user, now=approved_at + timedelta(days=2 + len(key)))
        if reviewed_days_ago is not None:
            at = ctx.now - timedelta(days=reviewed_days_ago)
            services.document_review_sign(document=document, reviewer=approver, outcome="no_change", note="", step_up_at=at, now=at)
        made.append(document)
    ctx.made["policy_documents"] = made
    reviews = DocumentReview.objects.count()
    ctx.say(
        f"Policy library: {len(made) + 1} governed documents ({len(LEVELS)} classification levels), {reviews} signed reviews; "
        "the privacy policy awaits three staff acknowledgements."
    )

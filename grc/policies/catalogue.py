"""The document types the portal ships with, as data (loaded by a migration and by seed_demo).

Issue 15 adds the privacy policy, classification policy, vulnerability runbook and the rest as
further entries here; each reuses versions, required sections and signed reviews.
``document_types_ensure()`` creates the missing ones and never overwrites an existing row (the
security lead may have adapted section help texts).
"""

from __future__ import annotations

IR_PLAN = "ir_plan"

DEFAULT_INCIDENT_TYPES = [
    "Unauthorised access to Amazon Information",
    "Data leak or exfiltration of Information",
    "Compromised credentials or account takeover",
    "Malware or ransomware",
    "Lost or stolen device",
    "Exploited application vulnerability",
    "Third-party or supply-chain compromise",
    "Denial of service",
    "Insider misuse",
    "Other security event",
]

BUILTIN_TYPES: list[dict] = [
    {
        "code": IR_PLAN,
        "name": "Incident response plan",
        "description": "The plan/runbook to detect and handle Security Incidents (DPP 1.6). Reviewed and verified every six "
        "months and after any major infrastructure or system change.",
        "clause": "1.6",
        "review_period_months": 6,
        "review_kind": "policies.ir_plan_review",
        "reviews_after_major_change": True,
        "position": 10,
        "sections": [
            {
                "key": "roles",
                "title": "Roles and responsibilities",
                "help": "Who leads the response, who investigates, who decides on notification, who keeps the evidence. Name roles and role mailboxes.",
                "required": True,
            },
            {
                "key": "procedures",
                "title": "Response procedures per incident type",
                "help": "For each incident type: detect, contain, eradicate, recover, and what evidence to collect (with chain of custody).",
                "required": True,
            },
            {
                "key": "escalation",
                "title": "Escalation path to Amazon",
                "help": "How and by whom a Security Incident is escalated to Amazon: email 3p-security@amazon.com within 24 hours of "
                "detection. We never speak for Amazon to authorities or customers unless Amazon asks in writing.",
                "required": True,
            },
            {
                "key": "alarms",
                "title": "Investigating monitoring alarms",
                "help": "How alarms from log monitoring are investigated and documented (DPP 2.6).",
                "required": False,
            },
            {
                "key": "regulatory",
                "title": "Regulatory notifications",
                "help": "Which authorities we must inform under local law, and who does it.",
                "required": False,
            },
        ],
        "lists": [
            {
                "key": "incident_types",
                "title": "Incident types that may affect Amazon",
                "help": "One type per line. Incident triage offers exactly these types.",
                "required": True,
                "default": DEFAULT_INCIDENT_TYPES,
            }
        ],
    },
]

BUILTIN_BY_CODE = {entry["code"]: entry for entry in BUILTIN_TYPES}


def create_missing_types(model) -> int:
    """Create the built-in types missing from ``model`` (the real model or a migration's)."""
    made = 0
    for entry in BUILTIN_TYPES:
        _, created = model.objects.get_or_create(code=entry["code"], defaults={k: v for k, v in entry.items() if k != "code"})
        made += int(created)
    return made


def document_types_ensure() -> int:
    from grc.policies.models import DocumentType

    return create_missing_types(DocumentType)

"""Demo data of the evidence app: the demo auditor's time-boxed access, and an Amazon assessment
with two findings (one remediated on time with its evidence, one still open)."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from grc.evidence.services.audits import audit_create, evidence_add, finding_create, finding_remediate
from grc.evidence.services.grants import grant_create

EVIDENCE_TEXT = b"""MFA enforcement report (exported from the identity provider)
Policy: require MFA for every user of the AWS console and the seller-tools admin.
Users in scope: 9; users with MFA enrolled: 9; policy state: enforced.
"""


def seed(ctx) -> None:
    lead, auditor = ctx.users.get("lead"), ctx.users.get("auditor")
    manager = ctx.users.get("manager") or lead
    if lead is None:
        return
    today = ctx.now.date()
    audit = audit_create(
        data={
            "title": "Amazon DPP assessment",
            "kind": "amazon",
            "reference": "AMZ-DPP-ASSESS-0412",
            "auditor_organisation": "Amazon Security Assessments",
            "auditor_contact": "assessments@example.com",
            "starts_on": today - timedelta(days=40),
            "ends_on": None,
            "clauses": [],
            "scope_note": "Seller-tools application, AWS production account, order database and the support laptops.",
            "status": "in_progress",
        },
        by=lead,
        now=ctx.now - timedelta(days=40),
    )
    remediated = finding_create(
        audit=audit,
        data={
            "clause": "1.4",
            "title": "MFA not enforced on the AWS console for two operators",
            "severity": "high",
            "description": "Two operator accounts could sign in to the AWS console with a password only.",
            "remediation_action": "Enforce MFA with an IAM policy that denies every action without MFA.",
            "owner": manager,
            "due_on": today - timedelta(days=10),
        },
        by=lead,
        now=ctx.now - timedelta(days=30),
    )
    evidence_add(
        finding=remediated,
        upload=SimpleUploadedFile("mfa-enforcement-report.txt", EVIDENCE_TEXT, content_type="text/plain"),
        description="MFA enforcement report from the identity provider",
        by=manager,
        now=ctx.now - timedelta(days=14),
    )
    finding_remediate(
        finding=remediated,
        note="IAM policy deployed; both operators enrolled a hardware key.",
        by=manager,
        now=ctx.now - timedelta(days=13),
    )
    finding_create(
        audit=audit,
        data={
            "clause": "2.1",
            "title": "Shipping labels kept 45 days after delivery",
            "severity": "medium",
            "description": "The label bucket's lifecycle rule deletes objects after 45 days.",
            "remediation_action": "Change the lifecycle rule to 30 days and confirm the purge monthly.",
            "owner": lead,
            "due_on": today + timedelta(days=20),
        },
        by=lead,
        now=ctx.now - timedelta(days=30),
    )
    lines = [f"Audits: {audit.title} in remediation (1 finding remediated on time, 1 open, due in 20 days)."]
    if auditor is not None:
        grant_create(
            auditor=auditor,
            starts_on=today,
            ends_on=today + timedelta(days=60),
            clauses=[],
            purpose="Amazon DPP assessment",
            audit=audit,
            by=lead,
            now=ctx.now,
        )
        lines.append(
            f"Auditor access: {auditor.get_full_name()} can read the evidence for 60 days (whole DPP); packs are built from the Evidence page."
        )
    ctx.lines.extend(lines)

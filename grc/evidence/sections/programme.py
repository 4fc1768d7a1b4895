"""Audit and assessment evidence (DPP 3) from this app: audits and their findings with remediation
against the agreed dates, the auditors' written approvals, certification letters, auditor
access, the packs issued and the books-and-records retention rule. Remediation evidence,
approval documents and letters are attached with the SHA-256 recorded when they were stored."""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, Q

from grc.evidence.collect import PackContext, display, on_time, person_name
from grc.evidence.models import Audit, AuditApproval, AuditFinding, AuditorGrant, AuditStatus, CertificationLetter, EvidencePack, PackStatus
from grc.evidence.retention import agreement_ended_on, retention_months, retention_words
from grc.evidence.sections.registry import Evidence, Mark, register


@register(clause="3", key="evidence.audits", title="Audits and assessments", order=10)
def audits(ctx: PackContext) -> Evidence:
    found = (
        Audit.objects.filter(Q(starts_on__lte=ctx.period.end) & (Q(closed_at__isnull=True) | Q(closed_at__gte=ctx.period.start_at)))
        .annotate(findings_total=Count("findings"), findings_open=Count("findings", filter=Q(findings__status="open")))
        .select_related("closed_by")
        .order_by("starts_on", "pk")
    )
    rows = [
        [
            a.title,
            a.get_kind_display(),
            a.auditor_organisation,
            a.reference,
            f"{display(a.starts_on)} – {display(a.ends_on) if a.ends_on else 'ongoing'}",
            a.scope_label,
            f"{a.findings_total} ({a.findings_open} open)",
            Mark(a.get_status_display(), "met" if a.status == AuditStatus.CLOSED else "in_progress"),
            f"{display(a.closed_at)} by {person_name(a.closed_by)}" if a.closed_at else "—",
        ]
        for a in found
    ]
    table = ctx.table(
        title="Audits and assessments during the period",
        columns=("Audit", "By", "Organisation", "Reference", "Dates", "Scope", "Findings", "Status", "Closed"),
        rows=rows,
        csv_name="audits",
        description="DPP 3: audits and assessments during the period",
        empty="No audit or assessment took place in this period.",
    )
    approvals = _approvals(ctx)
    return Evidence(tables=[table, approvals])


def _approvals(ctx: PackContext):
    rows = []
    for approval in (
        AuditApproval.objects.filter(ctx.between("recorded_at")).select_related("audit", "recorded_by").order_by("recorded_at", "pk")
    ):
        attachment = ctx.attach(
            approval.document,
            name=f"approval-{approval.pk}-{approval.original_name}",
            description=f"Written approval of the remediation evidence, audit {approval.audit.title}",
            recorded_sha256=approval.sha256,
        )
        rows.append(
            [
                approval.audit.title,
                approval.approver_name,
                approval.approver_organisation,
                approval.approved_on,
                approval.recorded_at,
                person_name(approval.recorded_by),
                attachment.path if attachment else "—",
            ]
        )
    return ctx.table(
        title="Auditors' written approvals of the remediation evidence",
        columns=("Audit", "Approved by", "Organisation", "Approval dated", "Recorded", "Recorded by", "Document (in the ZIP)"),
        rows=rows,
        csv_name="audit-approvals",
        description="DPP 3: written approvals of remediation evidence recorded in the period",
        empty="No approval was recorded in this period.",
    )


@register(clause="3", key="evidence.findings", title="Audit findings and their remediation", order=20)
def findings(ctx: PackContext) -> Evidence:
    relevant = (
        AuditFinding.objects.filter(ctx.overlaps("created_at", "remediated_at"))
        .select_related("audit", "owner")
        .prefetch_related("evidence")
        .order_by("audit__starts_on", "audit_id", "number")
    )
    rows, results = [], Counter[str]()
    for finding in relevant:
        result = on_time(finding.remediated_at, finding.due_at, ctx.now)
        results[result.status] += 1
        files = []
        for item in finding.evidence.all():
            attachment = ctx.attach(
                item.file,
                name=f"{finding.audit_id}-{finding.reference}-{item.pk}-{item.original_name}",
                description=f"Remediation evidence of {finding.reference} ({finding.audit.title}): {item.description}",
                recorded_sha256=item.sha256,
            )
            if attachment:
                files.append(attachment.path)
        rows.append(
            [
                f"{finding.audit.title} {finding.reference}",
                finding.clause,
                Mark(finding.get_severity_display(), finding.severity),
                finding.title,
                person_name(finding.owner),
                finding.due_on,
                finding.remediated_at,
                result,
                ", ".join(files) or "—",
            ]
        )
    table = ctx.table(
        title="Findings open at some time in the period: remediation against the agreed date",
        columns=("Finding", "Clause", "Severity", "Deficiency", "Owner", "Agreed due", "Remediated", "Result", "Evidence (in the ZIP)"),
        rows=rows,
        csv_name="audit-findings",
        description="DPP 3: audit findings and their remediation",
        empty="No audit finding was open in this period.",
    )
    facts = [
        ("Findings open in the period", len(rows)),
        ("Remediated by the agreed date", Mark(str(results["met"]), "met")),
        ("Remediated late", Mark(str(results["met_late"]), "met_late" if results["met_late"] else "met")),
        ("Overdue now", Mark(str(results["not_met"]), "not_met" if results["not_met"] else "met")),
    ]
    return Evidence(facts=facts, tables=[table])


@register(clause="3", key="evidence.letters", title="Compliance certified in writing", order=30)
def letters(ctx: PackContext) -> Evidence:
    rows = []
    for letter in CertificationLetter.objects.filter(ctx.between("signed_at")).select_related("signed_by").order_by("signed_at", "pk"):
        attachment = ctx.attach(
            letter.file,
            name=f"certification-letter-{letter.reference}.pdf",
            description=f"Certification letter {letter.reference}",
            recorded_sha256=letter.sha256,
        )
        rows.append(
            [
                letter.reference,
                letter.addressed_to,
                letter.request_reference,
                letter.signed_at,
                person_name(letter.signed_by),
                Mark(str(letter.exceptions_count), "met" if not letter.exceptions_count else "at_risk"),
                letter.sha256,
                attachment.path if attachment else "—",
            ]
        )
    table = ctx.table(
        title="Certification letters signed in the period (step-up MFA)",
        columns=("Letter", "To", "Their request", "Signed", "Signed by", "Exceptions listed", "SHA-256", "Letter (in the ZIP)"),
        rows=rows,
        csv_name="certification-letters",
        description="DPP 3: letters certifying compliance in writing signed in the period",
        empty="No certification letter was signed in this period.",
    )
    return Evidence(tables=[table])


@register(clause="3", key="evidence.access", title="Auditor access and evidence packs issued", order=40)
def auditor_access(ctx: PackContext) -> Evidence:
    grants = (
        AuditorGrant.objects.filter(starts_at__lt=ctx.period.end_at, ends_at__gt=ctx.period.start_at)
        .select_related("auditor", "granted_by", "revoked_by")
        .order_by("starts_at", "pk")
    )
    grant_table = ctx.table(
        title="Time-boxed auditor access during the period",
        columns=("Auditor", "From", "To (last day)", "Scope", "Purpose", "Granted by", "Revoked"),
        rows=[
            [person_name(g.auditor), g.starts_on, g.ends_on, g.scope_label, g.purpose, person_name(g.granted_by), g.revoked_at]
            for g in grants
        ],
        csv_name="auditor-access",
        description="DPP 3: auditor access grants during the period",
        empty="No auditor had access in this period.",
    )
    packs = (
        EvidencePack.objects.filter(ctx.between("finished_at"), status=PackStatus.READY)
        .select_related("requested_by")
        .order_by("finished_at", "pk")
    )
    pack_table = ctx.table(
        title="Evidence packs issued in the period",
        columns=("Pack", "Period", "Scope", "Requested by", "Issued", "PDF SHA-256"),
        rows=[
            [
                p.reference,
                p.period.label,
                p.scope_label,
                person_name(p.requested_by) if p.requested_by else "command line",
                p.finished_at,
                p.pdf_sha256,
            ]
            for p in packs
        ],
        csv_name="evidence-packs",
        description="DPP 3: evidence packs issued in the period",
        empty="No evidence pack was issued in this period.",
    )
    return Evidence(tables=[grant_table, pack_table])


@register(clause="3", key="evidence.retention", title="Books and records retention", order=50)
def books_retention(ctx: PackContext) -> Evidence:
    ended = agreement_ended_on()
    facts = [
        ("Amazon agreement", f"ended {ended:%d %b %Y}" if ended else "in force"),
        ("Months kept after the agreement (BOOKS_RETENTION_MONTHS)", retention_months()),
        ("Books and records", retention_words(ctx.now)),
    ]
    notes = [
        "Access reviews and sign-offs, terminations, the inventory and attestations, incidents with their evidence and custody, "
        "deletion certificates, scans and tests, policy versions and reviews, audits, findings, approvals, letters and evidence packs "
        "have no purge path in the portal. The audit trail's own retention (DPP 2.6) is shown under 2.6."
    ]
    return Evidence(facts=facts, notes=notes)

"""Audits and findings (DPP 3): "remediate those deficiencies within an agreed-upon timeframe …
provide remediation evidence … and obtain written approval on submitted evidence from Amazon
before audit closure".

* A finding opens an ``evidence.finding_remediation`` obligation due at the end of the agreed
  date, owned by the finding's owner; remediating it (with evidence attached) completes it.
* When the last finding of an audit is remediated, ``evidence.audit_approval`` opens: obtain the
  auditor's written approval within 30 days. Recording the approval completes it.
* An audit closes only with every finding remediated and an approval recorded after the last
  remediation; a finding the auditor did not accept can be reopened with a new agreed date.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from grc.audit.services import record_change, record_event
from grc.compliance.services import obligation_complete, obligation_open, obligation_waive, open_obligation
from grc.evidence.clauses import all_clauses, normalise_scope
from grc.evidence.files import store_upload
from grc.evidence.models import Audit, AuditApproval, AuditFinding, AuditStatus, FindingStatus, RemediationEvidence
from grc.evidence.services.grants import day_bounds

FINDING_KIND = "evidence.finding_remediation"
APPROVAL_KIND = "evidence.audit_approval"
AUDIT_FIELDS = (
    "title",
    "kind",
    "reference",
    "auditor_organisation",
    "auditor_contact",
    "starts_on",
    "ends_on",
    "clauses",
    "scope_note",
    "status",
)
FINDING_FIELDS = ("clause", "title", "severity", "description", "remediation_action", "owner", "due_on")


def _refuse_closed(audit: Audit) -> None:
    if audit.is_closed:
        raise ValidationError("This audit is closed: its record can no longer change.")


def _may_work_on(finding: AuditFinding, user) -> bool:
    return user.is_security_lead or finding.owner_id == user.pk


def _check_audit(data: dict) -> None:
    errors = {}
    if data.get("ends_on") and data["starts_on"] and data["ends_on"] < data["starts_on"]:
        errors["ends_on"] = "The audit cannot end before it starts."
    if data.get("status") == AuditStatus.CLOSED:
        errors["status"] = "Close the audit with the Close button: it checks the findings and the auditor's approval."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def audit_create(*, data: dict, by, now: datetime, request=None) -> Audit:
    _check_audit(data)
    values = {name: data[name] for name in AUDIT_FIELDS if name in data}
    values["clauses"] = normalise_scope(values.get("clauses"))
    audit = Audit.objects.create(**values, created_by=by, created_at=now)
    record_change("created", audit, request=request, actor=by, changed_fields=list(values))
    return audit


@transaction.atomic
def audit_update(*, audit: Audit, data: dict, by, now: datetime, request=None) -> list[str]:
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    _refuse_closed(audit)
    _check_audit(data)
    changed = []
    for name in AUDIT_FIELDS:
        if name not in data:
            continue
        value = normalise_scope(data[name]) if name == "clauses" else data[name]
        if getattr(audit, name) != value:
            setattr(audit, name, value)
            changed.append(name)
    if changed:
        audit.save(update_fields=changed)
        record_change("updated", audit, request=request, actor=by, changed_fields=changed)
    return changed


def _finding_obligation(finding: AuditFinding) -> None:
    obligation_open(
        kind=FINDING_KIND,
        subject=finding,
        anchor_at=min(finding.created_at, finding.due_at),
        due_at=finding.due_at,
        owner=finding.owner,
        title=f"Remediate audit finding {finding.reference} ({finding.clause})",
        url=finding.get_absolute_url(),
    )


def _check_finding(data: dict, now: datetime) -> None:
    errors = {}
    if data.get("clause") not in all_clauses():
        errors["clause"] = "Choose the DPP clause the finding is about."
    if not (data.get("remediation_action") or "").strip():
        errors["remediation_action"] = "Say what will be done to remediate it."
    if data.get("due_on") is None:
        errors["due_on"] = "Give the due date agreed with the auditor."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def finding_create(*, audit: Audit, data: dict, by, now: datetime, zone=None, request=None) -> AuditFinding:
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    _refuse_closed(audit)
    _check_finding(data, now)
    number = (audit.findings.aggregate(last=Max("number"))["last"] or 0) + 1
    values = {name: data[name] for name in FINDING_FIELDS}
    due_at = day_bounds(values["due_on"], values["due_on"], zone or timezone.get_current_timezone())[1]
    finding = AuditFinding.objects.create(audit=audit, number=number, due_at=due_at, created_by=by, created_at=now, **values)
    _finding_obligation(finding)
    if audit.status in (AuditStatus.PLANNED, AuditStatus.IN_PROGRESS):
        audit.status = AuditStatus.REMEDIATION
        audit.save(update_fields=["status"])
    obligation_waive(kind=APPROVAL_KIND, subject=audit, when=now, reason="a new finding was recorded", by=by)
    record_change("created", finding, request=request, actor=by, changed_fields=list(values))
    return finding


@transaction.atomic
def finding_update(*, finding: AuditFinding, data: dict, by, now: datetime, zone=None, request=None) -> list[str]:
    finding = AuditFinding.objects.select_for_update().select_related("audit").get(pk=finding.pk)
    _refuse_closed(finding.audit)
    if not finding.is_open:
        raise ValidationError("A remediated finding cannot be edited: reopen it first if the auditor did not accept the evidence.")
    _check_finding(data, now)
    changed = [name for name in FINDING_FIELDS if getattr(finding, name) != data[name]]
    for name in changed:
        setattr(finding, name, data[name])
    if "due_on" in changed:
        finding.due_at = day_bounds(finding.due_on, finding.due_on, zone or timezone.get_current_timezone())[1]
        changed.append("due_at")
    if changed:
        finding.save(update_fields=changed)
        _finding_obligation(finding)
        record_change("updated", finding, request=request, actor=by, changed_fields=changed)
    return changed


@transaction.atomic
def evidence_add(*, finding: AuditFinding, upload, description: str, by, now: datetime, request=None) -> RemediationEvidence:
    finding = AuditFinding.objects.select_for_update().select_related("audit").get(pk=finding.pk)
    if not _may_work_on(finding, by):
        raise PermissionDenied("Only the finding's owner or the security lead adds its evidence.")
    _refuse_closed(finding.audit)
    if not finding.is_open:
        raise ValidationError("The evidence of a remediated finding is final: reopen the finding to add more.")
    if not (description or "").strip():
        raise ValidationError({"description": "Say what the file shows."})
    item = RemediationEvidence(finding=finding, description=description.strip()[:200], uploaded_by=by, uploaded_at=now)
    store_upload(item, "file", upload)
    item.save()
    record_event(
        "evidence.finding.evidence_added",
        request=request,
        actor=by,
        obj=finding,
        details={"evidence": item.pk, "sha256": item.sha256, "size": item.size},
        occurred_at=now,
    )
    return item


@transaction.atomic
def finding_remediate(*, finding: AuditFinding, note: str, by, now: datetime, request=None) -> AuditFinding:
    """Mark the finding remediated with its evidence: completes its obligation (on time or late);
    with the audit's last finding done, the approval clock starts."""
    finding = AuditFinding.objects.select_for_update().select_related("audit").get(pk=finding.pk)
    if not _may_work_on(finding, by):
        raise PermissionDenied("Only the finding's owner or the security lead marks it remediated.")
    _refuse_closed(finding.audit)
    if not finding.is_open:
        raise ValidationError("This finding is already remediated.")
    if not finding.evidence.exists():
        raise ValidationError("Attach the remediation evidence first (DPP 3: the auditor approves the evidence).")
    if not (note or "").strip():
        raise ValidationError({"note": "Say what was done."})
    finding.status, finding.remediated_at, finding.remediated_by = FindingStatus.REMEDIATED, now, by
    finding.remediation_note = note.strip()
    finding.save(update_fields=["status", "remediated_at", "remediated_by", "remediation_note"])
    obligation_complete(kind=FINDING_KIND, subject=finding, completed_at=now, completed_by=by)
    record_change("remediated", finding, request=request, actor=by, changed_fields=["status", "remediated_at", "remediation_note"])
    audit = finding.audit
    if not audit.findings.filter(status=FindingStatus.OPEN).exists():
        obligation_open(
            kind=APPROVAL_KIND,
            subject=audit,
            anchor_at=now,
            owner=audit.created_by,
            title=f"Obtain the auditor's written approval: {audit.title}"[:200],
            url=audit.get_absolute_url(),
        )
    return finding


@transaction.atomic
def finding_reopen(*, finding: AuditFinding, due_on: date, reason: str, by, now: datetime, zone=None, request=None) -> AuditFinding:
    """The auditor did not accept the evidence: the finding is open again with a new agreed date."""
    finding = AuditFinding.objects.select_for_update().select_related("audit").get(pk=finding.pk)
    _refuse_closed(finding.audit)
    if finding.is_open:
        raise ValidationError("This finding is still open.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the evidence was not accepted."})
    finding.status, finding.remediated_at, finding.remediated_by = FindingStatus.OPEN, None, None
    finding.due_on = due_on
    finding.due_at = day_bounds(due_on, due_on, zone or timezone.get_current_timezone())[1]
    finding.remediation_note = f"{finding.remediation_note}\n\nReopened {now:%Y-%m-%d}: {reason.strip()}".strip()
    finding.save(update_fields=["status", "remediated_at", "remediated_by", "due_on", "due_at", "remediation_note"])
    obligation_waive(kind=APPROVAL_KIND, subject=finding.audit, when=now, reason="a finding was reopened", by=by)
    _finding_obligation(finding)
    record_change("reopened", finding, request=request, actor=by, changed_fields=["status", "due_on"])
    return finding


@transaction.atomic
def approval_record(*, audit: Audit, data: dict, upload, by, now: datetime, request=None) -> AuditApproval:
    """Record the auditor's written approval of the remediation evidence (with the document)."""
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    _refuse_closed(audit)
    if audit.findings.filter(status=FindingStatus.OPEN).exists():
        raise ValidationError("Some findings are still open: the approval covers the evidence of every finding.")
    if upload is None:
        raise ValidationError({"document": "Attach the written approval as received (e.g. the email saved as PDF)."})
    if data["approved_on"] > now.date():
        raise ValidationError({"approved_on": "The approval cannot be dated in the future."})
    approval = AuditApproval(
        audit=audit,
        approver_name=data["approver_name"].strip(),
        approver_organisation=data["approver_organisation"].strip(),
        approved_on=data["approved_on"],
        statement=data["statement"].strip(),
        recorded_by=by,
        recorded_at=now,
    )
    store_upload(approval, "document", upload)
    approval.save()
    if open_obligation(APPROVAL_KIND, audit) is not None:
        obligation_complete(kind=APPROVAL_KIND, subject=audit, completed_at=now, completed_by=by)
    record_event(
        "evidence.audit.approval_recorded",
        request=request,
        actor=by,
        obj=audit,
        details={"approval": approval.pk, "sha256": approval.sha256},
        occurred_at=now,
    )
    return approval


def closure_problems(audit: Audit) -> list[str]:
    """Why the audit cannot be closed yet (empty: it can)."""
    problems = []
    if audit.is_closed:
        return ["The audit is already closed."]
    open_count = audit.findings.filter(status=FindingStatus.OPEN).count()
    if open_count:
        problems.append(f"{open_count} finding{'s are' if open_count != 1 else ' is'} not remediated yet.")
    last_remediation = audit.findings.aggregate(last=Max("remediated_at"))["last"]
    approvals = audit.approvals.all()
    if last_remediation is not None:
        approvals = approvals.filter(recorded_at__gte=last_remediation)
    if not approvals.exists():
        problems.append("The auditor's written approval of the remediation evidence is not recorded (after the last remediation).")
    return problems


@transaction.atomic
def audit_close(*, audit: Audit, by, now: datetime, request=None) -> Audit:
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    problems = closure_problems(audit)
    if problems:
        raise ValidationError(problems)
    audit.status, audit.closed_at, audit.closed_by = AuditStatus.CLOSED, now, by
    if audit.ends_on is None:
        audit.ends_on = now.date()
    audit.save(update_fields=["status", "closed_at", "closed_by", "ends_on"])
    audit.findings.filter(status=FindingStatus.REMEDIATED).update(status=FindingStatus.CLOSED)
    record_change("closed", audit, request=request, actor=by, changed_fields=["status", "closed_at"])
    return audit

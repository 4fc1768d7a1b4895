"""Audits and assessments (DPP 3): Amazon's, a firm Amazon selected, or our own.

* ``Audit`` — who audits (organisation and contact), when, which clauses, and its state.
* ``AuditFinding`` — a deficiency with its remediation action, owner and the agreed due date; an
  obligation of kind ``evidence.finding_remediation`` runs to that date.
* ``RemediationEvidence`` — files that show the remediation (stored with their SHA-256).
* ``AuditApproval`` — the auditor's written approval of the remediation evidence, with the
  document it came in. An audit is closed only after an approval recorded after the last
  remediation ("obtain written approval … before audit closure").
* ``CertificationLetter`` — the signed (step-up MFA) letter certifying compliance in writing,
  produced from the DPP status at the moment of signing.

Free text that may name people is encrypted at rest; titles carry no names. Nothing here is
ever deleted: these are books and records kept for the agreement + 12 months.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from grc.crypto import EncryptedCharField, EncryptedTextField
from grc.evidence.clauses import scope_label


class AuditKind(models.TextChoices):
    AMAZON = "amazon", "Amazon"
    AMAZON_FIRM = "amazon_firm", "Independent firm selected by Amazon"
    INTERNAL = "internal", "Internal assessment"
    OTHER = "other", "Other assessment"


class AuditStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    REMEDIATION = "remediation", "Remediating findings"
    CLOSED = "closed", "Closed"


class Audit(models.Model):
    title = models.CharField(max_length=200, help_text="e.g. Amazon DPP assessment 2027. No names.")
    kind = models.CharField(max_length=12, choices=AuditKind.choices, default=AuditKind.AMAZON)
    reference = models.CharField("auditor's reference", max_length=120, blank=True, help_text="Amazon's case or the firm's engagement id.")
    auditor_organisation = models.CharField(max_length=200)
    auditor_contact = EncryptedCharField("auditor contact", blank=True, help_text="The lead auditor's name and email (encrypted).")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="empty while fieldwork continues")
    clauses = models.JSONField(default=list, blank=True, help_text="DPP clauses in scope; empty = the whole DPP")
    scope_note = EncryptedTextField("scope", blank=True, help_text="Systems, facilities and period examined.")
    status = models.CharField(max_length=12, choices=AuditStatus.choices, default=AuditStatus.PLANNED, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__lte=models.F("ends_on")), name="evidence_audit_dates_ordered"
            ),
            models.CheckConstraint(condition=~Q(status="closed") | Q(closed_at__isnull=False), name="evidence_closed_audit_has_time"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("evidence:audit_detail", args=[self.pk])

    @property
    def scope_label(self) -> str:
        return scope_label(self.clauses)

    @property
    def is_closed(self) -> bool:
        return self.status == AuditStatus.CLOSED


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class FindingStatus(models.TextChoices):
    OPEN = "open", "Open"
    REMEDIATED = "remediated", "Remediated, evidence submitted"
    CLOSED = "closed", "Closed with the audit"


class AuditFinding(models.Model):
    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="findings")
    number = models.PositiveIntegerField(help_text="F-1, F-2 … within the audit")
    clause = models.CharField("DPP clause", max_length=10)
    title = models.CharField(max_length=200, help_text="The deficiency in a few words. No names.")
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    description = EncryptedTextField("what the auditor found", blank=True)
    remediation_action = EncryptedTextField("remediation action", help_text="What will be done to remediate it.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audit_findings")
    due_on = models.DateField("agreed due date", help_text="The timeframe agreed with the auditor (DPP 3).")
    due_at = models.DateTimeField(db_index=True, help_text="the end of the agreed due date")
    status = models.CharField(max_length=12, choices=FindingStatus.choices, default=FindingStatus.OPEN, db_index=True)
    remediated_at = models.DateTimeField(null=True, blank=True)
    remediated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    remediation_note = EncryptedTextField("what was done", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["audit", "number"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "number"], name="evidence_finding_number_unique"),
            models.CheckConstraint(
                condition=Q(status="open", remediated_at__isnull=True) | (~Q(status="open") & Q(remediated_at__isnull=False)),
                name="evidence_remediated_finding_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("evidence:finding_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"F-{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status == FindingStatus.OPEN

    @property
    def remediated_on_time(self) -> bool | None:
        if self.remediated_at is None:
            return None
        return self.remediated_at <= self.due_at


class StoredFile(models.Model):
    """A file kept under MEDIA_ROOT with its original name, size and SHA-256."""

    original_name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField("SHA-256", max_length=64)

    class Meta:
        abstract = True


class RemediationEvidence(StoredFile):
    finding = models.ForeignKey(AuditFinding, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to="evidence/remediation/%Y/", max_length=300)
    description = models.CharField(max_length=200, help_text="What it shows, e.g. MFA policy screenshot. No names.")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"remediation evidence {self.pk}"


class AuditApproval(StoredFile):
    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="approvals")
    approver_name = EncryptedCharField("approved by", help_text="The auditor who gave the written approval.")
    approver_organisation = models.CharField(max_length=200)
    approved_on = models.DateField("date of the approval")
    statement = EncryptedTextField("the approval's words", help_text="Quote the written approval.")
    document = models.FileField(
        upload_to="evidence/approvals/%Y/", max_length=300, help_text="the approval as received (e.g. the email as PDF)"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"audit approval {self.pk}"


class CertificationLetter(models.Model):
    addressed_to = models.CharField(max_length=200, default="Amazon")
    request_reference = models.CharField("Amazon's written request", max_length=120, blank=True)
    requested_on = models.DateField("request received on", null=True, blank=True)
    as_of = models.DateTimeField(help_text="the moment of the DPP status the letter certifies")
    statement = models.JSONField(default=dict, help_text="the DPP status snapshot the letter was produced from")
    exceptions_count = models.PositiveSmallIntegerField(default=0, help_text="clauses not met or at risk, listed as exceptions")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    step_up_at = models.DateTimeField(help_text="time of the fresh MFA code the signature was made with")
    file = models.FileField(upload_to="evidence/letters/%Y/", max_length=300)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)

    class Meta:
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"certification letter {self.reference}"

    @property
    def reference(self) -> str:
        return f"CL-{self.pk:04d}" if self.pk else "CL-new"

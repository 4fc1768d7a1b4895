"""Security incidents (DPP 1.6): the 24-hour Amazon clock, the workflow timeline, notifications,
evidence with its chain of custody, and each correction of the detection time.

Free text that may hold PII (what happened, actions, remediation, notes, custody parties) is
encrypted at rest (``grc.crypto``) and never enters the audit trail or the logs. The next due
moment of the Amazon clock is kept on the row (``notification_due_at``) so lists sort and show
it without asking the engine; the engine's obligation is the source of reminders.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from grc.crypto import EncryptedCharField, EncryptedTextField


class Status(models.TextChoices):
    REPORTED = "reported", "Reported"
    TRIAGED = "triaged", "Triaged"
    CONTAINED = "contained", "Contained"
    ERADICATED = "eradicated", "Eradicated"
    RECOVERED = "recovered", "Recovered"
    CLOSED = "closed", "Closed"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class AmazonInvolved(models.TextChoices):
    UNKNOWN = "unknown", "Not known yet"
    YES = "yes", "Yes"
    NO = "no", "No"


class Incident(models.Model):
    title = models.CharField(max_length=200, help_text="A short label, without names or contact details.")
    description = EncryptedTextField("what happened", blank=True)
    detected_at = models.DateTimeField(help_text="When it was first detected: Amazon must be notified within 24 hours of this.")
    systems = models.ManyToManyField("access_reviews.System", blank=True, related_name="incidents", verbose_name="systems involved")
    assets = models.ManyToManyField("assets.Asset", blank=True, related_name="incidents", verbose_name="assets involved")
    systems_involved = models.TextField(
        "other systems involved", blank=True, help_text="Systems, hosts or services not in the registers (no personal data)."
    )
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incidents_reported")
    reported_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REPORTED, db_index=True)
    # triage (security lead)
    incident_type = models.CharField(max_length=120, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    amazon_involved = models.CharField(
        "Amazon Information involved", max_length=8, choices=AmazonInvolved.choices, default=AmazonInvolved.UNKNOWN
    )
    amazon_not_involved_reason = models.CharField(
        "why Amazon Information is not involved", max_length=300, blank=True, help_text="Recorded with the waived notification. No names."
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents_owned")
    triaged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    triaged_at = models.DateTimeField(null=True, blank=True)
    # investigation (encrypted: may name people)
    actions_taken = EncryptedTextField(blank=True, help_text="Containment and response actions so far (goes into the notification).")
    remediation_actions = EncryptedTextField(blank=True)
    corrective_controls = EncryptedTextField(
        "corrective process/system controls", blank=True, help_text="Controls implemented to prevent recurrence."
    )
    notification_due_at = models.DateTimeField(db_index=True, help_text="detected_at + 24 h")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        indexes = [
            models.Index(fields=["reported_by", "status"]),
            # the list's default order (newest detection first): its first page comes from the index (README "Performance")
            models.Index(fields=["-detected_at", "-id"], name="incident_list_newest_first"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(notification_due_at__gt=models.F("detected_at")), name="incident_due_after_detection"),
            models.CheckConstraint(condition=~Q(status="closed") | Q(closed_at__isnull=False), name="closed_incident_has_closing_time"),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("incidents:detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"INC-{self.pk:04d}" if self.pk else "INC-new"

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED

    @property
    def notification_required(self) -> bool:
        return self.amazon_involved != AmazonInvolved.NO


class IncidentStep(models.Model):
    """One step of the workflow timeline: who moved the incident to which status, and when."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="steps")
    status = models.CharField(max_length=12, choices=Status.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.incident} {self.status}"


class DetectionCorrection(models.Model):
    """One change of an incident's detection time (the start of the 24-hour Amazon clock).

    Written by ``services.detection_correct`` only, never changed: the history of the clock's start,
    shown on the incident page and in the evidence pack. The reason may name people: encrypted.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="detection_corrections")
    old_detected_at = models.DateTimeField("detection time before")
    new_detected_at = models.DateTimeField("detection time after")
    reason = EncryptedTextField(blank=True, help_text="Required to move the detection time later.")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    stepped_up = models.BooleanField(default=False, help_text="a fresh one-time code (step-up MFA) was given")

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(new_detected_at=models.F("old_detected_at")), name="detection_correction_changes_time"),
        ]

    def __str__(self) -> str:
        return f"detection correction {self.pk} of {self.incident}"

    @property
    def is_later(self) -> bool:
        return self.new_detected_at > self.old_detected_at

    @property
    def shift(self):
        return abs(self.new_detected_at - self.old_detected_at)


class NotificationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    READY = "ready", "Ready to send"
    SENT = "sent", "Sent"


class NotificationMethod(models.TextChoices):
    EMAIL = "email", "Email to 3p-security@amazon.com"
    OTHER = "other", "Other channel agreed with Amazon"


class AmazonNotification(models.Model):
    """The notification to Amazon (DPP 1.6): a PII-free draft, then the record of its sending."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="amazon_notification")
    subject = models.CharField(max_length=200, blank=True)
    body = EncryptedTextField(blank=True)
    status = models.CharField(max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.DRAFT)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    drafted_at = models.DateTimeField(null=True, blank=True)
    ready_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ready_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=8, choices=NotificationMethod.choices, blank=True)
    amazon_reference = models.CharField("Amazon's reference", max_length=120, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False, sent_by__isnull=False), name="sent_notification_has_time_and_sender"
            )
        ]

    def __str__(self) -> str:
        return f"notification of {self.incident}"

    @property
    def is_sent(self) -> bool:
        return self.status == NotificationStatus.SENT


class RegulatoryNotification(models.Model):
    """A notification to a government or regulatory authority: the company's own duty (DPP 1.6)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="regulatory_notifications")
    authority = models.CharField(max_length=200)
    notified_at = models.DateTimeField()
    reference = models.CharField(max_length=120, blank=True)
    note = EncryptedTextField(blank=True)
    on_behalf_of_amazon = models.BooleanField(default=False)
    amazon_written_request = models.CharField(
        "Amazon's written request", max_length=200, blank=True, help_text="Required when speaking for Amazon (DPP 1.6)."
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["notified_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(on_behalf_of_amazon=False) | ~Q(amazon_written_request=""), name="speaking_for_amazon_needs_written_request"
            )
        ]

    def __str__(self) -> str:
        return f"regulatory notification {self.pk}"


class EvidenceKind(models.TextChoices):
    FILE = "file", "Uploaded file"
    PHYSICAL = "physical", "Physical item"


def evidence_upload_to(instance: EvidenceItem, filename: str) -> str:
    """Under MEDIA_ROOT (outside the web root), one random folder per file; the name is sanitised first."""
    return f"incidents/{instance.incident_id}/{instance.storage_token}/{filename}"


class EvidenceItem(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=10, choices=EvidenceKind.choices)
    label = models.CharField(max_length=200, help_text="What it is, e.g. web server access log 10-11 March. No names.")
    description = EncryptedTextField(blank=True)
    file = models.FileField(upload_to=evidence_upload_to, max_length=400, blank=True)
    storage_token = models.CharField(max_length=32, editable=False)
    original_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    collected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    collected_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    last_verified_at = models.DateTimeField(null=True, blank=True)
    last_verified_match = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["collected_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind="physical") | (~Q(file="") & ~Q(sha256="")), name="file_evidence_has_file_and_hash")
        ]

    def __str__(self) -> str:
        return f"evidence {self.pk} of {self.incident}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:evidence", args=[self.pk])

    @property
    def is_file(self) -> bool:
        return self.kind == EvidenceKind.FILE


class CustodyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Custody entries are append-only: they cannot be updated.")

    def delete(self):
        raise PermissionError("Custody entries are append-only: they cannot be deleted.")


class CustodyKind(models.TextChoices):
    COLLECTED = "collected", "Collected"
    HANDOVER = "handover", "Hand-over"
    ACCESS = "access", "Access"
    VERIFIED = "verified", "Hash verified"


class CustodyEntry(models.Model):
    """One link of an evidence item's chain of custody. Append-only: corrections are new entries."""

    evidence = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="custody")
    kind = models.CharField(max_length=10, choices=CustodyKind.choices, default=CustodyKind.HANDOVER)
    from_party = EncryptedCharField("from")
    to_party = EncryptedCharField("to")
    at = models.DateTimeField("when")
    purpose = EncryptedCharField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = CustodyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"custody entry {self.pk}"

    def save(self, *args, **kwargs):
        # The one invariant kept here rather than in a service: an entry, once written, never changes.
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Custody entries are append-only: they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Custody entries are append-only: they cannot be deleted.")

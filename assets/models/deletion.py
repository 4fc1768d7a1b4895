"""Amazon's requests for deletion (DPP 1.7): the notice, a sanitisation record per affected data
store (NIST SP 800-88 Clear / Purge / Destroy), legal-retention exceptions, and the signed
certificate of destruction for Amazon's "certify in writing".

Two obligations run from the notice: Information deleted within 30 days, every live instance
within 90 days. Whether each is met is decided by the pure functions of
``assets.deletion_rules`` from these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from grc.crypto import EncryptedTextField


class DeletionRequest(models.Model):
    reference = models.CharField("Amazon's reference", max_length=120, help_text="The case or message id of Amazon's notice.")
    received_at = models.DateTimeField("notice received at", help_text="The 30- and 90-day clocks start here.")
    scope = EncryptedTextField(help_text="What Amazon asked to delete, in their words.")
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="responsible_deletion_requests",
        help_text="Owns the deadlines and signs the certificate of destruction.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["received_at"], name="deletion_received")]

    def __str__(self) -> str:
        return f"deletion request {self.reference}"

    def get_absolute_url(self) -> str:
        return reverse("assets:deletion_detail", args=[self.pk])


class SanitisationMethod(models.TextChoices):
    """NIST SP 800-88 Rev. 1 sanitisation categories."""

    CLEAR = "clear", "Clear"
    PURGE = "purge", "Purge"
    DESTROY = "destroy", "Destroy"


METHOD_HELP = {
    SanitisationMethod.CLEAR: "logical techniques on all user-addressable storage (e.g. overwrite, delete rows and vacuum)",
    SanitisationMethod.PURGE: "physical or logical techniques that defeat laboratory recovery (e.g. cryptographic erase, block erase)",
    SanitisationMethod.DESTROY: "the media can no longer be used (shred, disintegrate, incinerate)",
}


class DeletionAction(models.Model):
    """What was done to one affected data store, by whom and when, and how it was verified."""

    request = models.ForeignKey(DeletionRequest, on_delete=models.CASCADE, related_name="actions")
    data_store = models.ForeignKey("assets.DataStore", on_delete=models.PROTECT, related_name="deletion_actions")
    method = models.CharField("NIST SP 800-88 method", max_length=10, choices=SanitisationMethod.choices, blank=True)
    description = EncryptedTextField("what was done", blank=True)
    performed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    performed_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_note = EncryptedTextField("how it was verified", blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "data_store"], name="one_deletion_action_per_store"),
            models.CheckConstraint(
                condition=Q(performed_at__isnull=True) | (~Q(method="") & Q(performed_by__isnull=False)),
                name="deletion_performed_has_method_and_person",
            ),
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True) | Q(performed_at__isnull=False, verified_by__isnull=False),
                name="deletion_verified_after_performed",
            ),
        ]

    def __str__(self) -> str:
        return f"deletion action {self.pk}"

    @property
    def is_performed(self) -> bool:
        return self.performed_at is not None

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class RetentionBasis(models.TextChoices):
    TAX = "tax", "Tax law"
    REGULATORY = "regulatory", "Regulatory requirement"
    OTHER = "other", "Other legal requirement"


class RetentionException(models.Model):
    """Information kept despite the notice because a law requires it (DPP 1.7, 2.1)."""

    request = models.ForeignKey(DeletionRequest, on_delete=models.CASCADE, related_name="exceptions")
    data_store = models.ForeignKey("assets.DataStore", on_delete=models.PROTECT, related_name="retention_exceptions")
    basis = models.CharField("legal basis", max_length=12, choices=RetentionBasis.choices)
    description = EncryptedTextField(help_text="Which law, and which records are kept.")
    ends_on = models.DateField("kept until", help_text="The date the records are deleted when the legal period ends.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["request", "data_store"], name="one_retention_exception_per_store")]

    def __str__(self) -> str:
        return f"retention exception {self.pk}"


class DestructionCertificate(models.Model):
    """The signed certificate of destruction (a PDF under MEDIA_ROOT with its SHA-256)."""

    request = models.OneToOneField(DeletionRequest, on_delete=models.PROTECT, related_name="certificate")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    step_up_at = models.DateTimeField(help_text="time of the fresh MFA code the signature was made with")
    file = models.FileField(upload_to="assets/certificates/%Y/", max_length=300)
    sha256 = models.CharField("SHA-256", max_length=64)

    class Meta:
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"certificate of destruction {self.pk}"

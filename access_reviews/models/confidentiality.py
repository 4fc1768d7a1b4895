"""Confidentiality agreements of the people in the registry (DPP 2.2: "contractual provisions in
employment contracts with employees that process PII to maintain confidentiality of PII").

One row per signed agreement (or contract clause): when it was signed, until when it holds (for a
fixed-term contract), where the clause is, and optionally the signed document itself, kept under
``MEDIA_ROOT`` with its SHA-256 and handed out only by an audited view. Whether a person needs one
is decided by ``access_reviews.confidentiality`` (an enabled account on a system whose inventory
asset holds PII).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ConfidentialityAgreement(models.Model):
    person = models.ForeignKey("access_reviews.Person", on_delete=models.PROTECT, related_name="confidentiality_agreements")
    signed_on = models.DateField(help_text="The date the person signed the agreement or the contract containing the clause.")
    valid_until = models.DateField(null=True, blank=True, help_text="For a fixed-term contract: its last day. Empty: no end.")
    reference = models.CharField(
        "where the clause is", max_length=200, blank=True, help_text="e.g. Employment contract 2025, clause 12 (no personal details)."
    )
    document = models.FileField(upload_to="access_reviews/confidentiality/%Y/", max_length=300, blank=True)
    document_name = models.CharField(max_length=200, blank=True)
    document_sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-signed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("signed_on")),
                name="confidentiality_valid_after_signing",
            ),
            models.CheckConstraint(condition=~Q(reference="") | ~Q(document=""), name="confidentiality_has_reference_or_document"),
        ]
        indexes = [models.Index(fields=["person", "signed_on"], name="confidentiality_person_signed")]

    def __str__(self) -> str:
        return f"confidentiality agreement {self.pk}"

    def is_current_on(self, day: date) -> bool:
        return self.signed_on <= day and (self.valid_until is None or self.valid_until >= day)

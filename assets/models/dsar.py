"""Data-subject requests (DPP 2.2): a customer's request to access, rectify, erase or stop the
processing of their information, usually passed on by the Authorized User (the seller) it came
through.

The register keeps what the request was, how identity was checked (never the identity documents
themselves), which data stores of the inventory were searched, what was done and when the response
went out. The response is due ``DSAR_RESPONSE_DAYS`` after receipt (default 30), extendable once
with a reason; that deadline is an obligation of the engine (``policies.dsar_response``).

Everything that could identify the requester or the Authorized User is encrypted at rest and is
kept only ``DSAR_RETENTION_DAYS`` after the response: the purge task then blanks it (``purged_at``),
leaving a PII-free record that the request existed and whether it was answered in time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from grc.crypto import EncryptedCharField, EncryptedTextField

# Fields that hold (or may hold) personal data: encrypted, blanked by the purge.
PII_FIELDS = (
    "requester_name",
    "requester_contact",
    "requester_reference",
    "authorized_user",
    "request_details",
    "verification_note",
    "actions_taken",
    "extension_reason",
    "response_note",
)


class DsarChannel(models.TextChoices):
    AUTHORIZED_USER = "authorized_user", "Passed on by the Authorized User (seller)"
    AMAZON = "amazon", "Through Amazon (buyer-seller messaging or notice)"
    EMAIL = "email", "Email"
    WEB_FORM = "web_form", "Web form"
    POST = "post", "Post"
    PHONE = "phone", "Phone"
    OTHER = "other", "Other"


CHANNEL_SHORT = {
    "authorized_user": "Authorized User",
    "amazon": "Amazon",
    "email": "Email",
    "web_form": "Web form",
    "post": "Post",
    "phone": "Phone",
    "other": "Other",
}


class DsarType(models.TextChoices):
    ACCESS = "access", "Access (a copy of their information)"
    RECTIFY = "rectify", "Rectify (correct their information)"
    ERASE = "erase", "Erase (delete their information)"
    RESTRICT = "restrict", "Restrict / stop processing or sharing"


class VerificationMethod(models.TextChoices):
    ORDER_DETAILS = "order_details", "Matched order details only the customer knows"
    AUTHORIZED_USER = "authorized_user", "Confirmed by the Authorized User"
    EMAIL_ROUNDTRIP = "email_roundtrip", "Confirmation from the address on the order"
    OTHER = "other", "Other (described, no documents kept)"


class DsarOutcome(models.TextChoices):
    FULFILLED = "fulfilled", "Fulfilled"
    PARTIAL = "partial", "Partly fulfilled (a law requires keeping some records)"
    NO_DATA = "no_data", "No information about the requester found"
    REFUSED_IDENTITY = "refused_identity", "Refused: identity could not be verified"
    REFUSED_OTHER = "refused_other", "Refused for another lawful reason"


class DataSubjectRequest(models.Model):
    reference = models.CharField(max_length=20, unique=True, editable=False, help_text="DSR-<year>-<number>, given on creation")
    received_at = models.DateTimeField(help_text="The response deadline counts from here.")
    channel = models.CharField(max_length=20, choices=DsarChannel.choices)
    request_type = models.CharField("type of request", max_length=10, choices=DsarType.choices)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="handled_data_subject_requests",
        help_text="Answers the request and owns its deadline.",
    )

    # Identifying details: encrypted at rest, blanked by the purge
    requester_name = EncryptedCharField("requester's name", blank=True)
    requester_contact = EncryptedCharField("requester's contact", blank=True, help_text="Email or postal address to answer to.")
    requester_reference = EncryptedCharField(
        "order or customer reference", blank=True, help_text="What the request names, e.g. an order id, to find their records."
    )
    authorized_user = EncryptedCharField(
        "Authorized User it came through", blank=True, help_text="The seller account that passed the request on, if any."
    )
    request_details = EncryptedTextField("what was asked", blank=True)

    # Identity verification: done or not, and how. Identity documents are never stored.
    identity_verified = models.BooleanField(default=False)
    verification_method = models.CharField(max_length=20, choices=VerificationMethod.choices, blank=True)
    verification_note = EncryptedTextField("how identity was verified", blank=True, help_text="No copies of identity documents.")
    verified_at = models.DateTimeField(null=True, blank=True)

    # The search and what was done
    stores_searched = models.ManyToManyField("assets.DataStore", blank=True, related_name="data_subject_requests")
    actions_taken = EncryptedTextField(blank=True)

    # The deadline: received_at + DSAR_RESPONSE_DAYS, extendable once
    due_at = models.DateTimeField(db_index=True)
    original_due_at = models.DateTimeField()
    extended_at = models.DateTimeField(null=True, blank=True)
    extended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    extension_reason = EncryptedTextField(blank=True)

    # The response
    response_sent_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=DsarOutcome.choices, blank=True)
    response_note = EncryptedTextField(blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    # Retention of the identifying details
    purged_at = models.DateTimeField(null=True, blank=True, help_text="identifying details removed (the record stays)")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["received_at"], name="dsar_received"),
            models.Index(fields=["response_sent_at"], name="dsar_purge_due", condition=Q(purged_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(due_at__gte=models.F("received_at")), name="dsar_due_after_receipt"),
            models.CheckConstraint(condition=Q(due_at__gte=models.F("original_due_at")), name="dsar_due_never_shortened"),
            models.CheckConstraint(
                condition=Q(extended_at__isnull=True) | ~Q(extension_reason="") | Q(purged_at__isnull=False),
                name="dsar_extension_has_reason",
            ),
            models.CheckConstraint(condition=Q(response_sent_at__isnull=True) | ~Q(outcome=""), name="dsar_response_has_outcome"),
            models.CheckConstraint(
                condition=Q(purged_at__isnull=True) | Q(response_sent_at__isnull=False), name="dsar_purged_only_when_answered"
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"data-subject request {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("dsar:request", args=[self.pk])

    @property
    def channel_short(self) -> str:
        return CHANNEL_SHORT.get(self.channel, self.channel)

    @property
    def type_short(self) -> str:
        return self.request_type.capitalize()

    @property
    def is_open(self) -> bool:
        return self.response_sent_at is None

    @property
    def is_extended(self) -> bool:
        return self.extended_at is not None

    @property
    def is_purged(self) -> bool:
        return self.purged_at is not None

    @property
    def answered_in_time(self) -> bool | None:
        """True/False once answered; None while open."""
        if self.response_sent_at is None:
            return None
        return self.response_sent_at <= self.due_at

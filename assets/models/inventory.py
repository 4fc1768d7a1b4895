"""The asset inventory of DPP 2.3: every asset with access to Information, one row each.

One ``Asset`` table holds the common fields and the few fields of each kind as blank/nullable
columns (hardware, software, credentials, endpoints, removable media), so one form and one list
query serve every kind without joins. Data stores carry many more fields and the record of
processing (DPP 2.2), so they get their own one-to-one ``DataStore`` row.

Flags are computed by the pure functions of ``assets.flags`` for display; the services store
their count on the row (``flag_count``) so lists can filter and sort flagged assets first in SQL,
and ``flags_recheck_at`` says when a time-based flag (credential rotation, baseline age) changes.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from assets.choices import (
    AssetKind,
    Attribution,
    CredentialType,
    EncryptionAlgorithm,
    Environment,
    HardwareType,
    Ownership,
    StoreType,
    TlsVersion,
)
from assets.flags import asset_flags, limits_from_settings
from grc.crypto import EncryptedTextField


class Asset(models.Model):
    """One inventory entry. The secret of a credential is never stored — only where it is kept."""

    tag = models.CharField(
        "asset id", max_length=40, unique=True, help_text="Your inventory id, e.g. LT-0042. Unique; CSV imports match on it."
    )
    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=20, choices=AssetKind.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_assets")
    environment = models.CharField(
        max_length=12,
        choices=Environment.choices,
        blank=True,
        help_text="DPP 2.5 keeps test and production separate. Empty: not applicable.",
    )
    location = models.CharField(max_length=200, blank=True, help_text="Office, home, cloud region or account, or where a secret is kept.")
    baseline_reference = models.CharField(
        "baseline configuration", max_length=500, blank=True, help_text="The standard configuration it follows: a short text or a link."
    )
    baseline_verified_at = models.DateField("baseline last verified", null=True, blank=True)
    holds_amazon_information = models.BooleanField("holds Amazon Information", default=False)
    holds_pii = models.BooleanField("holds PII", default=False)
    notes = EncryptedTextField(blank=True)

    # Encryption at rest: disk encryption of hardware, removable media, data stores, credentials.
    encryption_algorithm = models.CharField(
        max_length=10, choices=EncryptionAlgorithm.choices, blank=True, help_text="Empty: not encrypted."
    )
    encryption_key_bits = models.PositiveIntegerField("key length (bits)", null=True, blank=True)
    encryption_detail = models.CharField(
        "encryption detail", max_length=200, blank=True, help_text="e.g. BitLocker, FileVault, SSE-KMS with a customer-managed key."
    )

    # Hardware (DPP 1.1 anti-malware on end-user devices; 1.2/2.3 no Information on personal devices)
    hardware_type = models.CharField(max_length=10, choices=HardwareType.choices, blank=True)
    ownership = models.CharField(max_length=10, choices=Ownership.choices, blank=True)
    anti_malware_present = models.BooleanField("anti-malware installed", default=False)
    anti_malware_updated = models.BooleanField("anti-malware up to date", default=False)

    # Software / service
    vendor = models.CharField(max_length=120, blank=True)
    version = models.CharField(max_length=60, blank=True)

    # Credential (DPP 1.4: Amazon API keys encrypted, reachable only by those who need them)
    credential_type = models.CharField(max_length=20, choices=CredentialType.choices, blank=True)
    access_holders = EncryptedTextField("who can reach it", blank=True, help_text="People and services that can read the secret.")
    last_rotated_at = models.DateField("last rotated", null=True, blank=True)

    # Endpoint (DPP 1.5: TLS 1.2+, message-level encryption through untrusted proxies)
    url = models.CharField("URL", max_length=500, blank=True)
    tls_min_version = models.CharField("minimum TLS version", max_length=4, choices=TlsVersion.choices, blank=True)
    untrusted_proxy = models.BooleanField(
        "TLS ends in untrusted hardware",
        default=False,
        help_text="Channel encryption terminates in a shared proxy, CDN or other multi-tenant hardware.",
    )
    message_encryption = models.BooleanField("message-level encryption", default=False)

    # Stored results of assets.flags (for filtering and sorting in SQL)
    flag_count = models.PositiveSmallIntegerField(default=0, editable=False)
    flags_recheck_at = models.DateTimeField(null=True, blank=True, editable=False, help_text="when a time-based flag changes next")

    retired_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["kind", "name"], name="asset_kind_name"),
            models.Index(fields=["name"], name="asset_name"),
            models.Index(fields=["environment"], name="asset_environment"),
            models.Index(fields=["holds_pii"], name="asset_holds_pii"),
            models.Index(fields=["flag_count", "name"], name="asset_flags_name"),
            # the inventory's default order (flagged first, then by name) over assets in use: the
            # first page is read from the index instead of sorting every asset (README "Performance")
            models.Index(fields=["-flag_count", "name", "-id"], name="asset_list_default", condition=Q(retired_at__isnull=True)),
            models.Index(fields=["flags_recheck_at"], name="asset_flags_recheck", condition=Q(flags_recheck_at__isnull=False)),
            models.Index(fields=["retired_at"], name="asset_retired"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(encryption_key_bits__isnull=True) | Q(encryption_key_bits__gt=0), name="asset_key_bits_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tag} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("assets:detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.retired_at is None

    @property
    def store(self) -> DataStore | None:
        """The data-store details, or None (no query when loaded with select_related)."""
        if self.kind != AssetKind.DATA_STORE or self.pk is None:
            return None
        try:
            return self.data_store
        except DataStore.DoesNotExist:
            return None

    def flags_at(self, now: datetime) -> list[str]:
        return asset_flags(self, now=now, store=self.store, limits=limits_from_settings())

    @property
    def flags(self) -> list[str]:
        return self.flags_at(timezone.now())


ROP_FIELDS = ("rop_data_fields", "rop_collected", "rop_processed", "rop_stored", "rop_used", "rop_shared", "rop_disposed")


class DataStore(models.Model):
    """A database, bucket or file share: DPP 1.8 origin, 2.1 retention, 2.4 encryption (on the
    asset), 2.7 backup/restore, and its record of processing activities (2.2)."""

    asset = models.OneToOneField(Asset, on_delete=models.CASCADE, related_name="data_store")
    store_type = models.CharField("type of store", max_length=12, choices=StoreType.choices, default=StoreType.DATABASE)
    live = models.BooleanField(
        "live (online or network-accessible)", default=True, help_text="DPP 1.7: live instances must be deleted within 90 days of a notice."
    )
    attribution = models.CharField("origin of data (DPP 1.8)", max_length=10, choices=Attribution.choices, default=Attribution.NONE)
    attribution_mechanism = EncryptedTextField("how origin is tagged", blank=True)
    key_holders = EncryptedTextField(
        "who holds the keys", blank=True, help_text="People, roles and services that can use the encryption keys."
    )
    keys_service_only = models.BooleanField(
        "keys reachable only by our processes and services",
        default=False,
        help_text="DPP 2.4: e.g. a KMS key usable only by the app's role.",
    )
    pii_retention_days = models.PositiveIntegerField("PII kept (days after order delivery)", null=True, blank=True)
    retention_legal_basis = EncryptedTextField(
        "legal basis for longer retention",
        blank=True,
        help_text="DPP 2.1: more than 30 days only where a law requires it (e.g. tax records).",
    )
    backup_procedure = EncryptedTextField(blank=True)
    restore_procedure = EncryptedTextField(blank=True)
    restore_tested_at = models.DateField("restore last tested", null=True, blank=True)

    # Record of processing activities (DPP 2.2)
    rop_data_fields = EncryptedTextField(
        "data fields", blank=True, help_text="The specific fields held, e.g. buyer name, shipping address, order id."
    )
    rop_collected = EncryptedTextField("how collected", blank=True)
    rop_processed = EncryptedTextField("how processed", blank=True)
    rop_stored = EncryptedTextField("how stored", blank=True)
    rop_used = EncryptedTextField("how used", blank=True)
    rop_shared = EncryptedTextField("how shared", blank=True)
    rop_disposed = EncryptedTextField("how disposed", blank=True)
    rop_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    rop_updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["asset__name"]

    def __str__(self) -> str:
        return self.asset.name

    @property
    def has_record_of_processing(self) -> bool:
        return bool(self.rop_data_fields.strip())


class AttestationScope(models.TextChoices):
    INVENTORY = "inventory", "Whole inventory"
    OWNER = "owner", "The signer's own assets"


class InventoryAttestation(models.Model):
    """A signed statement (step-up MFA) that the inventory is current (DPP 2.3, quarterly).

    ``inventory_digest`` is a SHA-256 over the attested assets' ids and last-change times, so the
    record shows exactly which state of the inventory was confirmed.
    """

    attested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="asset_attestations")
    attested_at = models.DateTimeField()
    scope = models.CharField(max_length=10, choices=AttestationScope.choices)
    note = EncryptedTextField(blank=True)
    asset_count = models.PositiveIntegerField()
    flagged_count = models.PositiveIntegerField(default=0)
    inventory_digest = models.CharField(max_length=64)
    step_up_at = models.DateTimeField(help_text="time of the fresh MFA code the signature was made with")

    class Meta:
        ordering = ["-attested_at", "-pk"]

    def __str__(self) -> str:
        return f"inventory attestation {self.pk}"


class RetentionCheck(models.Model):
    """Monthly confirmation that PII past a store's retention rule was purged (DPP 2.1)."""

    data_store = models.ForeignKey(DataStore, on_delete=models.CASCADE, related_name="retention_checks")
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField()
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-checked_at", "-pk"]


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", "Preview"
    APPLIED = "applied", "Applied"
    CANCELLED = "cancelled", "Cancelled"


class AssetImport(models.Model):
    """An uploaded asset CSV between preview and apply. The file is kept encrypted (it may name
    people in notes) and discarded once applied or cancelled."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    filename = models.CharField(max_length=200)
    content = EncryptedTextField(blank=True)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEW)
    summary = models.JSONField(default=dict)
    errors = models.JSONField(default=list)
    preview = models.JSONField(default=dict)
    import_good_rows = models.BooleanField(default=False)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"asset import {self.pk}"

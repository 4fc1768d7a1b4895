"""Which fields each kind of asset uses, shared by the forms, the CSV import/export and the pages.

Keeping the lists here means adding a field to a kind is one edit: the form shows it, the CSV
has a column for it, and the detail page prints it.
"""

from __future__ import annotations

from assets.choices import AssetKind

COMMON_FIELDS = (
    "tag",
    "name",
    "owner",
    "environment",
    "location",
    "baseline_reference",
    "baseline_verified_at",
    "holds_amazon_information",
    "holds_pii",
    "notes",
)
ENCRYPTION_FIELDS = ("encryption_algorithm", "encryption_key_bits", "encryption_detail")
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    AssetKind.HARDWARE: ("hardware_type", "ownership", *ENCRYPTION_FIELDS, "anti_malware_present", "anti_malware_updated"),
    AssetKind.SOFTWARE: ("vendor", "version"),
    AssetKind.DATA_STORE: ENCRYPTION_FIELDS,
    AssetKind.CREDENTIAL: ("credential_type", *ENCRYPTION_FIELDS, "access_holders", "last_rotated_at"),
    AssetKind.ENDPOINT: ("url", "tls_min_version", "untrusted_proxy", "message_encryption"),
    AssetKind.REMOVABLE_MEDIA: ENCRYPTION_FIELDS,
}
ALL_KIND_FIELDS = tuple(dict.fromkeys(field for fields in KIND_FIELDS.values() for field in fields))
STORE_FIELDS = (
    "store_type",
    "live",
    "attribution",
    "attribution_mechanism",
    "key_holders",
    "keys_service_only",
    "pii_retention_days",
    "retention_legal_basis",
    "backup_procedure",
    "restore_procedure",
    "restore_tested_at",
)
ROP_FORM_FIELDS = ("rop_data_fields", "rop_collected", "rop_processed", "rop_stored", "rop_used", "rop_shared", "rop_disposed")

# Fields each kind needs filled in (beyond tag, name, owner).
REQUIRED_BY_KIND: dict[str, tuple[str, ...]] = {
    AssetKind.HARDWARE: ("hardware_type", "ownership"),
    AssetKind.CREDENTIAL: ("credential_type", "location"),
    AssetKind.ENDPOINT: ("url",),
}

# How the shared fields read for a kind (label, help text).
KIND_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    AssetKind.HARDWARE: {
        "encryption_algorithm": ("Disk encryption", "Empty: the disk is not encrypted."),
        "location": ("Location", "Office, home office, data centre …"),
    },
    AssetKind.DATA_STORE: {
        "encryption_algorithm": ("Encryption at rest", "DPP 2.4: PII needs AES-128 / RSA-2048 or stronger. Empty: not encrypted."),
        "location": ("Location", "Cloud account and region, or host."),
    },
    AssetKind.CREDENTIAL: {
        "encryption_algorithm": ("Encrypted with", "How the stored secret is encrypted. Empty: stored in plain text."),
        "location": ("Stored in", "Where the secret is kept, e.g. AWS Secrets Manager path. Never the secret itself."),
    },
    AssetKind.REMOVABLE_MEDIA: {
        "encryption_algorithm": ("Encryption", "DPP 2.3: PII on removable media needs AES-128 / RSA-2048 or stronger."),
    },
    AssetKind.ENDPOINT: {"location": ("Hosted at", "Where the endpoint runs.")},
}


def fields_for(kind: str) -> tuple[str, ...]:
    return COMMON_FIELDS + KIND_FIELDS.get(kind, ())

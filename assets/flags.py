"""What breaks the DPP about an asset, in words: pure functions of the asset, its data-store
details and ``now`` (no database; tests use unsaved model instances).

Each rule names its clause in the docstring of its helper. The sentences are what the list and
detail pages show ("laptop without disk encryption", "endpoint allows TLS 1.0", "personal
device with PII"); the services store how many there are (``Asset.flag_count``) and when a
time-based rule flips next (``Asset.flags_recheck_at``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings

from assets.choices import (
    AMAZON_CREDENTIALS,
    END_USER_DEVICES,
    AssetKind,
    Attribution,
    EncryptionAlgorithm,
    HardwareType,
    Ownership,
    TlsVersion,
)

PII_RETENTION_LIMIT_DAYS = 30  # DPP 2.1: no longer than 30 days after order delivery
AES_MINIMUM_BITS = 128  # DPP 2.3, 2.4: at least AES-128 …
RSA_MINIMUM_BITS = 2048  # … or RSA with 2048-bit keys
BASELINE_KINDS = (AssetKind.HARDWARE, AssetKind.SOFTWARE, AssetKind.DATA_STORE)
WEAK_TLS = (TlsVersion.TLS10, TlsVersion.TLS11)


@dataclass(frozen=True)
class Limits:
    """The configurable ages (settings ``ASSETS_CREDENTIAL_ROTATION_DAYS``, ``ASSETS_BASELINE_MAX_AGE_DAYS``)."""

    rotation_days: int = 365
    baseline_days: int = 365


def limits_from_settings() -> Limits:
    return Limits(
        rotation_days=int(getattr(settings, "ASSETS_CREDENTIAL_ROTATION_DAYS", 365)),
        baseline_days=int(getattr(settings, "ASSETS_BASELINE_MAX_AGE_DAYS", 365)),
    )


def encryption_shortfall(algorithm: str, bits: int | None) -> str | None:
    """Why an algorithm/key length is not at least AES-128 or RSA-2048 (DPP 2.3, 2.4); None when it is.

    ``""`` means not encrypted at all.
    """
    if not algorithm:
        return "without encryption"
    if algorithm == EncryptionAlgorithm.AES:
        if bits is None:
            return "with an AES key length not recorded"
        return None if bits >= AES_MINIMUM_BITS else "with encryption below AES-128"
    if algorithm == EncryptionAlgorithm.RSA:
        if bits is None:
            return "with an RSA key length not recorded"
        return None if bits >= RSA_MINIMUM_BITS else "with encryption below RSA-2048"
    return "with encryption that is not AES-128 or RSA-2048"


def strong_encryption(algorithm: str, bits: int | None) -> bool:
    return encryption_shortfall(algorithm, bits) is None


def _days_since(day: date, now: datetime) -> int:
    return (now.astimezone(UTC).date() - day).days


def _thing(asset) -> str:
    """How a sentence names the asset: "laptop", "server", "Amazon API credential" …"""
    if asset.kind == AssetKind.HARDWARE:
        return HardwareType(asset.hardware_type).label.lower() if asset.hardware_type else "hardware"
    if asset.kind == AssetKind.CREDENTIAL:
        return "Amazon API credential" if asset.credential_type in AMAZON_CREDENTIALS else "credential"
    return AssetKind(asset.kind).label.lower().replace("software / service", "software")


def _holds_what(asset) -> str:
    if asset.holds_pii:
        return "PII"
    if asset.holds_amazon_information:
        return "Amazon Information"
    return ""


def _hardware_flags(asset) -> list[str]:
    """1.1 anti-malware on end-user devices; 1.2/2.3 no Information on personal devices; 2.3/2.4 disk encryption."""
    flags = []
    thing = _thing(asset)
    end_user = asset.hardware_type in END_USER_DEVICES
    if end_user or _holds_what(asset):
        shortfall = encryption_shortfall(asset.encryption_algorithm, asset.encryption_key_bits)
        if shortfall == "without encryption":
            flags.append(f"{thing} without disk encryption")
        elif shortfall:
            flags.append(f"{thing} disk encryption {shortfall.removeprefix('with ')}")
    if end_user:
        if not asset.anti_malware_present:
            flags.append(f"{thing} without anti-malware")
        elif not asset.anti_malware_updated:
            flags.append(f"{thing} anti-malware not up to date")
    if asset.ownership == Ownership.PERSONAL and _holds_what(asset):
        flags.append(f"personal device with {_holds_what(asset)}")
    return flags


def _software_flags(asset) -> list[str]:
    """2.5: test and production kept separate — a service with Information must say which it is."""
    if _holds_what(asset) and not asset.environment:
        return ["software with Information but no environment (production or test) recorded"]
    return []


def _credential_flags(asset, now: datetime, limits: Limits) -> list[str]:
    """1.4: API keys encrypted, reachable only by the people who need them; rotated regularly."""
    flags = []
    thing = _thing(asset)
    shortfall = encryption_shortfall(asset.encryption_algorithm, asset.encryption_key_bits)
    if shortfall == "without encryption":
        flags.append(f"{thing} stored without encryption")
    elif shortfall:
        flags.append(f"{thing} stored {shortfall}")
    if not asset.access_holders.strip():
        flags.append(f"who can reach the {thing} is not recorded")
    if asset.last_rotated_at is None:
        flags.append(f"{thing} rotation date not recorded")
    else:
        age = _days_since(asset.last_rotated_at, now)
        if age > limits.rotation_days:
            flags.append(f"{thing} last rotated {age} days ago")
    return flags


def _endpoint_flags(asset) -> list[str]:
    """1.5: TLS 1.2+ on every endpoint; message-level encryption where TLS ends in untrusted hardware."""
    flags = []
    if asset.tls_min_version == TlsVersion.NONE or asset.url.lower().startswith("http://"):
        flags.append("endpoint accepts unencrypted connections")
    elif asset.tls_min_version in WEAK_TLS:
        flags.append(f"endpoint allows TLS {asset.tls_min_version}")
    elif not asset.tls_min_version:
        flags.append("endpoint minimum TLS version not recorded")
    if asset.untrusted_proxy and not asset.message_encryption:
        flags.append("endpoint's TLS ends in an untrusted proxy without message-level encryption")
    return flags


def _removable_flags(asset) -> list[str]:
    """2.3: no PII on removable media unless encrypted with AES-128 / RSA-2048 or stronger."""
    held = _holds_what(asset)
    if not held:
        return []
    shortfall = encryption_shortfall(asset.encryption_algorithm, asset.encryption_key_bits)
    if shortfall == "without encryption":
        return [f"removable media with {held} not encrypted"]
    if shortfall:
        return [f"removable media with {held} {shortfall}"]
    return []


def _store_flags(asset, store) -> list[str]:
    """1.8 origin; 2.1 retention; 2.2 record of processing; 2.4 encryption and keys; 2.7 backup/restore."""
    if store is None:
        return ["data store details missing"]
    flags = []
    if asset.holds_amazon_information:
        if store.attribution == Attribution.NONE:
            flags.append("data store holds Amazon Information without a separate store or origin tagging")
        elif store.attribution == Attribution.TAGGED and not store.attribution_mechanism.strip():
            flags.append("origin tagging mechanism not described")
    if asset.holds_pii:
        shortfall = encryption_shortfall(asset.encryption_algorithm, asset.encryption_key_bits)
        if shortfall == "without encryption":
            flags.append("data store holds PII without encryption at rest")
        elif shortfall:
            flags.append(f"data store holds PII {shortfall}")
        elif not store.keys_service_only:
            flags.append("PII encryption keys are reachable beyond our own processes and services")
        if store.pii_retention_days is None:
            flags.append("PII retention period not recorded")
        elif store.pii_retention_days > PII_RETENTION_LIMIT_DAYS and not store.retention_legal_basis.strip():
            flags.append(f"PII kept {store.pii_retention_days} days after delivery without a recorded legal basis")
        if not store.has_record_of_processing:
            flags.append("no record of processing for the PII it holds")
        if not store.backup_procedure.strip() or not store.restore_procedure.strip():
            flags.append("no backup and restore procedure recorded")
    return flags


def _baseline_flags(asset, now: datetime, limits: Limits) -> list[str]:
    """2.3: a baseline standard configuration, verified regularly."""
    if asset.kind not in BASELINE_KINDS:
        return []
    if not asset.baseline_reference.strip():
        return ["no baseline configuration recorded"]
    if asset.baseline_verified_at is None:
        return ["baseline configuration never verified"]
    age = _days_since(asset.baseline_verified_at, now)
    if age > limits.baseline_days:
        return [f"baseline configuration last verified {age} days ago"]
    return []


def asset_flags(asset, *, now: datetime, store=None, limits: Limits = Limits()) -> list[str]:
    """Every DPP problem of ``asset`` as a sentence, most serious kinds first. Retired assets have none."""
    if getattr(asset, "retired_at", None) is not None:
        return []
    kind = asset.kind
    if kind == AssetKind.HARDWARE:
        flags = _hardware_flags(asset)
    elif kind == AssetKind.SOFTWARE:
        flags = _software_flags(asset)
    elif kind == AssetKind.CREDENTIAL:
        flags = _credential_flags(asset, now, limits)
    elif kind == AssetKind.ENDPOINT:
        flags = _endpoint_flags(asset)
    elif kind == AssetKind.REMOVABLE_MEDIA:
        flags = _removable_flags(asset)
    elif kind == AssetKind.DATA_STORE:
        flags = _store_flags(asset, store)
    else:
        flags = []
    return flags + _baseline_flags(asset, now, limits)


def _start_of_day_after(day: date, days: int) -> datetime:
    return datetime.combine(day + timedelta(days=days + 1), time.min, tzinfo=UTC)


def flags_recheck_at(asset, *, now: datetime, limits: Limits = Limits()) -> datetime | None:
    """The next moment a time-based flag of ``asset`` appears (credential rotation or baseline
    age passing its limit), or None when no such rule is pending."""
    if getattr(asset, "retired_at", None) is not None:
        return None
    moments = []
    if asset.kind == AssetKind.CREDENTIAL and asset.last_rotated_at is not None:
        moments.append(_start_of_day_after(asset.last_rotated_at, limits.rotation_days))
    if asset.kind in BASELINE_KINDS and asset.baseline_reference.strip() and asset.baseline_verified_at is not None:
        moments.append(_start_of_day_after(asset.baseline_verified_at, limits.baseline_days))
    future = [moment for moment in moments if moment > now]
    return min(future) if future else None

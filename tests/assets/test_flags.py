"""The DPP flag rules as pure functions of unsaved assets (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from assets.flags import Limits, asset_flags, encryption_shortfall, flags_recheck_at
from assets.models import Asset, DataStore

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
RECENT = date(2027, 2, 1)


def laptop(**fields) -> Asset:
    values = {
        "kind": "hardware",
        "hardware_type": "laptop",
        "ownership": "company",
        "encryption_algorithm": "aes",
        "encryption_key_bits": 256,
        "anti_malware_present": True,
        "anti_malware_updated": True,
        "baseline_reference": "CIS L1",
        "baseline_verified_at": RECENT,
    }
    return Asset(**{**values, **fields})


def store_asset(**fields) -> Asset:
    values = {
        "kind": "data_store",
        "holds_pii": True,
        "holds_amazon_information": True,
        "encryption_algorithm": "aes",
        "encryption_key_bits": 256,
        "baseline_reference": "RDS baseline",
        "baseline_verified_at": RECENT,
    }
    return Asset(**{**values, **fields})


def good_store(**fields) -> DataStore:
    values = {
        "attribution": "tagged",
        "attribution_mechanism": "source column on every row",
        "keys_service_only": True,
        "pii_retention_days": 30,
        "backup_procedure": "snapshots",
        "restore_procedure": "runbook",
        "rop_data_fields": "buyer name, address",
    }
    return DataStore(**{**values, **fields})


def test_a_well_kept_laptop_has_no_flags():
    assert asset_flags(laptop(), now=NOW) == []


def test_it_flags_a_laptop_without_disk_encryption():
    assert "laptop without disk encryption" in asset_flags(laptop(encryption_algorithm="", encryption_key_bits=None), now=NOW)


def test_it_flags_end_user_devices_without_current_anti_malware():
    assert "desktop without anti-malware" in asset_flags(laptop(hardware_type="desktop", anti_malware_present=False), now=NOW)
    assert "laptop anti-malware not up to date" in asset_flags(laptop(anti_malware_updated=False), now=NOW)


def test_servers_need_no_anti_malware_flag_but_need_encryption_when_they_hold_information():
    server = laptop(hardware_type="server", anti_malware_present=False, encryption_algorithm="", encryption_key_bits=None)
    assert asset_flags(server, now=NOW) == []
    server.holds_pii = True
    assert asset_flags(server, now=NOW) == ["server without disk encryption"]


def test_it_flags_a_personal_device_with_pii_or_amazon_information():
    assert "personal device with PII" in asset_flags(laptop(ownership="personal", holds_pii=True), now=NOW)
    assert "personal device with Amazon Information" in asset_flags(laptop(ownership="personal", holds_amazon_information=True), now=NOW)
    assert not any("personal" in flag for flag in asset_flags(laptop(ownership="personal"), now=NOW))


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.0", "endpoint allows TLS 1.0"), ("1.1", "endpoint allows TLS 1.1"), ("none", "endpoint accepts unencrypted connections")],
)
def test_it_flags_endpoints_below_tls_1_2(version, expected):
    endpoint = Asset(kind="endpoint", url="https://api.example.test", tls_min_version=version)
    assert asset_flags(endpoint, now=NOW) == [expected]


def test_tls_1_2_and_1_3_endpoints_are_fine_but_plain_http_is_not():
    assert asset_flags(Asset(kind="endpoint", url="https://a.example", tls_min_version="1.2"), now=NOW) == []
    assert asset_flags(Asset(kind="endpoint", url="https://a.example", tls_min_version="1.3"), now=NOW) == []
    assert asset_flags(Asset(kind="endpoint", url="http://a.example", tls_min_version="1.2"), now=NOW) == [
        "endpoint accepts unencrypted connections"
    ]


def test_it_wants_message_level_encryption_when_tls_ends_in_an_untrusted_proxy():
    proxied = Asset(kind="endpoint", url="https://a.example", tls_min_version="1.2", untrusted_proxy=True)
    assert asset_flags(proxied, now=NOW) == ["endpoint's TLS ends in an untrusted proxy without message-level encryption"]
    proxied.message_encryption = True
    assert asset_flags(proxied, now=NOW) == []


@pytest.mark.parametrize(
    ("algorithm", "bits", "shortfall"),
    [
        ("aes", 128, None),
        ("aes", 256, None),
        ("aes", 64, "with encryption below AES-128"),
        ("rsa", 2048, None),
        ("rsa", 1024, "with encryption below RSA-2048"),
        ("aes", None, "with an AES key length not recorded"),
        ("other", 256, "with encryption that is not AES-128 or RSA-2048"),
        ("", None, "without encryption"),
    ],
)
def test_encryption_must_be_at_least_aes_128_or_rsa_2048(algorithm, bits, shortfall):
    assert encryption_shortfall(algorithm, bits) == shortfall


def test_it_flags_a_data_store_with_pii_below_aes_128():
    flags = asset_flags(store_asset(encryption_key_bits=64), now=NOW, store=good_store())
    assert flags == ["data store holds PII with encryption below AES-128"]


def test_it_flags_pii_kept_past_30_days_without_a_legal_basis():
    store = good_store(pii_retention_days=90)
    assert asset_flags(store_asset(), now=NOW, store=store) == ["PII kept 90 days after delivery without a recorded legal basis"]
    store.retention_legal_basis = "VAT records kept 6 years (VAT Act 1994)"
    assert asset_flags(store_asset(), now=NOW, store=store) == []


def test_it_flags_missing_origin_tagging_record_of_processing_backup_and_key_control():
    store = good_store(attribution="none", rop_data_fields="", backup_procedure="", keys_service_only=False, pii_retention_days=None)
    flags = asset_flags(store_asset(), now=NOW, store=store)
    assert flags == [
        "data store holds Amazon Information without a separate store or origin tagging",
        "PII encryption keys are reachable beyond our own processes and services",
        "PII retention period not recorded",
        "no record of processing for the PII it holds",
        "no backup and restore procedure recorded",
    ]


def test_a_data_store_without_pii_or_amazon_information_only_needs_its_baseline():
    asset = store_asset(holds_pii=False, holds_amazon_information=False, encryption_algorithm="", encryption_key_bits=None)
    assert asset_flags(asset, now=NOW, store=good_store(attribution="none", rop_data_fields="")) == []
    assert asset_flags(asset, now=NOW, store=None) == ["data store details missing"]


def test_removable_media_holding_pii_must_be_encrypted():
    usb = Asset(kind="removable_media", holds_pii=True)
    assert asset_flags(usb, now=NOW) == ["removable media with PII not encrypted"]
    usb.encryption_algorithm, usb.encryption_key_bits = "rsa", 1024
    assert asset_flags(usb, now=NOW) == ["removable media with PII with encryption below RSA-2048"]
    usb.encryption_algorithm, usb.encryption_key_bits = "aes", 128
    assert asset_flags(usb, now=NOW) == []
    assert asset_flags(Asset(kind="removable_media"), now=NOW) == []


def amazon_key(**fields) -> Asset:
    values = {
        "kind": "credential",
        "credential_type": "amazon_lwa",
        "encryption_algorithm": "aes",
        "encryption_key_bits": 256,
        "access_holders": "sync service role",
        "last_rotated_at": date(2026, 12, 1),
    }
    return Asset(**{**values, **fields})


def test_credentials_must_be_encrypted_with_known_holders_and_rotated():
    assert asset_flags(amazon_key(), now=NOW) == []
    assert asset_flags(amazon_key(encryption_algorithm="", encryption_key_bits=None), now=NOW) == [
        "Amazon API credential stored without encryption"
    ]
    assert asset_flags(amazon_key(access_holders=""), now=NOW) == ["who can reach the Amazon API credential is not recorded"]
    assert asset_flags(amazon_key(credential_type="password", last_rotated_at=None), now=NOW) == ["credential rotation date not recorded"]


def test_rotation_older_than_the_limit_is_flagged_with_its_age():
    key = amazon_key(last_rotated_at=(NOW - timedelta(days=366)).date())
    assert asset_flags(key, now=NOW) == ["Amazon API credential last rotated 366 days ago"]
    assert asset_flags(key, now=NOW, limits=Limits(rotation_days=400)) == []


def test_it_says_when_a_time_based_flag_appears_next():
    key = amazon_key(last_rotated_at=date(2026, 12, 1))
    recheck = flags_recheck_at(key, now=NOW)
    assert recheck == datetime(2027, 12, 2, tzinfo=UTC)  # 365 days later the age is 366: flagged from that midnight
    assert asset_flags(key, now=recheck - timedelta(seconds=1)) == []
    assert asset_flags(key, now=recheck) == ["Amazon API credential last rotated 366 days ago"]
    assert flags_recheck_at(amazon_key(last_rotated_at=None), now=NOW) is None


def test_baselines_are_recorded_and_verified_within_a_year():
    assert asset_flags(laptop(baseline_reference=""), now=NOW) == ["no baseline configuration recorded"]
    assert asset_flags(laptop(baseline_verified_at=None), now=NOW) == ["baseline configuration never verified"]
    old = laptop(baseline_verified_at=(NOW - timedelta(days=400)).date())
    assert asset_flags(old, now=NOW) == ["baseline configuration last verified 400 days ago"]
    assert asset_flags(Asset(kind="endpoint", url="https://a.example", tls_min_version="1.3"), now=NOW) == []  # endpoints need none


def test_a_retired_asset_carries_no_flags():
    assert asset_flags(laptop(encryption_algorithm="", retired_at=NOW), now=NOW) == []

"""Helpers for the assets tests: assets made through the services (so flags, obligations and audit
events exist as in real use), report files under a temporary MEDIA_ROOT, and a fresh step-up."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from assets.services.inventory import asset_create
from grc.accounts.stepup import SESSION_KEY as STEP_UP_KEY

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # a fixed "now" for tests that move the clock

GOOD = {
    "hardware": {
        "hardware_type": "laptop",
        "ownership": "company",
        "encryption_algorithm": "aes",
        "encryption_key_bits": 256,
        "anti_malware_present": True,
        "anti_malware_updated": True,
        "baseline_reference": "CIS macOS Level 1",
    },
    "software": {"vendor": "in-house", "version": "1.0", "environment": "production", "baseline_reference": "service baseline"},
    "data_store": {
        "encryption_algorithm": "aes",
        "encryption_key_bits": 256,
        "environment": "production",
        "baseline_reference": "RDS baseline",
    },
    "credential": {
        "credential_type": "amazon_lwa",
        "location": "AWS Secrets Manager prod/lwa",
        "encryption_algorithm": "aes",
        "encryption_key_bits": 256,
        "access_holders": "sync service role",
    },
    "endpoint": {"url": "https://api.example.test/v1", "tls_min_version": "1.2"},
    "removable_media": {"encryption_algorithm": "aes", "encryption_key_bits": 256},
}
GOOD_STORE = {
    "store_type": "database",
    "attribution": "separate",
    "keys_service_only": True,
    "pii_retention_days": 30,
    "backup_procedure": "daily snapshots",
    "restore_procedure": "restore runbook OPS-12",
    "rop_data_fields": "order id, buyer name, shipping address",
}


def good_fields(kind: str, when: datetime) -> dict:
    fields = dict(GOOD[kind])
    if kind in ("hardware", "software", "data_store"):
        fields["baseline_verified_at"] = (when - timedelta(days=10)).date()
    if kind == "credential":
        fields["last_rotated_at"] = (when - timedelta(days=30)).date()
    return fields


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def make_asset(db, lead):
    """``make_asset("hardware", holds_pii=True)``: a DPP-clean asset of that kind unless overridden."""
    counter = itertools.count(1)

    def make(kind: str = "hardware", *, by=None, now: datetime | None = None, store: dict | None = None, **fields):
        n = next(counter)
        when = now or timezone.now()
        data = {"tag": f"T-{n:04d}", "name": f"{kind} asset {n}", "kind": kind, "owner": lead, **good_fields(kind, when), **fields}
        store_data = {**GOOD_STORE, **(store or {})} if kind == "data_store" else None
        return asset_create(data=data, store_data=store_data, by=by or lead, now=when)

    return make


def client_for(user) -> Client:
    """A separate signed-in browser per user (the ``*_client`` fixtures share one Client)."""
    from tests.conftest import signed_in

    return signed_in(Client(), user)


def with_step_up(client: Client, when: datetime | None = None) -> Client:
    """As after a fresh code on the step-up page (the browser test uses the real page)."""
    session = client.session
    session[STEP_UP_KEY] = (when or timezone.now()).timestamp()
    session.save()
    return client


def day(moment: datetime) -> date:
    return moment.date()

"""A control register within the DPP, built through the services, for the tests that judge one:
two in-scope systems and a PII store with every area recorded, the portal's own areas recorded,
a recent log review, a canary and an account with MFA per system."""

from __future__ import annotations

from datetime import datetime, timedelta

from access_reviews.models import System
from access_reviews.services.registry import account_create, system_create
from assets.services.inventory import asset_create
from grc.audit.canaries import canary_mark
from grc.controls.services import control_entry_save
from grc.oversight.log_reviews import log_review_record

GOOD = {  # every system area within the DPP
    "identity": {
        "mfa_enforced": "yes",
        "password_min_length": "14",
        "password_character_classes": "4",
        "password_no_name": "yes",
        "password_min_age_days": "1",
        "password_max_age_days": "365",
        "lockout_threshold": "5",
        "session_timeout_minutes": "30",
    },
    "logging": {
        "events_logged": "sign_ins;admin_actions;data_access;api_calls",
        "destination": "siem",
        "retention_days": "365",
        "pii_excluded": "yes",
        "tamper_protected": "yes",
        "alarms": "failed_sign_ins;data_volume;canary_access",
        "review": "siem_alerting",
        "canary_records": "yes",
    },
    "network": {"firewall": "yes", "firewall_reviewed_on": "2027-02-01", "segmented": "yes", "public_access": "approved_users"},
    "dlp": {
        "email": "monitored",
        "removable_media": "blocked",
        "cloud_sharing": "monitored",
        "public_links": "blocked",
        "alerting": "siem",
    },
    "secrets": {"credentials_store": "vault", "secret_scanning": "yes", "environments_separated": "yes", "production_pii_in_tests": "no"},
}


def build_register(lead, now: datetime) -> dict:
    """Every area within the DPP at ``now`` (firewall rules reviewed 30 days before)."""
    good = {**GOOD, "network": {**GOOD["network"], "firewall_reviewed_on": (now - timedelta(days=30)).date().isoformat()}}
    systems = [
        system_create(data={"name": name, "owner": lead, "holds_amazon_information": True}, by=lead, now=now)
        for name in ("AWS production", "Order DB")
    ]
    store = asset_create(
        data={
            "tag": "PII-DB-1",
            "name": "Orders",
            "kind": "data_store",
            "owner": lead,
            "holds_pii": True,
            "holds_amazon_information": True,
            "encryption_algorithm": "aes",
            "encryption_key_bits": 256,
            "environment": "production",
            "baseline_reference": "RDS baseline",
        },
        store_data={},
        by=lead,
        now=now,
    )
    portal = System.objects.get(is_portal=True)  # its identity and logging come from its settings and audit trail
    entries = [(system, area) for system in systems for area in good] + [(portal, area) for area in ("network", "dlp", "secrets")]
    for system, area in entries:
        control_entry_save(area=area, raw=good[area], owner=lead, as_of=now.date(), by=lead, now=now, system=system)
    control_entry_save(area="purpose", raw={"purposes": "tax;shipping"}, owner=lead, as_of=now.date(), by=lead, now=now, data_store=store)
    log_review_record(by=lead, period_start=now - timedelta(days=14), period_end=now - timedelta(hours=1), note="alarms read", now=now)
    for system in systems:
        account_create(
            data={"system": system, "name": f"ops@{system.pk}.example", "privilege": "read", "mfa": "yes", "enabled": True},
            by=lead,
            now=now,
        )
    canary_mark(subject_type="assets.asset", subject_id=str(store.pk), note="canary order", by=lead, now=now)
    return {"systems": systems, "store": store, "lead": lead, "now": now}

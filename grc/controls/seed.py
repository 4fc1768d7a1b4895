"""Demo control register: what each in-scope system enforces, recorded by the security lead.

Runs after the registry and the inventory seeders, so it records against their systems
(``ctx.made["systems_by_name"]``) and PII data stores (``ctx.made["assets"]``, by tag), plus the
network, data-loss and secrets entries of the portal itself (``ctx.made["portal_system"]``, made
by ``grc.seeding`` just before; its identity and logging are computed from its settings). Most
entries are within the DPP; a few fall short so the first run shows each rule at work:

* AWS production delegates sign-in to Google Workspace, whose identity settings are good;
* Seller Central integration locks accounts only after 20 failed sign-ins (1.2);
* Google Workspace has no data-loss control on removable media (2.3), and its network entry was
  attested five months ago, past the quarterly re-attestation (1.1, "attestation expired");
* the Order DB keeps logs 60 days and was last reviewed by hand a month ago (2.6);
* Seller Central integration has no logging entry at all ("not yet recorded", 2.6);
* the orders database (DS-0001) lists a marketing use of PII (2, a finding).

Account MFA (1.4) comes from the registry's accounts: its flagged accounts without MFA show.
Everything goes through ``control_entry_save``, so audit events and re-attestation clocks exist.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from grc.controls.services import control_entry_save
from grc.timefmt import add_months

WIKI = "https://wiki.example.com/security/controls"

GOOD_PASSWORDS = {
    "mfa_enforced": "yes",
    "password_min_length": 14,
    "password_character_classes": 4,
    "password_no_name": True,
    "password_min_age_days": 1,
    "password_max_age_days": 365,
}
NO_PERSONAL_CHANNELS = {"email": "not_applicable", "removable_media": "not_applicable"}
SECRETS_VAULT = {"credentials_store": "vault", "secret_scanning": True, "environments_separated": True, "production_pii_in_tests": False}

# system name (None: the portal), area, days before now it was true ("as of"), values, evidence page
SYSTEM_ENTRIES: list[tuple[str | None, str, int, dict[str, Any], str]] = [
    # --- identity (1.2 lockout, 1.4 passwords and MFA) --------------------------------------------------
    (
        "Google Workspace",
        "identity",
        21,
        {**GOOD_PASSWORDS, "lockout_threshold": 5, "session_timeout_minutes": 720},
        "identity/google-workspace",
    ),
    ("AWS production", "identity", 21, {"delegated_to": "Google Workspace", "session_timeout_minutes": 60}, "identity/aws-sso"),
    (
        "Order DB",
        "identity",
        28,
        {**GOOD_PASSWORDS, "password_min_length": 16, "password_max_age_days": 90, "lockout_threshold": 5, "session_timeout_minutes": 30},
        "identity/order-db",
    ),
    (
        "Seller Central integration",
        "identity",
        35,
        {**GOOD_PASSWORDS, "password_min_length": 12, "lockout_threshold": 20, "session_timeout_minutes": 60},
        "",
    ),
    # --- logging and monitoring (2.6); Seller Central integration has none yet -------------------------------
    (
        "AWS production",
        "logging",
        14,
        {
            "events_logged": ["sign_ins", "admin_actions", "data_access", "api_calls"],  # CloudTrail with S3 data events
            "destination": "siem",
            "retention_days": 400,
            "pii_excluded": True,
            "tamper_protected": True,  # log file validation, Object Lock on the log bucket
            "alarms": ["failed_sign_ins", "request_rate", "data_volume", "canary_access", "exfiltration"],
            "review": "siem_alerting",
            "canary_records": True,
            "canary_checked_on": 7,
        },
        "logging/cloudtrail",
    ),
    (
        "Google Workspace",
        "logging",
        14,
        {
            "events_logged": ["sign_ins", "admin_actions", "data_access"],  # Workspace audit logs, Drive access
            "destination": "siem",
            "retention_days": 180,
            "pii_excluded": True,
            "tamper_protected": True,
            "alarms": ["failed_sign_ins", "exfiltration"],
            "review": "siem_alerting",
            "canary_records": True,  # a canary order export in the shared drive
            "canary_checked_on": 7,
        },
        "logging/google-workspace",
    ),
    (
        "Order DB",
        "logging",
        30,
        {
            "events_logged": ["sign_ins", "admin_actions", "data_access"],  # pgaudit to CloudWatch Logs
            "destination": "log_store",
            "retention_days": 60,
            "pii_excluded": True,
            "tamper_protected": True,
            "alarms": ["failed_sign_ins"],
            "review": "manual",
            "review_every_days": 14,
            "last_reviewed_on": 30,
            "canary_records": True,
            "canary_checked_on": 30,
        },
        "",
    ),
    # --- network protection (1.1); Google Workspace's is five months old (added below) ---------------------
    (
        "AWS production",
        "network",
        40,
        {"firewall": True, "firewall_reviewed_on": 40, "segmented": "yes", "public_access": "approved_users"},
        "network/aws-vpc",
    ),
    ("Order DB", "network", 40, {"firewall": True, "firewall_reviewed_on": 40, "segmented": "yes", "public_access": "none"}, ""),
    (
        "Seller Central integration",
        "network",
        40,
        {"firewall": True, "firewall_reviewed_on": 40, "segmented": "yes", "public_access": "none"},  # outbound to the SP-API only
        "",
    ),
    (
        None,
        "network",
        10,
        {"firewall": True, "firewall_reviewed_on": 10, "segmented": "yes", "public_access": "approved_users"},  # allowed networks
        "network/portal",
    ),
    # --- data-loss prevention (2.3) -----------------------------------------------------------------------
    (
        "Google Workspace",
        "dlp",
        21,
        {"email": "blocked", "removable_media": "none", "cloud_sharing": "monitored", "public_links": "blocked", "alerting": "email"},
        "dlp/google-workspace",
    ),
    (
        "AWS production",
        "dlp",
        21,
        {**NO_PERSONAL_CHANNELS, "cloud_sharing": "blocked", "public_links": "blocked", "alerting": "siem"},  # S3 block public access, SCPs
        "",
    ),
    (
        "Order DB",
        "dlp",
        21,
        {**NO_PERSONAL_CHANNELS, "cloud_sharing": "monitored", "public_links": "not_applicable", "alerting": "siem"},
        "",
    ),
    (
        "Seller Central integration",
        "dlp",
        21,
        {**NO_PERSONAL_CHANNELS, "cloud_sharing": "monitored", "public_links": "not_applicable", "alerting": "siem"},
        "",
    ),
    (
        None,
        "dlp",
        10,
        {**NO_PERSONAL_CHANNELS, "cloud_sharing": "not_applicable", "public_links": "blocked", "alerting": "email"},  # no share links
        "",
    ),
    # --- secrets and environments (2.5) -------------------------------------------------------------------------
    ("AWS production", "secrets", 45, SECRETS_VAULT, "secrets/aws"),  # Secrets Manager with KMS
    ("Google Workspace", "secrets", 45, SECRETS_VAULT, ""),  # admin credentials in the team vault
    ("Order DB", "secrets", 45, SECRETS_VAULT, ""),  # rotated by Secrets Manager
    ("Seller Central integration", "secrets", 45, SECRETS_VAULT, "secrets/sp-api"),  # LWA secret in Secrets Manager; sandbox for test
    (None, "secrets", 10, {**SECRETS_VAULT, "credentials_store": "environment"}, ""),  # secrets from files named by NAME_FILE
]

# inventory tag, purposes, reason for another purpose (DPP 2)
PURPOSES = [
    ("DS-0001", ["tax", "shipping", "other"], "Marketing: buyer names and addresses were exported for a postcard campaign."),
    ("DS-0002", ["shipping"], ""),
    ("DS-0003", ["tax"], ""),
]

DAY_FIELDS = ("firewall_reviewed_on", "last_reviewed_on", "canary_checked_on")  # given above in days before now


def _raw(values: dict[str, Any], now) -> dict[str, Any]:
    return {name: (now - timedelta(days=value)).date() if name in DAY_FIELDS else value for name, value in values.items()}


def seed(ctx) -> None:
    lead = ctx.users["lead"]
    now = ctx.now
    systems = dict(ctx.made.get("systems_by_name") or {})
    portal = ctx.made.get("portal_system")  # the registry's row of the portal, made just before (grc.seeding)
    stores = {asset.tag: asset for asset in ctx.made.get("assets") or [] if asset.kind == "data_store"}
    made = []

    def save(area: str, raw: dict[str, Any], as_of, link: str = "", **subject):
        made.append(
            control_entry_save(
                area=area,
                raw=raw,
                owner=lead,
                as_of=as_of,
                by=lead,
                now=now,
                evidence_link=f"{WIKI}/{link}" if link else "",
                **subject,
            )
        )

    for name, area, days_ago, values, link in SYSTEM_ENTRIES:
        system = portal if name is None else systems.get(name)
        if system is not None:
            save(area, _raw(values, now), (now - timedelta(days=days_ago)).date(), link, system=system)
    workspace = systems.get("Google Workspace")
    if workspace is not None:  # attested five months ago: past its quarterly re-attestation, so it shows as expired
        five_months_ago = add_months(now, -5).date()
        values = {
            "firewall": True,
            "firewall_reviewed_on": five_months_ago,
            "segmented": "not_applicable",
            "public_access": "approved_users",
        }
        save("network", values, five_months_ago, "network/google-context-aware-access", system=workspace)
    for tag, purposes, reason in PURPOSES:
        if tag in stores:
            save("purpose", {"purposes": purposes, "other_reason": reason}, (now - timedelta(days=30)).date(), data_store=stores[tag])

    ctx.made["control_entries"] = made
    system_count = len({entry.system_id for entry in made if entry.system_id})
    store_count = len({entry.data_store_id for entry in made if entry.data_store_id})
    ctx.say(
        f"Control register: {len(made)} entries for {system_count} systems and {store_count} PII data stores; some fall short "
        "(lockout after 20 failures, logs kept 60 days, a DLP gap, an expired network attestation, PII used for marketing); "
        "Seller Central integration's logging not yet recorded."
    )

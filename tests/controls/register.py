"""Control-register values within the DPP for every system area, shared by the tests that build a register."""

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

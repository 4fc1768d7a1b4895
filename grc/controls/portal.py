"""The portal's own row of the control register, filled in from its settings and its audit trail.

The portal is one in-scope system among the company's (it holds incident details and the people
registry). Its identity and logging entries are computed here, each time, from what the running
process enforces (validators probed, middleware and lockout read from the settings in force) —
so they are never stale and never typed by hand. Areas the
settings cannot tell (network, data-loss prevention, secrets) are recorded by the security lead
like any other system's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.password_validation import get_password_validators, validate_password
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_totp.models import TOTPDevice

from grc.accounts.models import User
from grc.accounts.posture import MIN_LENGTH_VALIDATOR, active_accounts, lockout_enforced
from grc.audit.models import AlarmRule, Canary, LogReview
from grc.audit.rules import ALL_RATE_RULES
from grc.books import audit_keep_policy
from grc.compliance.checks import check_mfa_enforced
from grc.controls.rules import Entry

MINIMUM_AGE_VALIDATOR = "grc.accounts.passwords.MinimumAgeValidator"
ALARM_RULES = (  # the control register's alarm kinds, and the audit trail's rule that raises each
    ("failed_sign_ins", AlarmRule.FAILED_LOGINS_USER),
    ("request_rate", AlarmRule.DENIALS_IP),
    ("data_volume", AlarmRule.DOWNLOAD_VOLUME),
    ("canary_access", AlarmRule.CANARY_ACCESS),
)


def _rejected(password: str, validators, user=None) -> bool:
    try:
        validate_password(password, user=user, password_validators=validators)
    except ValidationError:
        return True
    return False


def identity_values(now: datetime) -> dict[str, Any]:
    """The portal's identity settings as the running process enforces them: the configured
    validators are run on probe passwords (each breaking one rule), so a validator that is listed
    but lets the probe through does not count."""
    validator_settings = cast(list[dict[str, Any]], settings.AUTH_PASSWORD_VALIDATORS)  # the stubs infer list[object]
    validators = get_password_validators(validator_settings)
    configured = {entry["NAME"]: entry.get("OPTIONS", {}) for entry in validator_settings}
    min_length = configured[MIN_LENGTH_VALIDATOR].get("min_length", 8) if MIN_LENGTH_VALIDATOR in configured else 0
    if min_length and not _rejected("Kq7#mZp2vXw!"[: max(min_length - 1, 1)], validators):
        min_length = 0  # a shorter password got through: the configured length is not enforced
    long = max(min_length, 24)  # long enough to pass any length rule, and for the name to be a small part (similarity rules miss it)
    probe_user = User(username="qthorndyke", first_name="Quintessa", last_name="Thorndyke", email="qthorndyke@example.invalid")
    return {
        "delegated_to": None,
        "mfa_enforced": "yes" if check_mfa_enforced(now).status == "met" else "no",
        "password_min_length": min_length,
        "password_character_classes": 4 if _rejected(("kq7mzp2vxwtrbnqz" * 8)[:long], validators) else 0,  # no upper-case or special
        "password_no_name": _rejected(("Thorndyke#2026Xq" + "Zr8!wP3^" * 8)[:long], validators, user=probe_user),
        "password_min_age_days": settings.PASSWORD_MIN_AGE_HOURS // 24 if MINIMUM_AGE_VALIDATOR in configured else 0,
        "password_max_age_days": settings.PASSWORD_MAX_AGE_DAYS,
        "lockout_threshold": settings.AXES_FAILURE_LIMIT if lockout_enforced() else 0,
        "session_timeout_minutes": getattr(settings, "SESSION_IDLE_MINUTES", None),
    }


def logging_values(now: datetime, *, review_days: int) -> dict[str, Any]:
    """The audit trail as a log source: a tamper-evident store in the portal's database."""
    last_review = LogReview.objects.order_by("-reviewed_at").values_list("reviewed_at", flat=True).first()
    rules = {str(rule.rule) for rule in ALL_RATE_RULES}
    has_canaries = Canary.objects.exists()
    alarms = [key for key, rule in ALARM_RULES if rule in rules or (rule == AlarmRule.CANARY_ACCESS and has_canaries)]
    return {
        "events_logged": ["sign_ins", "admin_actions", "data_access", "api_calls"],
        "destination": "log_store",
        "retention_days": audit_keep_policy(now).audit_days,  # what the purge guarantees; books and records may keep longer
        "pii_excluded": True,  # record_event takes ids, never names, and masks emails, phones and addresses
        "tamper_protected": True,  # hash chain, verified daily (the 2.6 check reports its last verification)
        "alarms": alarms,
        "review": "manual",
        "review_every_days": review_days,
        "last_reviewed_on": last_review.date().isoformat() if last_review else None,
        "canary_records": has_canaries,
        "canary_checked_on": None,
    }


def portal_entries(subject_key: str, now: datetime, *, review_days: int, url: str = "") -> dict[tuple[str, str], Entry]:
    return {
        (subject_key, "identity"): Entry("identity", identity_values(now), now.date(), computed=True, url=url),
        (subject_key, "logging"): Entry("logging", logging_values(now, review_days=review_days), now.date(), computed=True, url=url),
    }


def portal_account_facts(now: datetime) -> dict[str, int]:
    """The portal's own user accounts, counted like any system's accounts (no names)."""
    accounts = active_accounts(now).exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
    accounts = accounts.annotate(has_mfa=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
    total = accounts.count()
    return {
        "human_accounts": total,
        "accounts_without_mfa": 0,
        "accounts_mfa_unknown": 0,
        "accounts_not_enrolled": accounts.filter(has_mfa=False).count(),
    }

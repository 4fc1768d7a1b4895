"""Live DPP checks of the portal's own accounts, shown on the catalogue and dashboard.

Registered in ``AccountsConfig.ready()``. Reasons are counts and settings in words, never names.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from grc.accounts.lockout import cool_off
from grc.accounts.models import User
from grc.accounts.usernames import is_generic_username
from grc.compliance.registry import CheckResult

MIN_LENGTH_VALIDATOR = "django.contrib.auth.password_validation.MinimumLengthValidator"
REQUIRED_VALIDATORS = {
    "grc.accounts.passwords.CharacterClassValidator": "character classes",
    "grc.accounts.passwords.NoPartOfNameValidator": "no part of the name",
    "grc.accounts.passwords.MinimumAgeValidator": "minimum age",
    "grc.accounts.passwords.PasswordHistoryValidator": "password history",
}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _users_url() -> str:
    return reverse("accounts:users")


def active_accounts(now: datetime):
    """Accounts that can sign in now: active and inside their access window."""
    users = User.objects.filter(is_active=True).exclude(access_expires_at__lte=now)
    return users.exclude(access_starts_at__gt=now)


def mfa_check(now: datetime) -> CheckResult:
    """DPP 1.4: MFA for all user accounts. An account without a device reaches only enrolment.

    Accounts still waiting for their invitation (no password yet) cannot sign in at all and are
    counted apart.
    """
    accounts = active_accounts(now)
    waiting = accounts.filter(password__startswith=UNUSABLE_PASSWORD_PREFIX).count()
    users = accounts.exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX).annotate(
        has_mfa=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    )
    total = users.count()
    missing = users.filter(has_mfa=False).count()
    note = f"; {_plural(waiting, 'invited account')} not yet set up" if waiting else ""
    if total == 0:
        return CheckResult("not_tracked", f"no portal account has been set up yet{note}", _users_url())
    if missing:
        return CheckResult(
            "at_risk",
            f"{missing} of {_plural(total, 'active portal account')} {'has' if missing == 1 else 'have'} no confirmed MFA device yet;"
            f" they can reach only the enrolment page{note}",
            _users_url(),
        )
    verb = "signs" if total == 1 else "sign"
    return CheckResult(
        "met", f"{total} of {_plural(total, 'active portal account')} {verb} in with password and one-time code{note}", _users_url()
    )


def password_rules_check(now: datetime) -> CheckResult:
    """DPP 1.4: 12+ characters, character classes, no part of the name, 1-day minimum and 365-day maximum age."""
    configured = {entry["NAME"]: entry.get("OPTIONS", {}) for entry in settings.AUTH_PASSWORD_VALIDATORS}
    problems = []
    min_length = configured[MIN_LENGTH_VALIDATOR].get("min_length", 8) if MIN_LENGTH_VALIDATOR in configured else 0
    if min_length < 12:
        problems.append(f"minimum length is {min_length}, not 12")
    problems += [f"{label} rule is not active" for name, label in REQUIRED_VALIDATORS.items() if name not in configured]
    if settings.PASSWORD_MIN_AGE_HOURS < 24:
        problems.append(f"minimum age is {settings.PASSWORD_MIN_AGE_HOURS} hours, not 1 day")
    if settings.PASSWORD_MAX_AGE_DAYS > 365:
        problems.append(f"maximum age is {settings.PASSWORD_MAX_AGE_DAYS} days, over 365")
    if problems:
        return CheckResult("not_met", "; ".join(problems), _users_url())
    return CheckResult(
        "met",
        f"password validators active: at least {min_length} characters with upper, lower, digit and special, no part of the"
        f" name, last {settings.PASSWORD_HISTORY_COUNT} not reused, minimum age 1 day, maximum {settings.PASSWORD_MAX_AGE_DAYS} days",
        _users_url(),
    )


def lockout_check(now: datetime) -> CheckResult:
    """DPP 1.2 account lockout: django-axes enabled, counting failures per username."""
    parameters = settings.AXES_LOCKOUT_PARAMETERS or []
    by_username = "username" in parameters
    if not getattr(settings, "AXES_ENABLED", True) or "axes.middleware.AxesMiddleware" not in settings.MIDDLEWARE or not by_username:
        return CheckResult(
            "not_met", "account lockout is switched off or does not count failures per username", reverse("accounts:lockouts")
        )
    minutes = round(cool_off().total_seconds() / 60)
    duration = f" for {minutes} minutes" if minutes else ""
    return CheckResult(
        "met",
        f"accounts lock after {settings.AXES_FAILURE_LIMIT} failed sign-ins or one-time codes{duration}, per username and per address",
        reverse("accounts:lockouts"),
    )


def unique_accounts_check(now: datetime) -> CheckResult:
    """DPP 1.2: no generic, shared or default accounts; each one belongs to a named person."""
    users = list(active_accounts(now).values_list("username", "first_name", "last_name"))
    generic = sum(1 for username, _first, _last in users if is_generic_username(username))
    unnamed = sum(1 for _username, first, last in users if not (first.strip() and last.strip()))
    if generic or unnamed:
        parts = []
        if generic:
            parts.append(f"{_plural(generic, 'active account')} {'has' if generic == 1 else 'have'} a generic name")
        if unnamed:
            parts.append(f"{_plural(unnamed, 'active account')} {'is' if unnamed == 1 else 'are'} not tied to a named person")
        return CheckResult("not_met", "; ".join(parts), _users_url())
    return CheckResult(
        "met", f"no generic names among {_plural(len(users), 'active account')}; each belongs to a named person", _users_url()
    )


def register() -> None:
    """Generic names are the portal's own rule; its lockout, MFA and password settings are its row of
    the control register (grc/controls/portal.py), judged with the company's other systems."""
    from grc.compliance.registry import portal_check, register_check

    register_check("1.2", "No generic or shared portal accounts", portal_check(unique_accounts_check))

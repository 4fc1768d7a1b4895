"""Live DPP checks of the portal's own configuration (it follows the policy it audits).

Each check reads ``django.conf.settings`` when it runs (never at import), so the catalogue shows
what the running process really enforces and tests can change a setting and see the status
move. Registered from ``ComplianceConfig.ready()``; other apps register their own checks the
same way (``register_check(clause, name, fn)``), keyed by (clause, name).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.password_validation import get_password_validators, validate_password
from django.core.exceptions import ValidationError

from grc.compliance.registry import CheckResult, portal_check, register_check

OTP_MIDDLEWARE = "django_otp.middleware.OTPMiddleware"
MFA_MIDDLEWARE = "grc.accounts.middleware.AccountPolicyMiddleware"
AXES_BACKENDS = ("axes.backends.AxesStandaloneBackend", "axes.backends.AxesBackend")
AXES_MIDDLEWARE = "axes.middleware.AxesMiddleware"
ONE_YEAR_SECONDS = 365 * 24 * 3600
LOG_RETENTION_MINIMUM_DAYS = 90


def check_mfa_enforced(now: datetime) -> CheckResult:
    """DPP 1.4: MFA for every account — the middleware that sends unverified users to MFA is on."""
    middleware = list(settings.MIDDLEWARE)
    if (
        MFA_MIDDLEWARE in middleware
        and OTP_MIDDLEWARE in middleware
        and middleware.index(OTP_MIDDLEWARE) < middleware.index(MFA_MIDDLEWARE)
    ):
        return CheckResult("met", "every signed-in page requires a verified second factor (account policy middleware is active)")
    return CheckResult("not_met", "the middleware that enforces MFA on every page is missing or runs before django-otp")


def check_lockout(now: datetime) -> CheckResult:
    """DPP 1.2: account lockout after repeated failed sign-ins (django-axes)."""
    problems = []
    if "axes" not in settings.INSTALLED_APPS:
        problems.append("django-axes is not installed")
    backends = list(settings.AUTHENTICATION_BACKENDS)
    if not backends or backends[0] not in AXES_BACKENDS:
        problems.append("the axes backend is not the first authentication backend")
    if AXES_MIDDLEWARE not in settings.MIDDLEWARE:
        problems.append("the axes middleware is missing")
    if not getattr(settings, "AXES_ENABLED", True):
        problems.append("AXES_ENABLED is off")
    limit = getattr(settings, "AXES_FAILURE_LIMIT", 3)
    if not 1 <= int(limit) <= 10:
        problems.append(f"the failure limit is {limit} (allowed 1 to 10)")
    if problems:
        return CheckResult("not_met", "account lockout is not active: " + "; ".join(problems))
    cooloff = getattr(settings, "AXES_COOLOFF_TIME", None)
    minutes = f" for {round(float(cooloff) * 60)} minutes" if isinstance(cooloff, int | float) and cooloff else " until unlocked"
    return CheckResult("met", f"accounts lock after {limit} failed sign-ins{minutes}")


def _rejected(password: str, validators, user=None) -> bool:
    try:
        validate_password(password, user=user, password_validators=validators)
    except ValidationError:
        return True
    return False


def check_password_rules(now: datetime) -> CheckResult:
    """DPP 1.4: 12+ characters, character classes, no part of the name, 1-day minimum and 365-day maximum age.

    The configured validators are run against probe passwords that each break one rule, so the
    check reports what is enforced rather than what is written down.
    """
    from grc.accounts.models import User

    validators = get_password_validators(settings.AUTH_PASSWORD_VALIDATORS)
    probe_user = User(username="qthorndyke", first_name="Quintessa", last_name="Thorndyke", email="qthorndyke@example.invalid")
    problems = []
    if not _rejected("Kq7#mZp2vXw", validators):  # 11 characters, every class
        problems.append("passwords shorter than 12 characters are accepted")
    if not _rejected("kq7mzp2vxwtrbnq", validators):  # long, but no upper-case letter or special character
        problems.append("passwords without upper-case letters and special characters are accepted")
    if not _rejected("Thorndyke#2026Xq", validators, user=probe_user):
        problems.append("passwords containing the user's name are accepted")
    names = {entry["NAME"].rsplit(".", 1)[-1] for entry in settings.AUTH_PASSWORD_VALIDATORS}
    if "MinimumAgeValidator" not in names or getattr(settings, "PASSWORD_MIN_AGE_HOURS", 0) < 24:
        problems.append("the 1-day minimum password age is not enforced")
    max_age = getattr(settings, "PASSWORD_MAX_AGE_DAYS", None)
    if not max_age or max_age > 365:
        problems.append("passwords do not expire within 365 days")
    if problems:
        return CheckResult("not_met", "; ".join(problems))
    return CheckResult(
        "met",
        f"passwords need 12+ characters of every class and no part of the name; minimum age 1 day, expiry after {max_age} days",
    )


def check_transport_security(now: datetime) -> CheckResult:
    """DPP 1.5: HTTPS only — redirect, HSTS and secure cookies. Development mode runs without TLS
    by design, so there the gaps are shown as a risk (production turns them on)."""
    problems = []
    if not getattr(settings, "SECURE_SSL_REDIRECT", False):
        problems.append("HTTP is not redirected to HTTPS")
    hsts = int(getattr(settings, "SECURE_HSTS_SECONDS", 0) or 0)
    if hsts <= 0:
        problems.append("HSTS is off")
    elif hsts < ONE_YEAR_SECONDS:
        problems.append(f"HSTS lasts only {hsts // 86400} days")
    if not getattr(settings, "SESSION_COOKIE_SECURE", False):
        problems.append("the session cookie may travel without TLS")
    if not getattr(settings, "CSRF_COOKIE_SECURE", False):
        problems.append("the CSRF cookie may travel without TLS")
    if not problems:
        return CheckResult("met", "HTTPS only: HTTP redirects to HTTPS, HSTS for a year, cookies marked secure")
    if not getattr(settings, "PRODUCTION", False):
        return CheckResult(
            "at_risk", f"this is a {settings.DJANGO_ENV} instance: " + "; ".join(problems) + " (production settings turn these on)"
        )
    return CheckResult("not_met", "; ".join(problems))


def check_field_encryption(now: datetime) -> CheckResult:
    """DPP 2.4: sensitive fields are encrypted at rest with a key from the environment."""
    from grc.crypto import fernet

    try:
        fernet()
    except Exception:
        return CheckResult("not_met", "FIELD_ENCRYPTION_KEY is missing or not a valid key: sensitive fields cannot be encrypted")
    return CheckResult(
        "met", "names, notes and other sensitive fields are encrypted at rest (Fernet, AES-128) with a key from the environment"
    )


def check_audit_retention(now: datetime) -> CheckResult:
    """DPP 2.6: logs are kept for at least 90 days."""
    days = int(getattr(settings, "AUDIT_RETENTION_DAYS", 0) or 0)
    if days < LOG_RETENTION_MINIMUM_DAYS:
        return CheckResult("not_met", f"audit events are kept {days} days; DPP 2.6 needs at least {LOG_RETENTION_MINIMUM_DAYS}")
    return CheckResult("met", f"audit events are kept {days} days (at least {LOG_RETENTION_MINIMUM_DAYS} needed)")


# The portal's settings that no record of the company's systems covers yet. They are the portal's
# own (one system among the company's): they can hold a clause back but never make it met alone.
# Lockout, MFA, passwords and log retention are the portal's row of the control register
# (grc/controls/portal.py), judged with every other in-scope system.
PORTAL_CHECKS = [
    ("1.5", "Portal TLS settings", check_transport_security),
    ("2.4", "Portal field encryption key", check_field_encryption),
]


def register_portal_checks() -> None:
    for clause, name, check in PORTAL_CHECKS:
        register_check(clause, name, portal_check(check))

"""Live DPP checks of the portal's own configuration (it follows the policy it audits).

Each check reads ``django.conf.settings`` when it runs (never at import), so the catalogue shows
what the running process really enforces and tests can change a setting and see the status
move. Registered from ``ComplianceConfig.ready()``; other apps register their own checks the
same way (``register_check(clause, name, fn)``), keyed by (clause, name).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from grc.compliance.registry import CheckResult, portal_check, register_check
from grc.crypto import fernet

OTP_MIDDLEWARE = "django_otp.middleware.OTPMiddleware"
MFA_MIDDLEWARE = "grc.accounts.middleware.AccountPolicyMiddleware"
ONE_YEAR_SECONDS = 365 * 24 * 3600


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
    try:
        fernet()
    except Exception:
        return CheckResult("not_met", "FIELD_ENCRYPTION_KEY is missing or not a valid key: sensitive fields cannot be encrypted")
    return CheckResult(
        "met", "names, notes and other sensitive fields are encrypted at rest (Fernet, AES-128) with a key from the environment"
    )


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

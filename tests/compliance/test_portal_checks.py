"""The portal's own configuration as live DPP checks: they read settings when they run."""

from __future__ import annotations

from datetime import UTC, datetime

from grc.compliance import checks
from grc.compliance.registry import checks_for

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def test_the_portal_checks_are_registered_for_their_clauses_and_marked_as_the_portals():
    for clause, name in [("1.5", "Portal TLS settings"), ("2.4", "Portal field encryption key")]:
        check = dict(checks_for(clause))[name]
        assert check(NOW).portal is True


def test_lockout_mfa_passwords_and_retention_are_the_portal_row_of_the_control_register_not_clause_checks():
    registered = {name for clause in ("1.2", "1.4", "2.6") for name, _ in checks_for(clause)}
    assert (
        not {"Portal account lockout", "Portal MFA enforced for all accounts", "Portal password rules", "Portal audit log retention"}
        & registered
    )


def test_mfa_is_enforced_by_the_middleware_and_a_missing_middleware_is_not_met(settings):
    assert checks.check_mfa_enforced(NOW).status == "met"
    settings.MIDDLEWARE = [entry for entry in settings.MIDDLEWARE if entry != checks.MFA_MIDDLEWARE]
    result = checks.check_mfa_enforced(NOW)
    assert result.status == "not_met"
    assert "middleware" in result.reason


def test_mfa_middleware_before_django_otp_does_not_count(settings):
    middleware = [entry for entry in settings.MIDDLEWARE if entry != checks.MFA_MIDDLEWARE]
    middleware.insert(middleware.index(checks.OTP_MIDDLEWARE), checks.MFA_MIDDLEWARE)
    settings.MIDDLEWARE = middleware
    assert checks.check_mfa_enforced(NOW).status == "not_met"


def test_tls_is_a_risk_in_development_and_not_met_in_production(settings):
    settings.PRODUCTION = False
    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    assert checks.check_transport_security(NOW).status == "at_risk"
    settings.PRODUCTION = True
    assert checks.check_transport_security(NOW).status == "not_met"
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    assert checks.check_transport_security(NOW).status == "met"
    settings.SECURE_HSTS_SECONDS = 3600
    assert "HSTS lasts only 0 days" in checks.check_transport_security(NOW).reason


def test_a_broken_encryption_key_is_not_met(settings):
    assert checks.check_field_encryption(NOW).status == "met"
    settings.FIELD_ENCRYPTION_KEY = "not-a-key"
    assert checks.check_field_encryption(NOW).status == "not_met"

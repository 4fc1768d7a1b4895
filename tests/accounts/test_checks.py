"""The accounts app's live DPP checks (1.2, 1.4), its obligation provider and the superuser path."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from grc.accounts.models import Role, User
from grc.compliance.models import Obligation
from grc.compliance.registry import checks_for, provider_for
from grc.oversight import account_checks as checks
from grc.oversight.account_obligations import KIND, PasswordExpiryProvider

pytestmark = pytest.mark.django_db


def test_the_checks_and_the_provider_are_registered():
    """Generic names stay a portal check; lockout, MFA and passwords are the portal's row of the
    control register (grc/controls/portal.py), judged with the company's other systems."""
    assert "No generic or shared portal accounts" in {name for name, _ in checks_for("1.2")}
    assert not {"Portal account lockout", "MFA on every portal account", "Portal password rules"} & {
        name for clause in ("1.2", "1.4") for name, _ in checks_for(clause)
    }
    assert isinstance(provider_for(KIND), PasswordExpiryProvider)


def test_the_portal_generic_names_check_can_never_make_a_clause_met_alone(lead):
    check = dict(checks_for("1.2"))["No generic or shared portal accounts"]
    result = check(timezone.now())
    assert result.status == "met" and result.portal is True


def test_lockout_is_met_and_says_its_limits():
    result = checks.lockout_check(timezone.now())
    assert result.status == "met"
    assert result.reason == "accounts lock after 5 failed sign-ins or one-time codes for 30 minutes, per username and per address"


def test_lockout_is_not_met_without_a_username_lock(settings):
    settings.AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
    assert checks.lockout_check(timezone.now()).status == "not_met"


def test_a_generic_or_unnamed_account_fails_the_unique_accounts_check(lead):
    assert checks.unique_accounts_check(timezone.now()).status == "met"
    User.objects.create_user(username="admin", password=None, first_name="", last_name="")
    result = checks.unique_accounts_check(timezone.now())
    assert result.status == "not_met"
    assert result.reason == "1 active account has a generic name; 1 active account is not tied to a named person"


def test_the_provider_resyncs_password_obligations_from_the_records(staff):
    staff.password_changed_at = timezone.now() - timedelta(days=10)
    staff.save()
    assert PasswordExpiryProvider().resync(now=timezone.now()) == 1
    obligation = Obligation.objects.get(kind=KIND, subject_id=str(staff.pk), completed_at__isnull=True)
    assert obligation.due_at == staff.password_changed_at + timedelta(days=365) and obligation.owner == staff
    assert list(PasswordExpiryProvider().recipients(obligation)) == []


def test_createsuperuser_refuses_a_generic_name(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Blue-Lantern-Rises-42")
    with pytest.raises(CommandError, match="not allowed"):
        call_command("createsuperuser", username="admin", email="a@example.test", interactive=False, verbosity=0)
    assert not User.objects.exists()


def test_a_superuser_obeys_the_password_rules_and_starts_the_clock():
    with pytest.raises(ValidationError):
        User.objects.create_superuser("pshah", "p@example.test", "short")
    user = User.objects.create_superuser("pshah", "p@example.test", "Blue-Lantern-Rises-42", first_name="Priya", last_name="Shah")
    assert user.role == Role.SECURITY_LEAD and user.password_changed_at is not None
    assert Obligation.objects.filter(kind=KIND, subject_id=str(user.pk), completed_at__isnull=True).exists()

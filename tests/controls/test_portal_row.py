"""The portal's row of the control register: identity settings as the running process enforces
them (validators probed, not read from a list) and its own accounts counted like any system's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from grc.controls.portal import identity_values, portal_account_facts
from grc.controls.rules import identity_problems

pytestmark = pytest.mark.django_db


def test_the_configured_validators_give_the_dpp_password_rules():
    values = identity_values(timezone.now())
    assert values["password_min_length"] >= 12 and values["password_character_classes"] == 4 and values["password_no_name"] is True
    assert identity_problems(values, timezone.now(), clause="1.4") == []
    assert identity_problems(values, timezone.now(), clause="1.2") == []


def test_weaker_validators_are_found_by_probing_and_named_as_problems(settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    ]
    texts = [p.text for p in identity_problems(identity_values(timezone.now()), timezone.now(), clause="1.4")]
    assert "passwords need only 8 characters (12 required)" in texts
    assert "passwords need 0 of the 4 character classes" in texts
    assert "passwords may contain the user's name" in texts
    assert "no 1-day minimum password age" in texts


def test_a_listed_validator_that_lets_the_probe_through_does_not_count(settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},  # similarity, not containment
    ]
    assert identity_values(timezone.now())["password_no_name"] is False


def test_lockout_off_means_no_lockout_threshold(settings):
    settings.AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
    assert identity_values(timezone.now())["lockout_threshold"] == 0


def test_portal_accounts_without_a_device_are_counted_invited_deactivated_and_expired_ones_are_not(lead, make_user, auditor):
    now = timezone.now()
    assert portal_account_facts(now)["accounts_not_enrolled"] == 0
    make_user("nina.patel", mfa=False)
    assert portal_account_facts(now)["accounts_not_enrolled"] == 1
    waiting = make_user("omar.haddad", mfa=False)
    waiting.set_unusable_password()
    waiting.save()
    gone = make_user("rui.costa", mfa=False)
    gone.is_active = False
    gone.save()
    facts = portal_account_facts(now)
    assert facts["accounts_not_enrolled"] == 1 and facts["human_accounts"] == 3
    later = auditor.access_expires_at + timedelta(days=1)
    assert portal_account_facts(later)["human_accounts"] == 2

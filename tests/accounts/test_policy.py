"""The one account policy (issue 22.3) that pages, the token pages and the API's session calls apply."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from grc.accounts.models import Role
from grc.accounts.policy import ACCESS_ENDED, ENROL, OK, PASSWORD_EXPIRED, VERIFY, account_policy_state

pytestmark = pytest.mark.django_db


def verified(user, yes: bool = True):
    user.is_verified = lambda: yes  # what django-otp's middleware sets on request.user
    return user


def test_it_walks_the_policy_in_order(make_user):
    now = timezone.now()
    lead = make_user("priya.shah", Role.SECURITY_LEAD)
    assert account_policy_state(verified(lead, False), now) == VERIFY
    assert account_policy_state(verified(make_user("new.joiner", mfa=False), False), now) == ENROL
    assert account_policy_state(verified(lead), now) == OK
    lead.password_changed_at = now - timedelta(days=400)
    assert account_policy_state(verified(lead), now) == PASSWORD_EXPIRED
    auditor = verified(make_user("ana.silva", Role.AUDITOR))
    assert account_policy_state(auditor, now) == OK
    assert account_policy_state(auditor, auditor.access_expires_at + timedelta(seconds=1)) == ACCESS_ENDED
    lead.is_active = False
    assert account_policy_state(lead, now) == ACCESS_ENDED

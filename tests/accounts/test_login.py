"""The sign-in flow in the Django test client: password, then one-time code (DPP 1.2, 1.4).

A wrong code counts as a failed sign-in; five failures lock the username (HTTP 429 and the locked
page) until the cool-off passes or the security lead unlocks it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grc.audit.models import AuditEvent
from tests.accounts.conftest import post_code, post_password
from tests.conftest import TEST_PASSWORD, signed_in, totp_now

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("compliance:dashboard")


def failures(username: str) -> int:
    return AccessAttempt.objects.filter(username=username).aggregate(n=Sum("failures_since_start"))["n"] or 0


def test_it_signs_in_with_password_then_code(client, staff):
    response = post_password(client, staff.username)
    assert response.status_code == 302
    assert client.get(DASHBOARD).url.startswith(reverse("accounts:verify"))  # nothing without the code
    response = post_code(client, totp_now(staff))
    assert response.status_code == 302 and response.url == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200
    actions = list(AuditEvent.objects.filter(object_id=str(staff.pk)).values_list("action", flat=True))
    assert "accounts.login" in actions and "accounts.mfa_verified" in actions


def test_a_wrong_code_is_refused_and_counted_as_a_failed_sign_in(client, staff):
    post_password(client, staff.username)
    response = post_code(client, "000000")
    assert response.status_code == 200
    assert "That code is not valid" in response.content.decode()
    assert failures(staff.username) == 1
    assert AuditEvent.objects.filter(action="accounts.mfa_failed", object_id=str(staff.pk), outcome="failure").exists()
    assert client.get(DASHBOARD).status_code == 302


def test_five_wrong_passwords_lock_the_username_with_429(client, staff):
    for _ in range(4):
        assert post_password(client, staff.username, "Wrong-Password-1!").status_code == 200
    locked = post_password(client, staff.username, "Wrong-Password-1!")
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()
    assert "locked for 30 minutes" in locked.content.decode()
    assert post_password(client, staff.username).status_code == 429  # even the right password
    assert AuditEvent.objects.filter(action="accounts.locked_out", object_id=str(staff.pk)).exists()


def test_five_wrong_codes_lock_the_username_and_sign_out(client, staff):
    post_password(client, staff.username)
    for _ in range(4):
        assert post_code(client, "000000").status_code == 200
    locked = post_code(client, "000000")
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert post_password(client, staff.username).status_code == 429


def test_a_right_password_does_not_wipe_the_count_of_wrong_codes(client, staff):
    """Otherwise someone holding the password could guess codes for ever, four at a time."""
    post_password(client, staff.username)
    for _ in range(3):
        post_code(client, "000000")
    client.post(reverse("accounts:logout"))
    post_password(client, staff.username)
    assert post_code(client, "000000").status_code == 200
    assert post_code(client, "000000").status_code == 429


def test_a_completed_sign_in_forgets_earlier_failures(client, staff, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    for _ in range(3):
        post_password(client, staff.username, "Wrong-Password-1!")
    post_password(client, staff.username)
    assert failures(staff.username) == 3  # the password alone does not reset the count
    post_code(client, totp_now(staff))
    assert failures(staff.username) == 0


def test_many_addresses_cannot_guess_one_account_for_ever(client, staff):
    """The lock is by username: a botnet spreading its guesses over addresses is stopped too."""
    for n in range(5):
        post_password(Client(), staff.username, "Wrong-Password-1!", ip=f"203.0.113.{n + 1}")
    assert post_password(client, staff.username, ip="192.0.2.77").status_code == 429


def test_one_address_cannot_lock_everyone_out(client, staff, manager, lead):
    """Guesses spread over many usernames from one address lock none of the real accounts."""
    attacker = "203.0.113.50"
    for name in ["alice", "bob", "carol", "dave", "erin", "frank", manager.username]:
        post_password(Client(), name, "Wrong-Password-1!", ip=attacker)
    for user in (staff, lead):
        response = post_password(Client(), user.username, ip=attacker)
        assert response.status_code == 302, user.username


def test_the_limit_and_cool_off_are_settings(client, staff, settings, time_machine):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = 10 / 60  # hours, as AXES_COOLOFF_MINUTES=10 sets it
    time_machine.move_to(timezone.now(), tick=False)
    for _ in range(3):
        post_password(client, staff.username, "Wrong-Password-1!")
    assert post_password(client, staff.username).status_code == 429
    time_machine.shift(timedelta(minutes=9))
    assert post_password(client, staff.username).status_code == 429
    time_machine.shift(timedelta(minutes=11))
    assert post_password(client, staff.username).status_code == 302


def test_the_security_lead_unlocks_a_locked_account(client, staff, lead, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    post_password(client, staff.username)
    for _ in range(5):
        post_code(client, "000000")
    assert post_password(client, staff.username).status_code == 429

    lead_client = signed_in(Client(), lead)
    page = lead_client.get(reverse("accounts:lockouts"))
    assert staff.username in page.content.decode()
    response = lead_client.post(reverse("accounts:unlock"), {"username": staff.username})
    assert response.status_code == 302
    assert failures(staff.username) == 0
    event = AuditEvent.objects.get(action="accounts.unlocked")
    assert event.actor_id == lead.pk and event.object_id == str(staff.pk)
    assert staff.username not in event.message

    time_machine.shift(timedelta(seconds=1))  # a fresh TOTP step (the unlock also cleared the MFA back-off)
    assert post_password(client, staff.username).status_code == 302
    assert post_code(client, totp_now(staff)).url == DASHBOARD


def test_an_unknown_username_is_counted_and_audited_without_the_name(client):
    post_password(client, "someone@example.test", "Wrong-Password-1!")
    event = AuditEvent.objects.get(action="accounts.login_failed")
    assert event.message == "unknown username" and "someone" not in str(event.details)
    assert failures("someone@example.test") == 1


def test_an_auditor_cannot_use_the_portal_after_the_last_day(client, auditor, time_machine):
    time_machine.move_to(auditor.access_expires_at - timedelta(minutes=5), tick=False)
    signed_in(client, auditor)
    assert client.get(DASHBOARD).status_code == 200
    time_machine.move_to(auditor.access_expires_at, tick=False)
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in client.session
    post_password(client, auditor.username)  # the password still matches, but the code step is never reached
    assert client.get(reverse("accounts:verify")).url.startswith(reverse("accounts:login"))


def test_a_user_without_mfa_reaches_only_enrolment_and_sign_out(client, make_user):
    newcomer = make_user("nina.patel", mfa=False)
    post_password(client, newcomer.username)
    paths = [
        DASHBOARD,
        reverse("accounts:users"),
        reverse("accounts:invite"),
        reverse("accounts:profile"),
        "/admin/",
        reverse("accounts:verify"),
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302 and response.url == reverse("accounts:enrol"), path
    assert client.get(reverse("accounts:enrol")).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302


def test_the_admin_site_needs_the_same_mfa(client, lead):
    post_password(client, lead.username)
    assert client.get("/admin/").url.startswith(reverse("accounts:verify"))
    post_code(client, totp_now(lead))
    assert client.get("/admin/").status_code == 200


def test_an_expired_password_allows_only_the_change_page(client, staff, time_machine):
    staff.set_password(TEST_PASSWORD)
    staff.save()
    time_machine.move_to(staff.password_changed_at + timedelta(days=365, minutes=1), tick=False)
    signed_in(client, staff)
    for path in [DASHBOARD, reverse("accounts:profile"), "/incidents/"]:
        response = client.get(path)
        assert response.status_code == 302 and response.url == reverse("accounts:password_change"), path
    page = client.get(reverse("accounts:password_change"))
    assert page.status_code == 200 and "more than 365 days old" in page.content.decode()
    new = "Blue-Lantern-Rises-42"
    client.post(reverse("accounts:password_change"), {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new})
    assert client.get(DASHBOARD).status_code == 200

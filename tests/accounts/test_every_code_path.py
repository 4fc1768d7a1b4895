"""Every sign-in path counts towards the lockout (issue 21, DPP 1.2, 1.4, 2.6).

Wrong one-time codes on the admin sign-in are audited and counted by django-axes like those of the
portal's verify and step-up pages; a session that had the password before its username locked
cannot finish signing in with a right code; and the sign-in's code step gives the session a new key.
Real django-axes, real TOTP codes (``totp_now``), the real session store.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from grc.accounts.models import UserSession
from grc.accounts.stepup import SESSION_KEY as STEP_UP_KEY
from grc.audit.models import AuditEvent
from tests.accounts.conftest import post_code, post_password
from tests.conftest import TEST_PASSWORD, signed_in, totp_now

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"
DASHBOARD = reverse("compliance:dashboard")
WRONG = "000000"
ATTACKER_IP = "203.0.113.66"


@pytest.fixture(autouse=True)
def no_device_throttle(settings):
    """django-otp slows repeated wrong codes on a device (1 s, 2 s, 4 s …); switched off here so each
    attempt really checks a wrong code, and the lockout is django-axes's alone."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.AXES_FAILURE_LIMIT = 5


def failures(username: str) -> int:
    return AccessAttempt.objects.filter(username=username).aggregate(n=Sum("failures_since_start"))["n"] or 0


def admin_sign_in(client: Client, user, code: str, *, password: str = TEST_PASSWORD, ip: str = ATTACKER_IP):
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    form = {"username": user.username, "password": password, "otp_device": device.persistent_id, "otp_token": code}
    return client.post(ADMIN_LOGIN, form, REMOTE_ADDR=ip)


def code_failures(user) -> int:
    return AuditEvent.objects.filter(action="accounts.mfa_failed", object_id=str(user.pk), outcome="failure").count()


def is_verified(client: Client) -> bool:
    return bool(client.session.get(DEVICE_ID_SESSION_KEY))


# --- the admin sign-in --------------------------------------------------------------------
def test_wrong_admin_codes_are_audited_and_lock_the_account_at_the_axes_limit(client, lead):
    for attempt in range(1, 5):
        response = admin_sign_in(client, lead, WRONG)
        assert response.status_code == 200, attempt  # the form again, with its error
        assert failures(lead.username) == attempt
        assert code_failures(lead) == attempt
    locked = admin_sign_in(client, lead, WRONG)
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()
    assert AuditEvent.objects.filter(action="accounts.locked_out", object_id=str(lead.pk)).exists()
    event = AuditEvent.objects.filter(action="accounts.mfa_failed", object_id=str(lead.pk)).latest("id")
    assert "admin sign-in" in event.message and lead.username not in event.message

    # locked: the right password and the right code no longer sign in, on the admin or the portal
    assert admin_sign_in(Client(), lead, totp_now(lead)).status_code == 429
    assert post_password(Client(), lead.username).status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_right_admin_code_signs_in_and_forgets_the_earlier_wrong_ones(client, lead):
    for _ in range(2):
        admin_sign_in(client, lead, WRONG)
    assert failures(lead.username) == 2
    response = admin_sign_in(client, lead, totp_now(lead))
    assert response.status_code == 302
    assert is_verified(client) and client.session.get(STEP_UP_KEY)  # the code counts as a fresh step-up
    assert client.get("/admin/").status_code == 200
    assert failures(lead.username) == 0
    verified = AuditEvent.objects.filter(action="accounts.mfa_verified", object_id=str(lead.pk)).latest("id")
    assert "admin sign-in" in verified.message


def test_a_missing_admin_code_is_not_a_guess(client, lead):
    """Only a code that was tried counts: a form sent without one checks nothing."""
    response = admin_sign_in(client, lead, "")
    assert response.status_code == 200
    assert failures(lead.username) == 0 and code_failures(lead) == 0


def test_wrong_codes_add_up_across_the_admin_and_the_portal(client, staff, lead):
    """One count per username, whichever form the codes came through."""
    for _ in range(2):
        admin_sign_in(Client(), lead, WRONG)
    post_password(client, lead.username)
    for _ in range(2):
        assert post_code(client, WRONG).status_code == 200
    assert failures(lead.username) == 4
    assert post_code(client, WRONG).status_code == 429
    assert code_failures(lead) == 5


# --- half-signed-in sessions and the lock ----------------------------------------------------
def lock_by_wrong_passwords(username: str) -> None:
    attacker = Client()
    for _ in range(5):
        attacker.post(reverse("accounts:login"), {"username": username, "password": "Wrong-Password-1!"}, REMOTE_ADDR=ATTACKER_IP)
    assert AccessAttempt.objects.filter(username=username).exists()


def test_a_lock_ends_the_half_signed_in_sessions_but_not_the_signed_in_ones(client, staff):
    assert post_password(client, staff.username).status_code == 302  # password accepted, code pending
    half_key = client.session.session_key
    signed = signed_in(Client(), staff)  # another browser, fully signed in
    signed.get(DASHBOARD)
    UserSession.objects.get_or_create(session_key=signed.session.session_key, defaults={"user": staff})

    lock_by_wrong_passwords(staff.username)

    assert not SessionStore().exists(half_key)
    assert not UserSession.objects.filter(session_key=half_key).exists()
    assert AuditEvent.objects.filter(action="accounts.sessions_ended", object_id=str(staff.pk), details__sessions_ended=1).exists()
    response = post_code(client, totp_now(staff))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))  # no session left to finish
    assert client.get(DASHBOARD).url.startswith(reverse("accounts:login"))
    assert signed.get(DASHBOARD).status_code == 200  # locking a username does not throw its owner out


def test_a_half_signed_in_session_is_refused_at_the_code_step_while_locked(client, staff):
    """Even a session the lock did not find (untracked) cannot finish: no code is checked while locked."""
    post_password(client, staff.username)
    UserSession.objects.filter(user=staff).delete()  # the lock cannot see this session
    lock_by_wrong_passwords(staff.username)
    assert SessionStore().exists(client.session.session_key)

    response = post_code(client, totp_now(staff))
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session  # the half-signed-in session ended
    assert client.get(DASHBOARD).url.startswith(reverse("accounts:login"))
    assert AuditEvent.objects.filter(action="accounts.mfa_refused", object_id=str(staff.pk)).exists()
    assert not AuditEvent.objects.filter(action="accounts.mfa_verified", object_id=str(staff.pk)).exists()


def test_no_step_up_code_is_checked_while_the_username_is_locked(client, lead):
    signed_in(client, lead)
    lock_by_wrong_passwords(lead.username)
    response = client.post(reverse("accounts:step_up"), {"code": totp_now(lead)})
    assert response.status_code == 429
    assert STEP_UP_KEY not in client.session
    assert not AuditEvent.objects.filter(action="accounts.step_up", object_id=str(lead.pk)).exists()


def test_wrong_step_up_codes_are_audited_and_counted(client, lead):
    signed_in(client, lead)
    for attempt in range(1, 3):
        assert client.post(reverse("accounts:step_up"), {"code": WRONG}).status_code == 200
        assert failures(lead.username) == attempt
    assert AuditEvent.objects.filter(action="accounts.step_up_failed", object_id=str(lead.pk)).count() == 2
    assert not AuditEvent.objects.filter(action="accounts.login_failed").exists()  # audited once, as a code


# --- the session key ------------------------------------------------------------------------
def test_the_code_step_gives_the_session_a_new_key(client, staff):
    post_password(client, staff.username)
    half_key = client.session.session_key
    response = post_code(client, totp_now(staff))
    assert response.status_code == 302 and response.url == DASHBOARD
    new_key = client.session.session_key
    assert new_key and new_key != half_key
    assert not SessionStore().exists(half_key)  # the half-signed-in key is worth nothing now
    assert list(UserSession.objects.filter(user=staff).values_list("session_key", flat=True)) == [new_key]
    assert client.get(DASHBOARD).status_code == 200

    stale = Client()
    stale.cookies["sessionid"] = half_key
    assert stale.get(DASHBOARD).url.startswith(reverse("accounts:login"))


def test_enrolment_gives_the_session_a_new_key(client, make_user):
    newcomer = make_user("ola.berg", mfa=False)
    post_password(client, newcomer.username)
    assert client.get(reverse("accounts:enrol")).status_code == 200
    half_key = client.session.session_key
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    import base64

    import pyotp

    code = pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now()
    response = client.post(reverse("accounts:enrol"), {"code": code})
    assert response.status_code == 302 and response.url == reverse("accounts:backup_codes")
    assert client.session.session_key != half_key and not SessionStore().exists(half_key)
    assert is_verified(client)

"""Standing users per role and signed-in clients, shared by every test folder.

Each user has a confirmed TOTP device; ``signed_in(client, user)`` marks the session as
MFA-verified the way django-otp does after a correct code, so tests of pages do not repeat
the login flow (which tests/accounts covers for real).
"""

from __future__ import annotations

import base64
from datetime import timedelta

import pyotp
import pytest
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from grc.accounts.models import Role, User

TEST_PASSWORD = "Correct-Horse-Battery-9"  # made up for tests; never a real credential


def totp_now(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now()


@pytest.fixture
def make_user(db):
    def make(username: str, role: str = Role.STAFF, *, manager: User | None = None, mfa: bool = True, **extra) -> User:
        first, _, last = username.partition(".")
        if role == Role.AUDITOR:
            extra.setdefault("access_expires_at", timezone.now() + timedelta(days=30))
        user = User.objects.create_user(
            username=username.replace(".", ""),
            password=TEST_PASSWORD,
            email=f"{username}@example.test",
            first_name=first.title(),
            last_name=(last or "Tester").title(),
            role=role,
            manager=manager,
            is_staff=role == Role.SECURITY_LEAD,
            **extra,
        )
        if mfa:
            TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        return user

    return make


@pytest.fixture
def lead(make_user) -> User:
    return make_user("priya.shah", Role.SECURITY_LEAD)


@pytest.fixture
def manager(make_user, lead) -> User:
    return make_user("tom.becker", Role.MANAGER, manager=lead)


@pytest.fixture
def other_manager(make_user, lead) -> User:
    return make_user("mira.okafor", Role.MANAGER, manager=lead)


@pytest.fixture
def staff(make_user, manager) -> User:
    return make_user("lee.wong", Role.STAFF, manager=manager)


@pytest.fixture
def auditor(make_user) -> User:
    return make_user("ana.silva", Role.AUDITOR)


def signed_in(client, user: User):
    """Log ``user`` in with a verified second factor, as after password + code."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def lead_client(client, lead):
    return signed_in(client, lead)


@pytest.fixture
def manager_client(client, manager):
    return signed_in(client, manager)


@pytest.fixture
def staff_client(client, staff):
    return signed_in(client, staff)


@pytest.fixture
def auditor_client(client, auditor):
    return signed_in(client, auditor)


@pytest.fixture(autouse=True)
def broker_banner_answered():
    """The lead's "background services degraded" banner asks the outbox at most every 30 s per process
    (grc.degraded); a test starts with that answer given ("all well"), so a page's query count does not
    depend on how long ago another test asked. Tests of the banner call ``degraded.reset()``."""
    from grc import degraded

    degraded.reset()
    degraded._state.broker_checked_at = float("inf")  # remembered for ever: no outbox query in this test
    yield
    degraded.reset()

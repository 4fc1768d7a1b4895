"""Issue 23: an auditor always lands on the auditor home — after activating the account (invitation,
password, authenticator, backup codes) and after a normal sign-in alike; everyone else on the dashboard."""

from __future__ import annotations

import base64
from datetime import timedelta

import pyotp
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from grc.accounts import services
from grc.accounts.models import Role, User
from tests.conftest import TEST_PASSWORD, totp_now

pytestmark = pytest.mark.django_db
HOME = "/evidence/"
DASHBOARD = "/compliance/"


def sign_in(user: User) -> Client:
    """Password, then the code, as a browser does: no Referer, no next=."""
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    response = client.get(response.url, follow=True)  # the landing page sends a half-signed-in user to the code step
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:verify"))
    return client


def test_after_a_normal_sign_in_the_auditor_lands_on_the_auditor_home(auditor):
    client = sign_in(auditor)
    response = client.post(reverse("accounts:verify"), {"code": totp_now(auditor)})
    assert response.status_code == 302 and response.url == HOME


def test_after_a_normal_sign_in_a_manager_lands_on_the_dashboard(manager):
    client = sign_in(manager)
    response = client.post(reverse("accounts:verify"), {"code": totp_now(manager)})
    assert response.status_code == 302 and response.url == DASHBOARD


def test_after_activation_the_auditor_lands_on_the_auditor_home(lead):
    now = timezone.now()
    _, token = services.invitation_create(
        by=lead,
        email="nina.patel@example.test",
        first_name="Nina",
        last_name="Patel",
        role=Role.AUDITOR,
        manager=None,
        access_expires_at=now + timedelta(days=14),
        now=now,
    )
    client = Client()
    response = client.post(
        reverse("accounts:accept_invitation", args=[token]),
        {
            "first_name": "Nina",
            "last_name": "Patel",
            "email": "nina.patel@example.test",
            "username": "npatel",
            "password1": TEST_PASSWORD,
            "password2": TEST_PASSWORD,
        },
    )
    assert response.status_code == 302 and response.url == reverse("accounts:enrol")
    client.get(response.url)  # the QR code page makes the device to confirm
    device = TOTPDevice.objects.get(user__username="npatel")
    code = pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now()
    response = client.post(reverse("accounts:enrol"), {"code": code})
    assert response.status_code == 302 and response.url == reverse("accounts:backup_codes")
    page = client.get(response.url)
    assert page.status_code == 200 and page.context["return_url"] == HOME
    assert client.get(reverse("accounts:backup_codes")).url == HOME  # shown once; after that, straight home
    assert client.get(reverse("accounts:enrol")).url == HOME

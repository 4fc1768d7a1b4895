"""Each user's profile: time zone, MFA devices and new backup codes behind step-up MFA."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken

from grc.accounts.services import backup_codes_regenerate
from grc.audit.models import AuditEvent
from tests.accounts.conftest import post_code, post_password
from tests.conftest import totp_now

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")
REGENERATE = reverse("accounts:backup_codes_regenerate")


@pytest.mark.parametrize("role_client", ["lead_client", "manager_client", "staff_client", "auditor_client"])
def test_every_role_has_a_profile(request, role_client):
    page = request.getfixturevalue(role_client).get(PROFILE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Authenticator app" in html and "Backup codes: 0 of 10 unused" in html and "Change password" in html


def test_the_time_zone_is_saved_audited_and_used(staff_client, staff):
    response = staff_client.post(PROFILE, {"timezone": "Asia/Tokyo"})
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.timezone == "Asia/Tokyo"
    assert "Times in Asia/Tokyo" in staff_client.get(PROFILE).content.decode()
    event = AuditEvent.objects.get(action="accounts.user.updated", object_id=str(staff.pk))
    assert event.details["changed_fields"] == ["timezone"]

    staff_client.post(PROFILE, {"timezone": ""})  # back to the browser's zone
    staff.refresh_from_db()
    assert staff.timezone == ""
    staff_client.cookies["tz"] = "Europe%2FParis"  # as static/js/portal.js writes it
    assert "Times in Europe/Paris" in staff_client.get(PROFILE).content.decode()


def test_an_unknown_time_zone_is_refused(staff_client, staff):
    response = staff_client.post(PROFILE, {"timezone": "Mars/Olympus"})
    assert response.status_code == 200 and response.context["form"].errors["timezone"]
    staff.refresh_from_db()
    assert staff.timezone == ""


def test_new_backup_codes_need_a_fresh_code_and_replace_the_old_ones(staff_client, staff):
    old_codes = backup_codes_regenerate(user=staff)
    response = staff_client.get(REGENERATE)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:step_up"))
    assert staff_client.post(response.url, {"code": totp_now(staff)}).url == REGENERATE
    assert "Make new codes" in staff_client.get(REGENERATE).content.decode()

    shown = staff_client.post(REGENERATE)
    assert shown.url == reverse("accounts:backup_codes")
    page = staff_client.get(shown.url)
    codes = page.context["codes"]
    assert len(codes) == 10 and not set(codes) & set(old_codes)
    assert page.context["return_url"] == PROFILE
    assert staff_client.get(shown.url).status_code == 302  # shown once only
    assert set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True)) == set(codes)
    assert AuditEvent.objects.filter(action="accounts.backup_codes_regenerated", object_id=str(staff.pk)).exists()


def test_a_backup_code_signs_in_once(staff):
    codes = backup_codes_regenerate(user=staff)
    first = Client()
    post_password(first, staff.username)
    assert post_code(first, codes[0]).url == reverse("compliance:dashboard")
    second = Client()
    post_password(second, staff.username)
    assert post_code(second, codes[0]).status_code == 200  # used up
    assert StaticToken.objects.filter(device__user=staff).count() == 9

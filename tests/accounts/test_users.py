"""The security lead's user management: the Users table, account changes, deactivation (DPP 1.2, 1.3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from grc.accounts.models import Role, User, UserSession
from grc.accounts.stepup import SESSION_KEY as STEP_UP_KEY
from grc.audit.models import AuditEvent
from grc.compliance.models import Obligation
from tests.accounts.conftest import post_code, post_password, set_password_now
from tests.conftest import TEST_PASSWORD, signed_in, totp_now

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("compliance:dashboard")


def with_step_up(client: Client) -> Client:
    """As after a fresh code on the step-up page (tests of that page use the real thing)."""
    session = client.session
    session[STEP_UP_KEY] = timezone.now().timestamp()
    session.save()
    return client


def lead_only_urls(user: User) -> list[str]:
    return [
        reverse("accounts:users"),
        reverse("accounts:invite"),
        reverse("accounts:user_detail", args=[user.pk]),
        reverse("accounts:user_password_reset", args=[user.pk]),
        reverse("accounts:user_mfa_reset", args=[user.pk]),
        reverse("accounts:lockouts"),
    ]


@pytest.mark.parametrize("role_client", ["manager_client", "staff_client", "auditor_client"])
def test_only_the_security_lead_manages_users(request, role_client, lead):
    client = request.getfixturevalue(role_client)
    for url in lead_only_urls(lead):
        assert client.get(url).status_code == 403, url
    for name in ["user_deactivate", "user_reactivate"]:
        assert client.post(reverse(f"accounts:{name}", args=[lead.pk])).status_code == 403
    assert client.post(reverse("accounts:unlock"), {"username": lead.username}).status_code == 403
    assert AuditEvent.objects.filter(action="accounts.permission_denied").count() >= 9
    assert User.objects.get(pk=lead.pk).is_active


def test_anonymous_visitors_are_sent_to_sign_in(client, lead):
    for url in [*lead_only_urls(lead), reverse("accounts:profile"), reverse("accounts:password_change")]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login")), url


def test_the_users_table_shows_role_manager_mfa_and_state(lead_client, lead, manager, staff, auditor, make_user):
    newcomer = make_user("nina.patel", mfa=False, manager=manager)
    gone = make_user("old.timer")
    gone.is_active = False
    gone.save()
    page = lead_client.get(reverse("accounts:users"))
    assert page.status_code == 200
    html = page.content.decode()
    rows = {u.username for u in page.context["table"].rows}
    assert rows == {lead.username, manager.username, staff.username, auditor.username, newcomer.username, gone.username}
    mfa = {u.username: u.has_mfa for u in page.context["table"].rows}
    assert mfa[newcomer.username] is False and mfa[staff.username] is True
    assert "not enrolled" in html and "deactivated" in html and "Tom Becker" in html


def test_the_users_table_filters_and_sorts(lead_client, lead, manager, staff, auditor, make_user):
    make_user("nina.patel", mfa=False)
    by_role = lead_client.get(reverse("accounts:users"), {"role": "auditor"})
    assert [u.username for u in by_role.context["table"].rows] == [auditor.username]
    no_mfa = lead_client.get(reverse("accounts:users"), {"mfa": "no"})
    assert [u.username for u in no_mfa.context["table"].rows] == ["ninapatel"]
    search = lead_client.get(reverse("accounts:users"), {"q": "beck"})
    assert [u.username for u in search.context["table"].rows] == [manager.username]
    by_username = lead_client.get(reverse("accounts:users"), {"sort": "-username"})
    names = [u.username for u in by_username.context["table"].rows]
    assert names == sorted(names, reverse=True)


def test_the_users_table_marks_and_filters_locked_accounts(lead_client, staff):
    for _ in range(5):
        post_password(Client(), staff.username, "Wrong-Password-1!")
    locked = lead_client.get(reverse("accounts:users"), {"state": "locked"})
    assert [u.username for u in locked.context["table"].rows] == [staff.username]
    assert 'data-status="revoked"' in locked.content.decode()


@pytest.mark.parametrize("count", [5, 60])
def test_the_users_page_needs_the_same_queries_for_5_or_60_users(lead_client, lead, make_user, count, django_assert_max_num_queries):
    for n in range(count):
        make_user(f"person{n}.tester", manager=lead, mfa=n % 2 == 0)
    with django_assert_max_num_queries(10):
        response = lead_client.get(reverse("accounts:users"), {"size": 100})
    assert len(response.context["table"].rows) == count + 1


def test_the_lead_changes_role_manager_and_access_end_and_it_is_audited(lead_client, lead, staff, manager, other_manager):
    last_day = timezone.localdate() + timedelta(days=30)
    response = lead_client.post(
        reverse("accounts:user_detail", args=[staff.pk]),
        {"role": "auditor", "manager": other_manager.pk, "access_last_day": last_day.isoformat()},
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.role == Role.AUDITOR and staff.manager == other_manager
    assert timezone.localtime(staff.access_expires_at).date() == last_day + timedelta(days=1)
    event = AuditEvent.objects.get(action="accounts.user.updated", object_id=str(staff.pk))
    assert event.details["changed_fields"] == ["access_expires_at", "manager", "role"]
    assert event.actor_id == lead.pk and event.message == ""


def test_an_auditor_needs_a_last_day_and_nothing_is_saved_without_it(lead_client, staff):
    response = lead_client.post(reverse("accounts:user_detail", args=[staff.pk]), {"role": "auditor", "manager": ""})
    assert response.status_code == 200
    assert "Auditor access needs an end date." in response.context["form"].errors["access_last_day"]
    staff.refresh_from_db()
    assert staff.role == Role.STAFF


def test_a_security_lead_cannot_change_their_own_role(lead_client, lead):
    response = lead_client.post(reverse("accounts:user_detail", args=[lead.pk]), {"role": "staff", "manager": ""})
    assert response.status_code == 200
    assert "You cannot change your own role" in response.context["form"].errors["role"][0]
    lead.refresh_from_db()
    assert lead.role == Role.SECURITY_LEAD


def test_promotion_and_demotion_follow_into_the_admin_flags(lead_client, manager):
    lead_client.post(reverse("accounts:user_detail", args=[manager.pk]), {"role": "security_lead", "manager": ""})
    manager.refresh_from_db()
    assert manager.role == Role.SECURITY_LEAD and manager.is_staff
    manager.is_superuser = True
    manager.save()
    lead_client.post(reverse("accounts:user_detail", args=[manager.pk]), {"role": "manager", "manager": ""})
    manager.refresh_from_db()
    assert not manager.is_staff and not manager.is_superuser


def test_the_detail_page_is_a_recorded_view(lead_client, lead, staff):
    page = lead_client.get(reverse("accounts:user_detail", args=[staff.pk]))
    assert page.status_code == 200 and "Deactivate" in page.content.decode()
    assert AuditEvent.objects.filter(action="accounts.user.viewed", object_id=str(staff.pk), actor_id=lead.pk).exists()
    own = lead_client.get(reverse("accounts:user_detail", args=[lead.pk]))
    assert "Deactivate" not in own.content.decode()


def test_deactivation_ends_every_session_of_the_user_at_once(lead_client, lead, staff):
    laptop, phone = Client(), Client()
    for device in (laptop, phone):
        post_password(device, staff.username)
    post_code(laptop, totp_now(staff))
    assert laptop.get(DASHBOARD).status_code == 200
    assert UserSession.objects.filter(user=staff).count() == 2
    keys = list(UserSession.objects.filter(user=staff).values_list("session_key", flat=True))

    response = lead_client.post(reverse("accounts:user_deactivate", args=[staff.pk]))
    assert response.status_code == 302

    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=staff).exists()
    for device in (laptop, phone):
        assert device.get(DASHBOARD).url.startswith(reverse("accounts:login"))
    assert post_password(Client(), staff.username).status_code == 200  # an inactive account cannot sign in
    staff.refresh_from_db()
    assert not staff.is_active and staff.deactivated_at is not None
    event = AuditEvent.objects.get(action="accounts.user.deactivated")
    assert event.actor_id == lead.pk and event.details == {"changed_fields": ["deactivated_at", "is_active"], "sessions_ended": 2}


def test_deactivation_waives_the_password_clock_and_reactivation_restarts_it(lead_client, staff):
    set_password_now(staff)
    lead_client.post(reverse("accounts:user_deactivate", args=[staff.pk]))
    waived = Obligation.objects.get(kind="accounts.password_expiry", subject_id=str(staff.pk))
    assert waived.completed_at is not None and waived.waived_reason == "account deactivated"

    lead_client.post(reverse("accounts:user_reactivate", args=[staff.pk]))
    staff.refresh_from_db()
    assert staff.is_active and staff.deactivated_at is None
    reopened = Obligation.objects.get(kind="accounts.password_expiry", subject_id=str(staff.pk), completed_at__isnull=True)
    assert reopened.due_at == staff.password_changed_at + timedelta(days=365)
    assert AuditEvent.objects.filter(action="accounts.user.reactivated", object_id=str(staff.pk)).exists()
    assert post_password(Client(), staff.username).status_code == 302


def test_a_lead_cannot_deactivate_their_own_account(lead_client, lead):
    assert lead_client.post(reverse("accounts:user_deactivate", args=[lead.pk])).status_code == 403
    lead.refresh_from_db()
    assert lead.is_active


def test_resetting_mfa_asks_the_lead_for_a_fresh_code_first(lead_client, lead, staff):
    response = lead_client.get(reverse("accounts:user_mfa_reset", args=[staff.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:step_up"))
    stepped = lead_client.post(response.url, {"code": totp_now(lead)})
    assert stepped.url == reverse("accounts:user_mfa_reset", args=[staff.pk])
    assert "Reset MFA" in lead_client.get(stepped.url).content.decode()


def test_the_lead_resets_a_users_mfa_and_they_must_enrol_again(lead_client, lead, staff):
    set_password_now(staff)
    StaticDevice.objects.create(user=staff, name="Backup codes")
    old = signed_in(Client(), staff)
    with_step_up(lead_client).post(reverse("accounts:user_mfa_reset", args=[staff.pk]))
    assert not TOTPDevice.objects.filter(user=staff).exists() and not StaticDevice.objects.filter(user=staff).exists()
    assert old.get(DASHBOARD).url.startswith(reverse("accounts:login"))
    fresh = Client()
    post_password(fresh, staff.username)
    assert fresh.get(DASHBOARD).url == reverse("accounts:enrol")
    event = AuditEvent.objects.get(action="accounts.mfa_reset")
    assert event.actor_id == lead.pk and event.object_id == str(staff.pk) and event.details["records_removed"] == 2


def test_the_lead_resets_a_password_within_the_minimum_age_and_it_is_audited(lead_client, lead, staff):
    set_password_now(staff)  # changed just now: the user could not change it again today
    users_session = signed_in(Client(), staff)
    new = "Blue-Lantern-Rises-42"
    response = with_step_up(lead_client).post(
        reverse("accounts:user_password_reset", args=[staff.pk]), {"password1": new, "password2": new}
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password(new)
    assert users_session.get(DASHBOARD).status_code == 302
    event = AuditEvent.objects.get(action="accounts.password_reset_by_admin")
    assert event.actor_id == lead.pk and event.object_id == str(staff.pk)
    assert new not in str(event.details) and event.details["changed_fields"] == ["password", "password_changed_at"]
    closed = Obligation.objects.filter(kind="accounts.password_expiry", subject_id=str(staff.pk), completed_at__isnull=False).first()
    assert closed.completed_by == lead


def test_an_administrators_reset_still_obeys_the_other_rules(lead_client, staff):
    response = with_step_up(lead_client).post(
        reverse("accounts:user_password_reset", args=[staff.pk]), {"password1": "leewong-Rises-42", "password2": "leewong-Rises-42"}
    )
    assert response.status_code == 200
    assert "The password must not contain any part of your name or username." in response.context["form"].errors["password1"]
    staff.refresh_from_db()
    assert staff.check_password(TEST_PASSWORD)


def test_a_lead_cannot_reset_their_own_password_or_mfa_here(lead_client, lead):
    with_step_up(lead_client)
    assert lead_client.get(reverse("accounts:user_password_reset", args=[lead.pk])).status_code == 403
    assert lead_client.post(reverse("accounts:user_mfa_reset", args=[lead.pk])).status_code == 403
    assert TOTPDevice.objects.filter(user=lead).exists()


def test_an_unknown_account_is_404(lead_client):
    assert lead_client.get(reverse("accounts:user_detail", args=[987654])).status_code == 404

"""Inviting people: a single-use link valid 72 hours, emailed to one named person (DPP 1.2)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grc.accounts.models import Invitation, Role, User
from grc.audit.models import AuditEvent
from grc.compliance.models import Obligation
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/accounts/invite/[\w-]+/")


def invite(client, **overrides):
    data = {"first_name": "Nina", "last_name": "Patel", "email": "nina.patel@example.test", "role": "staff", "manager": ""}
    return client.post(reverse("accounts:invite"), {**data, **overrides})


def link_path(message) -> str:
    return "/" + LINK.search(message.body).group(0).split("/", 3)[3]


def accept(link: str, username: str = "npatel", password: str = "Blue-Lantern-Rises-42"):
    visitor = Client()
    response = visitor.post(
        link,
        {"first_name": "Nina", "last_name": "Patel", "username": username, "password1": password, "password2": password},
    )
    return visitor, response


def test_the_lead_invites_a_person_who_gets_a_single_use_link_by_email(lead_client, lead, manager, mailoutbox):
    response = invite(lead_client, manager=manager.pk)
    assert response.status_code == 302 and response.url == reverse("accounts:users")
    invitation = Invitation.objects.get()
    assert invitation.role == Role.STAFF and invitation.manager == manager and invitation.invited_by == lead
    assert invitation.expires_at == invitation.created_at + timedelta(hours=72)
    [message] = mailoutbox
    assert message.to == ["nina.patel@example.test"]
    assert "DPP compliance portal" in message.subject
    assert "expires in 72 hours" in message.body and "Priya Shah invited you" in message.body
    assert LINK.search(message.alternatives[0][0])  # the HTML part carries the same link
    event = AuditEvent.objects.get(action="accounts.invitation_created")
    assert event.actor_id == lead.pk and "nina" not in event.message.lower()

    visitor, accepted = accept(link_path(message))
    assert accepted.status_code == 302 and accepted.url == reverse("accounts:enrol")
    user = User.objects.get(username="npatel")
    assert user.email == "nina.patel@example.test" and user.manager == manager and user.role == Role.STAFF
    assert Obligation.objects.filter(kind="accounts.password_expiry", subject_id=str(user.pk), completed_at__isnull=True).exists()
    assert visitor.get(reverse("compliance:dashboard")).url == reverse("accounts:enrol")  # MFA before anything

    _, again = accept(link_path(message), username="npatel2")
    assert again.status_code == 404


def test_the_link_expires_after_72_hours(lead_client, mailoutbox, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    invite(lead_client)
    time_machine.shift(timedelta(hours=72, seconds=1))
    _, response = accept(link_path(mailoutbox[0]))
    assert response.status_code == 404
    assert not User.objects.filter(username="npatel").exists()


def test_an_auditor_invitation_needs_a_last_day_and_carries_it_over(lead_client, mailoutbox):
    refused = invite(lead_client, role="auditor")
    assert refused.status_code == 200
    assert "Auditor access needs an end date." in refused.context["form"].errors["access_last_day"]
    assert not Invitation.objects.exists() and not mailoutbox

    last_day = timezone.localdate() + timedelta(days=14)
    invite(lead_client, role="auditor", access_last_day=last_day.isoformat())
    _, response = accept(link_path(mailoutbox[0]))
    auditor = User.objects.get(username="npatel")
    assert auditor.role == Role.AUDITOR
    assert timezone.localtime(auditor.access_expires_at).date() == last_day + timedelta(days=1)


def test_one_account_per_person(lead_client, staff, mailoutbox):
    response = invite(lead_client, email=staff.email.upper())
    assert "An account with this email address exists already" in response.context["form"].errors["email"][0]
    invite(lead_client)
    second = invite(lead_client)
    assert "pending invitation already" in second.context["form"].errors["email"][0]
    assert Invitation.objects.count() == 1


def test_a_generic_username_is_refused_at_acceptance(lead_client, mailoutbox):
    invite(lead_client)
    _, response = accept(link_path(mailoutbox[0]), username="admin")
    assert response.status_code == 200
    assert "not allowed" in response.context["form"].errors["username"][0]
    assert Invitation.objects.get().used_at is None


def test_the_lead_revokes_a_pending_invitation(lead_client, lead, mailoutbox):
    invite(lead_client)
    invitation = Invitation.objects.get()
    page = lead_client.get(reverse("accounts:users"))
    assert "nina.patel@example.test" in page.content.decode()
    lead_client.post(reverse("accounts:invitation_revoke", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    _, response = accept(link_path(mailoutbox[0]))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="accounts.invitation_revoked", actor_id=lead.pk).exists()
    assert "nina.patel@example.test" not in lead_client.get(reverse("accounts:users")).content.decode()


def test_sending_again_replaces_the_link(lead_client, lead, mailoutbox, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    invite(lead_client)
    old = Invitation.objects.get()
    time_machine.shift(timedelta(hours=80))  # the first link has expired meanwhile
    signed_in(lead_client, lead)
    lead_client.post(reverse("accounts:invitation_resend", args=[old.pk]))
    assert len(mailoutbox) == 2
    fresh = Invitation.objects.exclude(pk=old.pk).get()
    assert fresh.expires_at == timezone.now() + timedelta(hours=72)
    assert accept(link_path(mailoutbox[0]))[1].status_code == 404
    assert accept(link_path(mailoutbox[1]))[1].status_code == 302


def test_only_the_lead_invites(manager_client, staff_client):
    for client in (manager_client, staff_client):
        assert invite(client).status_code == 403
    assert not Invitation.objects.exists()

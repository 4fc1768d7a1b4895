"""The security lead's page of failed and waiting reminders, and the admin registration."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from grc.compliance.models import OverdueDigest, Reminder
from tests.compliance.conftest import make_obligation
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
URL = "/compliance/reminders/"


def test_only_the_security_lead_opens_the_reminders_page(client, lead, manager, staff, auditor):
    assert reverse("compliance:reminders") == URL
    assert signed_in(client, lead).get(URL).status_code == 200
    for user in (manager, staff, auditor):
        assert signed_in(client, user).get(URL).status_code == 403


def test_it_lists_failed_and_waiting_reminders_with_their_error_and_next_try(lead_client, lead, manager):
    now = timezone.now()
    failing = make_obligation(due_at=now + timedelta(days=2), owner=manager, title="Rotate the API keys")
    sent = make_obligation(due_at=now + timedelta(days=2), owner=manager, title="Review the firewall")
    Reminder.objects.create(
        obligation=failing,
        milestone="-3d",
        offset=timedelta(days=3),
        status="failed",
        attempts=2,
        last_error="SMTPServerDisconnected",
        next_attempt_at=now + timedelta(minutes=10),
    )
    Reminder.objects.create(
        obligation=sent, milestone="-3d", offset=timedelta(days=3), status="sent", attempts=1, sent_at=now, delivered_to=[manager.pk]
    )
    OverdueDigest.objects.create(
        user=manager, day=now.date(), status="failed", attempts=1, last_error="ConnectionRefusedError", next_attempt_at=now
    )
    page = lead_client.get(URL).content.decode()
    problems = page.split('data-testid="reminder-problems"')[1].split("</section>")[0]
    assert "Rotate the API keys" in problems and "SMTPServerDisconnected" in problems
    assert "Review the firewall" not in problems
    assert "Review the firewall" in page  # under "recently sent"
    assert "ConnectionRefusedError" in page


def test_an_empty_page_says_everything_went_out(lead_client):
    assert "Every reminder went out" in lead_client.get(URL).content.decode()


def test_reminders_are_in_the_django_admin_read_only():
    model_admin = admin.site._registry[Reminder]
    assert model_admin.has_add_permission(None) is False
    assert model_admin.has_change_permission(None) is False
    assert OverdueDigest in admin.site._registry

"""The bi-weekly log review (DPP 2.6): attestation page, the audit.log_review obligation, the live check."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from grc.audit.chain import chain_verify_record
from grc.audit.models import AuditEvent, LogReview
from grc.audit.tasks import purge_expired_events
from grc.compliance.models import Obligation
from grc.compliance.registry import checks_for, provider_for
from grc.compliance.services import open_obligation
from grc.oversight.log_reviews import KIND, LogReviewProvider, check_audit_trail, log_review_obligation_ensure, log_review_record
from tests.audit.conftest import NOW, events, tamper
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
NOTE = "Looked at 3 failed sign-ins from 203.0.113.7 (Quintessa Thorndyke, q.thorndyke@example.org): a typo."


def form(start, end, note=NOTE) -> dict:
    return {"period_start": start.strftime("%Y-%m-%dT%H:%M"), "period_end": end.strftime("%Y-%m-%dT%H:%M"), "note": note}


def test_the_lead_records_a_review_which_completes_the_obligation_and_opens_the_next(client, lead):
    with time_machine.travel(NOW, tick=False):
        log_review_obligation_ensure(now=NOW - timedelta(days=14))
        lead_client = signed_in(client, lead)
        assert lead_client.get(reverse("audit:review_create")).status_code == 200
        response = lead_client.post(reverse("audit:review_create"), form(NOW - timedelta(days=14), NOW - timedelta(minutes=1)))
    assert response.status_code == 302 and response.url == reverse("audit:reviews")
    review = LogReview.objects.get()
    assert review.reviewed_by == lead and review.reviewed_at == NOW and review.note == NOTE
    done = Obligation.objects.get(kind=KIND, completed_at__isnull=False)
    assert done.completed_at == NOW and done.completed_by == lead
    following = open_obligation(KIND, None)
    assert following.due_at == NOW + timedelta(days=14) and following.url == reverse("audit:reviews")
    event = AuditEvent.objects.get(action="audit.logreview.created")
    assert event.details["changed_fields"] == ["note", "period_end", "period_start"]
    assert "Thorndyke" not in event.message and "Thorndyke" not in str(event.details)


def test_a_review_needs_an_ordered_period_and_a_note(lead_client):
    now = NOW.replace(year=2026)
    response = lead_client.post(reverse("audit:review_create"), form(now, now - timedelta(days=1), note=""))
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-field-error="note"' in body
    assert not LogReview.objects.exists() and not Obligation.objects.filter(kind=KIND).exists()
    response = lead_client.post(reverse("audit:review_create"), form(now - timedelta(days=1), now - timedelta(days=2)))
    assert 'data-field-error="period_end"' in response.content.decode() and not LogReview.objects.exists()


def test_the_note_is_encrypted_at_rest(lead):
    from django.db import connection

    log_review_record(by=lead, period_start=NOW - timedelta(days=14), period_end=NOW, note=NOTE, now=NOW)
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM audit_logreview")
        assert cursor.fetchone()[0].startswith("fernet:")


@pytest.mark.parametrize("who, status", [("lead_client", 200), ("auditor_client", 200), ("manager_client", 403), ("staff_client", 403)])
def test_leads_and_auditors_read_the_reviews(request, who, status):
    assert request.getfixturevalue(who).get(reverse("audit:reviews")).status_code == status


def test_auditors_cannot_record_a_review(auditor_client):
    assert auditor_client.get(reverse("audit:review_create")).status_code == 403
    assert auditor_client.post(reverse("audit:review_create"), form(NOW - timedelta(days=1), NOW)).status_code == 403
    assert not LogReview.objects.exists()


def test_the_provider_reminds_every_active_security_lead(lead, make_user):
    from grc.accounts.models import Role

    other = make_user("noor.haddad", Role.SECURITY_LEAD)
    make_user("old.lead", Role.SECURITY_LEAD, is_active=False)
    provider = provider_for(KIND)
    assert isinstance(provider, LogReviewProvider)
    assert set(provider.recipients(None)) == {lead, other}


def test_resync_opens_the_first_obligation_without_any_data_then_follows_the_last_review(lead):
    provider = provider_for(KIND)
    assert provider.resync(now=NOW) == 1
    first = open_obligation(KIND, None)
    assert first.anchor_at == NOW and first.due_at == NOW + timedelta(days=14)
    assert provider.resync(now=NOW) == 0  # idempotent
    review = log_review_record(by=lead, period_start=NOW - timedelta(days=3), period_end=NOW, note="ok", now=NOW + timedelta(days=2))
    Obligation.objects.filter(kind=KIND, completed_at__isnull=True).update(anchor_at=NOW, due_at=NOW + timedelta(days=1))  # drifted
    assert provider.resync(now=NOW) == 1
    assert open_obligation(KIND, None).due_at == review.reviewed_at + timedelta(days=14)


def test_the_daily_task_makes_sure_the_obligation_is_open():
    with time_machine.travel(NOW, tick=False):
        purge_expired_events.delay()
    assert open_obligation(KIND, None).due_at == NOW + timedelta(days=14)


def test_the_2_6_check_is_registered():
    assert "Audit trail reviewed and intact" in [name for name, _ in checks_for("2.6")]


def test_the_check_says_what_is_missing_then_met_then_moves_with_the_clock(lead):
    result = check_audit_trail(NOW)
    assert result.status == "not_met" and "no log review is recorded yet" in result.reason and "not been verified" in result.reason
    log_review_record(by=lead, period_start=NOW - timedelta(days=14), period_end=NOW, note="ok", now=NOW)
    assert check_audit_trail(NOW).status == "at_risk"  # reviewed, but the chain was never verified
    events(3)
    chain_verify_record(now=NOW, system_actor="tests", log=False)
    result = check_audit_trail(NOW + timedelta(hours=1))
    assert result.status == "met"
    assert "last log review recorded 1 h ago; due every 14 days" in result.reason and "events intact" in result.reason
    assert check_audit_trail(NOW + timedelta(days=12)).status == "at_risk"
    late = check_audit_trail(NOW + timedelta(days=16))
    assert late.status == "not_met" and "last log review recorded 16 days ago" in late.reason


def test_the_check_is_not_met_when_the_last_verification_found_tampering(lead):
    log_review_record(by=lead, period_start=NOW - timedelta(days=14), period_end=NOW, note="ok", now=NOW)
    made = events(3)
    tamper("UPDATE {table} SET message = %s WHERE id = %s", ["x", made[1].pk])
    chain_verify_record(now=NOW, system_actor="tests", log=False)
    result = check_audit_trail(NOW)
    assert result.status == "not_met" and f"found event #{made[1].pk} broken" in result.reason


def test_the_reviews_page_shows_the_next_due_date(lead):
    log_review_record(by=lead, period_start=NOW - timedelta(days=14), period_end=NOW, note="All quiet.", now=NOW)
    page = signed_in(Client(), lead).get(reverse("audit:reviews")).content.decode()
    assert "All quiet." in page and "Next review" in page and 'data-due="' in page


def test_a_period_ending_this_minute_ends_now_and_counts_what_happened_in_it(lead):
    from grc.audit.alarms import alarm_raise
    from grc.audit.rules import Condition

    made = events(2)
    alarm_raise(condition=Condition("download_volume", "user:1"), event_ids=[made[0].pk], summary="x", now=NOW + timedelta(seconds=40))
    minute = NOW.replace(second=0)  # what the datetime-local field sends
    review = log_review_record(
        by=lead, period_start=NOW - timedelta(days=14), period_end=minute, note="ok", now=NOW + timedelta(seconds=50)
    )
    assert review.period_end == NOW + timedelta(seconds=50) and review.alarms_in_period == 1

"""Alarm pages: list (filter by status and rule), detail with evidence, status changes (lead only, audited)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from grc.audit.alarms import alarm_raise
from grc.audit.models import Alarm, AuditEvent
from grc.audit.rules import Condition
from tests.audit.conftest import NOW, events
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
ALARMS = reverse("audit:alarms")
NOTE = "Called Quintessa on +44 20 7946 0958: she mistyped her password after the holidays."


def make_alarm(rule: str = "failed_logins_user", key: str = "user:1", *, actor=None, evidence: int = 3) -> Alarm:
    made = events(evidence, action="accounts.login_failed", outcome="failure")
    return alarm_raise(
        condition=Condition(rule, key, actor_id=actor.pk if actor else None),
        event_ids=[event.pk for event in made],
        summary=f"{evidence} failed sign-ins for one account within 15 minutes",
        now=NOW,
    )


@pytest.mark.parametrize("who, status", [("lead_client", 200), ("auditor_client", 200), ("manager_client", 403), ("staff_client", 403)])
def test_leads_and_auditors_read_alarms_others_get_403(request, who, status):
    alarm = make_alarm()
    client = request.getfixturevalue(who)
    assert client.get(ALARMS).status_code == status
    assert client.get(alarm.get_absolute_url()).status_code == status


def test_the_list_filters_by_status_and_rule(lead_client, lead):
    first = make_alarm("failed_logins_user", "user:1")
    second = make_alarm("download_volume", "user:2")
    closed = make_alarm("denials_ip", "ip:203.0.113.1")
    Alarm.objects.filter(pk=closed.pk).update(status="closed", closed_at=NOW)

    def listed(**params):
        return {alarm.pk for alarm in lead_client.get(ALARMS, params).context["table"].rows}

    assert listed() == {first.pk, second.pk, closed.pk}
    assert listed(state="active") == {first.pk, second.pk}
    assert listed(state="closed") == {closed.pk}
    assert listed(rule="download_volume") == {second.pk}
    assert "Unusual download or export volume" in lead_client.get(ALARMS).content.decode()


def test_the_list_costs_the_same_queries_for_3_and_30_alarms(lead_client, django_assert_max_num_queries, make_user):
    for n in range(3):
        make_alarm(key=f"user:{n}", actor=make_user(f"a{n}.x"), evidence=1)
    with django_assert_max_num_queries(14) as small:
        lead_client.get(ALARMS)
    for n in range(3, 30):
        make_alarm(key=f"user:{n}", actor=make_user(f"a{n}.x"), evidence=1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(lead_client.get(ALARMS).context["table"].rows) == 25


def test_the_detail_shows_the_evidence_events(lead_client):
    alarm = make_alarm(evidence=4)
    response = lead_client.get(alarm.get_absolute_url())
    assert [event.pk for event in response.context["events"]] == alarm.evidence
    assert 'data-testid="alarm-status-form"' in response.content.decode()


def test_the_lead_moves_an_alarm_to_investigating_then_closes_it_with_a_note(lead_client, lead):
    alarm = make_alarm()
    url = reverse("audit:alarm_status", args=[alarm.pk])
    assert lead_client.post(url, {"status": "investigating", "note": ""}).status_code == 302
    alarm.refresh_from_db()
    assert alarm.status == "investigating" and alarm.status_changed_by == lead
    refused = lead_client.post(url, {"status": "closed", "note": "  "})
    assert refused.status_code == 400 and 'data-field-error="note"' in refused.content.decode()
    assert Alarm.objects.get(pk=alarm.pk).status == "investigating"
    assert lead_client.post(url, {"status": "closed", "note": NOTE}).status_code == 302
    alarm.refresh_from_db()
    assert (alarm.status, alarm.closed_by, alarm.note) == ("closed", lead, NOTE)
    changes = list(AuditEvent.objects.filter(action="audit.alarm.updated", object_id=str(alarm.pk)).order_by("id"))
    assert [event.message for event in changes] == ["status=investigating", "status=closed"]
    assert "note" in changes[1].details["changed_fields"]
    assert not AuditEvent.objects.filter(message__contains="Quintessa").exists()
    assert not AuditEvent.objects.filter(details__icontains="Quintessa").exists()


def test_the_note_is_encrypted_at_rest(lead_client):
    from django.db import connection

    alarm = make_alarm()
    lead_client.post(reverse("audit:alarm_status", args=[alarm.pk]), {"status": "closed", "note": NOTE})
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM audit_alarm WHERE id = %s", [alarm.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("fernet:") and "Quintessa" not in stored


def test_a_closed_alarm_cannot_change_again(lead_client):
    alarm = make_alarm()
    url = reverse("audit:alarm_status", args=[alarm.pk])
    lead_client.post(url, {"status": "closed", "note": "done"})
    response = lead_client.post(url, {"status": "open", "note": "again"})
    assert response.status_code == 400
    assert Alarm.objects.get(pk=alarm.pk).status == "closed"
    assert "A closed alarm stays closed" in lead_client.get(alarm.get_absolute_url()).content.decode()


def test_auditors_cannot_change_an_alarm(auditor_client):
    alarm = make_alarm()
    page = auditor_client.get(alarm.get_absolute_url()).content.decode()
    assert 'data-testid="alarm-status-form"' not in page
    assert auditor_client.post(reverse("audit:alarm_status", args=[alarm.pk]), {"status": "closed", "note": "x"}).status_code == 403
    assert Alarm.objects.get(pk=alarm.pk).status == "open"


def test_an_unknown_alarm_is_404(lead_client):
    assert lead_client.get(reverse("audit:alarm_detail", args=[999])).status_code == 404


def test_the_dashboard_selector_lists_open_alarms_newest_first(lead):
    from grc.audit.selectors import open_alarms

    older = make_alarm(key="user:1")
    newer = make_alarm(key="user:2")
    Alarm.objects.filter(pk=newer.pk).update(raised_at=NOW.replace(hour=10))
    closed = make_alarm(key="user:3")
    Alarm.objects.filter(pk=closed.pk).update(status="closed", closed_at=NOW)
    assert [alarm.pk for alarm in open_alarms()] == [newer.pk, older.pk]
    assert len(open_alarms(limit=1)) == 1


def test_the_dashboard_shows_open_alarms_to_the_lead(lead):
    alarm = make_alarm()
    page = signed_in(Client(), lead).get(reverse("compliance:dashboard")).content.decode()
    assert alarm.get_absolute_url() in page

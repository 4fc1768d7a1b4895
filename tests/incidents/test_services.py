"""The incident services: the 24-hour obligation in the engine, triage, notification, closing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from grc.audit.models import AuditEvent
from grc.compliance.models import Obligation
from grc.compliance.registry import provider_for
from grc.compliance.services import obligations_for, open_obligation
from incidents import notify, services
from incidents.models import AmazonInvolved, Incident, NotificationMethod, Status
from tests.incidents.conftest import COMPLETE, NOW

pytestmark = pytest.mark.django_db
KIND = "incidents.amazon_notification"


def close_ready(incident, lead, *, at=NOW):
    services.incident_update(incident=incident, by=lead, changes=COMPLETE, now=at)
    for step in (Status.CONTAINED, Status.ERADICATED, Status.RECOVERED):
        services.incident_advance(incident=incident, by=lead, target=step, now=at)


def test_reporting_opens_the_24_hour_obligation_at_detection(report, staff):
    incident = report(detected_at=NOW - timedelta(hours=3))
    obligation = open_obligation(KIND, incident)
    assert obligation.clause == "1.6"
    assert obligation.anchor_at == NOW - timedelta(hours=3)
    assert obligation.due_at == NOW + timedelta(hours=21) == incident.notification_due_at
    assert obligation.url == incident.get_absolute_url()
    assert "Priya" not in obligation.title and incident.reference in obligation.title
    assert incident.status == Status.REPORTED and incident.steps.get().by == staff


def test_it_refuses_a_detection_time_in_the_future(staff):
    with pytest.raises(ValidationError) as error:
        services.incident_report(by=staff, title="x", description="y", detected_at=NOW + timedelta(minutes=5), now=NOW)
    assert "detected_at" in error.value.message_dict
    assert not Incident.objects.exists()


def test_the_reminders_go_to_the_owner_and_every_active_security_lead(report, triage, make_user, manager):
    make_user("kai.berg", "security_lead")
    gone_lead = make_user("old.lead", "security_lead", is_active=False)
    incident = triage(report(), owner=manager)
    obligation = open_obligation(KIND, incident)
    assert obligation.owner == manager
    recipients = {user.username for user in provider_for(KIND).recipients(obligation)}
    assert recipients == {"priyashah", "kaiberg", "tombecker"}
    assert gone_lead.username not in recipients


def test_triage_that_corrects_the_detection_time_re_dates_the_clock(report, triage):
    incident = report(detected_at=NOW - timedelta(hours=1))
    incident = triage(incident, detected_at=NOW - timedelta(hours=10))
    assert incident.notification_due_at == NOW + timedelta(hours=14)
    assert open_obligation(KIND, incident).due_at == NOW + timedelta(hours=14)
    assert incident.status == Status.TRIAGED and incident.triaged_at == NOW


def test_amazon_information_not_involved_waives_the_obligation_with_the_reason(report, triage):
    incident = triage(report(), amazon=AmazonInvolved.NO, reason="only synthetic test data in staging")
    assert open_obligation(KIND, incident) is None
    waived = obligations_for(incident, KIND).get()
    assert waived.waived_reason == "Amazon Information not involved: only synthetic test data in staging"
    assert waived.completed_at == NOW


def test_a_waived_clock_runs_again_if_amazon_information_turns_out_to_be_involved(report, triage):
    incident = triage(report(), amazon=AmazonInvolved.NO, reason="staging only")
    incident = triage(incident, amazon=AmazonInvolved.YES, now=NOW + timedelta(hours=2))
    reopened = open_obligation(KIND, incident)
    assert reopened is not None and reopened.due_at == incident.notification_due_at
    assert incident.amazon_not_involved_reason == ""


def test_triage_needs_a_reason_when_amazon_information_is_not_involved(report, triage):
    incident = report()
    with pytest.raises(ValidationError) as error:
        triage(incident, amazon=AmazonInvolved.NO, reason=" ")
    assert "amazon_not_involved_reason" in error.value.message_dict
    assert Incident.objects.get(pk=incident.pk).status == Status.REPORTED


def test_recording_the_notification_within_24_hours_meets_the_obligation(report, triage, lead):
    incident = triage(report(detected_at=NOW - timedelta(hours=2)))
    notify.notification_record(incident=incident, by=lead, sent_at=NOW, method=NotificationMethod.EMAIL, amazon_reference="SIR-1", now=NOW)
    obligation = obligations_for(incident, KIND).get()
    assert obligation.completed_at == NOW and obligation.completed_by == lead
    assert obligation.status_at(NOW) == "met"
    sent = incident.amazon_notification
    assert (sent.sent_by, sent.method, sent.amazon_reference) == (lead, "email", "SIR-1")


def test_a_notification_after_24_hours_is_met_late(report, triage, lead):
    incident = triage(report(detected_at=NOW - timedelta(hours=30)))
    notify.notification_record(incident=incident, by=lead, sent_at=NOW - timedelta(hours=3), method=NotificationMethod.EMAIL, now=NOW)
    obligation = obligations_for(incident, KIND).get()
    assert obligation.status_at(NOW) == "met_late"
    assert obligation.completed_at - obligation.due_at == timedelta(hours=3)


def test_it_refuses_a_sending_time_before_detection_or_in_the_future(report, triage, lead):
    incident = triage(report(detected_at=NOW - timedelta(hours=2)))
    for sent_at in (NOW - timedelta(hours=3), NOW + timedelta(minutes=1)):
        with pytest.raises(ValidationError):
            notify.notification_record(incident=incident, by=lead, sent_at=sent_at, method=NotificationMethod.EMAIL, now=NOW)
    assert open_obligation(KIND, incident) is not None


def test_it_refuses_to_close_without_remediation_and_changes_nothing(report, triage, lead):
    incident = triage(report())
    services.incident_update(incident=incident, by=lead, changes={**COMPLETE, "remediation_actions": ""}, now=NOW)
    for step in (Status.CONTAINED, Status.ERADICATED, Status.RECOVERED):
        services.incident_advance(incident=incident, by=lead, target=step, now=NOW)
    notify.notification_record(incident=incident, by=lead, sent_at=NOW, method=NotificationMethod.EMAIL, now=NOW)
    with pytest.raises(ValidationError) as error:
        services.incident_advance(incident=incident, by=lead, target=Status.CLOSED, now=NOW)
    assert error.value.messages == ["It cannot move to closed yet: it needs the remediation actions."]
    incident.refresh_from_db()
    assert incident.status == Status.RECOVERED and incident.closed_at is None


def test_it_refuses_to_close_without_the_amazon_notification(report, triage, lead):
    incident = triage(report())
    close_ready(incident, lead)
    with pytest.raises(ValidationError) as error:
        services.incident_advance(incident=incident, by=lead, target=Status.CLOSED, now=NOW)
    assert "notification to Amazon" in error.value.messages[0]


def test_it_closes_with_the_reason_instead_of_the_notification_when_amazon_is_not_involved(report, triage, lead):
    incident = triage(report(), amazon=AmazonInvolved.NO, reason="internal wiki only, no Information")
    close_ready(incident, lead)
    closed = services.incident_advance(incident=incident, by=lead, target=Status.CLOSED, now=NOW + timedelta(days=2))
    assert closed.status == Status.CLOSED and closed.closed_by == lead and closed.closed_at == NOW + timedelta(days=2)


def test_the_timeline_has_who_and_when_for_each_step(report, triage, lead, manager, staff):
    incident = triage(report(now=NOW), owner=manager, now=NOW + timedelta(minutes=30))
    services.incident_update(incident=incident, by=manager, changes=COMPLETE, now=NOW + timedelta(hours=1))
    for hours, step in enumerate((Status.CONTAINED, Status.ERADICATED, Status.RECOVERED), start=2):
        services.incident_advance(incident=incident, by=manager, target=step, note=f"step {step}", now=NOW + timedelta(hours=hours))
    notify.notification_record(
        incident=incident, by=lead, sent_at=NOW + timedelta(hours=3), method=NotificationMethod.EMAIL, now=NOW + timedelta(hours=3)
    )
    services.incident_advance(incident=incident, by=lead, target=Status.CLOSED, now=NOW + timedelta(hours=6))
    steps = [(s.status, s.by.username, s.at - NOW) for s in incident.steps.all()]
    assert steps == [
        ("reported", staff.username, timedelta(0)),
        ("triaged", lead.username, timedelta(minutes=30)),
        ("contained", manager.username, timedelta(hours=2)),
        ("eradicated", manager.username, timedelta(hours=3)),
        ("recovered", manager.username, timedelta(hours=4)),
        ("closed", lead.username, timedelta(hours=6)),
    ]
    assert incident.steps.get(status="contained").note == "step contained"


def test_a_closed_incident_is_kept_as_closed(report, triage, lead):
    incident = triage(report(), amazon=AmazonInvolved.NO, reason="no Information")
    close_ready(incident, lead)
    services.incident_advance(incident=incident, by=lead, target=Status.CLOSED, now=NOW)
    with pytest.raises(ValidationError):
        services.incident_update(incident=incident, by=lead, changes={"remediation_actions": "rewritten"}, now=NOW)
    with pytest.raises(ValidationError):
        triage(incident)


def test_free_text_is_encrypted_at_rest_and_kept_out_of_the_audit_trail(report, triage, lead):
    secret = "Customer Jane Roe at 12 Acacia Avenue was affected"
    incident = report(description=secret)
    services.incident_update(incident=incident, by=lead, changes={"remediation_actions": secret + " (remediated)"}, now=NOW)
    with connection.cursor() as cursor:
        cursor.execute("SELECT description, remediation_actions FROM incidents_incident WHERE id = %s", [incident.pk])
        raw = cursor.fetchone()
    assert all(value.startswith("fernet:") and "Jane" not in value for value in raw)
    assert Incident.objects.get(pk=incident.pk).description == secret
    trail = " ".join(f"{e.message} {e.details}" for e in AuditEvent.objects.all())
    assert "Jane" not in trail and "Acacia" not in trail
    assert "remediation_actions" in trail  # the field name is audited, not its value


def test_the_clock_turns_overdue_as_time_passes(report, triage, time_machine):
    time_machine.move_to(NOW, tick=False)
    incident = triage(report(detected_at=NOW, now=NOW))
    obligation = Obligation.objects.get(kind=KIND, subject_id=str(incident.pk))
    time_machine.move_to(NOW + timedelta(hours=11), tick=False)
    assert obligation.status == "open"
    time_machine.move_to(NOW + timedelta(hours=13), tick=False)
    assert obligation.status == "due_soon"
    time_machine.move_to(NOW + timedelta(hours=25), tick=False)
    assert obligation.status == "overdue"


def test_resync_re_opens_and_waives_from_the_records(report, triage):
    running = report()
    waived = triage(report(), amazon=AmazonInvolved.NO, reason="no Information")
    Obligation.objects.filter(kind=KIND).delete()
    count = provider_for(KIND).resync(now=NOW)
    assert count == 2
    assert open_obligation(KIND, running).due_at == running.notification_due_at
    assert open_obligation(KIND, waived) is None

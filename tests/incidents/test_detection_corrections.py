"""Correcting the detection time, the start of the 24-hour Amazon clock (issue 20, point 4).

Earlier is always allowed (the deadline only comes closer); later only by the security lead with
a written reason and a fresh one-time code, never after the report time and never in the future.
Every change is kept with its reason, audited (without the reason), re-dates the deadline, and is
shown on the incident page and in the evidence pack. The same rule holds on the pages and in the API.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grc.accounts.models import Role
from grc.api.scopes import scopes_for_role
from grc.api.services import token_create
from grc.audit.models import AuditEvent
from grc.compliance.services import open_obligation
from incidents import services
from incidents.clock import KIND, detection_change_refusal
from incidents.models import DetectionCorrection, Incident
from tests.api.conftest import Api
from tests.conftest import signed_in
from tests.evidence.conftest import build_pack, compact, pdf_pages, with_step_up

# The case of the issue: detected 17:50 and reported 18:29 on 10 March; triaged the next morning.
DETECTED = datetime(2027, 3, 10, 17, 50, tzinfo=UTC)
REPORTED = datetime(2027, 3, 10, 18, 29, tzinfo=UTC)
NOW = datetime(2027, 3, 11, 9, 0, tzinfo=UTC)
LATE_CLAIM = datetime(2027, 3, 10, 23, 20, tzinfo=UTC)  # the detection time triage accepted that day
REASON = "The alert fired at 18:10; the 17:50 in the report was the reporter's guess."


def refusal(*, new, role=Role.SECURITY_LEAD, reason=True, stepped_up=True, old=DETECTED, notified_at=None):
    return detection_change_refusal(
        old=old, new=new, reported_at=REPORTED, role=role, reason_given=reason, stepped_up=stepped_up, now=NOW, notified_at=notified_at
    )


def local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# --- the rule, without the database ---------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.STAFF, Role.MANAGER, Role.SECURITY_LEAD])
def test_it_lets_anyone_who_may_edit_move_the_detection_time_earlier(role):
    assert refusal(new=DETECTED - timedelta(hours=3), role=role, reason=False, stepped_up=False) is None


@pytest.mark.parametrize("role", [Role.STAFF, Role.MANAGER])
def test_it_refuses_a_later_detection_time_to_managers_and_staff_even_with_reason_and_code(role):
    assert "Only the security lead" in refusal(new=DETECTED + timedelta(minutes=20), role=role)


def test_it_refuses_the_lead_a_later_time_without_a_reason_or_without_a_fresh_code():
    later = DETECTED + timedelta(minutes=20)
    assert "Give the reason" in refusal(new=later, reason=False)
    assert "fresh one-time code" in refusal(new=later, stepped_up=False)


def test_it_lets_the_lead_move_it_later_with_both_but_never_past_the_report_time():
    assert refusal(new=DETECTED + timedelta(minutes=20)) is None
    assert refusal(new=REPORTED) is None
    assert "later than the report time (10 Mar 2027 18:29)" in refusal(new=REPORTED + timedelta(minutes=1))
    assert "later than the report time" in refusal(new=LATE_CLAIM)


def test_it_never_moves_it_past_the_notification_to_amazon():
    sent = DETECTED + timedelta(minutes=30)
    assert "later than the notification to Amazon" in refusal(new=sent + timedelta(minutes=1), notified_at=sent)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SECURITY_LEAD])
def test_it_refuses_a_detection_time_in_the_future(role):
    assert refusal(new=NOW + timedelta(minutes=1), role=role) == "The detection time cannot be in the future."


# --- the service: every change is recorded and re-dates the deadline --------------------------------
@pytest.fixture
def incident(db, time_machine, report, triage, manager):
    """The issue's incident, triaged by the lead, owned by the manager; the clock stands at NOW."""
    time_machine.move_to(NOW, tick=False)
    reported = report(detected_at=DETECTED, now=REPORTED)
    return triage(reported, owner=manager, now=REPORTED + timedelta(minutes=10))


def test_an_earlier_correction_moves_the_deadline_and_the_obligation_earlier(incident, manager):
    earlier = DETECTED - timedelta(hours=2)
    correction = services.detection_correct(incident=incident, by=manager, detected_at=earlier, now=NOW)
    incident.refresh_from_db()
    assert incident.detected_at == earlier
    assert incident.notification_due_at == earlier + timedelta(hours=24) == open_obligation(KIND, incident).due_at
    assert open_obligation(KIND, incident).anchor_at == earlier
    assert (correction.old_detected_at, correction.new_detected_at, correction.by, correction.at) == (DETECTED, earlier, manager, NOW)
    assert correction.stepped_up is False and correction.reason == ""


@pytest.mark.parametrize("who", ["manager", "staff"])
def test_a_later_correction_is_refused_to_a_manager_or_staff_and_changes_nothing(incident, request, who):
    user = request.getfixturevalue(who)
    with pytest.raises(ValidationError) as error:
        services.detection_correct(
            incident=incident, by=user, detected_at=DETECTED + timedelta(minutes=20), reason=REASON, stepped_up=True, now=NOW
        )
    assert "Only the security lead" in str(error.value.message_dict["detected_at"])
    assert_unchanged(incident)


def test_the_lead_is_refused_without_a_reason_and_without_a_fresh_code(incident, lead):
    later = DETECTED + timedelta(minutes=20)
    for reason, stepped_up in (("  ", True), (REASON, False)):
        with pytest.raises(ValidationError) as error:
            services.detection_correct(incident=incident, by=lead, detected_at=later, reason=reason, stepped_up=stepped_up, now=NOW)
        assert "detected_at" in error.value.message_dict
    assert_unchanged(incident)


def test_the_lead_with_reason_and_code_moves_it_later_but_never_past_the_report_time(incident, lead):
    with pytest.raises(ValidationError) as error:
        services.detection_correct(incident=incident, by=lead, detected_at=LATE_CLAIM, reason=REASON, stepped_up=True, now=NOW)
    assert "later than the report time" in str(error.value.message_dict["detected_at"])
    assert_unchanged(incident)

    later = DETECTED + timedelta(minutes=20)
    correction = services.detection_correct(incident=incident, by=lead, detected_at=later, reason=REASON, stepped_up=True, now=NOW)
    incident.refresh_from_db()
    assert incident.notification_due_at == later + timedelta(hours=24) == open_obligation(KIND, incident).due_at
    assert correction.is_later and correction.stepped_up and correction.reason == REASON


def test_a_detection_time_in_the_future_is_refused(incident, lead):
    with pytest.raises(ValidationError) as error:
        services.detection_correct(
            incident=incident, by=lead, detected_at=NOW + timedelta(minutes=5), reason=REASON, stepped_up=True, now=NOW
        )
    assert error.value.message_dict["detected_at"] == ["The detection time cannot be in the future."]
    assert_unchanged(incident)


def test_triage_goes_through_the_same_rule(incident, triage, lead):
    """The day of the issue: triage moved detection from 17:50 to 23:20, five hours past the report."""
    with pytest.raises(ValidationError) as error:
        services.incident_triage(
            incident=incident,
            by=lead,
            incident_type=incident.incident_type,
            severity=incident.severity,
            amazon_involved=incident.amazon_involved,
            owner=incident.owner,
            detected_at=LATE_CLAIM,
            detection_reason=REASON,
            stepped_up=True,
            now=NOW,
        )
    assert "later than the report time" in str(error.value.message_dict["detected_at"])
    assert_unchanged(incident)


def test_each_correction_is_audited_without_its_reason(incident, lead):
    correction = services.detection_correct(
        incident=incident, by=lead, detected_at=DETECTED + timedelta(minutes=20), reason=REASON, stepped_up=True, now=NOW
    )
    event = AuditEvent.objects.get(action="incidents.incident.detection_corrected")
    assert (event.object_type, event.object_id, event.actor_id) == ("incidents.incident", str(incident.pk), lead.pk)
    assert event.details["correction_id"] == correction.pk
    assert event.details["direction"] == "later" and event.details["shift_minutes"] == 20
    assert event.details["stepped_up"] is True and event.details["with_reason"] is True
    assert set(event.details["changed_fields"]) == {"detected_at", "notification_due_at"}
    assert "alert" not in f"{event.message} {event.details}"  # the reason (free text) never enters the trail


def test_an_unchanged_time_records_nothing(incident, lead):
    assert services.detection_correct(incident=incident, by=lead, detected_at=DETECTED, now=NOW) is None
    assert not DetectionCorrection.objects.exists()
    assert not AuditEvent.objects.filter(action="incidents.incident.detection_corrected").exists()


def assert_unchanged(incident):
    fresh = Incident.objects.get(pk=incident.pk)
    assert fresh.detected_at == DETECTED and fresh.notification_due_at == DETECTED + timedelta(hours=24)
    assert open_obligation(KIND, fresh).due_at == DETECTED + timedelta(hours=24)
    assert not DetectionCorrection.objects.filter(incident=fresh).exists()


# --- the pages ----------------------------------------------------------------------------------
def test_the_owner_corrects_earlier_on_the_page_but_not_later(incident, manager):
    client = signed_in(Client(), manager)
    url = reverse("incidents:detection", args=[incident.pk])
    refused = client.post(url, {"detected_at": local_input(DETECTED + timedelta(minutes=20)), "reason": REASON})
    assert refused.status_code == 200
    page = refused.content.decode()
    assert 'data-field-error="detected_at"' in page and "Only the security lead" in page
    assert_unchanged(incident)

    accepted = client.post(url, {"detected_at": local_input(DETECTED - timedelta(hours=1)), "reason": ""})
    assert accepted.status_code == 302
    incident.refresh_from_db()
    assert incident.detected_at == DETECTED - timedelta(hours=1)


def test_the_lead_needs_a_fresh_code_on_the_page(incident, lead, settings):
    client = signed_in(Client(), lead)
    url = reverse("incidents:triage", args=[incident.pk])
    form = {
        "incident_type": incident.incident_type,
        "severity": incident.severity,
        "amazon_involved": incident.amazon_involved,
        "owner": incident.owner_id,
        "detected_at": local_input(DETECTED + timedelta(minutes=20)),
        "detection_reason": REASON,
    }
    stale = with_step_up(client, NOW - timedelta(seconds=settings.STEP_UP_MAX_AGE_SECONDS + 1))
    refused = stale.post(url, form)
    page = refused.content.decode()
    assert refused.status_code == 200 and 'data-field-error="detected_at"' in page and "fresh one-time code" in page
    assert reverse("accounts:step_up") in page  # the way to give one
    assert_unchanged(incident)

    accepted = with_step_up(client, NOW).post(url, form)
    assert accepted.status_code == 302
    correction = DetectionCorrection.objects.get(incident=incident)
    assert correction.stepped_up and correction.reason == REASON and correction.new_detected_at == DETECTED + timedelta(minutes=20)


def test_saving_the_triage_as_shown_does_not_cut_the_seconds_off_the_detection_time(db, time_machine, report, triage, lead):
    time_machine.move_to(NOW, tick=False)
    incident = triage(report(detected_at=DETECTED + timedelta(seconds=42), now=REPORTED), now=REPORTED)
    client = signed_in(Client(), lead)
    url = reverse("incidents:triage", args=[incident.pk])
    form = client.get(url).context["form"]
    data = {name: form.initial.get(name, "") for name in ("incident_type", "severity", "amazon_involved", "owner")}
    response = client.post(url, {**data, "detected_at": local_input(incident.detected_at)})
    assert response.status_code == 302
    assert Incident.objects.get(pk=incident.pk).detected_at == DETECTED + timedelta(seconds=42)
    assert not DetectionCorrection.objects.exists()


def test_the_incident_page_shows_report_time_detection_time_and_the_corrections(incident, lead, auditor, staff):
    services.detection_correct(
        incident=incident, by=lead, detected_at=DETECTED + timedelta(minutes=20), reason=REASON, stepped_up=True, now=NOW
    )
    page = signed_in(Client(), lead).get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    times = page.split('data-testid="clock-times"')[1].split("</dl>")[0]
    assert "10 Mar 2027 18:29" in times and "10 Mar 2027 18:10" in times
    history = page.split('data-testid="detection-corrections"')[1].split("</ol>")[0]
    assert "10 Mar 2027 17:50 → 10 Mar 2027 18:10" in history and "alert fired at 18:10" in history and "later" in history
    reporter = signed_in(Client(), staff).get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "alert fired" not in reporter  # the reporter sees the times, not the reasons


# --- the API: the same rule, as 400 JSON ------------------------------------------------------------
def api_for(user) -> Api:
    _token, key = token_create(
        user=user,
        by=user,
        name="script",
        kind="personal",
        scopes=scopes_for_role(user.role),
        expires_at=timezone.now() + timedelta(days=30),
        now=timezone.now(),
        request=None,
    )
    return Api(key)


def test_the_api_applies_the_same_rule(incident, lead, manager, staff):
    path = f"/api/v1/incidents/{incident.pk}/detection/"
    later = {"detected_at": (DETECTED + timedelta(minutes=20)).isoformat(), "reason": REASON}

    refused = api_for(manager).post(path, later)
    assert refused.status_code == 400 and refused["Content-Type"] == "application/json"
    assert refused.json()["errors"][0]["field"] == "detected_at" and "Only the security lead" in refused.json()["errors"][0]["reason"]

    no_code = api_for(lead).post(path, later)  # a token carries no step-up: later times are for the page
    assert no_code.status_code == 400 and "fresh one-time code" in no_code.json()["errors"][0]["reason"]

    future = api_for(lead).post(path, {"detected_at": (NOW + timedelta(hours=1)).isoformat()})
    assert future.status_code == 400 and future.json()["errors"][0]["reason"] == "The detection time cannot be in the future."
    assert_unchanged(incident)

    assert api_for(staff).post(path, {"detected_at": (DETECTED - timedelta(hours=1)).isoformat()}).status_code == 403  # the reporter

    earlier = api_for(manager).post(path, {"detected_at": (DETECTED - timedelta(hours=1)).isoformat(), "reason": "log timestamps"})
    assert earlier.status_code == 200
    body = earlier.json()
    assert body["detected_at"].startswith("2027-03-10T16:50") and body["notification_due_at"].startswith("2027-03-11T16:50")
    assert DetectionCorrection.objects.get(incident=incident).reason == "log timestamps"


# --- the evidence pack ----------------------------------------------------------------------------
def test_the_pack_shows_the_report_time_and_each_correction_with_its_reason(incident, lead):
    services.detection_correct(
        incident=incident, by=lead, detected_at=DETECTED + timedelta(minutes=20), reason=REASON, stepped_up=True, now=NOW
    )
    pack = build_pack(by=lead, clauses=["1.6"], include_zip=False)
    assert pack.manifest["errors"] == []
    text = compact("\n".join(pdf_pages(pack.pdf.read())))
    assert compact("Reported") in text and compact("2027-03-10 18:29") in text  # the report time
    assert compact("Corrections of the detection time") in text
    assert compact("2027-03-10 17:50") in text and compact("2027-03-10 18:10") in text  # from → to
    assert compact("later by 20 min") in text and compact("The alert fired at 18:10") in text
    assert compact("Detection times corrected") in text

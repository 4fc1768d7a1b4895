"""The notification to Amazon carries no personal data: the check and the draft built from the record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from grc.audit.models import AuditEvent
from incidents import notify
from incidents.models import AmazonNotification, NotificationStatus
from incidents.pii_check import find_pii, known_person_names
from tests.incidents.conftest import NOW

ALLOWED = {"3p-security@amazon.com", "security@example.com"}


def kinds(text, names=()):
    return [(f.kind, f.value) for f in find_pii(text, names=names, allowed=ALLOWED)]


def test_it_finds_email_addresses_but_allows_amazons_and_our_security_mailbox():
    text = "Write to 3p-security@amazon.com or Security@Example.com; the user was j.doe+x@customer.co.uk."
    assert kinds(text) == [("email", "j.doe+x@customer.co.uk")]


@pytest.mark.parametrize(
    "number", ["+44 20 7946 0958", "(555) 123-4567", "07700 900123", "+1-202-555-0173", "020.7946.0958", "4915112345678"]
)
def test_it_finds_phone_numbers_in_common_formats(number):
    assert kinds(f"Call back on {number} today") == [("phone", number)]


@pytest.mark.parametrize(
    "text",
    [
        "Detected at: 2027-03-10 09:00 UTC",
        "Detected 2027-03-10T09:00:00Z, contained 10/03/2027 11:30",
        "Source 203.0.113.45 and 10.0.0.0/8",
        "Incident reference: INC-0042; 240 pages; port 8443",
        "Asset tag LT-0142, build 1.4.2",
    ],
)
def test_dates_times_addresses_and_references_are_not_phone_numbers(text):
    assert kinds(text) == []


def test_it_finds_names_as_whole_words_in_any_case():
    names = {"Priya", "Shah", "Lee"}
    assert kinds("Reported by PRIYA shah to the team", names) == [("name", "PRIYA"), ("name", "shah")]
    assert kinds("Sleep, Leeds and Shahrukh are not names here", names) == []


def test_each_finding_is_reported_once_in_order():
    text = "Contact bob@evil.test then +44 20 7946 0958, again bob@evil.test"
    assert [str(f) for f in find_pii(text, allowed=ALLOWED)] == ["an email address (bob@evil.test)", "a phone number (+44 20 7946 0958)"]


@pytest.mark.django_db
def test_the_names_come_from_the_people_registry_and_the_portal_users(lead):
    from access_reviews.models import Person

    Person.objects.create(person_id="E-9001", first_name="Zofia", last_name="Quellmann")
    names = known_person_names()
    assert {"Zofia", "Quellmann", "Priya", "Shah"} <= names


@pytest.mark.django_db
def test_a_draft_built_from_the_record_has_no_personal_data_and_can_be_marked_ready(report, triage, lead):
    incident = report()
    triage(incident)
    notification = notify.notification_draft_build(incident=incident, by=lead, now=NOW)
    body = notification.body
    assert incident.reference in body
    assert "Detected at: 2027-03-10 08:00 UTC" in body
    assert "Incident type: Compromised credentials or account takeover" in body
    assert "Affected systems: order API" in body
    assert "Current status: Triaged" in body
    assert "Contact: Security lead, security@example.com" in body
    assert "Priya" not in body and "Shah" not in body and incident.title not in body  # no names, no free-text title
    assert notify.draft_findings(notification.subject, body) == []
    ready = notify.notification_mark_ready(incident=incident, by=lead, subject=notification.subject, body=body, now=NOW)
    assert ready.status == NotificationStatus.READY and ready.ready_by == lead


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("added", "expected"),
    [
        ("Ask jane.roe@customer.example for details.", "an email address (jane.roe@customer.example)"),
        ("Call +44 20 7946 0958.", "a phone number (+44 20 7946 0958)"),
        ("Found by Zofia from support.", "a name from the people registry (Zofia)"),
        ("Lee Wong noticed it.", "a name from the people registry (Lee)"),
    ],
)
def test_it_refuses_to_mark_ready_a_draft_with_personal_data_and_writes_nothing(report, triage, lead, staff, added, expected):
    from access_reviews.models import Person

    Person.objects.create(person_id="E-9002", first_name="Zofia", last_name="Quellmann")
    incident = report()
    triage(incident)
    notification = notify.notification_draft_build(incident=incident, by=lead, now=NOW)
    events_before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        notify.notification_mark_ready(
            incident=incident, by=lead, subject=notification.subject, body=notification.body + "\n" + added, now=NOW + timedelta(minutes=5)
        )
    assert expected in error.value.messages[0]
    stored = AmazonNotification.objects.get(pk=notification.pk)
    assert stored.status == NotificationStatus.DRAFT and added not in stored.body
    assert AuditEvent.objects.count() == events_before


@pytest.mark.django_db
def test_editing_a_ready_draft_makes_it_a_draft_again(report, triage, lead):
    incident = report()
    triage(incident)
    notification = notify.notification_draft_build(incident=incident, by=lead, now=NOW)
    notify.notification_mark_ready(incident=incident, by=lead, subject=notification.subject, body=notification.body, now=NOW)
    edited = notify.notification_draft_save(
        incident=incident, by=lead, subject=notification.subject, body=notification.body + "\nUpdate follows.", now=NOW
    )
    assert edited.status == NotificationStatus.DRAFT and edited.ready_at is None

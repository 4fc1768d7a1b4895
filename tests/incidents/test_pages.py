"""The incident pages as a browser sees them: list with clocks, report, triage, draft, record, close."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grc.compliance.services import open_obligation
from incidents import notify, services
from incidents.models import AmazonInvolved, Incident, NotificationMethod, Status
from tests.conftest import signed_in
from tests.incidents.conftest import COMPLETE

pytestmark = pytest.mark.django_db


def local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def make_incidents(count: int, *, by, lead, registers):
    now = timezone.now()
    for i in range(count):
        incident = services.incident_report(
            by=by,
            title=f"Incident {i}",
            description="d",
            detected_at=now - timedelta(hours=i % 30),
            systems_involved="api",
            systems=[registers["system"]],
            assets=[registers["server"], registers["laptop"]] if i % 2 else [],
            now=now,
        )
        if i % 3:
            incident = services.incident_triage(
                incident=incident,
                by=lead,
                incident_type="Malware or ransomware",
                severity="high",
                amazon_involved=AmazonInvolved.NO if i % 5 == 0 else AmazonInvolved.YES,
                amazon_not_involved_reason="staging only" if i % 5 == 0 else "",
                owner=lead,
                detected_at=incident.detected_at,
                now=now,
            )
        if i % 4 == 1:
            notify.notification_record(incident=incident, by=lead, sent_at=now, method=NotificationMethod.EMAIL, now=now)


@pytest.mark.parametrize("count", [5, 60])
def test_the_list_needs_the_same_number_of_queries_at_any_size(client, lead, staff, registers, count, django_assert_max_num_queries):
    make_incidents(count, by=staff, lead=lead, registers=registers)
    signed_in(client, lead)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("incidents:index"), {"size": 100})
    assert response.status_code == 200
    assert response.content.decode().count('data-incident="INC-') == count


def test_the_list_shows_the_live_countdown_and_red_past_the_deadline(client, lead, report, time_machine):
    now = timezone.now().replace(second=0, microsecond=0)
    time_machine.move_to(now, tick=False)
    running = report(detected_at=now - timedelta(hours=2), now=now, title="Running clock")
    late = report(detected_at=now - timedelta(hours=30), now=now, title="Late clock")
    page = signed_in(client, lead).get(reverse("incidents:index")).content.decode()
    assert f'data-due="{running.notification_due_at.isoformat()}"' in page
    assert "due in 22 h" in page
    assert f'data-incident="{late.reference}" class="table-danger"' in page
    assert "countdown-overdue" in page and "overdue by 6 h" in page


def test_the_list_sorts_and_filters(client, lead, report, triage):
    now = timezone.now()
    a = triage(report(title="Alpha", now=now, detected_at=now - timedelta(hours=1)), now=now)
    report(title="Beta", now=now, detected_at=now - timedelta(hours=2))
    signed_in(client, lead)
    page = client.get(reverse("incidents:index"), {"sort": "title"}).content.decode()
    assert page.index("Alpha") < page.index("Beta")
    page = client.get(reverse("incidents:index"), {"sort": "-title"}).content.decode()
    assert page.index("Beta") < page.index("Alpha")
    page = client.get(reverse("incidents:index"), {"status": "reported"}).content.decode()
    assert "Beta" in page and "Alpha" not in page
    page = client.get(reverse("incidents:index"), {"q": a.reference}).content.decode()
    assert "Alpha" in page and "Beta" not in page


def test_an_empty_list_says_what_to_do_next(client, staff):
    page = signed_in(client, staff).get(reverse("incidents:index")).content.decode()
    assert "No incidents reported" in page and reverse("incidents:report") in page


def test_reporting_on_the_page_starts_the_clock(client, staff, time_machine):
    time_machine.move_to(timezone.now().replace(second=0, microsecond=0), tick=False)
    detected = timezone.now() - timedelta(hours=1)
    response = signed_in(client, staff).post(
        reverse("incidents:report"),
        {
            "title": "Phishing mail opened",
            "description": "Clicked a link",
            "detected_at": local_input(detected),
            "systems_involved": "mail",
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response.url == incident.get_absolute_url()
    assert open_obligation("incidents.amazon_notification", incident) is not None
    page = client.get(response.url).content.decode()
    assert "countdown" in page and "due in 23 h" in page


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_written(client, staff):
    future = timezone.now() + timedelta(hours=2)
    response = signed_in(client, staff).post(
        reverse("incidents:report"), {"title": "", "description": "x", "detected_at": local_input(future)}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-field-error="title"' in page and 'data-field-error="detected_at"' in page
    assert not Incident.objects.exists()


def test_the_incident_page_turns_red_past_the_deadline(client, lead, report):
    incident = report(detected_at=timezone.now() - timedelta(hours=25), now=timezone.now())
    page = signed_in(client, lead).get(incident.get_absolute_url()).content.decode()
    assert "clock-panel mb-3 overdue" in page and "countdown-overdue" in page


def test_triage_offers_the_types_of_the_approved_ir_plan(client, lead, report, approved_plan):
    incident = report(now=timezone.now())
    page = signed_in(client, lead).get(reverse("incidents:triage", args=[incident.pk])).content.decode()
    assert "Card skimming on the checkout" in page and "Malware or ransomware" not in page
    assert f"version {approved_plan.current_version.number}" in page


def test_triage_falls_back_to_the_built_in_types_without_an_approved_plan(client, lead, report):
    incident = report(now=timezone.now())
    page = signed_in(client, lead).get(reverse("incidents:triage", args=[incident.pk])).content.decode()
    assert "Malware or ransomware" in page and "No incident response plan is approved yet" in page


def test_the_notification_flow_on_the_pages(client, lead, report, triage, make_user):
    make_user("olga.petrova")
    incident = triage(report(now=timezone.now()), now=timezone.now())
    signed_in(client, lead)
    client.post(reverse("incidents:notification_build", args=[incident.pk]))
    draft = incident.__class__.objects.get(pk=incident.pk).amazon_notification
    url = reverse("incidents:notification", args=[incident.pk])
    response = client.post(
        url, {"subject": draft.subject, "body": draft.body + "\nSpotted by Olga Petrova (olga@example.org).", "action": "ready"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "a name from the people registry (Olga)" in page and "an email address (olga@example.org)" in page
    draft.refresh_from_db()
    assert draft.status == "draft" and "Olga" not in draft.body
    response = client.post(url, {"subject": draft.subject, "body": draft.body, "action": "ready"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "ready to send" in page and "mailto:3p-security@amazon.com" in page
    sent_at = timezone.now() - timedelta(minutes=5)
    response = client.post(
        reverse("incidents:notification_record", args=[incident.pk]),
        {"sent_at": local_input(sent_at), "method": "email", "amazon_reference": "SIR-77"},
    )
    assert response.status_code == 302
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "met on time" in page and "SIR-77" in page
    assert open_obligation("incidents.amazon_notification", incident) is None


def test_closing_is_refused_on_the_page_with_what_is_missing(client, lead, report, triage):
    incident = triage(report(now=timezone.now()), now=timezone.now())
    for step in (Status.CONTAINED, Status.ERADICATED, Status.RECOVERED):
        services.incident_advance(incident=incident, by=lead, target=step, now=timezone.now())
    signed_in(client, lead)
    response = client.post(reverse("incidents:advance", args=[incident.pk]), {"target": "closed"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "the remediation actions" in page and "the record of the notification to Amazon" in page
    assert Incident.objects.get(pk=incident.pk).status == Status.RECOVERED
    services.incident_update(incident=incident, by=lead, changes=COMPLETE, now=timezone.now())
    notify.notification_record(incident=incident, by=lead, sent_at=timezone.now(), method="email", now=timezone.now())
    assert client.post(reverse("incidents:advance", args=[incident.pk]), {"target": "closed"}).status_code == 302
    assert Incident.objects.get(pk=incident.pk).status == Status.CLOSED


def test_a_stale_step_button_does_not_skip_a_step(client, lead, report, triage):
    incident = triage(report(now=timezone.now()), now=timezone.now())
    response = signed_in(client, lead).post(reverse("incidents:advance", args=[incident.pk]), {"target": "eradicated"})
    assert response.status_code == 200 and "moved this incident on meanwhile" in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).status == Status.TRIAGED


def test_a_regulatory_notification_speaking_for_amazon_needs_amazons_written_request(client, lead, report):
    incident = report(now=timezone.now())
    url = reverse("incidents:regulatory_create", args=[incident.pk])
    data = {
        "authority": "Data protection authority",
        "notified_at": local_input(timezone.now()),
        "reference": "DPA-1",
        "on_behalf_of_amazon": "on",
    }
    response = signed_in(client, lead).post(url, data)
    assert response.status_code == 200 and 'data-field-error="amazon_written_request"' in response.content.decode()
    assert not incident.regulatory_notifications.exists()
    del data["on_behalf_of_amazon"]
    assert client.post(url, data).status_code == 302
    assert "Data protection authority" in client.get(incident.get_absolute_url()).content.decode()


def test_the_detail_page_is_audited_as_viewed(client, auditor, report):
    from grc.audit.models import AuditEvent

    incident = report(now=timezone.now())
    signed_in(client, auditor).get(incident.get_absolute_url())
    assert AuditEvent.objects.filter(action="incidents.incident.viewed", object_id=str(incident.pk)).exists()


def test_the_dashboard_reads_the_incident_clock_and_the_plan_review_from_the_engine(client, lead, report, approved_plan):
    incident = report(detected_at=timezone.now() - timedelta(hours=3), now=timezone.now())
    page = signed_in(client, lead).get(reverse("compliance:dashboard")).content.decode()
    assert f"{incident.reference}: notify Amazon within 24 h of detection" in page
    assert f'data-due="{incident.notification_due_at.isoformat()}"' in page
    calendar = client.get(reverse("compliance:calendar_list")).content.decode()
    assert "Review the incident response plan" in calendar

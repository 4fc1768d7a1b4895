"""Incidents link the systems register (access reviews) and the asset inventory; the notification
names them, and the free text covers anything in neither."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grc.audit.models import AuditEvent
from incidents import notify, services
from incidents.models import Incident
from tests.conftest import signed_in
from tests.incidents.conftest import NOW

pytestmark = pytest.mark.django_db


def test_a_report_links_systems_and_assets_and_the_draft_names_them(staff, lead, registers, triage):
    incident = services.incident_report(
        by=staff,
        title="Laptop stolen",
        description="From a car",
        detected_at=NOW - timedelta(hours=1),
        systems=[registers["system"]],
        assets=[registers["laptop"]],
        systems_involved="VPN concentrator",
        now=NOW,
    )
    assert list(incident.systems.all()) == [registers["system"]] and list(incident.assets.all()) == [registers["laptop"]]
    triage(incident)
    body = notify.notification_draft_build(incident=incident, by=lead, now=NOW).body
    assert "Affected systems: Order API, EP-0007 Staff laptop, VPN concentrator" in body
    event = AuditEvent.objects.get(action="incidents.incident.created")
    assert {"systems", "assets"} <= set(event.details["changed_fields"])


def test_the_investigation_changes_the_links_and_audits_their_names_only(report, lead, registers):
    incident = report()
    services.incident_update(
        incident=incident, by=lead, changes={"systems": [registers["system"]], "assets": [registers["server"]]}, now=NOW
    )
    incident = Incident.objects.get(pk=incident.pk)
    assert list(incident.assets.all()) == [registers["server"]]
    event = AuditEvent.objects.filter(action="incidents.incident.updated").get()
    assert event.details["changed_fields"] == ["assets", "systems"]


def test_staff_pick_among_their_own_assets_and_all_systems(client, staff, registers):
    page = signed_in(client, staff).get(reverse("incidents:report")).content.decode()
    assert "Order API" in page and "EP-0007 Staff laptop" in page and "SRV-0001" not in page


def test_the_report_page_saves_the_links(client, staff, registers):
    detected = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "title": "Stolen",
        "description": "x",
        "detected_at": detected,
        "systems": [registers["system"].pk],
        "assets": [registers["laptop"].pk],
    }
    assert signed_in(client, staff).post(reverse("incidents:report"), data).status_code == 302
    incident = Incident.objects.get()
    assert incident.systems.get() == registers["system"] and incident.assets.get() == registers["laptop"]


def test_linked_names_show_in_the_list(client, lead, staff, registers):
    services.incident_report(
        by=staff, title="Stolen", description="x", detected_at=timezone.now(), assets=[registers["laptop"]], now=timezone.now()
    )
    page = signed_in(client, lead).get(reverse("incidents:index")).content.decode()
    assert "EP-0007 Staff laptop" in page


@pytest.mark.parametrize("viewer", ["staff", "lead"])
def test_the_incident_page_shows_the_systems_and_assets_chosen_on_the_report_form(client, request, staff, registers, viewer):
    """Issue 23: from the report on (before any triage), for the reporter and the security lead."""
    now = timezone.now()
    incident = services.incident_report(
        by=staff,
        title="Stolen",
        description="x",
        detected_at=now - timedelta(hours=1),
        systems=[registers["system"]],
        assets=[registers["laptop"]],
        systems_involved="VPN concentrator",
        now=now,
    )
    response = signed_in(client, request.getfixturevalue(viewer)).get(incident.get_absolute_url())
    page = response.content.decode()
    shown = page.split('data-testid="incident-systems"', 1)[1].split("</dl>", 1)[0]
    assert "Order API" in shown and "EP-0007 Staff laptop" in shown and "VPN concentrator" in shown


def test_the_amazon_countdown_comes_right_after_the_title(client, lead, staff, registers):
    now = timezone.now()
    incident = services.incident_report(by=staff, title="Stolen", description="x", detected_at=now - timedelta(hours=1), now=now)
    page = signed_in(client, lead).get(incident.get_absolute_url()).content.decode()
    main = page.split('id="main"', 1)[1]
    clock = main.index('data-testid="amazon-clock"')
    assert main.index("<h1") < clock < main.index('data-testid="incident-actions"')
    assert "<section" not in main[main.index("</h1>") : clock].replace('<section class="card clock-panel', "")

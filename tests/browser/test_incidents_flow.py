"""A security lead runs an incident from report to close in Chromium (DPP 1.6): report, see the
live 24-hour countdown, triage, build the PII-free notification (the check refuses a name),
record it as sent, document the investigation, add evidence, step through the workflow, close;
then watch a running clock turn red without a reload."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from grc.compliance.services import open_obligation
from incidents.models import Incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LONDON = ZoneInfo("Europe/London")  # the visitor's browser zone (tests/browser/conftest.py)


def london_input(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def test_a_security_lead_runs_an_incident_from_report_to_close(visitor, lead, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    page = visitor.login(lead)
    page = visitor.goto("/incidents/")
    assert "No incidents reported" in page.content()
    visitor.shot("empty-list")

    # report
    page.get_by_role("link", name="Report an incident").first.click()
    page.fill("#id_title", "Suspicious exports from the order API")
    page.fill("#id_description", "The reporting token exported 240 pages of orders at 02:14 UTC from an unknown network.")
    page.fill("#id_detected_at", london_input(datetime.now(LONDON) - timedelta(hours=2)))
    page.fill("#id_systems_involved", "order API\nreporting service")
    visitor.shot("report-form")
    page.get_by_role("button", name="Report the incident").click()
    page.wait_for_url("**/incidents/*/")
    incident = Incident.objects.get()
    countdown = page.locator("[data-testid=amazon-clock] .countdown[data-due]")
    assert countdown.inner_text().startswith("due in 21 h")
    assert open_obligation("incidents.amazon_notification", incident) is not None
    visitor.shot("reported-with-countdown")

    # the list shows the clock too
    page = visitor.goto("/incidents/")
    assert page.locator(f"[data-incident={incident.reference}] .countdown[data-due]").inner_text().startswith("due in 21 h")
    visitor.shot("list-with-countdown")

    # the dashboard reads the clock from the obligation engine
    page = visitor.goto("/compliance/")
    assert incident.reference in page.locator("[data-testid=incident-clocks]").inner_text()
    visitor.shot("dashboard-clock")

    # triage
    page = visitor.goto(incident.get_absolute_url())
    page.get_by_role("link", name="Triage", exact=True).click()
    page.select_option("#id_incident_type", "Compromised credentials or account takeover")
    page.select_option("#id_severity", "high")
    page.check("input[name=amazon_involved][value=yes]")
    visitor.shot("triage-form")
    page.get_by_role("button", name="Save the triage").click()
    page.wait_for_url(f"**{incident.get_absolute_url()}")
    assert "Triaged" in page.locator("[data-testid=timeline]").inner_text()

    # investigation so far (actions go into the notification)
    page.get_by_role("link", name="Edit investigation").click()
    page.fill("#id_actions_taken", "Reporting token revoked; export endpoint blocked; logs preserved.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**{incident.get_absolute_url()}")

    # the notification draft: built from the record, refused with a name in it, then ready
    page.get_by_role("link", name="Prepare the notification").click()
    page.get_by_role("button", name="Build the notification from the record").click()
    body = page.locator("#id_body")
    assert "Detected at:" in body.input_value() and "Priya" not in body.input_value()
    visitor.shot("draft-built")
    body.fill(body.input_value() + "\nFirst noticed by Priya Shah.")
    page.get_by_role("button", name="Check and mark ready").click()
    assert "a name from the people registry (Priya)" in page.locator("[data-testid=pii-findings]").inner_text()
    visitor.shot("draft-refused-with-a-name")
    body.fill(body.input_value().replace("\nFirst noticed by Priya Shah.", ""))
    page.get_by_role("button", name="Check and mark ready").click()
    assert "ready to send" in page.locator("[data-testid=draft-status]").inner_text()
    assert page.get_by_role("link", name="Open in your email app").get_attribute("href").startswith("mailto:3p-security@amazon.com")
    visitor.shot("draft-ready")

    # record the sending
    page.get_by_role("link", name="Record it as sent").click()
    page.fill("#id_amazon_reference", "SIR-20991")
    visitor.shot("record-form")
    page.get_by_role("button", name="Record the notification").click()
    page.wait_for_url(f"**{incident.get_absolute_url()}")
    clock = page.locator("[data-testid=amazon-clock]")
    assert "met on time" in clock.inner_text() and "SIR-20991" in clock.inner_text()
    assert open_obligation("incidents.amazon_notification", incident) is None
    visitor.shot("notified")

    # evidence with its hash
    page.get_by_role("link", name="Add evidence").click()
    page.fill("#id_label", "API gateway log excerpt")
    log = tmp_path / "gateway.log"
    log.write_text("2027-03-10T02:14:09Z 200 POST /orders/export\n")
    page.set_input_files("#id_upload", str(log))
    page.get_by_role("button", name="Add the evidence").click()
    page.wait_for_url("**/incidents/evidence/*/")
    page.get_by_role("button", name="Re-verify the hash").click()
    assert "matches" in page.locator("[data-testid=verification]").inner_text()
    visitor.shot("evidence-and-custody")
    page.get_by_role("link", name=incident.reference).click()

    # closing is refused until the investigation is documented
    for label in ("Mark as contained", "Mark as eradicated", "Mark as recovered"):
        page.locator("[data-testid=advance]").click()
        page.get_by_role("button", name=label).click()
        page.wait_for_url(f"**{incident.get_absolute_url()}")
    page.locator("[data-testid=advance]").click()
    assert "the remediation actions" in page.locator("[data-testid=blockers]").inner_text()
    visitor.shot("close-refused")
    page.get_by_role("link", name="Edit the investigation").click()
    page.fill("#id_remediation_actions", "Rotated every service token; removed the export permission.")
    page.fill("#id_corrective_controls", "Tokens bound to our network range, 24-hour expiry, bulk-export alarm.")
    page.get_by_role("button", name="Save").click()
    page.locator("[data-testid=advance]").click()
    page.fill("#id_note", "Reviewed with the team.")
    page.get_by_role("button", name="Close the incident").click()
    page.wait_for_url(f"**{incident.get_absolute_url()}")
    incident.refresh_from_db()
    assert incident.status == "closed"
    timeline = page.locator("[data-testid=timeline]").inner_text()
    for step in ("Reported", "Triaged", "Contained", "Eradicated", "Recovered", "Closed", "Amazon notified"):
        assert step in timeline
    visitor.shot("closed-with-timeline")


def test_a_running_clock_turns_red_in_the_page_without_a_reload(visitor, lead, staff):
    from django.utils import timezone

    from incidents import services

    now = timezone.now()
    incident = services.incident_report(
        by=staff, title="Lost laptop", description="On the train", detected_at=now - timedelta(hours=23), now=now
    )
    visitor.login(lead)
    visitor.page.clock.install(time=now)
    page = visitor.goto(incident.get_absolute_url())
    panel = page.locator("[data-testid=amazon-clock]")
    assert panel.locator(".countdown").inner_text().startswith(("due in 1 h", "due in 59 min"))
    assert "overdue" not in (panel.get_attribute("class") or "")
    visitor.shot("clock-running")
    page.clock.run_for("01:05:00")
    assert panel.locator(".countdown").inner_text().startswith("overdue by")
    assert "overdue" in panel.get_attribute("class")
    assert "text-danger" in panel.locator(".countdown").get_attribute("class")
    visitor.shot("clock-red")

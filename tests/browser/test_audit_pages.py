"""The audit trail's pages in Chromium: the viewer with filters and keyset pages, an alarm raised by
repeated failed sign-ins and investigated to closure, canary records, the log review attestation,
and the auditor's read-only view (DPP 2.6)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from grc.audit.models import Alarm, AuditEvent, LogReview
from grc.audit.services import record_event
from grc.compliance.models import Requirement
from grc.compliance.requirements import load_requirements
from tests.accounts.conftest import post_password
from tests.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def trail(staff, manager):
    """Some history: 70 changes, then five wrong passwords for the staff member (an alarm)."""
    for n in range(70):
        record_event(
            "incidents.incident.updated",
            actor=manager,
            object_type="incidents.incident",
            object_id=str(n % 7),
            changed_fields=["severity"],
            channel="web",
        )
    for _ in range(5):
        post_password(Client(), staff.username, "Wrong-Password-1!", ip="203.0.113.7")
    return Alarm.objects.get(rule="failed_logins_user")


def test_the_lead_reads_the_trail_and_investigates_an_alarm(visitor, lead, trail):
    page = visitor.login(lead)
    page.locator("nav.portal-nav").get_by_role("link", name="Audit trail").click()
    page.wait_for_url("**/audit/")
    rows = page.locator("[data-testid=events-table] tbody tr")
    assert rows.count() == 50
    assert page.locator("[data-testid=active-alarms]").inner_text() == "1"
    visitor.shot("viewer")

    page.get_by_role("link", name="Older →").click()
    page.wait_for_load_state("networkidle")
    assert "before=" in page.url and rows.count() > 0
    visitor.shot("viewer-older")
    page.get_by_role("link", name="← Newer").click()
    page.wait_for_load_state("networkidle")

    page.select_option("#id_outcome", "failure")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state("networkidle")
    actions = page.locator("[data-testid=events-table] tbody tr td:nth-child(4)").all_inner_texts()
    assert actions and set(actions) <= {"accounts.login_failed", "accounts.locked_out", "audit.alarm.raised"}
    assert "accounts.login_failed" in actions
    visitor.shot("viewer-failures")

    page.get_by_role("link", name="Alarms").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=alarms-table] tbody tr").count() == 1
    visitor.shot("alarms")
    page.get_by_role("link", name="Repeated failed sign-ins for one account").click()
    page.wait_for_url(f"**/audit/alarms/{trail.pk}/")
    assert page.locator("[data-testid=events-table] tbody tr").count() == 5
    visitor.shot("alarm-open")

    page.select_option("#id_status", "investigating")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert "now investigating" in page.locator(".alert").first.inner_text()
    page.select_option("#id_status", "closed")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert "Say what was found" in page.locator("[data-field-error=note]").inner_text()
    visitor.shot("alarm-close-needs-note")
    page.select_option("#id_status", "closed")
    page.fill("#id_note", "Staff member had caps lock on; confirmed by phone. No incident.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert "caps lock" in page.locator("[data-testid=alarm-note]").inner_text()
    assert "A closed alarm stays closed" in page.content()
    visitor.shot("alarm-closed")
    assert Alarm.objects.get(pk=trail.pk).status == "closed"


def test_the_lead_marks_a_canary_and_records_a_log_review(visitor, lead, manager):
    load_requirements(Requirement)  # a transactional test's flush removed the migration's rows
    requirement = Requirement.objects.get(clause="2.6")
    page = visitor.login(lead)
    visitor.goto(reverse("audit:canaries"))
    visitor.shot("canaries-empty")
    page.select_option("#id_subject_type", "compliance.requirement")
    page.fill("#id_subject_id", str(requirement.pk))
    page.fill("#id_note", "Bait: nobody opens clause 2.6 from the catalogue")
    page.get_by_role("button", name="Mark as canary").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=canaries-table] tbody tr").count() == 1
    visitor.shot("canaries-marked")

    signed_in(Client(), manager).get(reverse("compliance:requirement", args=["2.6"]))
    visitor.goto(reverse("audit:alarms") + "?state=active")
    assert "Canary record accessed" in page.locator("[data-testid=alarms-table]").inner_text()
    visitor.shot("canary-alarm")

    page.get_by_role("link", name="Log reviews").click()
    page.wait_for_load_state("networkidle")
    visitor.shot("reviews-empty")
    page.get_by_role("link", name="Record a log review").first.click()
    page.wait_for_url("**/audit/reviews/new/")
    page.fill("#id_note", "Reviewed failures, denials, downloads and the canary alarm of the period.")
    visitor.shot("review-form")
    page.get_by_role("button", name="Record the review").click()
    page.wait_for_url("**/audit/reviews/")
    assert page.locator("[data-testid=reviews-table] tbody tr").count() == 1
    assert page.locator("[data-testid=review-obligation] .countdown").count() == 1
    visitor.shot("reviews")
    assert LogReview.objects.count() == 1


def test_the_auditor_reads_the_trail_and_alarms_without_changing_anything(visitor, auditor, trail):
    page = visitor.login(auditor)
    visitor.goto(reverse("audit:index"))
    assert "read-only" in page.locator("h1 + div").inner_text()
    assert page.get_by_role("button", name="Verify now").count() == 0
    assert page.get_by_role("link", name="Canary records").count() == 0
    visitor.shot("auditor-viewer")
    visitor.goto(trail.get_absolute_url())
    assert page.locator("[data-testid=alarm-status-form]").count() == 0
    visitor.shot("auditor-alarm")
    with page.expect_download() as download:
        visitor.goto(reverse("audit:index"))
        page.get_by_test_id("export-csv").click()
    assert download.value.suggested_filename.startswith("audit-trail-")
    assert AuditEvent.objects.filter(action="download", actor_id=auditor.pk).exists()

"""Vulnerability management (DPP 2.7): scan and pen-test cadences with the clock moved, release
scans due at the release date, findings due by severity, and the audited report files."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assets.models import Finding, ScanResult, VulnerabilityScan
from assets.obligations import FindingProvider, check_vulnerability_management
from assets.rules import DEFAULT_FINDING_DUE_DAYS, finding_due_at
from assets.services.vulns import finding_create, finding_resolve, pentest_record, release_create, release_record_result, scan_record
from grc.audit.models import AuditEvent
from grc.compliance.models import Obligation
from grc.compliance.services import obligations_for, open_obligation
from tests.assets.conftest import NOW, client_for

pytestmark = pytest.mark.django_db

COUNTS = {"critical_count": 0, "high_count": 1, "medium_count": 2, "low_count": 3}
SCAN_DATA = {"tool": "Nessus", "scope": "prod VPC", **COUNTS}
TEST_DATA = {"tester": "Northbeam", "scope": "orders API", "summary": "", **COUNTS}


def record_scan(lead, when, now=None, **extra):
    return scan_record(data={**SCAN_DATA, "performed_at": when, **extra}, by=lead, now=now or when)


@pytest.mark.parametrize(("severity", "days"), [("critical", 15), ("high", 30), ("medium", 90), ("low", 180)])
def test_a_finding_is_due_by_its_severity(severity, days):
    assert finding_due_at(severity, NOW, DEFAULT_FINDING_DUE_DAYS) == NOW + timedelta(days=days)


def test_an_unknown_severity_has_no_due_date():
    with pytest.raises(ValueError):
        finding_due_at("catastrophic", NOW)


def test_the_due_days_come_from_the_setting(lead, settings):
    settings.ASSETS_FINDING_DUE_DAYS = {"critical": 7, "high": 14, "medium": 60, "low": 120}
    finding = finding_create(data={"title": "RCE", "severity": "critical", "owner": lead, "found_at": NOW}, by=lead, now=NOW)
    assert finding.due_at == NOW + timedelta(days=7)
    obligation = open_obligation("assets.finding_fix", finding)
    assert obligation.due_at == finding.due_at and obligation.owner == lead and obligation.clause == "2.7"


def test_a_changed_setting_re_dates_open_findings_on_resync(lead, settings):
    finding = finding_create(data={"title": "XSS", "severity": "high", "owner": lead, "found_at": NOW}, by=lead, now=NOW)
    settings.ASSETS_FINDING_DUE_DAYS = {**DEFAULT_FINDING_DUE_DAYS, "high": 20}
    assert FindingProvider().resync(now=NOW) == 1
    finding.refresh_from_db()
    assert finding.due_at == NOW + timedelta(days=20)
    assert open_obligation("assets.finding_fix", finding).due_at == NOW + timedelta(days=20)


def test_fixing_a_finding_completes_its_obligation_and_accepting_waives_it(lead):
    fixed = finding_create(data={"title": "Old TLS", "severity": "medium", "owner": lead, "found_at": NOW}, by=lead, now=NOW)
    finding_resolve(finding=fixed, status="fixed", note="TLS 1.2 only now", by=lead, now=NOW + timedelta(days=5))
    done = obligations_for(fixed, "assets.finding_fix").get()
    assert done.completed_at == NOW + timedelta(days=5) and done.status_at(NOW + timedelta(days=6)) == "met"
    accepted = finding_create(data={"title": "Banner", "severity": "low", "owner": lead, "found_at": NOW}, by=lead, now=NOW)
    with pytest.raises(ValidationError):
        finding_resolve(finding=accepted, status="accepted", note=" ", by=lead, now=NOW)
    finding_resolve(finding=accepted, status="accepted", note="no exposure; agreed by the lead", by=lead, now=NOW)
    assert obligations_for(accepted, "assets.finding_fix").get().waived_reason == "risk accepted"
    with pytest.raises(ValidationError):
        finding_resolve(finding=accepted, status="fixed", note="", by=lead, now=NOW)


def test_a_finding_fixed_late_is_met_late(lead):
    finding = finding_create(data={"title": "SQLi", "severity": "critical", "owner": lead, "found_at": NOW}, by=lead, now=NOW)
    assert finding.is_overdue(NOW + timedelta(days=16))
    finding_resolve(finding=finding, status="fixed", note="", by=lead, now=NOW + timedelta(days=16))
    assert obligations_for(finding, "assets.finding_fix").get().status_at(NOW + timedelta(days=20)) == "met_late"


def test_a_scan_restarts_the_180_day_clock_and_the_clock_runs_out(lead, time_machine):
    time_machine.move_to(NOW, tick=False)
    record_scan(lead, NOW - timedelta(days=10), now=NOW)
    obligation = open_obligation("assets.vulnerability_scan", None)
    assert obligation.due_at == NOW + timedelta(days=170)
    assert check_vulnerability_management(NOW).status == "not_met"  # no pen test yet
    pentest_record(data={**TEST_DATA, "performed_at": NOW - timedelta(days=5)}, by=lead, now=NOW)
    assert check_vulnerability_management(NOW).status == "met"
    time_machine.move_to(NOW + timedelta(days=171), tick=False)
    assert obligation.status_at(NOW + timedelta(days=171)) == "overdue"
    result = check_vulnerability_management(NOW + timedelta(days=171))
    assert result.status == "not_met" and "vulnerability scan overdue" in result.reason
    assert "last vulnerability scan 181 days ago (every 180 days)" in result.reason


def test_the_next_scan_completes_the_open_obligation_and_opens_the_next(lead, time_machine):
    time_machine.move_to(NOW, tick=False)
    record_scan(lead, NOW - timedelta(days=170), now=NOW)
    first = open_obligation("assets.vulnerability_scan", None)
    record_scan(lead, NOW, now=NOW)
    assert Obligation.objects.get(pk=first.pk).completed_at == NOW
    assert open_obligation("assets.vulnerability_scan", None).due_at == NOW + timedelta(days=180)
    record_scan(lead, NOW - timedelta(days=50), now=NOW)  # an older report recorded late changes nothing
    assert open_obligation("assets.vulnerability_scan", None).due_at == NOW + timedelta(days=180)


def test_a_pen_test_is_due_every_365_days(lead, time_machine):
    time_machine.move_to(NOW, tick=False)
    pentest_record(data={**TEST_DATA, "performed_at": NOW - timedelta(days=300)}, by=lead, now=NOW)
    obligation = open_obligation("assets.penetration_test", None)
    assert obligation.due_at == NOW + timedelta(days=65)
    assert obligation.status_at(NOW + timedelta(days=40)) == "due_soon"
    assert obligation.status_at(NOW + timedelta(days=66)) == "overdue"


def test_a_scan_in_the_future_is_refused(lead):
    with pytest.raises(ValidationError) as error:
        record_scan(lead, NOW + timedelta(days=1), now=NOW)
    assert "performed_at" in error.value.message_dict
    assert not VulnerabilityScan.objects.exists()


def plan_release(lead, release_date, **extra):
    data = {
        "release_name": "sync service",
        "version": "4.0",
        "release_date": release_date,
        "owner": lead,
        "result": "pending",
        "scanned_at": None,
        "tool": "",
        "blocking_findings": 0,
        **extra,
    }
    return release_create(data=data, by=lead, now=NOW)


def test_a_release_scan_is_due_at_the_release_date(lead, time_machine):
    time_machine.move_to(NOW, tick=False)
    release = plan_release(lead, NOW + timedelta(days=5))
    obligation = open_obligation("assets.release_scan", release)
    assert obligation.due_at == NOW + timedelta(days=5)
    assert obligation.status_at(NOW + timedelta(days=3)) == "due_soon"
    assert obligation.status_at(NOW + timedelta(days=6)) == "overdue"
    assert check_vulnerability_management(NOW + timedelta(days=6)).reason.startswith("no vulnerability scan recorded")
    assert "1 release past the release date without a code scan" in check_vulnerability_management(NOW + timedelta(days=6)).reason
    release_record_result(
        release=release,
        data={"scanned_at": NOW + timedelta(days=4), "tool": "Semgrep", "result": "pass", "blocking_findings": 0},
        by=lead,
        now=NOW + timedelta(days=4),
    )
    assert Obligation.objects.get(pk=obligation.pk).status_at(NOW + timedelta(days=6)) == "met"


def test_a_release_scanned_after_its_date_is_met_late_and_a_fail_needs_its_facts(lead):
    release = plan_release(lead, NOW - timedelta(days=1))
    with pytest.raises(ValidationError) as error:
        release_record_result(
            release=release, data={"scanned_at": None, "tool": "", "result": "fail", "blocking_findings": 2}, by=lead, now=NOW
        )
    assert {"scanned_at", "tool"} <= set(error.value.message_dict)
    release_record_result(
        release=release, data={"scanned_at": NOW, "tool": "Snyk", "result": "fail", "blocking_findings": 2}, by=lead, now=NOW
    )
    release.refresh_from_db()
    assert release.result == ScanResult.FAIL and not release.scanned_before_release
    assert obligations_for(release, "assets.release_scan").get().status_at(NOW) == "met_late"


def test_the_same_release_version_is_recorded_once(lead):
    plan_release(lead, NOW + timedelta(days=5))
    with pytest.raises(ValidationError):
        plan_release(lead, NOW + timedelta(days=6))


def test_a_report_is_stored_with_its_hash_and_downloaded_only_through_an_audited_view(lead, auditor, staff, media_root):
    content = b"%PDF-1.4 scan report"
    report = SimpleUploadedFile("nessus-march.pdf", content, content_type="application/pdf")
    scan = scan_record(data={**SCAN_DATA, "performed_at": NOW}, report=report, by=lead, now=NOW)
    assert scan.report_sha256 == hashlib.sha256(content).hexdigest()
    assert str(media_root) in scan.report.path and "nessus-march" not in scan.report.name  # stored under a random name
    url = reverse("assets:report_download", args=["scan", scan.pk])
    response = client_for(auditor).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == content
    assert response["Content-Disposition"].startswith("attachment") and "nessus-march.pdf" in response["Content-Disposition"]
    assert AuditEvent.objects.filter(action="download", object_id=str(scan.pk), details__what="report").count() == 1
    assert client_for(staff).get(url).status_code == 403
    assert client_for(lead).get(reverse("assets:report_download", args=["nothing", scan.pk])).status_code == 404


def test_a_report_of_the_wrong_type_is_refused_next_to_the_field(lead_client):
    response = lead_client.post(
        reverse("assets:scan_create"),
        {**SCAN_DATA, "performed_at": "2027-03-01T10:00", "report_file": SimpleUploadedFile("run.exe", b"MZ")},
    )
    assert response.status_code == 200 and 'data-field-error="report_file"' in response.content.decode()
    assert not VulnerabilityScan.objects.exists()


def test_findings_are_added_from_a_scan_page(lead, lead_client, make_asset):
    asset = make_asset("endpoint")
    yesterday = timezone.localtime() - timedelta(days=1)
    scan = record_scan(lead, yesterday, now=timezone.now())
    response = lead_client.post(
        reverse("assets:finding_create") + f"?scan={scan.pk}",
        {
            "title": "Weak ciphers",
            "reference": "n-1",
            "severity": "high",
            "asset": asset.pk,
            "owner": lead.pk,
            "found_at": f"{yesterday:%Y-%m-%dT%H:%M}",
        },
    )
    assert response.status_code == 302 and response.url == reverse("assets:scan_detail", args=[scan.pk])
    finding = Finding.objects.get()
    assert finding.scan == scan and finding.due_at - finding.found_at == timedelta(days=30)
    page = lead_client.get(reverse("assets:scan_detail", args=[scan.pk])).content.decode()
    assert "Weak ciphers" in page


def test_the_overview_and_finding_list_show_overdue_findings(lead, manager_client):
    now = timezone.now()
    finding_create(
        data={"title": "regreSSHion", "severity": "high", "owner": lead, "found_at": now - timedelta(days=150)}, by=lead, now=now
    )
    overview = manager_client.get(reverse("assets:vulnerabilities")).content.decode()
    assert "regreSSHion" in overview and "overdue by" in overview
    listed = manager_client.get(reverse("assets:findings") + "?status=overdue").content.decode()
    assert "regreSSHion" in listed
    assert "Add a finding" not in listed  # managers read only


def test_a_new_severity_re_dates_a_finding_and_its_obligation(lead, lead_client):
    found = timezone.localtime() - timedelta(days=2)
    finding = finding_create(
        data={"title": "Weak ciphers", "severity": "low", "owner": lead, "found_at": found}, by=lead, now=timezone.now()
    )
    form = {
        "title": "Weak ciphers",
        "reference": "",
        "severity": "critical",
        "asset": "",
        "owner": lead.pk,
        "found_at": f"{found:%Y-%m-%dT%H:%M}",
    }
    response = lead_client.post(reverse("assets:finding_edit", args=[finding.pk]), form)
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.severity == "critical" and finding.due_at == finding.found_at + timedelta(days=15)
    assert open_obligation("assets.finding_fix", finding).due_at == finding.due_at
    assert "severity" in AuditEvent.objects.get(action="assets.finding.updated").details["changed_fields"]

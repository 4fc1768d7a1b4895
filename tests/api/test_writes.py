"""Write endpoints call the apps' own services: people (terminations open the 24-hour tasks),
assets, vulnerability scans and findings, release code scans, incident reports. Each write is in
the audit trail with the token id, as the service's own event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from access_reviews.models import DeprovisionTask, Person
from assets.models import Asset, Finding, ReleaseScan, VulnerabilityScan
from grc.audit.models import AuditEvent
from grc.compliance.models import Obligation
from grc.compliance.services import open_obligation
from incidents.models import Incident
from tests.api.conftest import error_fields

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def ago(**delta) -> str:
    return (timezone.now() - timedelta(**delta)).isoformat()


def service_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("id")


# --- people ----------------------------------------------------------------------------------------
def test_it_creates_and_changes_a_person(lead_api, registry):
    created = lead_api.post(
        "/api/v1/people/",
        {"person_id": "E2001", "first_name": "Ada", "last_name": "Byron", "email": "ada@example.test", "manager": "E1001"},
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["manager"] == "E1001" and body["status"] == "active"
    event = service_event("access_reviews.person.created")
    assert event.channel == "api" and event.details["token_id"]
    changed = lead_api.patch(f"/api/v1/people/{body['id']}/", {"department": "Finance"})
    assert changed.status_code == 200 and changed.json()["department"] == "Finance"
    assert service_event("access_reviews.person.updated").details["changed_fields"] == ["department"]


def test_it_terminates_a_person_and_opens_the_24_hour_tasks(lead_api, registry):
    account = registry.account("lee.wong", registry.staff_person)
    terminated_at = timezone.now() - timedelta(hours=2)
    response = lead_api.post(f"/api/v1/people/{registry.staff_person.pk}/terminate/", {"terminated_at": terminated_at.isoformat()})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["tasks_opened"] == 1 and body["person"]["status"] == "terminated"
    task = DeprovisionTask.objects.get(pk=body["task_ids"][0])
    assert task.account == account and task.due_at == terminated_at + timedelta(hours=24)
    assert open_obligation("access_reviews.deprovision", task) is not None
    again = lead_api.post(f"/api/v1/people/{registry.staff_person.pk}/terminate/", {"terminated_at": terminated_at.isoformat()})
    assert again.status_code == 400 and "already terminated" in again.json()["errors"][0]["reason"]


def test_a_termination_in_the_future_is_refused(lead_api, registry):
    response = lead_api.post(f"/api/v1/people/{registry.staff_person.pk}/terminate/", {"terminated_at": ago(hours=-3)})
    assert response.status_code == 400 and "terminated_at" in error_fields(response)
    assert Person.objects.get(pk=registry.staff_person.pk).status == "active"


# --- assets ------------------------------------------------------------------------------------------
def test_it_adds_changes_and_retires_an_asset(lead_api, lead):
    body = {
        "tag": "LT-0042",
        "name": "Finance laptop",
        "kind": "hardware",
        "owner": lead.username,
        "hardware_type": "laptop",
        "ownership": "company",
        "encryption_algorithm": "aes",
        "encryption_key_bits": 256,
        "vendor": "ignored for hardware",
    }
    created = lead_api.post("/api/v1/assets/", body)
    assert created.status_code == 201, created.json()
    asset = Asset.objects.get(tag="LT-0042")
    assert asset.vendor == ""  # the service clears fields of other kinds
    assert created.json()["flags"] == asset.flags_at(timezone.now()) and len(created.json()["flags"]) == asset.flag_count > 0
    changed = lead_api.patch(f"/api/v1/assets/{asset.pk}/", {"anti_malware_present": True, "anti_malware_updated": True})
    assert changed.status_code == 200
    assert Asset.objects.get(pk=asset.pk).anti_malware_present
    retired = lead_api.post(f"/api/v1/assets/{asset.pk}/retire/")
    assert retired.status_code == 200 and retired.json()["retired_at"]
    assert lead_api.get("/api/v1/assets/", {"state": "active"}).json()["results"] == []


def test_an_asset_missing_its_kinds_fields_is_refused(lead_api, lead):
    response = lead_api.post("/api/v1/assets/", {"tag": "LT-1", "name": "x", "kind": "hardware", "owner": lead.username})
    assert response.status_code == 400 and {"hardware_type", "ownership"} <= set(error_fields(response))
    assert not Asset.objects.exists()


def test_a_data_store_with_its_details(lead_api, lead):
    body = {
        "tag": "DS-1",
        "name": "Orders DB",
        "kind": "data_store",
        "owner": lead.username,
        "holds_pii": True,
        "encryption_algorithm": "aes",
        "encryption_key_bits": 256,
        "data_store": {"store_type": "database", "pii_retention_days": 30, "live": True},
    }
    created = lead_api.post("/api/v1/assets/", body)
    assert created.status_code == 201, created.json()
    store_id = created.json()["data_store"]
    store = lead_api.get(f"/api/v1/data-stores/{store_id}/").json()
    assert store["tag"] == "DS-1" and store["pii_retention_days"] == 30
    wrong = lead_api.post("/api/v1/assets/", {**body, "tag": "SW-1", "kind": "software", "data_store": {"live": True}})
    assert wrong.status_code == 400 and "data_store" in error_fields(wrong)


# --- vulnerabilities ---------------------------------------------------------------------------------
def test_a_scanner_pushes_a_scan_with_its_findings(lead_api, lead):
    lead_api.post("/api/v1/assets/", {"tag": "SRV-1", "name": "web", "kind": "software", "owner": lead.username})
    body = {
        "performed_at": ago(hours=3),
        "tool": "OpenVAS 23",
        "scope": "prod VPC 10.0.0.0/16",
        "assets": ["SRV-1"],
        "findings": [
            {"title": "OpenSSH 8.2 CVE-2023-38408", "reference": "CVE-2023-38408", "severity": "critical", "asset": "SRV-1"},
            {"title": "TLS 1.0 enabled", "severity": "medium"},
            {"title": "Weak cipher", "severity": "medium"},
        ],
    }
    response = lead_api.post("/api/v1/vulnerability-scans/", body)
    assert response.status_code == 201, response.json()
    scan = VulnerabilityScan.objects.get()
    assert (scan.critical_count, scan.high_count, scan.medium_count, scan.low_count) == (1, 0, 2, 0)
    assert list(scan.assets.values_list("tag", flat=True)) == ["SRV-1"]
    critical = Finding.objects.get(severity="critical")
    assert critical.due_at - critical.found_at == timedelta(days=15) and critical.scan == scan
    assert len(response.json()["finding_ids"]) == 3
    assert open_obligation("assets.finding_fix", critical) is not None
    assert Obligation.objects.filter(kind="assets.vulnerability_scan", completed_at__isnull=True).exists()
    assert service_event("assets.vulnerabilityscan.created").details["token_id"]


def test_a_finding_is_resolved(lead_api, lead):
    created = lead_api.post("/api/v1/findings/", {"title": "XSS in search", "severity": "high", "found_at": ago(days=1)})
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    refused = lead_api.post(f"/api/v1/findings/{pk}/resolve/", {"status": "accepted"})
    assert refused.status_code == 400 and "note" in error_fields(refused)
    fixed = lead_api.post(f"/api/v1/findings/{pk}/resolve/", {"status": "fixed", "note": "patched in 2.3.1"})
    assert fixed.status_code == 200 and fixed.json()["status"] == "fixed"
    assert open_obligation("assets.finding_fix", Finding.objects.get(pk=pk)) is None


def test_a_ci_pipeline_records_a_release_and_its_code_scan(lead_api, lead):
    planned = lead_api.post("/api/v1/release-scans/", {"release_name": "seller-app", "version": "2.4.0", "release_date": ago(hours=-48)})
    assert planned.status_code == 201, planned.json()
    release = ReleaseScan.objects.get()
    assert open_obligation("assets.release_scan", release) is not None
    result = lead_api.post(
        f"/api/v1/release-scans/{release.pk}/result/",
        {"scanned_at": ago(minutes=5), "tool": "semgrep", "result": "pass", "blocking_findings": 0},
    )
    assert result.status_code == 200 and result.json()["result"] == "pass" and result.json()["scanned_before_release"]
    assert open_obligation("assets.release_scan", release) is None
    duplicate = lead_api.post("/api/v1/release-scans/", {"release_name": "seller-app", "version": "2.4.0", "release_date": ago(hours=-48)})
    assert duplicate.status_code == 400 and "version" in error_fields(duplicate)


def test_a_scanned_release_with_findings_in_one_call(lead_api):
    body = {
        "release_name": "seller-app",
        "version": "2.5.0",
        "release_date": ago(hours=-2),
        "result": "fail",
        "scanned_at": ago(minutes=10),
        "tool": "semgrep",
        "blocking_findings": 1,
        "findings": [{"title": "SQL injection in export", "severity": "high"}],
    }
    response = lead_api.post("/api/v1/release-scans/", body)
    assert response.status_code == 201, response.json()
    assert Finding.objects.get().release_scan_id == response.json()["id"]
    missing = lead_api.post("/api/v1/release-scans/", {**body, "version": "2.5.1", "tool": "", "findings": []})
    assert missing.status_code == 400 and "tool" in error_fields(missing)


# --- incidents ---------------------------------------------------------------------------------------
def test_an_incident_report_starts_the_24_hour_clock(lead_api, registry):
    detected = timezone.now() - timedelta(hours=1)
    response = lead_api.post(
        "/api/v1/incidents/",
        {
            "title": "Impossible travel alert",
            "description": "SIEM rule 42 fired",
            "detected_at": detected.isoformat(),
            "systems": ["Order DB"],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    incident = Incident.objects.get(pk=body["id"])
    assert body["reference"] == incident.reference and body["systems"] == ["Order DB"]
    assert "description" not in body
    obligation = open_obligation("incidents.amazon_notification", incident)
    assert obligation.due_at == incident.detected_at + timedelta(hours=24)
    unknown = lead_api.post(
        "/api/v1/incidents/", {"title": "x", "description": "y", "detected_at": detected.isoformat(), "systems": ["No such system"]}
    )
    assert unknown.status_code == 400 and "systems" in error_fields(unknown)

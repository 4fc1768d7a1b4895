"""POST /api/v1/vulnerability-scans/import/ (issue 24): a scanner's own report as multipart or as
the raw body with its content type; idempotent; bad files a JSON 4xx with nothing written; the
stored report (with its SHA-256) reaches the evidence pack's ZIP and manifest."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assets.models import Finding, VulnerabilityScan
from assets.services.programme import FINDING_FIX
from grc.compliance.models import Obligation

URL = "/api/v1/vulnerability-scans/import/"
SAMPLES = Path(__file__).parents[1] / "assets" / "scan_samples"
TRIVY = SAMPLES / "trivy.json"
RAW_TYPES = {".json": "application/json", ".sarif": "application/sarif+json", ".nessus": "application/xml", ".csv": "text/csv"}
SAMPLE_FILES = sorted(path for path in SAMPLES.glob("*") if path.suffix in RAW_TYPES) if SAMPLES.exists() else []


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def counts() -> tuple[int, int, int]:
    return VulnerabilityScan.objects.count(), Finding.objects.count(), Obligation.objects.filter(kind=FINDING_FIX).count()


def recent_trivy(days_ago: int = 1) -> bytes:
    report = json.loads(TRIVY.read_bytes())
    report["CreatedAt"] = (timezone.now() - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(report).encode()


def raw(api, data: bytes, content_type: str, query: str = ""):
    return api.client.post(f"{URL}{query}", data, content_type=content_type, **api.headers())


def test_a_trivy_report_posted_as_multipart_becomes_a_scan_with_findings(lead_api):
    data = TRIVY.read_bytes()
    upload = SimpleUploadedFile("trivy.json", data, content_type="application/json")
    response = lead_api.client.post(URL, {"file": upload, "format": "trivy", "full_scope": "true"}, **lead_api.headers())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["summary"]["created"] == 8 and body["summary"]["informational"] == 1
    assert body["scan"]["format"] == "trivy" and body["scan"]["full_scope"] is True
    assert body["scan"]["report_sha256"] == hashlib.sha256(data).hexdigest() and body["scan"]["info_count"] == 1
    assert len(body["scan"]["finding_ids"]) == 8
    assert body["summary"]["unmatched_targets"] == ["registry.example.com/shop/checkout-api:1.8.2"]


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[path.name for path in SAMPLE_FILES])
def test_every_sample_posted_as_its_raw_body_imports_and_a_second_post_adds_nothing(lead_api, path):
    data = path.read_bytes()
    response = raw(lead_api, data, RAW_TYPES[path.suffix], f"?format=auto&filename={path.name}")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["summary"]["created"] == len(body["scan"]["finding_ids"]) > 0
    assert body["scan"]["report_sha256"] == hashlib.sha256(data).hexdigest()
    scan = VulnerabilityScan.objects.get(pk=body["scan"]["id"])
    assert scan.report_name == path.name and scan.report.read() == data
    before = counts()
    again = raw(lead_api, data, RAW_TYPES[path.suffix], "?format=auto")
    assert again.status_code == 200 and again.json()["summary"]["already_imported"] is True
    assert again.json()["summary"]["created"] == 0 and counts() == before


def test_a_raw_body_names_its_format_and_assets_in_the_query(lead_api, lead):
    from assets.services.inventory import asset_create

    asset = asset_create(
        data={"tag": "SW-0001", "name": "Checkout", "kind": "software", "owner": lead, "environment": "production"},
        by=lead,
        now=timezone.now(),
    )
    response = raw(lead_api, TRIVY.read_bytes(), "application/octet-stream", "?format=trivy&assets=SW-0001&scope=checkout")
    assert response.status_code == 201, response.content
    assert response.json()["scan"]["assets"] == [asset.tag] and response.json()["scan"]["scope"] == "checkout"
    unknown = raw(lead_api, recent_trivy(), "application/json", "?assets=NOPE-1")
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "assets"


@pytest.mark.parametrize(
    ("data", "content_type", "query", "field"),
    [
        (TRIVY.read_bytes()[:400], "application/json", "", "file"),
        (TRIVY.read_bytes(), "application/json", "?format=nessus_xml", "file"),
        (TRIVY.read_bytes(), "application/json", "?format=excel", "format"),
        (b"x" * (20 * 1024 * 1024), "application/octet-stream", "", "file"),
    ],
    ids=["truncated", "wrong-preset", "unknown-format", "20MB-junk"],
)
def test_a_bad_report_is_a_json_400_with_the_reason_and_nothing_written(lead_api, data, content_type, query, field):
    response = raw(lead_api, data, content_type, query)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errors"][0]["field"] == field and body["errors"][0]["reason"]
    assert counts() == (0, 0, 0)


def test_a_report_over_the_import_limit_is_a_413_and_nothing_written(lead_api, settings):
    settings.SCAN_IMPORT_MAX_BYTES = 10 * 1024 * 1024
    response = raw(lead_api, b" " * (20 * 1024 * 1024), "application/json")
    assert response.status_code == 413 and response.json()["error"] == "body_too_large"
    upload = SimpleUploadedFile("big.json", b" " * (11 * 1024 * 1024), content_type="application/json")
    multipart = lead_api.client.post(URL, {"file": upload}, **lead_api.headers())
    assert multipart.status_code == 413
    assert counts() == (0, 0, 0)


def test_other_content_types_are_a_415_and_reading_tokens_cannot_import(lead_api, lead, token_for, api):
    response = raw(lead_api, b"<html></html>", "text/html")
    assert response.status_code == 415 and "multipart/form-data" in response.json()["detail"]
    _token, key = token_for(lead, "vulnerabilities:read")
    assert raw(api(key), TRIVY.read_bytes(), "application/json").status_code == 403
    assert counts() == (0, 0, 0)


def test_the_json_scan_push_still_works_beside_the_import(lead_api):
    body = {"performed_at": timezone.now().isoformat(), "tool": "manual", "scope": "office", "findings": []}
    assert lead_api.post("/api/v1/vulnerability-scans/", body).status_code == 201


def test_the_imported_report_is_in_the_evidence_pack_zip_and_manifest(lead_api, lead):
    from tests.evidence.conftest import build_pack

    data = recent_trivy()
    response = raw(lead_api, data, "application/json", "?filename=trivy.json")
    assert response.status_code == 201
    scan_id = response.json()["scan"]["id"]
    pack = build_pack(by=lead, clauses=["2.7"], days=30)
    digest = hashlib.sha256(data).hexdigest()
    entries = [entry for entry in pack.manifest["attachments"] if f"scan-{scan_id}-" in entry["path"]]
    assert len(entries) == 1 and entries[0]["sha256"] == entries[0]["recorded_sha256"] == digest
    with zipfile.ZipFile(pack.zip.open("rb")) as archive:
        name = next(name for name in archive.namelist() if name.endswith(entries[0]["path"]))
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest


def test_a_json_scan_push_keeps_its_body_as_the_report_and_pushing_it_again_adds_nothing(lead_api):
    body = {
        "performed_at": (timezone.now() - timedelta(hours=2)).isoformat(),
        "tool": "OpenVAS 23",
        "scope": "prod",
        "findings": [
            {"title": "TLS 1.0 enabled", "severity": "medium"},
            {"title": "OpenSSH", "reference": "CVE-2023-38408", "severity": "high"},
            {"title": "Banner", "severity": "info"},
        ],
    }
    first = lead_api.post("/api/v1/vulnerability-scans/", body)
    assert first.status_code == 201, first.content
    assert len(first.json()["report_sha256"]) == 64 and first.json()["info_count"] == 1
    scan = VulnerabilityScan.objects.get()
    assert scan.report_sha256 == hashlib.sha256(scan.report.read()).hexdigest()
    before = counts()
    assert before == (1, 3, 2)  # the informational finding has no fix obligation
    again = lead_api.post("/api/v1/vulnerability-scans/", body)
    assert again.status_code == 200 and again.json()["id"] == scan.pk and counts() == before
    later = {**body, "performed_at": (timezone.now() - timedelta(hours=1)).isoformat()}
    later["findings"] = [*body["findings"][:1], {**body["findings"][1], "severity": "critical"}]
    pushed = lead_api.post("/api/v1/vulnerability-scans/", later)
    assert pushed.status_code == 201 and counts() == (2, 3, 2)
    raised = Finding.objects.get(reference="CVE-2023-38408")
    assert raised.severity == "critical" and raised.last_seen_scan_id == pushed.json()["id"]
    assert Obligation.objects.get(kind=FINDING_FIX, subject_id=str(raised.pk), completed_at__isnull=True).due_at == raised.due_at

"""Importing scanner reports (issue 24, DPP 2.7): findings from the file, matched to assets,
idempotent by fingerprint, fixed by absence from a later full-scope scan, informational kept,
unmatched targets assignable, and bad files refused with nothing written."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from assets.models import Finding, FindingStatus, VulnerabilityScan
from assets.scanners import FORMATS
from assets.selectors import vulnerability_summary
from assets.services.programme import FINDING_FIX
from assets.services.scan_import import asset_index, match_target, scan_import, scan_target_assign, scope_key
from grc.audit.models import AuditEvent
from grc.compliance.models import Obligation
from grc.kit.questionnaire.claims import findings_claims
from tests.assets.conftest import NOW

SAMPLES = Path(__file__).parent / "scan_samples"
TRIVY = SAMPLES / "trivy.json"
IMAGE = "registry.example.com/shop/checkout-api:1.8.2"


def trivy(drop: tuple[str, ...] = (), created: str = "2027-03-01T09:00:00Z", target: str | None = None) -> bytes:
    """The Trivy sample without the vulnerabilities ``drop``, dated ``created``."""
    report = json.loads(TRIVY.read_bytes())
    report["CreatedAt"] = created
    if target:
        report["ArtifactName"] = target
    for result in report["Results"]:
        if target:
            result["Target"] = result["Target"].replace(IMAGE, target)
        if "Vulnerabilities" in result:
            result["Vulnerabilities"] = [v for v in result["Vulnerabilities"] if v["VulnerabilityID"] not in drop]
    return json.dumps(report).encode()


def counts() -> tuple[int, int, int]:
    return VulnerabilityScan.objects.count(), Finding.objects.count(), Obligation.objects.filter(kind=FINDING_FIX).count()


def open_fix_obligations() -> int:
    return Obligation.objects.filter(kind=FINDING_FIX, completed_at__isnull=True).count()


@pytest.fixture
def checkout(make_asset, lead):
    return make_asset("software", name="checkout-api", tag="SW-CHECKOUT")


def test_a_trivy_report_becomes_a_scan_with_its_findings_owners_due_dates_and_report(lead, checkout):
    data = TRIVY.read_bytes()
    scan, summary = scan_import(data=data, filename="trivy.json", by=lead, now=NOW)
    assert (summary.created, summary.updated, summary.informational, summary.closed_fixed) == (8, 0, 1, 0)
    assert summary.unmatched_targets == []
    assert scan.format == "trivy" and scan.tool == "Trivy" and scan.report_sha256 == hashlib.sha256(data).hexdigest()
    assert scan.report.read() == data and scan.report_name == "trivy.json"
    assert (scan.critical_count, scan.high_count, scan.medium_count, scan.low_count, scan.info_count) == (2, 2, 2, 1, 1)
    findings = list(scan.findings.all())
    assert {finding.asset for finding in findings} == {checkout} and all(finding.owner == checkout.owner for finding in findings)
    assert list(scan.assets.all()) == [checkout]
    critical = scan.findings.get(reference="CVE-2023-45853")
    assert critical.due_at == scan.performed_at + timedelta(days=15) and critical.status == FindingStatus.OPEN
    assert critical.package.startswith("zlib1g") and critical.fingerprint and critical.last_seen_scan == scan
    info = scan.findings.get(severity="info")
    assert info.status == FindingStatus.INFO and not info.is_overdue(NOW + timedelta(days=999))
    assert open_fix_obligations() == 7  # the informational one has nothing to fix
    event = AuditEvent.objects.get(action="assets.scan.imported")
    assert event.details["created"] == 8 and "CVE" not in json.dumps(event.details)


def test_the_same_report_twice_adds_no_scan_finding_or_obligation(lead, checkout):
    data = TRIVY.read_bytes()
    first, _ = scan_import(data=data, filename="trivy.json", by=lead, now=NOW)
    before = counts()
    again, summary = scan_import(data=data, filename="trivy.json", by=lead, now=NOW)
    assert again == first and summary.already_imported and (summary.created, summary.updated) == (0, 8)
    assert counts() == before


def test_a_new_report_of_the_same_findings_updates_them_and_notes_severity_changes(lead, checkout):
    scan_import(data=trivy(), filename="a.json", by=lead, now=NOW)
    before = counts()
    report = json.loads(trivy(created="2027-03-05T09:00:00Z"))
    report["Results"][0]["Vulnerabilities"][0]["Severity"] = "CRITICAL"  # CVE-2024-2961 high → critical
    second, summary = scan_import(data=json.dumps(report).encode(), filename="b.json", by=lead, now=NOW)
    assert (summary.created, summary.updated, summary.severity_changed) == (0, 8, 1)
    assert counts()[1:] == before[1:] and counts()[0] == before[0] + 1
    finding = Finding.objects.get(reference="CVE-2024-2961")
    assert finding.severity == "critical" and finding.last_seen_scan == second and finding.scan != second
    assert finding.due_at == finding.found_at + timedelta(days=15)
    assert Obligation.objects.get(kind=FINDING_FIX, subject_id=str(finding.pk), completed_at__isnull=True).due_at == finding.due_at


def test_a_later_full_scope_scan_without_a_finding_closes_it_as_fixed_and_a_return_reopens_it(lead, checkout):
    first, _ = scan_import(data=trivy(), filename="a.json", by=lead, now=NOW, full_scope=True)
    later, summary = scan_import(
        data=trivy(drop=("CVE-2024-2961",), created="2027-03-08T09:00:00Z"), filename="b.json", by=lead, now=NOW, full_scope=True
    )
    assert summary.closed_fixed == 1 and summary.created == 0
    fixed = Finding.objects.get(reference="CVE-2024-2961")
    assert fixed.status == FindingStatus.FIXED and fixed.fixed_by_scan == later and f"scan #{later.pk}" in fixed.resolution_note
    assert Obligation.objects.get(kind=FINDING_FIX, subject_id=str(fixed.pk)).completed_at == later.performed_at
    assert open_fix_obligations() == 6
    back, summary = scan_import(data=trivy(created="2027-03-09T09:00:00Z"), filename="c.json", by=lead, now=NOW, full_scope=True)
    fixed.refresh_from_db()
    assert summary.reopened == 1 and fixed.status == FindingStatus.OPEN and fixed.fixed_by_scan is None
    assert fixed.due_at == back.performed_at + timedelta(days=30) and open_fix_obligations() == 7
    assert Finding.objects.filter(reference="CVE-2024-2961").count() == 1


def test_a_scan_not_covering_the_whole_scope_or_of_another_scope_closes_nothing(lead, checkout):
    scan_import(data=trivy(), filename="a.json", by=lead, now=NOW, full_scope=True)
    _, partial = scan_import(data=trivy(drop=("CVE-2024-2961",), created="2027-03-08T09:00:00Z"), filename="b.json", by=lead, now=NOW)
    _, other = scan_import(
        data=trivy(drop=("CVE-2024-2961",), created="2027-03-09T09:00:00Z"),
        filename="c.json",
        by=lead,
        now=NOW,
        full_scope=True,
        scope="another-image",
    )
    assert partial.closed_fixed == other.closed_fixed == 0
    assert Finding.objects.get(reference="CVE-2024-2961").status == FindingStatus.OPEN


def test_unmatched_targets_are_listed_and_the_lead_assigns_them(lead, make_asset, manager):
    scan, summary = scan_import(data=trivy(target="ghcr.io/acme/unknown:2"), filename="t.json", by=lead, now=NOW)
    assert summary.unmatched_targets == ["ghcr.io/acme/unknown:2"] and scan.unmatched_targets == summary.unmatched_targets
    assert all(finding.asset is None and finding.owner == lead for finding in scan.findings.all())
    asset = make_asset("software", name="Unknown service", owner=manager)
    assigned = scan_target_assign(scan=scan, target="ghcr.io/acme/unknown:2", asset=asset, by=lead, now=NOW)
    scan.refresh_from_db()
    assert assigned == 8 and scan.unmatched_targets == [] and asset in scan.assets.all()
    assert all(finding.asset == asset for finding in scan.findings.all())
    assert all(finding.owner == manager for finding in scan.findings.filter(status=FindingStatus.OPEN))
    assert Obligation.objects.filter(kind=FINDING_FIX, completed_at__isnull=True).exclude(owner=manager).count() == 0
    assert AuditEvent.objects.filter(action="assets.scan.target_assigned", object_id=str(scan.pk)).exists()
    with pytest.raises(ValidationError):
        scan_target_assign(scan=scan, target="ghcr.io/acme/unknown:2", asset=asset, by=lead, now=NOW)


def test_targets_match_assets_by_tag_host_name_and_url_host(make_asset):
    web = make_asset("hardware", name="web01", tag="HW-0001")
    api = make_asset("endpoint", name="Orders API", url="https://orders.example.test/v1")
    index = asset_index([web, api])
    assert match_target("hw-0001", index) == web
    assert match_target("web01 (10.0.0.5)", index) == web
    assert match_target("https://orders.example.test/login", index) == api
    assert match_target("10.9.9.9", index) is None
    assert scope_key(["b", "A "]) == scope_key(["a", "b"]) != scope_key(["a"])


@pytest.mark.parametrize(
    ("data", "format", "message"),
    [
        (TRIVY.read_bytes()[:300], "auto", ""),
        (TRIVY.read_bytes()[:300], "trivy", ""),
        (TRIVY.read_bytes(), "nessus_xml", ""),
        (b"", "auto", "empty"),
        (b"x" * (20 * 1024 * 1024), "auto", ""),
    ],
    ids=["truncated-auto", "truncated-trivy", "wrong-preset", "empty", "20MB-junk"],
)
def test_a_bad_file_is_refused_with_a_message_and_nothing_written(lead, data, format, message):
    before = counts()
    with pytest.raises(ValidationError) as error:
        scan_import(data=data, filename="bad.json", format=format, by=lead, now=NOW)
    text = " ".join(error.value.messages)
    assert text and message in text.lower()
    assert counts() == before and not AuditEvent.objects.filter(action="assets.scan.imported").exists()


def test_a_report_over_the_size_limit_is_refused(lead, settings):
    settings.SCAN_IMPORT_MAX_BYTES = 10 * 1024 * 1024
    with pytest.raises(ValidationError) as error:
        scan_import(data=b" " * (20 * 1024 * 1024) + TRIVY.read_bytes(), filename="big.json", by=lead, now=NOW)
    assert "10 MB" in " ".join(error.value.messages) and counts() == (0, 0, 0)


SAMPLE_FILES = sorted(path for path in SAMPLES.glob("*") if path.is_file()) if SAMPLES.exists() else []


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[path.name for path in SAMPLE_FILES])
def test_every_sample_imports_by_detection_and_twice_is_idempotent(lead, path):
    data = path.read_bytes()
    scan, summary = scan_import(data=data, filename=path.name, by=lead, now=NOW)
    assert scan.format in FORMATS and summary.created == scan.findings.count() > 0
    assert summary.created == scan.critical_count + scan.high_count + scan.medium_count + scan.low_count + scan.info_count
    assert summary.informational == scan.findings.filter(status=FindingStatus.INFO).count()
    assert open_fix_obligations() == summary.created - summary.informational
    assert scan.report_sha256 == hashlib.sha256(data).hexdigest()
    before = counts()
    scan_import(data=data, filename=path.name, by=lead, now=NOW)
    assert counts() == before


def big_trivy(n: int) -> bytes:
    vulns = [
        {
            "VulnerabilityID": f"CVE-2026-{i:05d}",
            "PkgName": f"pkg{i % 500}",
            "InstalledVersion": "1.0.0",
            "FixedVersion": "1.0.1",
            "Severity": ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")[i % 5],
            "Title": f"Synthetic vulnerability {i}",
        }
        for i in range(n)
    ]
    report = json.loads(TRIVY.read_bytes())
    report["CreatedAt"] = "2027-03-01T09:00:00Z"
    report["Results"] = [{"Target": IMAGE + " (debian 12.5)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": vulns}]
    return json.dumps(report).encode()


@pytest.mark.slow
def test_a_10000_finding_trivy_report_imports_within_30_seconds_and_reimports_without_duplicates(lead, checkout):
    data = big_trivy(10_000)
    started = time.monotonic()
    _, summary = scan_import(data=data, filename="big.json", by=lead, now=NOW)
    elapsed = time.monotonic() - started
    assert summary.created == 10_000 and open_fix_obligations() == 8_000
    assert elapsed < 30, elapsed
    _, again = scan_import(data=big_trivy(10_000).replace(b"2027-03-01T09", b"2027-03-02T09"), filename="b.json", by=lead, now=NOW)
    assert (again.created, again.updated) == (0, 10_000) and Finding.objects.count() == 10_000


# --- the page (the import itself runs in Celery: tests/assets/test_scan_import_jobs.py) -----
def test_the_lead_imports_a_report_on_the_page_and_assigns_an_unmatched_target(
    lead_client, lead, make_asset, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    page = lead_client.get(reverse("assets:vulnerabilities"))
    assert reverse("assets:scan_import") in page.content.decode()
    upload = SimpleUploadedFile("trivy.json", TRIVY.read_bytes(), content_type="application/json")
    with django_capture_on_commit_callbacks(execute=True):  # the queued task runs (eagerly) after the commit
        queued = lead_client.post(reverse("assets:scan_import"), {"file": upload, "format": "auto", "full_scope": "on"})
    response = lead_client.get(queued.url, follow=True)  # the job page, done: on to the scan
    assert response.status_code == 200
    scan = VulnerabilityScan.objects.get()
    assert response.redirect_chain == [(scan.get_absolute_url(), 302)]
    html = response.content.decode()
    assert "8 new" in html and "CVE-2023-45853" in html and 'data-testid="unmatched-targets"' in html and "informational" in html
    assert scan.full_scope and scan.unmatched_targets == [IMAGE]
    asset = make_asset("software", name="Checkout")
    assigned = lead_client.post(reverse("assets:scan_target_assign", args=[scan.pk]), {"target": IMAGE, "asset": asset.pk}, follow=True)
    assert "8 finding(s) now on" in assigned.content.decode()
    assert set(scan.findings.values_list("asset", flat=True)) == {asset.pk}


def test_a_bad_file_on_the_page_is_an_error_next_to_the_field_and_nothing_written(lead_client, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    upload = SimpleUploadedFile("trivy.json", b"<html>not a report</html>", content_type="application/json")
    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(reverse("assets:scan_import"), {"file": upload, "format": "trivy"})
    assert response.status_code == 400 and "is-invalid" in response.content.decode()
    assert counts() == (0, 0, 0)
    truncated = SimpleUploadedFile("trivy.json", TRIVY.read_bytes()[:300], content_type="application/json")
    with django_capture_on_commit_callbacks(execute=True):  # it looks like Trivy: the worker's full parse refuses it
        queued = lead_client.post(reverse("assets:scan_import"), {"file": truncated, "format": "trivy"})
    failed = lead_client.get(queued.url)
    assert "The file is not valid JSON (it may be cut short)" in failed.content.decode() and counts() == (0, 0, 0)


def test_only_the_security_lead_imports_or_assigns(staff_client, manager_client):
    from django.urls import reverse

    assert staff_client.get(reverse("assets:scan_import")).status_code == 403
    assert manager_client.get(reverse("assets:scan_import")).status_code == 403


def test_a_finding_recorded_or_rated_informational_by_hand_has_no_fix_obligation(lead):
    from assets.services.vulns import finding_create, finding_update

    base = {"title": "Server banner", "reference": "", "asset": None, "owner": lead, "found_at": NOW - timedelta(days=1)}
    info = finding_create(data={**base, "severity": "info"}, by=lead, now=NOW)
    assert info.status == FindingStatus.INFO and open_fix_obligations() == 0
    low = finding_create(data={**base, "title": "Old TLS", "severity": "low"}, by=lead, now=NOW)
    assert open_fix_obligations() == 1
    finding_update(finding=low, data={"severity": "info"}, by=lead, now=NOW)
    low.refresh_from_db()
    assert low.status == FindingStatus.INFO and open_fix_obligations() == 0
    assert Obligation.objects.get(kind=FINDING_FIX, subject_id=str(low.pk)).waived_reason == "rated informational"


def test_the_amazon_answer_on_findings_says_informational_ones_have_no_deadline(lead, checkout):
    """The drafted answer promised a fix deadline for every finding; informational findings have
    none, so the sentence counts them apart (its source is the findings page)."""
    scan_import(data=TRIVY.read_bytes(), filename="trivy.json", by=lead, now=NOW)
    claims = findings_claims(SimpleNamespace(vulns=vulnerability_summary(now=NOW, since=NOW - timedelta(days=365))), {})
    assert claims[0].text.startswith("Every finding to remediate gets an owner and a fix deadline by severity")
    assert (
        "7 findings are open" in claims[0].text
        and "1 informational finding (nothing to remediate) is kept without a deadline" in claims[0].text
    )

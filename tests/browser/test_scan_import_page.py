"""Importing a Trivy report on the vulnerability pages, in Chromium (issue 24): the findings are
read from the file (not typed) by a Celery task — eager under tests, so it has run when the upload's
transaction commits — and the job page leads on to the scan; the informational finding is kept,
the image no asset matched is listed, and the lead assigns it to an asset. A file of no known
format is refused next to the field; a truncated one fails its job with the parser's message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assets.models import Finding, ScanImportJob, ScanImportStatus, VulnerabilityScan
from assets.services.inventory import asset_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TRIVY = Path(__file__).parent.parent / "assets" / "scan_samples" / "trivy.json"


def test_the_lead_imports_a_trivy_report_and_assigns_its_image_to_an_asset(visitor, lead, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    asset = asset_create(
        data={"tag": "SW-0042", "name": "Checkout service", "kind": "software", "owner": lead, "environment": "production"},
        by=lead,
        now=timezone.now(),
    )
    page = visitor.login(lead)
    visitor.goto("/assets/vulnerabilities/")
    page.get_by_test_id("scan-import-link").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#id_format")).to_have_value("auto")

    unknown = tmp_path / "notes.json"
    unknown.write_bytes(b'{"notes": "not a scanner report"}')
    page.set_input_files("#id_file", str(unknown))
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#id_file")).to_have_class(re.compile("is-invalid"))
    expect(page.get_by_test_id("scan-import-form")).to_contain_text("format was not recognised")
    visitor.shot("refused")
    assert ScanImportJob.objects.count() == 0

    bad = tmp_path / "truncated.json"
    bad.write_bytes(TRIVY.read_bytes()[:500])  # starts like Trivy: the worker's full parse refuses it
    page.set_input_files("#id_file", str(bad))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/vulnerabilities/scans/import/*/")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("scan-import-failure")).to_contain_text("nothing was written")
    expect(page.get_by_test_id("scan-import-failure")).to_contain_text("The file is not valid JSON (it may be cut short)")
    visitor.shot("failed")
    assert VulnerabilityScan.objects.count() == 0 and Finding.objects.count() == 0
    assert ScanImportJob.objects.get().status == ScanImportStatus.FAILED
    page.get_by_role("link", name="Import a report").click()
    page.wait_for_load_state("networkidle")

    page.set_input_files("#id_file", str(TRIVY))
    page.locator("#id_full_scope").check()
    visitor.shot("form")
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/vulnerabilities/scans/*/")  # through the job page, done by the time it loads
    page.wait_for_load_state("networkidle")
    expect(page.locator(".alert").first).to_contain_text("8 new")
    expect(page.get_by_test_id("findings-table")).to_contain_text("CVE-2023-45853")
    expect(page.get_by_test_id("info-count")).to_contain_text("1 informational finding")
    expect(page.get_by_test_id("unmatched-targets")).to_contain_text("registry.example.com/shop/checkout-api:1.8.2")
    visitor.shot("imported")

    form = page.get_by_test_id("assign-form").first
    form.locator("select[name=asset]").select_option(str(asset.pk))
    form.get_by_role("button", name="Assign").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".alert").first).to_contain_text("8 finding(s) now on SW-0042")
    expect(page.get_by_test_id("unmatched-targets")).to_have_count(0)
    visitor.shot("assigned")
    scan = VulnerabilityScan.objects.get()
    assert ScanImportJob.objects.get(status=ScanImportStatus.DONE).scan == scan
    assert scan.findings.count() == 8 and set(scan.findings.values_list("asset", flat=True)) == {asset.pk}

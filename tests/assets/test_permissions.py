"""Who gets into which assets page: the lead does everything; managers and auditors read; staff
have no access (403). Every URL of the app is walked, so a new view cannot be left unchecked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assets import urls as asset_urls
from assets.imports import import_upload
from assets.models import ScanImportJob
from assets.services.deletion import deletion_request_create
from assets.services.vulns import finding_create, pentest_record, release_create, scan_record
from tests.assets.conftest import client_for

pytestmark = pytest.mark.django_db

READ = {"index", "export", "record_of_processing", "detail", "attestations", "vulnerabilities", "scan_detail", "pentest_detail"}
READ |= {"release_detail", "findings", "finding_detail", "deletions", "deletion_detail"}
READ_NOT_FOUND = {"report_download", "certificate_download"}  # readers get in; nothing stored yet → 404
LEAD_PAGES = {
    "finding_edit",
    "create",
    "edit",
    "rop_edit",
    "import_upload",
    "import_template",
    "import_detail",
    "scan_create",
    "scan_import",
    "scan_import_job",
    "pentest_create",
}
LEAD_PAGES |= {
    "release_create",
    "finding_create",
    "deletion_create",
    "deletion_edit",
    "action_perform",
    "action_verify",
    "exception_create",
}
LEAD_POSTS = {
    "scan_target_assign",
    "retire",
    "import_apply",
    "import_cancel",
    "release_result",
    "finding_resolve",
    "report_upload",
    "deletion_add_store",
}
SPECIAL = {"attestation_sign", "retention_check", "certificate_sign"}


@pytest.fixture
def world(make_asset, lead):
    now = timezone.now()
    store = make_asset("data_store", holds_pii=True).data_store
    counts = {"critical_count": 0, "high_count": 0, "medium_count": 0, "low_count": 0}
    scan = scan_record(data={"performed_at": now, "tool": "Nessus", "scope": "prod", **counts}, by=lead, now=now)
    test = pentest_record(data={"performed_at": now, "tester": "Northbeam", "scope": "api", "summary": "", **counts}, by=lead, now=now)
    release = release_create(
        data={
            "release_name": "app",
            "version": "1",
            "release_date": now + timedelta(days=3),
            "owner": lead,
            "result": "pending",
            "scanned_at": None,
            "tool": "",
            "blocking_findings": 0,
        },
        by=lead,
        now=now,
    )
    finding = finding_create(data={"title": "XSS", "severity": "low", "owner": lead, "found_at": now}, by=lead, now=now)
    deletion = deletion_request_create(
        data={"reference": "AMZ-1", "received_at": now, "scope": "seller", "responsible": lead}, stores=[store], by=lead, now=now
    )
    scan_job = ScanImportJob.objects.create(filename="trivy.json", status="failed", failure="The file is empty.", created_by=lead)
    job = import_upload(filename="a.csv", data=f"tag,name,kind,owner\nS-1,App,software,{lead.username}\n".encode(), by=lead, now=now)
    args = {
        "detail": [store.asset_id],
        "edit": [store.asset_id],
        "retire": [store.asset_id],
        "rop_edit": [store.asset_id],
        "retention_check": [store.asset_id],
        "import_detail": [job.pk],
        "import_apply": [job.pk],
        "import_cancel": [job.pk],
        "scan_detail": [scan.pk],
        "scan_target_assign": [scan.pk],
        "scan_import_job": [scan_job.pk],
        "pentest_detail": [test.pk],
        "release_detail": [release.pk],
        "release_result": [release.pk],
        "finding_detail": [finding.pk],
        "finding_resolve": [finding.pk],
        "finding_edit": [finding.pk],
        "report_download": ["scan", scan.pk],
        "report_upload": ["scan", scan.pk],
        "deletion_detail": [deletion.pk],
        "deletion_edit": [deletion.pk],
        "deletion_add_store": [deletion.pk],
        "action_perform": [deletion.pk, deletion.actions.get().pk],
        "action_verify": [deletion.pk, deletion.actions.get().pk],
        "exception_create": [deletion.pk],
        "certificate_sign": [deletion.pk],
        "certificate_download": [deletion.pk],
    }
    return lambda name: reverse(f"assets:{name}", args=args.get(name, []))


def test_every_url_of_the_app_is_in_the_matrix_and_role_checked():
    names = {pattern.name for pattern in asset_urls.urlpatterns}
    assert names == READ | READ_NOT_FOUND | LEAD_PAGES | LEAD_POSTS | SPECIAL
    for pattern in asset_urls.urlpatterns:
        assert getattr(pattern.callback, "allowed_roles", None), pattern.name


def test_the_security_lead_gets_everywhere(world, lead):
    browser = client_for(lead)
    for name in READ | LEAD_PAGES:
        assert browser.get(world(name)).status_code == 200, name
    for name in READ_NOT_FOUND:
        assert browser.get(world(name)).status_code == 404, name
    assert browser.get(world("attestation_sign")).status_code == 302  # asks for a fresh code first
    assert browser.get(world("certificate_sign")).status_code == 302


@pytest.mark.parametrize("role", ["manager", "auditor"])
def test_managers_and_auditors_read_but_do_not_write(world, role, request):
    browser = client_for(request.getfixturevalue(role))
    for name in READ:
        assert browser.get(world(name)).status_code == 200, name
    for name in READ_NOT_FOUND:
        assert browser.get(world(name)).status_code == 404, name
    for name in LEAD_PAGES:
        assert browser.get(world(name)).status_code == 403, name
    for name in LEAD_POSTS | {"retention_check"}:
        assert browser.post(world(name)).status_code == 403, name
    assert browser.get(world("attestation_sign")).status_code == 403  # owns no assets / not a signer
    assert browser.get(world("certificate_sign")).status_code == 403  # not the responsible person


def test_staff_have_no_access_to_assets(world, staff):
    browser = client_for(staff)
    for name in READ | READ_NOT_FOUND | LEAD_PAGES | {"attestation_sign", "certificate_sign"}:
        assert browser.get(world(name)).status_code == 403, name
    for name in LEAD_POSTS | {"retention_check"}:
        assert browser.post(world(name)).status_code == 403, name


def test_signed_out_visitors_go_to_the_login_page(world, client):
    response = client.get(world("index"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))

"""The auditor in Chromium: signs in with MFA, lands on the auditor home, watches a pack being
built (the page polls), downloads it, checks it on the verify page; every step is in the audit
trail. And the security lead's evidence pages, screenshotted."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from grc.audit.models import AuditEvent
from grc.evidence.models import EvidencePack, PackStatus
from grc.evidence.services.grants import grant_create
from grc.evidence.services.packs import pack_build, pack_request
from tests.evidence.conftest import build_pack

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def auditor_access(auditor, lead):
    today = timezone.localdate()
    return grant_create(
        auditor=auditor,
        starts_on=today,
        ends_on=today + timedelta(days=29),
        clauses=[],
        purpose="Amazon DPP assessment",
        by=lead,
        now=timezone.now(),
    )


def test_an_auditor_signs_in_and_downloads_a_verifiable_pack(visitor, auditor, auditor_access, lead, tmp_path):
    issued = build_pack(by=lead, clauses=["2.6", "3"])
    page = visitor.login(auditor)
    page.wait_for_url("**/evidence/")
    assert page.get_by_role("heading", name="Auditor home").is_visible()
    assert page.locator("[data-testid=auditor-status] tbody tr").count() == 17
    visitor.shot("auditor-home")

    # a pack requested for the auditor is built in the background while the page polls
    today = timezone.localdate()
    queued = pack_request(
        period_start=today - timedelta(days=89), period_end=today, clauses=["3"], by=lead, now=timezone.now(), queue=False
    )
    page = visitor.goto(queued.get_absolute_url())
    assert page.locator("[data-testid=pack-progress]").get_attribute("data-status") == "queued"
    visitor.shot("pack-waiting")
    pack_build(pack_id=queued.pk)
    page.locator("[data-testid=download-pdf]").wait_for(timeout=30000)  # the poll sees it ready and reloads the page
    assert page.locator("[data-testid=pdf-sha256]").inner_text() == EvidencePack.objects.get(pk=queued.pk).pdf_sha256

    page = visitor.goto("/evidence/packs/")
    page.get_by_role("link", name=issued.reference).click()
    page.wait_for_load_state("networkidle")
    visitor.shot("pack-detail")
    with page.expect_download() as download_info:
        page.locator("[data-testid=download-pdf]").click()
    saved = tmp_path / "pack.pdf"
    download_info.value.save_as(saved)
    data = saved.read_bytes()
    assert hashlib.sha256(data).hexdigest() == issued.pdf_sha256

    page = visitor.goto("/evidence/verify/")
    page.set_input_files("#id_file", str(saved))
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=verify-result]").get_attribute("data-result") == "match"
    visitor.shot("verify-match")
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(data[:-10] + bytes([data[-10] ^ 1]) + data[-9:])
    page.set_input_files("#id_file", str(altered))
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=verify-result]").get_attribute("data-result") == "no-match"

    mine = AuditEvent.objects.filter(actor_id=auditor.pk)
    assert mine.filter(action="download", object_id=str(issued.pk), object_type="evidence.evidencepack").count() == 1
    assert mine.filter(action="evidence.auditor.page_view", object_id="evidence:index").exists()
    assert mine.filter(action="evidence.auditor.page_view", object_id="evidence:pack_detail").count() >= 2
    assert list(mine.filter(action="evidence.pack.verified").order_by("id").values_list("outcome", flat=True)) == ["success", "failure"]


def test_the_lead_builds_a_pack_from_the_evidence_page(visitor, lead, auditor, auditor_access):
    page = visitor.login(lead)
    page.locator("nav.portal-nav").get_by_role("link", name="Evidence").click()
    page.wait_for_url("**/evidence/")
    visitor.shot("lead-home")
    page.select_option("#id_preset", "this_quarter")
    page.locator("details summary").click()
    page.get_by_label("3 Audit and Assessment").check()
    page.get_by_role("button", name="Build the pack").click()
    page.locator("[data-testid=download-pdf]").wait_for(timeout=60000)
    pack = EvidencePack.objects.get()
    assert pack.status == PackStatus.READY and pack.clauses == ["3"] and pack.requested_by == lead
    visitor.shot("lead-pack-ready")
    page = visitor.goto("/evidence/access/")
    assert page.locator("[data-testid=grant-table] tbody tr").count() == 1
    visitor.shot("grants")
    page = visitor.goto("/evidence/audits/")
    visitor.shot("audits-empty")

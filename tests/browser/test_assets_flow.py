"""The assets app in a real browser: the security lead adds a laptop (and sees its DPP flag), then
records Amazon's deletion notice, sanitises and verifies each store, and signs the certificate of
destruction with a fresh code (a backup code: django-otp refuses the sign-in TOTP code twice in
one time step)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from assets.models import Asset, DeletionRequest, DestructionCertificate
from assets.services.inventory import asset_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LONDON = ZoneInfo("Europe/London")  # the browser context's zone (tests/browser/conftest.py)
BACKUP_CODE = "k7m2p9x4"


def make_store(lead, tag: str, name: str) -> None:
    now = timezone.now()
    asset_create(
        data={
            "tag": tag,
            "name": name,
            "kind": "data_store",
            "owner": lead,
            "environment": "production",
            "holds_amazon_information": True,
            "holds_pii": True,
            "encryption_algorithm": "aes",
            "encryption_key_bits": 256,
            "baseline_reference": "RDS baseline",
            "baseline_verified_at": now.date(),
        },
        store_data={
            "store_type": "database",
            "attribution": "tagged",
            "attribution_mechanism": "source column",
            "keys_service_only": True,
            "pii_retention_days": 30,
            "backup_procedure": "snapshots",
            "restore_procedure": "runbook",
            "rop_data_fields": "buyer name, address",
        },
        by=lead,
        now=now,
    )


def age_step_up(minutes: int) -> None:
    """As if the last code was entered ``minutes`` ago (without moving the live server's clock)."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    from grc.accounts.stepup import SESSION_KEY

    for row in Session.objects.all():
        session = SessionStore(session_key=row.session_key)
        if SESSION_KEY in session:
            session[SESSION_KEY] = session[SESSION_KEY] - minutes * 60
            session.save()


def test_the_lead_adds_an_asset_and_completes_a_deletion_request(visitor, lead, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    make_store(lead, "DS-0001", "Orders PostgreSQL")
    make_store(lead, "DS-0002", "Labels bucket")
    device = StaticDevice.objects.create(user=lead, name="Backup codes", confirmed=True)
    StaticToken.objects.create(device=device, token=BACKUP_CODE)

    page = visitor.login(lead)
    page = visitor.goto("/assets/")
    assert page.locator("h1").inner_text() == "Asset inventory"
    visitor.shot("inventory")

    # add a laptop without disk encryption
    page.get_by_role("button", name="Add an asset").click()
    page.get_by_role("link", name="Hardware").click()
    page.wait_for_url("**/assets/new/?kind=hardware")
    page.fill("#id_tag", "LT-0042")
    page.fill("#id_name", "ThinkPad for the warehouse")
    page.select_option("#id_hardware_type", "laptop")
    page.select_option("#id_ownership", "company")
    page.fill("#id_location", "Warehouse office")
    page.check("#id_anti_malware_present")
    page.check("#id_anti_malware_updated")
    page.check("#id_holds_amazon_information")
    visitor.shot("add-laptop")
    page.get_by_role("button", name="Add to the inventory").click()
    page.wait_for_load_state("networkidle")
    assert "LT-0042 ThinkPad for the warehouse added to the inventory." in page.locator(".alert-success").inner_text()
    assert "laptop without disk encryption" in page.locator("[data-testid=asset-flags]").inner_text()
    visitor.shot("laptop-flagged")
    assert Asset.objects.get(tag="LT-0042").flag_count == 2  # no disk encryption, no baseline

    # record Amazon's notice
    page = visitor.goto("/assets/deletions/")
    visitor.shot("deletions-empty")
    page.get_by_role("link", name="Record a notice").first.click()
    page.fill("#id_reference", "AMZ-DEL-2026-0042")
    received = timezone.now().astimezone(LONDON) - timedelta(days=2)
    page.fill("#id_received_at", received.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_scope", "All Information about the seller account of a terminated integration.")
    assert page.locator("input[name=stores]:checked").count() == 2  # stores with Amazon Information are pre-selected
    visitor.shot("deletion-notice")
    page.get_by_role("button", name="Record the notice").click()
    page.wait_for_load_state("networkidle")
    assert "due in 27 days" in page.locator("[data-testid=clock-30]").inner_text()
    visitor.shot("deletion-started")

    # sanitise and verify each store
    for store in ("DS-0001", "DS-0002"):
        row = page.locator(f"tr[data-store={store}]")
        row.get_by_role("link", name="Record sanitisation").click()
        page.check("input[name=method][value=purge]")
        page.fill("#id_description", "Rows of the seller deleted and vacuumed; per-seller data key destroyed.")
        if store == "DS-0001":
            visitor.shot("sanitise")
        page.get_by_role("button", name="Save").click()
        page.wait_for_load_state("networkidle")
        page.locator(f"tr[data-store={store}]").get_by_role("link", name="Verify").click()
        page.fill("#id_note", "Query for the seller returns no rows; replica checked.")
        page.get_by_role("button", name="Save").click()
        page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=deletion-state]").inner_text() == "complete, ready to certify"
    assert "met on time" in page.locator("[data-testid=clock-30]").inner_text()
    visitor.shot("deletion-complete")

    # sign the certificate with a fresh code (the sign-in code counted as one: let it age past 10 minutes)
    age_step_up(minutes=11)
    page.get_by_role("link", name="Sign the certificate of destruction").click()
    page.wait_for_url("**/accounts/step-up/**")
    page.fill("#id_code", BACKUP_CODE)
    visitor.shot("step-up")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith("Certificate of destruction")
    page.check("#id_confirm")
    visitor.shot("sign")
    page.get_by_role("button", name="Sign the certificate").click()
    page.wait_for_load_state("networkidle")
    assert "Certificate of destruction signed" in page.locator(".alert-success").inner_text()
    visitor.shot("certified")

    with page.expect_download() as download_info:
        page.locator("[data-testid=certificate-link]").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    certificate = DestructionCertificate.objects.get(request=DeletionRequest.objects.get(reference="AMZ-DEL-2026-0042"))
    assert certificate.signed_by == lead

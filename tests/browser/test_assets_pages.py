"""The seeded assets pages in a real browser (screenshots for review): the inventory with its flags,
a data store with its record of processing, vulnerability management, a deletion request in
progress, attestations and a CSV import preview."""

from __future__ import annotations

import pytest
from django.utils import timezone

from assets.models import Asset, DeletionRequest
from assets.seed import seed
from grc.seeding import SeedContext

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_seeded_inventory_reads_well(visitor, lead, manager, other_manager, staff, auditor, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    users = {
        "lead": lead,
        "manager": manager,
        "manager2": other_manager,
        "staff": staff,
        "staff2": make_user("jana.novak"),
        "auditor": auditor,
    }
    seed(SeedContext(now=timezone.now(), users=users))
    visitor.login(lead)

    page = visitor.goto("/assets/")
    first_row = page.locator("[data-testid=asset-table] tbody tr").first
    assert first_row.get_attribute("data-tag") == "MB-0001"  # the most flags first
    assert "personal device with PII" in first_row.inner_text()
    visitor.shot("inventory")

    store = Asset.objects.get(tag="DS-0001")
    page = visitor.goto(f"/assets/{store.pk}/")
    assert "SP-API Orders API" in page.locator("[data-testid=record-of-processing]").inner_text()
    visitor.shot("data-store")

    page = visitor.goto("/assets/record-of-processing/")
    visitor.shot("record-of-processing")

    page = visitor.goto("/assets/vulnerabilities/")
    assert page.locator("[data-testid=overdue-findings]").inner_text() == "1"
    visitor.shot("vulnerabilities")

    page = visitor.goto("/assets/vulnerabilities/findings/")
    visitor.shot("findings")

    deletion = DeletionRequest.objects.get()
    page = visitor.goto(f"/assets/deletions/{deletion.pk}/")
    assert "Shipping labels S3 bucket: sanitisation not recorded" in page.locator("[data-testid=outstanding]").inner_text()
    visitor.shot("deletion-in-progress")

    page = visitor.goto("/assets/attestations/")
    visitor.shot("attestations")

    page = visitor.goto("/assets/import/")
    csv_text = (
        "tag,name,kind,owner,hardware_type,ownership,encryption_algorithm,encryption_key_bits\n"
        f"LT-0001,MacBook Pro 14 (security lead; renamed),hardware,{lead.username},laptop,company,aes,256\n"
        f"LT-0100,New laptop,hardware,{lead.username},laptop,company,aes,256\n"
        "LT-0101,Unknown owner,hardware,nobody,laptop,company,,\n"
    )
    page.set_input_files("#id_file", files=[{"name": "assets.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}])
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state("networkidle")
    assert "line 4:" in page.locator("[data-testid=import-errors]").inner_text()
    visitor.shot("import-preview")

"""The readiness checklist per clause, the attached diagrams with review dates, and who may see what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assets.models import Asset
from grc.audit.models import AuditEvent
from grc.compliance.models import Obligation
from grc.compliance.services import obligation_complete
from grc.kit.documents import REVIEW_KIND, kit_document_review, kit_document_upload
from grc.kit.models import KitDocument
from grc.kit.readiness import SPECS, readiness_checklist, readiness_checklists
from tests.compliance.test_kit_questionnaire import make_store
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def diagram(lead, kind="architecture", title="Production architecture", now=None, **extra) -> KitDocument:
    upload = SimpleUploadedFile("architecture.png", PNG, content_type="image/png")
    return kit_document_upload(kind=kind, title=title, clauses=[], upload=upload, by=lead, now=now or timezone.now(), **extra)


def item(checklist, key):
    return next(entry for entry in checklist.items if entry.key == key)


def test_every_clause_of_the_dpp_has_a_checklist_with_what_an_assessor_asks():
    checklists = readiness_checklists(timezone.now())
    assert [c.clause for c in checklists] == [
        "1.1",
        "1.2",
        "1.3",
        "1.4",
        "1.5",
        "1.6",
        "1.7",
        "1.8",
        "2",
        "2.1",
        "2.2",
        "2.3",
        "2.4",
        "2.5",
        "2.6",
        "2.7",
        "3",
    ]
    assert set(SPECS) == {c.clause for c in checklists}
    assert all(c.items and all(i.asks and i.detail for i in c.items) for c in checklists)
    assert checklists[0].title == "Network Protection"


def test_an_item_is_missing_until_the_evidence_exists_and_then_current(lead):
    now = timezone.now()
    store = make_store(lead, tag="DS-PLAIN", algorithm="")
    encryption = item(readiness_checklist("2.4", now), "encryption")
    assert encryption.status == "not_met" and encryption.label == "missing"
    assert "DS-PLAIN" in encryption.detail and encryption.fix.url == reverse("assets:detail", args=[store.pk])
    Asset.objects.filter(pk=store.pk).update(encryption_algorithm="aes", encryption_key_bits=256)
    encryption = item(readiness_checklist("2.4", now), "encryption")
    assert encryption.status == "met" and encryption.fix is None


def test_an_obligation_item_is_out_of_date_when_overdue(lead):
    now = timezone.now()
    assert item(readiness_checklist("2.1", now), "purge").status == "not_met"
    obligation_complete(kind="assets.retention_check", subject=None, completed_at=now - timedelta(days=200), completed_by=lead)
    stale = item(readiness_checklist("2.1", now), "purge")
    assert stale.status == "at_risk" and stale.label == "out of date" and "due every 1 month" in stale.detail
    obligation_complete(kind="assets.retention_check", subject=None, completed_at=now - timedelta(days=1), completed_by=lead)
    assert item(readiness_checklist("2.1", now), "purge").status == "met"


def test_the_inventory_item_is_the_dashboards_inventory_check(lead):
    now = timezone.now()
    inventory = item(readiness_checklist("2.3", now), "inventory")
    assert inventory.check == "Asset inventory current and attested" and inventory.status != "met"
    assert inventory.fix is not None and inventory.fix.url


def test_diagrams_are_attached_with_review_dates_on_the_obligation_clock(lead):
    now = timezone.now()
    assert item(readiness_checklist("2.3", now), "architecture").status == "not_met"
    document = diagram(lead, now=now - timedelta(days=400))
    obligation = Obligation.objects.get(kind=REVIEW_KIND, completed_at__isnull=True)
    assert obligation.subject_id == str(document.pk) and document.review_due_at == obligation.due_at
    assert document.clauses == ["1.1", "2.3", "3"] and len(document.file_sha256) == 64
    checklist = readiness_checklist("2.3", now)
    assert item(checklist, "architecture").status == "at_risk"  # a year has passed without a review
    assert [row.title for row in checklist.documents] == ["Production architecture"] and checklist.documents[0].status == "at_risk"

    kit_document_review(document=document, by=lead, now=now)
    document.refresh_from_db()
    assert document.review_due_at > now + timedelta(days=300)
    assert item(readiness_checklist("2.3", now), "architecture").status == "met"
    assert Obligation.objects.filter(kind=REVIEW_KIND, completed_at__isnull=False).count() == 1
    assert AuditEvent.objects.filter(action="compliance.kitdocument.reviewed").exists()


def test_a_new_version_supersedes_the_old_document(lead):
    old = diagram(lead)
    new = diagram(lead, title="Production architecture v2", supersedes=old)
    old.refresh_from_db()
    assert old.superseded_at is not None and new.supersedes == old
    assert list(KitDocument.objects.filter(superseded_at__isnull=True)) == [new]
    assert Obligation.objects.get(kind=REVIEW_KIND, subject_id=str(old.pk)).waived_reason == f"replaced by document {new.pk}"


def test_uploads_are_checked_and_downloads_audited(lead, lead_client):
    with pytest.raises(Exception, match="Upload the document as one of"):
        kit_document_upload(
            kind="architecture", title="x", clauses=[], upload=SimpleUploadedFile("run.exe", b"MZ"), by=lead, now=timezone.now()
        )
    response = lead_client.post(
        reverse("kit:document_new"),
        {"kind": "data_flow", "title": "Order data flow", "file": SimpleUploadedFile("flow.png", PNG)},
    )
    assert response.status_code == 302
    document = KitDocument.objects.get()
    assert document.clauses == ["1.8", "2.1", "2.2", "3"]
    download = lead_client.get(reverse("kit:document_download", args=[document.pk]))
    assert download["Content-Disposition"].startswith("attachment;") and download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PNG
    assert AuditEvent.objects.filter(action="download", object_id=str(document.pk), details__what="kit_document").exists()
    page = lead_client.get(reverse("kit:readiness_clause", args=["2.2"])).content.decode()
    assert "Order data flow" in page and "Data-flow diagram of PII" in page


def test_the_checklist_pages_link_to_the_fix(lead, lead_client):
    make_store(lead, tag="DS-PLAIN", algorithm="")
    page = lead_client.get(reverse("kit:readiness_clause", args=["2.4"]))
    assert page.status_code == 200
    assert 'data-testid="fix-encryption"' in page.content.decode()
    assert lead_client.get(reverse("kit:readiness_clause", args=["9.9"])).status_code == 404
    index = lead_client.get(reverse("kit:readiness")).content.decode()
    assert "DPP 2.4 Encryption at Rest" in index


KIT_PAGES = [
    ("kit:index", [], {"security_lead", "manager", "auditor"}),
    ("kit:cadences", [], {"security_lead", "manager", "auditor"}),
    ("kit:cadence_edit", ["assets.vulnerability_scan"], {"security_lead"}),
    ("kit:questionnaire", [], {"security_lead", "auditor"}),
    ("kit:questionnaire_text", [], {"security_lead", "auditor"}),
    ("kit:plan", [], {"security_lead", "auditor"}),
    ("kit:submissions", [], {"security_lead", "auditor"}),
    ("kit:readiness", [], {"security_lead", "manager", "auditor"}),
    ("kit:readiness_clause", ["1.2"], {"security_lead", "manager", "auditor"}),
    ("kit:documents", [], {"security_lead", "manager", "auditor"}),
    ("kit:document_new", [], {"security_lead"}),
]


def test_each_role_gets_exactly_the_kit_pages_it_may_see(lead, manager, auditor, staff):
    users = {"security_lead": lead, "manager": manager, "auditor": auditor, "staff": staff}
    for name, args, allowed in KIT_PAGES:
        for role, user in users.items():
            status = signed_in(Client(), user).get(reverse(name, args=args)).status_code
            assert status == (200 if role in allowed else 403), (name, role, status)
    assert Client().get(reverse("kit:index")).status_code == 302  # anonymous: to the sign-in page


@pytest.mark.parametrize("stores", [10, 500])
def test_the_readiness_overview_costs_the_same_queries_for_10_or_500_stores(lead, lead_client, stores, django_assert_max_num_queries):
    for n in range(stores // 100 + 1):
        make_store(lead, tag=f"DS-{stores}-{n}", algorithm="" if n % 2 else "aes")
    from assets.models import AssetKind, DataStore

    assets = Asset.objects.bulk_create(
        [Asset(tag=f"B-{n:04d}", name="s", kind=AssetKind.DATA_STORE, owner=lead, holds_pii=True) for n in range(stores)]
    )
    DataStore.objects.bulk_create([DataStore(asset=asset) for asset in assets])
    lead_client.get(reverse("kit:readiness"))
    with django_assert_max_num_queries(READINESS_QUERIES):
        assert lead_client.get(reverse("kit:readiness")).status_code == 200


# pinned: the records once, the control register once (register_facts), documents, the checks (the audit trail's reads its cadence)
READINESS_QUERIES = 64  # + the register's AWS connections (1), the signed attestations (1), the checks it repeats: training (3), risk register, IR plan, inventory (16)

"""The inventory: services that add, change and retire assets; the list page (filters, sorting,
fixed query count, 5,000 assets); the asset and data-store pages; the record of processing."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assets.models import Asset, AssetKind, DataStore
from assets.selectors import record_of_processing
from assets.services.inventory import asset_retire, asset_update, assets_refresh_stale_flags, record_of_processing_update
from grc.audit.models import AuditEvent
from grc.compliance.models import Obligation
from grc.compliance.services import open_obligation

pytestmark = pytest.mark.django_db
INDEX = reverse("assets:index")


def test_it_stores_the_flag_count_and_audits_field_names_only(make_asset):
    asset = make_asset("hardware", encryption_algorithm="", encryption_key_bits=None, notes="Laptop of Jane Roe")
    assert asset.flag_count == 1
    event = AuditEvent.objects.get(action="assets.asset.created")
    assert "notes" in event.details["changed_fields"]
    assert "Jane" not in event.message and "Jane" not in str(event.details)


def test_the_first_asset_starts_the_programme_clocks(make_asset):
    now = timezone.now()
    make_asset("software", now=now)
    attestation = open_obligation("assets.inventory_attestation", None)
    scan = open_obligation("assets.vulnerability_scan", None)
    pentest = open_obligation("assets.penetration_test", None)
    assert attestation.due_at.date() in {(now + timedelta(days=d)).date() for d in range(89, 93)}
    assert scan.due_at == now + timedelta(days=180)
    assert pentest.due_at == now + timedelta(days=365)
    make_asset("software")
    assert Obligation.objects.filter(kind="assets.vulnerability_scan").count() == 1


def test_it_refuses_missing_kind_fields_with_a_message_per_field(make_asset):
    with pytest.raises(ValidationError) as error:
        make_asset("endpoint", url="")
    assert "url" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_asset("hardware", encryption_key_bits=None)
    assert "encryption_key_bits" in error.value.message_dict
    assert not Asset.objects.exists()


def test_it_refuses_a_duplicate_asset_id_whatever_the_case(make_asset):
    make_asset("software", tag="SW-1")
    with pytest.raises(ValidationError) as error:
        make_asset("software", tag="sw-1")
    assert "tag" in error.value.message_dict


def test_an_update_recounts_flags_and_names_the_changed_fields(make_asset, lead):
    asset = make_asset("endpoint")
    assert asset.flag_count == 0
    changed = asset_update(asset=asset, data={"tls_min_version": "1.0", "name": asset.name}, by=lead, now=timezone.now())
    asset.refresh_from_db()
    assert changed == ["tls_min_version"] and asset.flag_count == 1
    assert AuditEvent.objects.filter(action="assets.asset.updated", details__changed_fields=["tls_min_version"]).exists()


def test_data_store_details_are_saved_with_the_asset(make_asset, lead):
    asset = make_asset("data_store", holds_pii=True, store={"pii_retention_days": 90})
    assert asset.data_store.pii_retention_days == 90
    assert asset.flag_count == 1
    asset_update(asset=asset, data={}, store_data={"retention_legal_basis": "tax law"}, by=lead, now=timezone.now())
    asset.refresh_from_db()
    assert asset.flag_count == 0


def test_retiring_an_asset_clears_its_flags_and_its_purge_check(make_asset, lead):
    asset = make_asset("data_store", holds_pii=True, store={"pii_retention_days": 400})
    assert open_obligation("assets.retention_check", asset.data_store) is not None
    asset_retire(asset=asset, by=lead, now=timezone.now())
    asset.refresh_from_db()
    assert asset.retired_at is not None and asset.flag_count == 0
    assert open_obligation("assets.retention_check", asset.data_store) is None
    with pytest.raises(ValidationError):
        asset_retire(asset=asset, by=lead, now=timezone.now())


def test_time_based_flags_are_recounted_when_they_come_due(make_asset, time_machine):
    start = timezone.now()
    key = make_asset("credential", now=start, last_rotated_at=(start - timedelta(days=360)).date())
    assert key.flag_count == 0 and key.flags_recheck_at is not None
    assert assets_refresh_stale_flags(now=start) == 0
    later = start + timedelta(days=10)
    assert assets_refresh_stale_flags(now=later) == 1
    key.refresh_from_db()
    assert key.flag_count == 1 and key.flags_recheck_at is None


def test_the_list_shows_flagged_assets_first_with_their_sentences(make_asset, lead_client):
    make_asset("hardware", name="Clean laptop")
    make_asset("hardware", name="Bare laptop", encryption_algorithm="", encryption_key_bits=None)
    response = lead_client.get(INDEX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Bare laptop") < html.index("Clean laptop")
    assert "laptop without disk encryption" in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("?kind=endpoint", "Public API", "Bare laptop"),
        ("?flagged=yes", "Bare laptop", "Public API"),
        ("?pii=yes", "Orders DB", "Public API"),
        ("?environment=test", "Test service", "Orders DB"),
        ("?q=orders", "Orders DB", "Bare laptop"),
        ("?state=retired", "Old laptop", "Bare laptop"),
    ],
)
def test_the_list_filters(make_asset, lead_client, lead, query, shown, hidden):
    make_asset("hardware", name="Bare laptop", encryption_algorithm="", encryption_key_bits=None)
    make_asset("endpoint", name="Public API")
    make_asset("data_store", name="Orders DB", holds_pii=True)
    make_asset("software", name="Test service", environment="test")
    asset_retire(asset=make_asset("hardware", name="Old laptop"), by=lead, now=timezone.now())
    html = lead_client.get(INDEX + query).content.decode()
    assert shown in html and hidden not in html


def test_the_list_filters_by_owner(make_asset, lead_client, manager):
    make_asset("software", name="Mine")
    make_asset("software", name="Toms service", owner=manager)
    html = lead_client.get(INDEX + f"?owner={manager.pk}").content.decode()
    assert "Toms service" in html and "Mine" not in html


def test_the_list_sorts_by_a_whitelisted_column(make_asset, lead_client):
    make_asset("software", name="Bravo")
    make_asset("software", name="Alpha")
    html = lead_client.get(INDEX + "?sort=-name").content.decode()
    assert html.index("Bravo") < html.index("Alpha")
    assert lead_client.get(INDEX + "?sort=password").status_code == 200


def _many(make_asset, n: int) -> None:
    kinds = ["hardware", "software", "data_store", "credential", "endpoint", "removable_media"]
    for i in range(n):
        make_asset(kinds[i % len(kinds)], holds_pii=i % 3 == 0)


def test_the_list_runs_a_fixed_number_of_queries(make_asset, lead_client, django_assert_max_num_queries):
    _many(make_asset, 5)
    with django_assert_max_num_queries(14) as few:
        assert lead_client.get(INDEX + "?size=100").status_code == 200
    _many(make_asset, 60)
    with django_assert_max_num_queries(14) as many:
        assert lead_client.get(INDEX + "?size=100").status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries)


def test_the_list_stays_fast_with_5000_assets(lead, lead_client, django_assert_max_num_queries):
    kinds = ["hardware", "software", "endpoint", "credential", "removable_media"]
    Asset.objects.bulk_create(
        [
            Asset(
                tag=f"B-{i:05d}",
                name=f"Bulk asset {i}",
                kind=kinds[i % 5],
                owner=lead,
                flag_count=i % 4,
                holds_pii=i % 7 == 0,
                url="https://x.test",
            )
            for i in range(5000)
        ],
        batch_size=1000,
    )
    started = time.monotonic()
    for query in ("", "?flagged=yes&kind=hardware", "?pii=yes&sort=-name&page=20", f"?owner={lead.pk}&sort=owner"):
        with django_assert_max_num_queries(14):
            assert lead_client.get(INDEX + query).status_code == 200
    assert time.monotonic() - started < 8  # four pages over 5,000 rows, with the counts


def test_the_asset_page_shows_flags_and_store_details_and_is_audited(make_asset, auditor_client):
    asset = make_asset("data_store", name="Orders DB", holds_pii=True, store={"pii_retention_days": 90})
    response = auditor_client.get(reverse("assets:detail", args=[asset.pk]))
    html = response.content.decode()
    assert "PII kept 90 days after delivery without a recorded legal basis" in html
    assert "Record of processing (DPP 2.2)" in html and "order id, buyer name" in html
    assert AuditEvent.objects.filter(action="assets.asset.viewed", object_id=str(asset.pk)).exists()
    assert "Edit</a>" not in html  # auditors read only


def test_the_add_page_shows_the_fields_of_the_chosen_kind(lead_client):
    html = lead_client.get(reverse("assets:create") + "?kind=credential").content.decode()
    assert 'name="last_rotated_at"' in html and "Stored in" in html
    assert 'name="tls_min_version"' not in html
    chooser = lead_client.get(reverse("assets:create")).content.decode()
    assert "Removable media" in chooser


def test_adding_a_data_store_through_the_form(lead_client, lead):
    response = lead_client.post(
        reverse("assets:create"),
        {
            "kind": "data_store",
            "tag": "DS-9",
            "name": "Returns DB",
            "owner": lead.pk,
            "environment": "production",
            "holds_pii": "on",
            "encryption_algorithm": "aes",
            "encryption_key_bits": "128",
            "store-store_type": "database",
            "store-live": "on",
            "store-attribution": "separate",
            "store-pii_retention_days": "30",
            "store-keys_service_only": "on",
        },
    )
    asset = Asset.objects.get(tag="DS-9")
    assert response.status_code == 302 and response.url == reverse("assets:detail", args=[asset.pk])
    assert asset.data_store.pii_retention_days == 30
    assert asset.flag_count == 3  # no record of processing, no backup/restore, no baseline


def test_a_bad_form_shows_errors_next_to_the_fields_and_writes_nothing(lead_client, lead):
    response = lead_client.post(
        reverse("assets:create"), {"kind": "endpoint", "tag": "EP-1", "name": "API", "owner": lead.pk, "url": "ftp:/x"}
    )
    assert response.status_code == 200
    assert 'data-field-error="url"' in response.content.decode()
    assert not Asset.objects.exists()


def test_the_record_of_processing_selector_lists_each_store(make_asset, lead):
    asset = make_asset("data_store", name="Orders DB", holds_pii=True)
    record_of_processing_update(
        store=asset.data_store,
        data={"rop_collected": "SP-API Orders API", "rop_shared": "carrier only"},
        by=lead,
        now=timezone.now(),
    )
    make_asset("software", name="Not a store")
    records = record_of_processing()
    assert [r["name"] for r in records] == ["Orders DB"]
    record = records[0]
    assert record["data_fields"] == "order id, buyer name, shipping address"
    assert record["collected"] == "SP-API Orders API" and record["shared"] == "carrier only"
    assert record["complete"] is False and record["encryption"] == "AES-256"
    assert AuditEvent.objects.filter(action="assets.datastore.record_of_processing_updated").exists()


def test_record_of_processing_text_is_encrypted_at_rest(make_asset):
    from django.db import connection

    asset = make_asset("data_store", holds_pii=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT rop_data_fields FROM assets_datastore WHERE id = %s", [asset.data_store.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("fernet:") and "buyer" not in stored


def test_the_record_of_processing_page_lists_every_store(make_asset, manager_client):
    make_asset("data_store", name="Orders DB", holds_pii=True)
    html = manager_client.get(reverse("assets:record_of_processing")).content.decode()
    assert "Orders DB" in html and "order id, buyer name" in html


def test_the_owner_confirms_the_monthly_purge_check(make_asset, manager, manager_client, other_manager):
    asset = make_asset("data_store", holds_pii=True, owner=manager)
    store = DataStore.objects.get(asset=asset)
    first = open_obligation("assets.retention_check", store)
    response = manager_client.post(reverse("assets:retention_check", args=[asset.pk]), {"note": "purge log checked"})
    assert response.status_code == 302
    assert Obligation.objects.get(pk=first.pk).completed_at is not None
    assert open_obligation("assets.retention_check", store).due_at > first.due_at
    other = make_asset("data_store", holds_pii=True, owner=other_manager)
    assert manager_client.post(reverse("assets:retention_check", args=[other.pk])).status_code == 403


def test_kinds_cover_the_issue():
    assert set(AssetKind.values) == {"hardware", "software", "data_store", "credential", "endpoint", "removable_media"}

"""The live DPP checks this app registers (1.1, 1.4, 1.5, 1.8, 2.1, 2.2, 2.3, 2.4, 2.7), the
providers' resync, and the demo seed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assets import obligations
from assets.models import Asset, DeletionRequest, Finding
from grc.compliance.models import Obligation
from grc.compliance.registry import checks_for, provider_for
from grc.compliance.selectors import requirement_row
from grc.seeding import SeedContext

pytestmark = pytest.mark.django_db


def test_every_check_says_not_tracked_for_an_empty_inventory():
    now = timezone.now()
    for _clause, _name, check in obligations.CHECKS:
        assert check(now).status == "not_tracked"


def test_the_checks_are_registered_under_their_clauses():
    for clause in ("1.1", "1.4", "1.5", "1.8", "2.1", "2.2", "2.3", "2.4", "2.7"):
        assert any(name in dict(checks_for(clause)) for _c, name, _f in obligations.CHECKS), clause
    for kind in (
        "inventory_attestation",
        "vulnerability_scan",
        "penetration_test",
        "release_scan",
        "finding_fix",
        "deletion_30d",
        "deletion_90d",
        "retention_check",
    ):
        assert provider_for(f"assets.{kind}") is not None, kind


def test_anti_malware_on_end_user_devices(make_asset):
    now = timezone.now()
    make_asset("hardware")
    make_asset("hardware", hardware_type="server", anti_malware_present=False)  # servers do not count
    assert obligations.check_anti_malware(now).status == "met"
    make_asset("hardware", anti_malware_updated=False)
    assert obligations.check_anti_malware(now).reason == "1 of 2 end-user devices have anti-malware that is not up to date"
    make_asset("hardware", hardware_type="mobile", anti_malware_present=False)
    result = obligations.check_anti_malware(now)
    assert (result.status, result.reason) == ("not_met", "1 of 3 end-user devices have no anti-malware")


def test_api_credentials_are_encrypted_and_rotated(make_asset):
    now = timezone.now()
    make_asset("credential")
    assert obligations.check_api_credentials(now).status == "met"
    make_asset("credential", credential_type="api_key", last_rotated_at=(now - timedelta(days=500)).date())
    result = obligations.check_api_credentials(now)
    assert result.status == "at_risk" and "1 not rotated within 365 days" in result.reason
    make_asset("credential", encryption_algorithm="", encryption_key_bits=None)
    result = obligations.check_api_credentials(now)
    assert result.status == "not_met" and result.reason.startswith("3 credentials recorded (2 from Amazon); 1 stored without")


def test_endpoints_need_tls_1_2(make_asset):
    now = timezone.now()
    make_asset("endpoint")
    assert obligations.check_endpoint_tls(now).status == "met"
    make_asset("endpoint", tls_min_version="1.1")
    assert obligations.check_endpoint_tls(now).reason == "1 of 2 endpoints accept TLS below 1.2 or no TLS"


def test_stores_with_amazon_information_are_separate_or_tagged(make_asset):
    now = timezone.now()
    make_asset("data_store", holds_amazon_information=True)
    assert obligations.check_attribution(now).status == "met"
    make_asset("data_store", holds_amazon_information=True, store={"attribution": "none"})
    assert obligations.check_attribution(now).status == "not_met"


def test_retention_record_of_processing_and_encryption_of_pii_stores(make_asset):
    now = timezone.now()
    make_asset("data_store", holds_pii=True)
    for check in (obligations.check_retention, obligations.check_record_of_processing, obligations.check_encryption_at_rest):
        assert check(now).status == "met", check.__name__
    make_asset("data_store", holds_pii=True, encryption_key_bits=64, store={"pii_retention_days": 60, "rop_data_fields": ""})
    assert obligations.check_retention(now).reason == "1 of 2 PII stores keep PII over 30 days after delivery without a legal basis"
    assert obligations.check_record_of_processing(now).reason == "1 of 2 PII stores have no record of processing"
    assert obligations.check_encryption_at_rest(now).reason == "1 of 2 PII stores are not encrypted with at least AES-128 / RSA-2048"


def test_personal_devices_with_information_fail_2_3(make_asset):
    now = timezone.now()
    make_asset("hardware")
    assert obligations.check_inventory(now).status == "met"
    make_asset("hardware", ownership="personal", holds_pii=True)
    result = obligations.check_inventory(now)
    assert result.status == "not_met" and "1 personal device with Information" in result.reason


def test_the_clause_status_combines_checks_and_obligations(make_asset):
    make_asset("endpoint", tls_min_version="1.0")
    row = requirement_row("1.5", timezone.now())
    assert row.status.status == "not_met"
    assert "1 of 1 endpoints accept TLS below 1.2 or no TLS" in row.status.reason


def test_resync_restores_the_obligations_from_the_records(make_asset, lead):
    make_asset("data_store", holds_pii=True)
    Obligation.objects.filter(kind__startswith="assets.").delete()
    now = timezone.now()
    for kind in ("assets.inventory_attestation", "assets.vulnerability_scan", "assets.penetration_test", "assets.retention_check"):
        provider_for(kind).resync(now=now)
    assert set(Obligation.objects.values_list("kind", flat=True)) == {
        "assets.inventory_attestation",
        "assets.vulnerability_scan",
        "assets.penetration_test",
        "assets.retention_check",
    }
    assert lead in provider_for("assets.finding_fix").recipients(Obligation.objects.first())


def test_the_demo_seed_makes_a_realistic_inventory(lead, manager, other_manager, staff, auditor, make_user):
    from assets.seed import seed

    staff2 = make_user("jana.novak")
    ctx = SeedContext(
        now=timezone.now(),
        users={"lead": lead, "manager": manager, "manager2": other_manager, "staff": staff, "staff2": staff2, "auditor": auditor},
    )
    seed(ctx)
    assert len(ctx.made["assets"]) == Asset.objects.count() == 20
    assert {store.asset.tag for store in ctx.made["data_stores"]} == {"DS-0001", "DS-0002", "DS-0003"}
    flags = {asset.tag: asset.flags for asset in Asset.objects.select_related("data_store")}
    assert "laptop without disk encryption" in flags["LT-0003"]
    assert "personal device with PII" in flags["MB-0001"]
    overdue = Finding.objects.filter(status="open", due_at__lte=timezone.now())
    assert [f.severity for f in overdue] == ["high"]
    deletion = DeletionRequest.objects.get()
    assert (timezone.now() - deletion.received_at).days == 10
    assert Obligation.objects.filter(kind="assets.deletion_30d", completed_at__isnull=True).exists()
    assert "20 assets" in ctx.lines[-1]

"""Demo inventory: ~20 assets of a small SP-API seller-tools company, a few of them flagged, two
data stores with their record of processing, a scan 150 days ago (one high finding overdue), a pen
test 300 days ago, release scans, an attestation, and a deletion request received 10 days ago
that is half done. Everything goes through the services, so obligations and audit events exist.

Shares ``ctx.made["assets"]`` (list of Asset) and ``ctx.made["data_stores"]`` (list of DataStore), in
inventory order; each asset's ``tag`` (LT-0001, DS-0001 …) says which is which.
"""

from __future__ import annotations

from datetime import timedelta

from assets.dsar_seed import seed as seed_dsar
from assets.models import DataStore, Severity
from assets.services.attestation import attestation_sign
from assets.services.deletion import deletion_action_perform, deletion_request_create, retention_exception_add
from assets.services.inventory import asset_create, record_of_processing_update, retention_check_record
from assets.services.vulns import finding_create, finding_resolve, pentest_record, release_create, scan_record

AES256 = {"encryption_algorithm": "aes", "encryption_key_bits": 256}


def _laptop(tag, name, owner, *, encryption=True, detail="FileVault", anti_malware=True, updated=True, days=40, ctx=None):
    return {
        "tag": tag,
        "name": name,
        "kind": "hardware",
        "owner": owner,
        "hardware_type": "laptop",
        "ownership": "company",
        "location": "London office / home office",
        "baseline_reference": "CIS benchmark Level 1 via MDM profile v7 (wiki: IT/Baselines/Laptops)",
        "baseline_verified_at": (ctx.now - timedelta(days=days)).date(),
        "holds_amazon_information": True,
        **(AES256 | {"encryption_detail": detail} if encryption else {}),
        "anti_malware_present": anti_malware,
        "anti_malware_updated": updated,
    }


def _inventory(ctx) -> list[tuple[dict, dict | None]]:
    u = ctx.users
    today = ctx.now.date()
    baseline = {"baseline_verified_at": today - timedelta(days=60)}
    return [
        (_laptop("LT-0001", "MacBook Pro 14 (security lead)", u["lead"], ctx=ctx), None),
        (_laptop("LT-0002", "MacBook Air (operations manager)", u["manager"], ctx=ctx), None),
        (_laptop("LT-0003", "ThinkPad T14 (support)", u["staff"], encryption=False, detail="", ctx=ctx), None),
        (_laptop("LT-0004", "Dell Latitude 7440 (finance)", u["staff2"], detail="BitLocker XTS-AES", updated=False, ctx=ctx), None),
        (
            {
                "tag": "MB-0001",
                "name": "Personal iPhone used for support email",
                "kind": "hardware",
                "owner": u["staff"],
                "hardware_type": "mobile",
                "ownership": "personal",
                "location": "with the employee",
                "holds_pii": True,
                "holds_amazon_information": True,
                **AES256,
                "encryption_detail": "iOS data protection",
                "notes": "Support mailbox synced to a personal phone; to be replaced by a company device.",
            },
            None,
        ),
        (
            {
                "tag": "SRV-0001",
                "name": "Bastion host (production)",
                "kind": "hardware",
                "owner": u["lead"],
                "hardware_type": "server",
                "ownership": "company",
                "environment": "production",
                "location": "AWS eu-west-1, prod account",
                "baseline_reference": "CIS Amazon Linux 2023 Level 1 (Packer image bastion-2026.10)",
                **baseline,
                **AES256,
                "encryption_detail": "EBS encryption, KMS",
            },
            None,
        ),
        (
            {
                "tag": "SRV-0002",
                "name": "CI build runner",
                "kind": "hardware",
                "owner": u["manager2"],
                "hardware_type": "server",
                "ownership": "company",
                "environment": "test",
                "location": "AWS eu-west-1, tools account",
                "baseline_reference": "CIS Ubuntu 24.04 Level 1 (runner AMI)",
                **baseline,
            },
            None,
        ),
        (
            {
                "tag": "SW-0001",
                "name": "SP-API sync service (production)",
                "kind": "software",
                "owner": u["lead"],
                "environment": "production",
                "location": "AWS eu-west-1, ECS cluster prod",
                "vendor": "in-house",
                "version": "3.8.2",
                "holds_amazon_information": True,
                "holds_pii": True,
                "baseline_reference": "https://wiki.example.com/platform/baselines/ecs-services",
                **baseline,
            },
            None,
        ),
        (
            {
                "tag": "SW-0002",
                "name": "SP-API sync service (test)",
                "kind": "software",
                "owner": u["manager2"],
                "environment": "test",
                "location": "AWS eu-west-1, ECS cluster test (separate account)",
                "vendor": "in-house",
                "version": "3.9.0-rc1",
                "holds_amazon_information": True,
                "baseline_reference": "https://wiki.example.com/platform/baselines/ecs-services",
                **baseline,
                "notes": "Uses the SP-API sandbox only; no production data.",
            },
            None,
        ),
        (
            {
                "tag": "SW-0003",
                "name": "Label printing app",
                "kind": "software",
                "owner": u["manager"],
                "environment": "production",
                "location": "Warehouse workstation",
                "vendor": "ShipLabel Ltd",
                "version": "2.1.4",
                "holds_amazon_information": True,
                "holds_pii": True,
                "baseline_reference": "Vendor hardening guide v2 + local checklist",
                **baseline,
            },
            None,
        ),
        (
            {
                "tag": "SW-0004",
                "name": "Password manager (team vault)",
                "kind": "software",
                "owner": u["lead"],
                "environment": "production",
                "vendor": "1Password",
                "version": "SaaS",
                "baseline_reference": "SSO enforced, 2FA required, travel mode policy",
                **baseline,
            },
            None,
        ),
        (
            {
                "tag": "SW-0005",
                "name": "Google Workspace (mail and drive)",
                "kind": "software",
                "owner": u["lead"],
                "environment": "production",
                "vendor": "Google",
                "version": "SaaS",
                "holds_amazon_information": True,
                "baseline_reference": "Workspace baseline: SSO, 2-step verification enforced, external sharing off",
                **baseline,
            },
            None,
        ),
        (
            {
                "tag": "DS-0001",
                "name": "Orders PostgreSQL (production)",
                "kind": "data_store",
                "owner": u["lead"],
                "environment": "production",
                "location": "AWS RDS eu-west-1, prod account",
                "holds_amazon_information": True,
                "holds_pii": True,
                **AES256,
                "encryption_detail": "RDS storage encryption with a customer-managed KMS key",
                "baseline_reference": "RDS parameter group prod-pg16 + CIS PostgreSQL 16",
                **baseline,
            },
            {
                "store_type": "database",
                "live": True,
                "attribution": "tagged",
                "attribution_mechanism": "Every row carries source_channel='amazon' and the SP-API marketplace id, set by the sync service.",
                "key_holders": "KMS key usable only by the sync service's task role; key administrators: security lead (no decrypt).",
                "keys_service_only": True,
                "pii_retention_days": 30,
                "backup_procedure": "Automated RDS snapshots daily, kept 7 days; encrypted with the same KMS key.",
                "restore_procedure": "Runbook OPS-12: restore the snapshot to a new instance, verify row counts, switch the DNS alias.",
                "restore_tested_at": (ctx.now - timedelta(days=75)).date(),
            },
        ),
        (
            {
                "tag": "DS-0002",
                "name": "Shipping labels S3 bucket",
                "kind": "data_store",
                "owner": u["manager"],
                "environment": "production",
                "location": "AWS S3 eu-west-1 (prod-labels)",
                "holds_amazon_information": True,
                "holds_pii": True,
                **AES256,
                "encryption_detail": "SSE-KMS",
                "baseline_reference": "S3 baseline: block public access, TLS-only bucket policy, versioning",
                **baseline,
            },
            {
                "store_type": "bucket",
                "live": True,
                "attribution": "separate",
                "key_holders": "KMS key for the label service role only.",
                "keys_service_only": True,
                "pii_retention_days": 90,
                "backup_procedure": "Versioning on; cross-region replication to eu-central-1.",
                "restore_procedure": "Restore previous object versions with the replication copy.",
            },
        ),
        (
            {
                "tag": "DS-0003",
                "name": "Tax invoice archive",
                "kind": "data_store",
                "owner": u["manager"],
                "environment": "production",
                "location": "AWS S3 eu-west-1 (prod-invoices), Object Lock",
                "holds_amazon_information": True,
                "holds_pii": True,
                **AES256,
                "encryption_detail": "SSE-KMS, Object Lock (compliance mode)",
                "baseline_reference": "S3 baseline + Object Lock policy",
                **baseline,
            },
            {
                "store_type": "bucket",
                "live": True,
                "attribution": "separate",
                "key_holders": "KMS key for the invoicing service role only.",
                "keys_service_only": True,
                "pii_retention_days": 2190,
                "retention_legal_basis": "VAT records must be kept for 6 years (VAT Act 1994, Schedule 11 para 6).",
                "backup_procedure": "Object Lock and replication.",
                "restore_procedure": "Read from the replica bucket.",
            },
        ),
        (
            {
                "tag": "CR-0001",
                "name": "Amazon LWA client secret (SP-API app)",
                "kind": "credential",
                "owner": u["lead"],
                "environment": "production",
                "location": "AWS Secrets Manager prod/sp-api/lwa",
                "credential_type": "amazon_lwa",
                **AES256,
                "encryption_detail": "Secrets Manager with a customer-managed KMS key",
                "access_holders": "sync service task role; security lead (break-glass, alarmed)",
                "last_rotated_at": (ctx.now - timedelta(days=120)).date(),
                "holds_amazon_information": True,
            },
            None,
        ),
        (
            {
                "tag": "CR-0002",
                "name": "AWS deploy key (CI)",
                "kind": "credential",
                "owner": u["manager2"],
                "environment": "production",
                "location": "Vault kv/ci/deploy",
                "credential_type": "aws_access_key",
                **AES256,
                "encryption_detail": "Vault barrier AES-256-GCM",
                "access_holders": "CI pipeline role; platform lead",
                "last_rotated_at": (ctx.now - timedelta(days=400)).date(),
            },
            None,
        ),
        (
            {
                "tag": "EP-0001",
                "name": "Orders API",
                "kind": "endpoint",
                "owner": u["lead"],
                "environment": "production",
                "location": "AWS ALB eu-west-1",
                "url": "https://api.example-seller.com/v2",
                "tls_min_version": "1.2",
                "holds_amazon_information": True,
            },
            None,
        ),
        (
            {
                "tag": "EP-0002",
                "name": "Legacy label webhook",
                "kind": "endpoint",
                "owner": u["manager"],
                "environment": "production",
                "location": "Shared hosting reverse proxy",
                "url": "https://hooks.example-seller.com/labels",
                "tls_min_version": "1.0",
                "untrusted_proxy": True,
                "holds_pii": True,
                "notes": "Scheduled for retirement when the label app moves to the orders API.",
            },
            None,
        ),
        (
            {
                "tag": "RM-0001",
                "name": "Encrypted USB drive (accountant hand-over)",
                "kind": "removable_media",
                "owner": u["staff2"],
                "location": "Finance safe",
                "holds_pii": True,
                **AES256,
                "encryption_detail": "Hardware-encrypted (FIPS 140-2 Level 3)",
            },
            None,
        ),
    ]


RECORDS = {
    "DS-0001": {
        "rop_data_fields": "Amazon order id, ASIN, quantities, buyer name, shipping address, phone number (when provided), delivery date.",
        "rop_collected": "SP-API Orders API and the Restricted Data Token flow, pulled every 15 minutes by the sync service.",
        "rop_processed": "Order routing, label creation, tax calculation.",
        "rop_stored": "Encrypted PostgreSQL (AES-256, customer-managed KMS key); PII columns separate from order lines.",
        "rop_used": "Fulfilling merchant-fulfilled orders and calculating tax (DPP 2.1 purposes only).",
        "rop_shared": "Shipping address to the carrier for the label; nothing else is shared.",
        "rop_disposed": "Nightly purge job deletes PII 30 days after delivery; snapshots expire after 7 days.",
    },
    "DS-0002": {
        "rop_data_fields": "Shipping label PDFs: buyer name, shipping address, tracking number.",
        "rop_collected": "Generated by the label service from order data.",
        "rop_processed": "Printed at the warehouse.",
        "rop_stored": "S3 with SSE-KMS; access only through the label service.",
        "rop_used": "Printing and reprinting labels; proof of dispatch.",
        "rop_shared": "Printed label travels with the parcel.",
        "rop_disposed": "Lifecycle rule deletes objects after 90 days (under review: DPP 2.1 allows 30).",
    },
}


def seed(ctx) -> None:
    lead = ctx.users["lead"]
    now = ctx.now
    made: dict = {}
    for data, store_data in _inventory(ctx):
        made[data["tag"]] = asset_create(data=data, store_data=store_data, by=lead, now=now)
    stores = {tag: DataStore.objects.get(asset=asset) for tag, asset in made.items() if asset.kind == "data_store"}
    for tag, record in RECORDS.items():
        record_of_processing_update(store=stores[tag], data=record, by=lead, now=now)
    retention_check_record(
        store=stores["DS-0001"], note="Purge job log reviewed: no PII older than 30 days.", by=lead, now=now - timedelta(days=20)
    )

    # Vulnerability management: a scan 150 days ago, a pen test 300 days ago, release scans.
    scan = scan_record(
        data={
            "performed_at": now - timedelta(days=150),
            "tool": "Tenable Nessus 10.7",
            "scope": "Production VPC 10.20.0.0/16, public endpoints, CI runners",
            "critical_count": 0,
            "high_count": 2,
            "medium_count": 5,
            "low_count": 11,
        },
        assets=[made["SRV-0001"], made["SRV-0002"], made["EP-0001"], made["EP-0002"], made["SW-0001"]],
        by=lead,
        now=now,
    )
    finding_create(
        data={
            "title": "OpenSSH signal handler race (regreSSHion) on the bastion host",
            "reference": "CVE-2024-6387",
            "severity": Severity.HIGH,
            "asset": made["SRV-0001"],
            "owner": ctx.users["manager2"],
            "found_at": now - timedelta(days=150),
            "scan": scan,
        },
        by=lead,
        now=now,
    )
    fixed = finding_create(
        data={
            "title": "TLS 1.0 accepted by the legacy label webhook",
            "reference": "nessus-104743",
            "severity": Severity.HIGH,
            "asset": made["EP-0002"],
            "owner": ctx.users["manager"],
            "found_at": now - timedelta(days=150),
            "scan": scan,
        },
        by=lead,
        now=now,
    )
    finding_resolve(
        finding=fixed,
        status="accepted",
        note="Endpoint retires next quarter; compensating control: IP allow-list. Agreed by the security lead.",
        by=lead,
        now=now - timedelta(days=130),
    )
    finding_create(
        data={
            "title": "Outdated jQuery on the status page",
            "reference": "nessus-136929",
            "severity": Severity.LOW,
            "asset": made["EP-0001"],
            "owner": lead,
            "found_at": now - timedelta(days=150),
            "scan": scan,
        },
        by=lead,
        now=now,
    )
    test = pentest_record(
        data={
            "performed_at": now - timedelta(days=300),
            "tester": "Northbeam Security Ltd",
            "scope": "Orders API, sync service, AWS configuration review",
            "critical_count": 0,
            "high_count": 1,
            "medium_count": 3,
            "low_count": 4,
            "summary": "One high (IDOR on the order export endpoint), fixed and retested.",
        },
        assets=[made["EP-0001"], made["SW-0001"], made["DS-0001"]],
        by=lead,
        now=now,
    )
    idor = finding_create(
        data={
            "title": "IDOR on the order export endpoint",
            "severity": Severity.HIGH,
            "asset": made["EP-0001"],
            "owner": lead,
            "found_at": now - timedelta(days=300),
            "pentest": test,
        },
        by=lead,
        now=now,
    )
    finding_resolve(
        finding=idor, status="fixed", note="Ownership check added; retested by Northbeam.", by=lead, now=now - timedelta(days=285)
    )
    release_create(
        data={
            "release_name": "SP-API sync service",
            "version": "3.8.2",
            "release_date": now - timedelta(days=11),
            "asset": made["SW-0001"],
            "owner": lead,
            "result": "pass",
            "scanned_at": now - timedelta(days=12),
            "tool": "Semgrep + Snyk",
            "blocking_findings": 0,
        },
        by=lead,
        now=now,
    )
    release_create(
        data={
            "release_name": "SP-API sync service",
            "version": "3.9.0",
            "release_date": now + timedelta(days=6),
            "asset": made["SW-0001"],
            "owner": ctx.users["manager2"],
            "result": "pending",
            "scanned_at": None,
            "tool": "",
            "blocking_findings": 0,
        },
        by=lead,
        now=now,
    )

    attestation_sign(
        user=lead,
        note="Quarterly review with owners; two laptops re-imaged.",
        step_up_at=now - timedelta(days=80),
        now=now - timedelta(days=80),
    )

    # A deletion request from Amazon received 10 days ago, half done.
    deletion = deletion_request_create(
        data={
            "reference": f"AMZ-DEL-{now:%Y}-0142",
            "received_at": now - timedelta(days=10),
            "scope": "Delete all Information about the seller account of a terminated integration, including orders and shipping data.",
            "responsible": lead,
        },
        stores=[stores["DS-0001"], stores["DS-0002"], stores["DS-0003"]],
        by=lead,
        now=now,
    )
    action = deletion.actions.get(data_store=stores["DS-0001"])
    deletion_action_perform(
        action=action,
        method="purge",
        description="Rows of the seller deleted and the table vacuumed; the seller's data key destroyed (cryptographic erase).",
        performed_by=lead,
        performed_at=now - timedelta(days=3),
        by=lead,
        now=now,
    )
    retention_exception_add(
        deletion=deletion,
        data={
            "data_store": stores["DS-0003"],
            "basis": "tax",
            "description": "Issued VAT invoices kept for 6 years (VAT Act 1994); access restricted to finance.",
            "ends_on": (now + timedelta(days=6 * 365)).date(),
        },
        by=lead,
        now=now,
    )

    ctx.made["assets"] = list(made.values())
    ctx.made["data_stores"] = list(stores.values())
    seed_dsar(ctx)  # DPP 2.2: data-subject requests
    flagged = sum(1 for asset in made.values() if asset.flag_count)
    ctx.say(
        f"Asset inventory: {len(made)} assets ({flagged} flagged), 1 vulnerability scan (a high finding overdue), 1 pen test, "
        "2 release scans, 1 deletion request in progress"
    )

"""The asset inventory (laptops for everyone, servers, services, data stores with their record of
processing, credentials, endpoints), quarterly attestations, scans, pen tests and findings, and
Amazon's deletion requests with their sanitisation records (DPP 1.7, 2.1-2.7)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.urls import reverse

from assets.deletion_rules import StoreState, ninety_day_met_at, thirty_day_met_at
from assets.flags import asset_flags, flags_recheck_at, limits_from_settings
from assets.models import (
    Asset,
    AssetKind,
    DataStore,
    DeletionAction,
    DeletionRequest,
    Finding,
    InventoryAttestation,
    PenetrationTest,
    RetentionCheck,
    RetentionException,
    VulnerabilityScan,
)
from assets.services.vulns import pentest_obligation_sync, scan_obligation_sync
from grc.compliance.models import Obligation
from grc.scale.bulk import ScaleContext, insert, obligation

RETENTION_CHECK = "assets.retention_check"
FINDING_FIX = "assets.finding_fix"
DELETION_30D = "assets.deletion_30d"
DELETION_90D = "assets.deletion_90d"
# kind, hardware type, share of the inventory, tag prefix, name
MIX = (
    (AssetKind.HARDWARE, "laptop", 0.45, "LT", "Laptop"),
    (AssetKind.HARDWARE, "desktop", 0.04, "DT", "Warehouse desktop"),
    (AssetKind.HARDWARE, "mobile", 0.08, "MB", "Work phone"),
    (AssetKind.HARDWARE, "server", 0.05, "SV", "Server"),
    (AssetKind.HARDWARE, "network", 0.01, "NW", "Network switch"),
    (AssetKind.SOFTWARE, "", 0.12, "SW", "Service"),
    (AssetKind.DATA_STORE, "", 0.08, "DS", "Data store"),
    (AssetKind.CREDENTIAL, "", 0.06, "CR", "Credential"),
    (AssetKind.ENDPOINT, "", 0.05, "EP", "Endpoint"),
    (AssetKind.REMOVABLE_MEDIA, "", 0.01, "RM", "Encrypted USB drive"),
)
END_USER = ("laptop", "desktop", "mobile")


def _asset(ctx: ScaleContext, kind: str, hardware: str, tag: str, name: str, owner_id: int) -> Asset:
    rng, now = ctx.rng, ctx.now
    created = ctx.moment_between(ctx.start, now - timedelta(days=1))
    asset = Asset(
        tag=tag,
        name=name,
        kind=kind,
        owner_id=owner_id,
        created_at=created,
        updated_at=ctx.moment_between(created, now),
        holds_amazon_information=kind in (AssetKind.DATA_STORE, AssetKind.SOFTWARE) and ctx.chance(0.6) or ctx.chance(0.1),
        baseline_verified_at=(now - timedelta(days=rng.uniform(5, 420))).date()
        if kind in (AssetKind.HARDWARE, AssetKind.SOFTWARE)
        else None,
        baseline_reference="Baseline v3 (seeded)" if kind in (AssetKind.HARDWARE, AssetKind.SOFTWARE, AssetKind.DATA_STORE) else "",
    )
    asset.holds_pii = asset.holds_amazon_information and ctx.chance(0.5)
    if kind in (AssetKind.HARDWARE, AssetKind.DATA_STORE, AssetKind.REMOVABLE_MEDIA, AssetKind.CREDENTIAL):
        if ctx.chance(0.97):
            asset.encryption_algorithm, asset.encryption_key_bits, asset.encryption_detail = "aes", 256, "Full-disk / at-rest AES-256"
    if kind == AssetKind.HARDWARE:
        asset.hardware_type = hardware
        asset.ownership = "personal" if hardware == "mobile" and ctx.chance(0.05) else "company"
        asset.location = rng.choice(("London office", "Home office", "Leeds warehouse", "eu-west-1"))
        if hardware in END_USER:
            asset.anti_malware_present = ctx.chance(0.97)
            asset.anti_malware_updated = asset.anti_malware_present and ctx.chance(0.95)
        else:
            asset.environment = "production" if ctx.chance(0.8) else "test"
    elif kind == AssetKind.SOFTWARE:
        asset.vendor = rng.choice(("Atlassian", "Salesforce", "Zendesk", "In-house", "Microsoft", "Shopify"))
        asset.version = f"{rng.randint(1, 12)}.{rng.randint(0, 20)}"
        asset.environment = "production" if ctx.chance(0.75) else ("test" if ctx.chance(0.8) else "")
    elif kind == AssetKind.DATA_STORE:
        asset.environment = "production" if ctx.chance(0.8) else "test"
        asset.location = "eu-west-1"
    elif kind == AssetKind.CREDENTIAL:
        asset.credential_type = rng.choice(("amazon_lwa", "aws_access_key", "api_key", "password", "certificate"))
        asset.location = "Secrets manager"
        asset.access_holders = "The order service's runtime role (seeded)."
        asset.last_rotated_at = (now - timedelta(days=rng.uniform(5, 420))).date()
    elif kind == AssetKind.ENDPOINT:
        asset.url = f"https://api{tag[-4:]}.example.com/orders"
        asset.tls_min_version = "1.2" if ctx.chance(0.95) else "1.0"
        asset.environment = "production"
    elif kind == AssetKind.REMOVABLE_MEDIA:
        asset.location = "Security cabinet"
    if ctx.chance(0.04):
        asset.retired_at = ctx.moment_between(created, now)
    return asset


def _store(ctx: ScaleContext) -> DataStore:
    rng = ctx.rng
    filled = ctx.chance(0.85)
    long_retention = ctx.chance(0.1)
    return DataStore(
        store_type=rng.choice(("database", "bucket", "warehouse", "backup", "file_share")),
        live=ctx.chance(0.85),
        attribution=rng.choices(("separate", "tagged", "none"), weights=(60, 30, 10))[0],
        key_holders="The order service role via KMS (seeded)." if filled else "",
        keys_service_only=ctx.chance(0.7),
        pii_retention_days=90 if long_retention else rng.choice((14, 30, 30)),
        retention_legal_basis="Tax records kept for six years (seeded)." if long_retention and ctx.chance(0.7) else "",
        backup_procedure="Nightly snapshot, 35 days (seeded)." if filled else "",
        restore_procedure="Restore runbook RB-7 (seeded)." if filled else "",
        restore_tested_at=(ctx.now - timedelta(days=rng.uniform(10, 400))).date() if filled else None,
        **{
            field: (f"{field.removeprefix('rop_').replace('_', ' ')}: as in the processing register (seeded)" if filled else "")
            for field in ("rop_data_fields", "rop_collected", "rop_processed", "rop_stored", "rop_used", "rop_shared", "rop_disposed")
        },
        rop_updated_at=ctx.now - timedelta(days=rng.uniform(1, 300)) if filled else None,
    )


def seed_assets(ctx: ScaleContext) -> None:
    rng, now = ctx.rng, ctx.now
    total = ctx.sizes.assets
    staff = [u for u in ctx.made["users"] if u.is_active]
    stewards = ctx.made["leads"] + ctx.made["managers"]
    limits = limits_from_settings()
    assets, stores = [], {}
    number = 0
    for index, (kind, hardware, share, prefix, label) in enumerate(MIX):
        count = round(total * share) if index else total - sum(round(total * m[2]) for m in MIX[1:])
        for _ in range(count):
            number += 1
            owner = rng.choice(staff if hardware in END_USER else stewards)
            asset = _asset(ctx, kind, hardware, f"{prefix}-{number:05d}", f"{label} {number:05d}", owner.pk)
            store = _store(ctx) if kind == AssetKind.DATA_STORE else None
            asset.flag_count = len(asset_flags(asset, now=now, store=store, limits=limits))
            asset.flags_recheck_at = flags_recheck_at(asset, now=now, limits=limits)
            assets.append(asset)
            if store is not None:
                stores[len(assets) - 1] = store
    insert(Asset, assets)
    for index, store in stores.items():
        store.asset = assets[index]
    insert(DataStore, list(stores.values()))
    _retention_checks(ctx, list(stores.values()))
    ctx.made["assets"] = assets
    ctx.made["stores"] = list(stores.values())
    ctx.count("assets", len(assets))
    ctx.count("data_stores", len(stores))


def _retention_checks(ctx: ScaleContext, stores: list[DataStore]) -> None:
    """Live PII stores: monthly purge confirmations for the last three months and the open one."""
    checks, obligations = [], []
    for store in stores:
        asset = store.asset
        if asset.retired_at is not None or not asset.holds_pii:
            continue
        url = reverse("assets:detail", args=[asset.pk])
        title = f"Confirm PII past retention was purged: {asset.name}"
        anchor = ctx.now - timedelta(days=105)
        for days in (75, 45, 15):
            checked = ctx.now - timedelta(days=days + ctx.rng.uniform(-3, 3))
            checks.append(
                RetentionCheck(data_store=store, checked_by_id=asset.owner_id, checked_at=checked, note="Purge job log checked (seeded).")
            )
            obligations.append(
                obligation(
                    RETENTION_CHECK,
                    "assets.datastore",
                    store.pk,
                    anchor_at=anchor,
                    owner_id=asset.owner_id,
                    completed_at=checked,
                    completed_by_id=asset.owner_id,
                    title=title,
                    url=url,
                )
            )
            anchor = checked
        obligations.append(
            obligation(RETENTION_CHECK, "assets.datastore", store.pk, anchor_at=anchor, owner_id=asset.owner_id, title=title, url=url)
        )
    insert(RetentionCheck, checks)
    insert(Obligation, obligations)


def seed_vulnerabilities(ctx: ScaleContext) -> None:
    """Quarterly attestations, a scan every ~170 days, a yearly pen test, and their findings."""
    rng, now = ctx.rng, ctx.now
    lead = ctx.made["leads"][0]
    assets = [a for a in ctx.made["assets"] if a.retired_at is None]
    stewards = ctx.made["leads"] + ctx.made["managers"]
    attestations = [
        InventoryAttestation(
            attested_by=lead,
            attested_at=now - timedelta(days=91 * k + rng.uniform(5, 20)),
            scope="inventory",
            asset_count=len(assets),
            flagged_count=sum(1 for a in assets if a.flag_count),
            inventory_digest=f"{k:064x}",
            step_up_at=now - timedelta(days=91 * k + 21),
        )
        for k in range(12)
    ]
    insert(InventoryAttestation, attestations)
    scans = [
        VulnerabilityScan(
            performed_at=now - timedelta(days=170 * k + rng.uniform(5, 30)), tool="OpenVAS", scope="All production hosts", recorded_by=lead
        )
        for k in range(7)
    ]
    tests = [
        PenetrationTest(
            performed_at=now - timedelta(days=365 * k + rng.uniform(20, 60)),
            tester="Example Pentest Ltd",
            scope="Order API and admin",
            recorded_by=lead,
        )
        for k in range(3)
    ]
    insert(VulnerabilityScan, scans)
    insert(PenetrationTest, tests)
    due_days = settings.ASSETS_FINDING_DUE_DAYS
    findings, obligations = [], []
    for source in scans + tests:
        for _ in range(max(2, round(40 * ctx.sizes.factor**0.5))):
            severity = rng.choices(("critical", "high", "medium", "low"), weights=(3, 12, 45, 40))[0]
            found = source.performed_at + timedelta(hours=rng.uniform(1, 48))
            due = found + timedelta(days=due_days[severity])
            finding = Finding(
                scan=source if isinstance(source, VulnerabilityScan) else None,
                pentest=source if isinstance(source, PenetrationTest) else None,
                title=rng.choice(
                    ("Outdated TLS library", "Missing security header", "Weak SSH cipher", "Unpatched kernel", "Open admin port")
                ),
                reference=f"CVE-20{rng.randint(20, 26)}-{rng.randint(1000, 49999)}",
                severity=severity,
                asset=rng.choice(assets) if assets else None,
                owner=rng.choice(stewards),
                found_at=found,
                due_at=due,
                created_by=lead,
                created_at=found,
            )
            fixed_at = found + timedelta(days=rng.uniform(1, due_days[severity] * 1.2))
            if fixed_at < now - timedelta(hours=1):
                finding.status, finding.resolved_at, finding.resolved_by = (
                    ("fixed" if ctx.chance(0.93) else "accepted"),
                    fixed_at,
                    finding.owner,
                )
                finding.resolution_note = "Patched and rescanned (seeded)."
            findings.append(finding)
    insert(Finding, findings)
    for finding in findings:
        obligations.append(
            obligation(
                FINDING_FIX,
                "assets.finding",
                finding.pk,
                anchor_at=finding.found_at,
                due_at=finding.due_at,
                owner_id=finding.owner_id,
                completed_at=finding.resolved_at,
                completed_by_id=finding.resolved_by_id,
                title=f"Fix {finding.severity} finding: {finding.title}",
                url=reverse("assets:finding_detail", args=[finding.pk]),
            )
        )
    insert(Obligation, obligations)
    # the programme-wide clocks (attestation, scan, pen test) through the app's own sync
    from assets.services.attestation import attestation_obligation_sync

    for sync in (attestation_obligation_sync, scan_obligation_sync, pentest_obligation_sync):
        sync(now=now, owner=lead)
    ctx.count("findings", len(findings))


def seed_deletions(ctx: ScaleContext) -> None:
    """Amazon's deletion notices over three years: stores sanitised (Purge/Clear), live copies verified."""
    rng, now = ctx.rng, ctx.now
    lead = ctx.made["leads"][0]
    stores = [s for s in ctx.made["stores"] if s.asset.holds_amazon_information] or ctx.made["stores"]
    requests, actions, exceptions, obligations = [], [], [], []
    for n in range(ctx.sizes.deletion_requests):
        received = now - timedelta(days=rng.uniform(1, 365 * 3)) if n else now - timedelta(days=5)
        requests.append(
            DeletionRequest(
                reference=f"AMZ-DEL-{20000 + n}",
                received_at=received,
                scope="Buyer data of the listed orders (seeded).",
                responsible=lead,
                created_by=lead,
                created_at=received + timedelta(hours=2),
            )
        )
    insert(DeletionRequest, requests)
    for request in requests:
        chosen = rng.sample(stores, min(len(stores), rng.randint(1, 3)))
        states = []
        for store in chosen:
            age = (now - request.received_at).days
            performed = request.received_at + timedelta(days=rng.uniform(1, 25)) if age > 26 or ctx.chance(0.4) else None
            performed = min(performed, now - timedelta(hours=1)) if performed else None
            verified = performed + timedelta(days=rng.uniform(1, 20)) if performed and store.live else None
            verified = verified if verified and verified < now else None
            if ctx.chance(0.05) and performed:
                exceptions.append(
                    RetentionException(
                        request=request,
                        data_store=store,
                        basis="tax",
                        description="Invoices kept six years (seeded).",
                        ends_on=(request.received_at + timedelta(days=6 * 365)).date(),
                        recorded_by=lead,
                        recorded_at=performed,
                    )
                )
                states.append(StoreState(store.pk, store.asset.name, store.live, exception_at=performed))
                actions.append(DeletionAction(request=request, data_store=store))
                continue
            actions.append(
                DeletionAction(
                    request=request,
                    data_store=store,
                    method="purge" if performed and ctx.chance(0.7) else ("clear" if performed else ""),
                    description="Rows deleted and vacuumed; backups expire (seeded)." if performed else "",
                    performed_by=lead if performed else None,
                    performed_at=performed,
                    verified_by=lead if verified else None,
                    verified_at=verified,
                    verification_note="Queried by order id: no rows (seeded)." if verified else "",
                )
            )
            states.append(StoreState(store.pk, store.asset.name, store.live, performed_at=performed, verified_at=verified))
        url = reverse("assets:deletion_detail", args=[request.pk])
        for kind, met in ((DELETION_30D, thirty_day_met_at(states)), (DELETION_90D, ninety_day_met_at(states))):
            obligations.append(
                obligation(
                    kind,
                    "assets.deletionrequest",
                    request.pk,
                    anchor_at=request.received_at,
                    owner_id=lead.pk,
                    completed_at=met,
                    completed_by_id=lead.pk if met else None,
                    url=url,
                )
            )
    insert(DeletionAction, actions)
    insert(RetentionException, exceptions)
    insert(Obligation, obligations)
    ctx.count("deletion_requests", len(requests))

"""Inventory and data-store evidence (DPP 1.1, 1.4, 1.5, 1.8, 2.1-2.5, 2.7) read from ``assets``
through its selectors, read-only.

The inventory is a snapshot at the moment the pack is generated (the register keeps no history of
each field); the attestations show which state of it was confirmed, when and by whom, with the
SHA-256 digest of the attested assets.
"""

from __future__ import annotations

from collections import Counter

from assets.flags import PII_RETENTION_LIMIT_DAYS, WEAK_TLS, encryption_shortfall
from assets.selectors import (
    AMAZON_CREDENTIALS,
    Attribution,
    Environment,
    TlsVersion,
    active_data_stores,
    assets_added_and_retired,
    assets_for_list,
    credential_assets,
    encryption_at_rest_assets,
    end_user_device_counts,
    end_user_devices_without_anti_malware,
    endpoint_assets,
    environment_counts,
    inventory_attestations_signed,
    last_inventory_attestation_before,
    retention_checks_per_store,
    test_assets_holding_pii,
)
from assets.selectors import record_of_processing as records
from grc.evidence.collect import PackContext, person_name
from grc.evidence.sections.registry import Evidence, Mark, register


def active_assets():
    return assets_for_list().filter(retired_at__isnull=True)


def flag_mark(flags: list[str]) -> Mark:
    return Mark("; ".join(flags), "not_met") if flags else Mark("none", "met")


@register(clause="2.3", key="assets.inventory", title="Asset inventory snapshot", order=10)
def inventory(ctx: PackContext) -> Evidence:
    assets = list(active_assets().order_by("kind", "name", "pk"))
    by_kind = Counter(asset.get_kind_display() for asset in assets)
    rows, flagged = [], 0
    for asset in assets:
        flags = asset.flags_at(ctx.now)
        flagged += bool(flags)
        rows.append(
            [
                asset.tag,
                asset.name,
                asset.get_kind_display(),
                asset.get_environment_display() or "—",
                person_name(asset.owner),
                asset.holds_amazon_information,
                asset.holds_pii,
                asset.baseline_verified_at,
                flag_mark(flags),
            ]
        )
    table = ctx.table(
        title="Assets with access to Information (flagged first in the CSV order of the register)",
        columns=("Asset id", "Name", "Kind", "Environment", "Owner", "Amazon Information", "PII", "Baseline verified", "DPP flags"),
        rows=sorted(rows, key=lambda row: row[8].status != "not_met"),
        csv_name="asset-inventory",
        description="DPP 2.3: the asset inventory when the pack was generated, with DPP flags",
        empty="The inventory is empty.",
    )
    added, retired = assets_added_and_retired(ctx.period.start_at, ctx.period.end_at)
    facts = [
        ("Assets in the inventory now", len(assets)),
        ("By kind", ", ".join(f"{count} {kind.lower()}" for kind, count in sorted(by_kind.items())) or "—"),
        ("Added in the period", added),
        ("Retired in the period", retired),
        ("Assets with a DPP flag", Mark(str(flagged), "at_risk" if flagged else "met")),
    ]
    return Evidence(facts=facts, tables=[table])


@register(clause="2.3", key="assets.attestations", title="Quarterly inventory attestations", order=20)
def attestations(ctx: PackContext) -> Evidence:
    signed = inventory_attestations_signed(ctx.period.start_at, ctx.period.end_at)
    table = ctx.table(
        title="Attestations signed in the period (step-up MFA)",
        columns=("Signed at", "Signed by", "Scope", "Assets", "Flagged", "Inventory digest (SHA-256)"),
        rows=[
            [a.attested_at, person_name(a.attested_by), a.get_scope_display(), a.asset_count, a.flagged_count, a.inventory_digest]
            for a in signed
        ],
        csv_name="inventory-attestations",
        description="DPP 2.3: inventory attestations signed in the period",
        empty="No inventory attestation was signed in this period: DPP 2.3 asks for a quarterly update.",
    )
    last = last_inventory_attestation_before(ctx.period.end_at)
    return Evidence(facts=[("Last attestation up to the period end", last or "never")], tables=[table])


@register(clause="2.2", key="assets.record_of_processing", title="Record of processing activities", order=10)
def record_of_processing(ctx: PackContext) -> Evidence:
    entries = records()
    complete = sum(1 for entry in entries if entry["complete"])
    table = ctx.table(
        title="Data stores and how their data is collected, processed, stored, used, shared and disposed",
        columns=("Store", "Owner", "PII", "Data fields", "Collected", "Processed", "Stored", "Used", "Shared", "Disposed", "Updated"),
        rows=[
            [
                f"{e['tag']} {e['name']}",
                e["owner"],
                e["holds_pii"],
                e["data_fields"],
                e["collected"],
                e["processed"],
                e["stored"],
                e["used"],
                e["shared"],
                e["disposed"],
                e["updated_at"],
            ]
            for e in entries
        ],
        csv_name="record-of-processing",
        description="DPP 2.2: the record of processing activities of every data store",
        limit=15,
        empty="No data store is recorded.",
    )
    facts = [
        ("Data stores", len(entries)),
        (
            "Records complete (every part filled in)",
            Mark(f"{complete} of {len(entries)}", "met" if complete == len(entries) else "at_risk"),
        ),
    ]
    return Evidence(facts=facts, tables=[table])


def stores():
    return active_data_stores()


@register(clause="1.8", key="assets.attribution", title="Origin of data in each data store", order=10)
def attribution(ctx: PackContext) -> Evidence:
    rows = [
        [
            s.asset.tag,
            s.asset.name,
            s.asset.holds_amazon_information,
            Mark(
                s.get_attribution_display(), "not_met" if s.attribution == Attribution.NONE and s.asset.holds_amazon_information else "met"
            ),
        ]
        for s in stores().order_by("asset__name", "pk")
    ]
    table = ctx.table(
        title="Separation or tagging of Amazon Information",
        columns=("Asset id", "Store", "Holds Amazon Information", "How its origin is kept"),
        rows=rows,
        csv_name="data-attribution",
        description="DPP 1.8: how each data store separates or tags Amazon Information",
        empty="No data store is recorded.",
    )
    return Evidence(tables=[table])


@register(clause="2.1", key="assets.retention", title="PII retention per data store", order=10)
def retention(ctx: PackContext) -> Evidence:
    checks = retention_checks_per_store(ctx.period.start_at, ctx.period.end_at)
    rows = []
    for store in stores().filter(asset__holds_pii=True).order_by("asset__name", "pk"):
        days = store.pii_retention_days
        within = days is not None and (days <= PII_RETENTION_LIMIT_DAYS or bool(store.retention_legal_basis.strip()))
        rows.append(
            [
                store.asset.tag,
                store.asset.name,
                Mark(f"{days} days" if days is not None else "not recorded", "met" if within else "not_met"),
                store.retention_legal_basis if days and days > PII_RETENTION_LIMIT_DAYS else "—",
                Mark(str(checks.get(store.pk, 0)), "met" if checks.get(store.pk) else "at_risk"),
            ]
        )
    table = ctx.table(
        title=f"Stores holding PII: kept at most {PII_RETENTION_LIMIT_DAYS} days after delivery unless a law requires longer",
        columns=("Asset id", "Store", "PII kept after delivery", "Legal basis for longer", "Purge confirmations in the period"),
        rows=rows,
        csv_name="pii-retention",
        description="DPP 2.1: retention rule and monthly purge confirmations of each store holding PII",
        empty="No data store holds PII.",
    )
    return Evidence(tables=[table])


@register(clause="2.4", key="assets.encryption", title="Encryption at rest", order=10)
def encryption(ctx: PackContext) -> Evidence:
    rows = []
    for asset in encryption_at_rest_assets().order_by("kind", "name", "pk"):
        shortfall = encryption_shortfall(asset.encryption_algorithm, asset.encryption_key_bits)
        algorithm = f"{asset.get_encryption_algorithm_display()}-{asset.encryption_key_bits}" if asset.encryption_algorithm else "none"
        store = asset.store
        rows.append(
            [
                asset.tag,
                asset.name,
                asset.get_kind_display(),
                asset.holds_pii,
                Mark(algorithm, "not_met" if shortfall and asset.holds_pii else ("at_risk" if shortfall else "met")),
                asset.encryption_detail,
                store.keys_service_only if store else "—",
            ]
        )
    table = ctx.table(
        title="Stores, media and PII devices and their encryption (at least AES-128 or RSA-2048)",
        columns=("Asset id", "Name", "Kind", "PII", "Algorithm", "Detail", "Keys reachable only by our services"),
        rows=rows,
        csv_name="encryption-at-rest",
        description="DPP 2.4: encryption at rest of data stores, removable media and devices holding PII",
        empty="No data store, media or PII device is recorded.",
    )
    return Evidence(tables=[table])


@register(clause="1.1", key="assets.end_user_devices", title="End-user devices: anti-malware and ownership", order=10)
def end_user_devices(ctx: PackContext) -> Evidence:
    counts = end_user_device_counts()
    missing = end_user_devices_without_anti_malware()
    table = ctx.table(
        title="End-user devices without current anti-malware",
        columns=("Asset id", "Device", "Type", "Owner", "Installed", "Up to date"),
        rows=[
            [d.tag, d.name, d.get_hardware_type_display(), person_name(d.owner), d.anti_malware_present, d.anti_malware_updated]
            for d in missing
        ],
        csv_name="devices-without-anti-malware",
        description="DPP 1.1: end-user devices without installed or current anti-malware",
        empty="None: every end-user device has current anti-malware.",
    )
    facts = [
        ("End-user devices", counts["total"]),
        (
            "With current anti-malware",
            Mark(f"{counts['protected']} of {counts['total']}", "met" if counts["protected"] == counts["total"] else "not_met"),
        ),
        (
            "Personal devices holding Information",
            Mark(str(counts["personal_with_information"]), "not_met" if counts["personal_with_information"] else "met"),
        ),
    ]
    return Evidence(facts=facts, tables=[table])


@register(clause="1.4", key="assets.credentials", title="API credentials and secrets", order=20)
def credentials(ctx: PackContext) -> Evidence:
    rows = []
    for asset in credential_assets():
        shortfall = encryption_shortfall(asset.encryption_algorithm, asset.encryption_key_bits)
        rows.append(
            [
                asset.tag,
                asset.name,
                asset.get_credential_type_display(),
                asset.credential_type in AMAZON_CREDENTIALS,
                asset.location,
                Mark(
                    "encrypted" if not shortfall else shortfall.removeprefix("with ").removeprefix("without "),
                    "met" if not shortfall else "not_met",
                ),
                asset.last_rotated_at,
            ]
        )
    table = ctx.table(
        title="Credentials (the secret itself is never stored: only where it is kept)",
        columns=("Asset id", "Name", "Type", "Provided by Amazon", "Kept in", "Encryption", "Last rotated"),
        rows=rows,
        csv_name="credentials",
        description="DPP 1.4: credentials, where they are kept, their encryption and rotation",
        empty="No credential is recorded.",
    )
    return Evidence(tables=[table])


@register(clause="1.5", key="assets.endpoints", title="Endpoints and encryption in transit", order=10)
def endpoints(ctx: PackContext) -> Evidence:
    rows = []
    for asset in endpoint_assets():
        weak = asset.tls_min_version in (*WEAK_TLS, TlsVersion.NONE) or not asset.tls_min_version
        proxy_gap = asset.untrusted_proxy and not asset.message_encryption
        rows.append(
            [
                asset.tag,
                asset.name,
                asset.url,
                Mark(asset.get_tls_min_version_display() or "not recorded", "not_met" if weak else "met"),
                asset.untrusted_proxy,
                Mark("yes" if asset.message_encryption else "no", "not_met" if proxy_gap else "met"),
            ]
        )
    table = ctx.table(
        title="Endpoints: TLS 1.2 or newer, message-level encryption where TLS ends in untrusted hardware",
        columns=("Asset id", "Endpoint", "URL", "Minimum TLS", "TLS ends in untrusted hardware", "Message-level encryption"),
        rows=rows,
        csv_name="endpoints",
        description="DPP 1.5: endpoints and their encryption in transit",
        empty="No endpoint is recorded.",
    )
    return Evidence(tables=[table])


@register(clause="2.5", key="assets.environments", title="Separate test and production environments", order=20)
def environments(ctx: PackContext) -> Evidence:
    counts = environment_counts()
    words = {choice.value: choice.label for choice in Environment}
    test_with_pii = test_assets_holding_pii().count()
    facts = [(f"{words.get(row['environment'], row['environment'])} assets", row["n"]) for row in counts]
    facts.append(("Test assets holding PII", Mark(str(test_with_pii), "not_met" if test_with_pii else "met")))
    return Evidence(facts=facts)


@register(clause="2.7", key="assets.restore", title="Backups and restore tests", order=40)
def restore(ctx: PackContext) -> Evidence:
    rows = [
        [s.asset.tag, s.asset.name, s.live, bool(s.backup_procedure.strip()), bool(s.restore_procedure.strip()), s.restore_tested_at]
        for s in stores().filter(asset__holds_pii=True).order_by("asset__name", "pk")
    ]
    table = ctx.table(
        title="Stores holding PII: backup and restore procedures and the last restore test",
        columns=("Asset id", "Store", "Live", "Backup procedure", "Restore procedure", "Restore last tested"),
        rows=rows,
        csv_name="backups-and-restores",
        description="DPP 2.7: backup/restore procedures and restore tests of stores holding PII",
        empty="No data store holds PII.",
    )
    return Evidence(tables=[table])

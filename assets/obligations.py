"""What this app tells the obligation engine: a provider per obligation kind (extra reminder
recipients, resync from the records) and the live checks of DPP 1.1, 1.4, 1.5, 1.8, 2.1, 2.2,
2.3, 2.4 and 2.7. Reasons carry counts and ages, never names; with nothing recorded a check
says ``not_tracked`` so an empty inventory never looks compliant or broken."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.db.models import F, Max, Q
from django.urls import reverse

from assets.flags import PII_RETENTION_LIMIT_DAYS, encryption_shortfall, limits_from_settings
from assets.models import (
    AMAZON_CREDENTIALS,
    END_USER_DEVICES,
    Asset,
    AssetKind,
    AttestationScope,
    Attribution,
    DataStore,
    DeletionRequest,
    Finding,
    FindingStatus,
    InventoryAttestation,
    Ownership,
    PenetrationTest,
    ReleaseScan,
    ScanResult,
    TlsVersion,
    VulnerabilityScan,
)
from assets.rules import finding_due_at, finding_due_days
from assets.scope import in_scope_data_stores
from assets.services.deletion import deletion_sync
from assets.services.inventory import retention_obligation_sync
from assets.services.programme import (
    ATTESTATION,
    DELETION_30D,
    DELETION_90D,
    FINDING_FIX,
    PENTEST,
    RELEASE_SCAN,
    RETENTION_CHECK,
    SCAN,
    attestation_obligation_sync,
    pentest_obligation_sync,
    scan_obligation_sync,
)
from assets.services.vulns import _finding_obligation, release_obligation_sync
from grc.accounts.models import Role, User
from grc.compliance.cadences import effective_cadence
from grc.compliance.registry import CheckResult, register_check, register_provider, register_scope
from grc.compliance.services import open_obligation
from grc.words import plural


def _leads():
    return list(User.objects.filter(role=Role.SECURITY_LEAD, is_active=True))


class LeadsProvider:
    """Reminders go to the obligation's owner and, for this app, every active security lead."""

    def recipients(self, obligation):
        return _leads()

    def resync(self, *, now: datetime) -> int:
        return 0


class AttestationProvider(LeadsProvider):
    def resync(self, *, now: datetime) -> int:

        if not Asset.objects.exists() and open_obligation(ATTESTATION, None) is None:
            return 0
        attestation_obligation_sync(now=now)
        return 1


class ScanProvider(LeadsProvider):
    def resync(self, *, now: datetime) -> int:

        if not Asset.objects.exists() and open_obligation(SCAN, None) is None:
            return 0
        scan_obligation_sync(now=now)
        return 1


class PentestProvider(LeadsProvider):
    def resync(self, *, now: datetime) -> int:

        if not Asset.objects.exists() and open_obligation(PENTEST, None) is None:
            return 0
        pentest_obligation_sync(now=now)
        return 1


class ReleaseScanProvider(LeadsProvider):
    def resync(self, *, now: datetime) -> int:

        count = 0
        for release in ReleaseScan.objects.filter(result=ScanResult.PENDING).select_related("owner"):
            release_obligation_sync(release)
            count += 1
        return count


class FindingProvider(LeadsProvider):
    """Re-dates open findings when ``ASSETS_FINDING_DUE_DAYS`` changed."""

    def resync(self, *, now: datetime) -> int:

        days = finding_due_days()
        count = 0
        for finding in Finding.objects.filter(status=FindingStatus.OPEN).select_related("owner"):
            due = finding_due_at(finding.severity, finding.found_at, days)
            if due != finding.due_at:
                Finding.objects.filter(pk=finding.pk).update(due_at=due)
                finding.due_at = due
            _finding_obligation(finding)
            count += 1
        return count


class DeletionProvider(LeadsProvider):
    def resync(self, *, now: datetime) -> int:

        count = 0
        for deletion in DeletionRequest.objects.filter(certificate__isnull=True):
            deletion_sync(deletion)
            count += 1
        return count


class RetentionProvider(LeadsProvider):
    def resync(self, *, now: datetime) -> int:

        count = 0
        for store in DataStore.objects.select_related("asset__owner"):
            retention_obligation_sync(store=store, now=now)
            count += 1
        return count


# --- live checks ---------------------------------------------------------------------------------
def _active():
    return Asset.objects.filter(retired_at__isnull=True)


def _list_url(**params) -> str:
    return reverse("assets:index") + ("?" + urlencode(params) if params else "")


def check_anti_malware(now: datetime) -> CheckResult:
    """1.1: anti-virus and anti-malware software on end-user devices."""
    devices = _active().filter(kind=AssetKind.HARDWARE, hardware_type__in=END_USER_DEVICES)
    url = _list_url(kind=AssetKind.HARDWARE)
    total = devices.count()
    if total == 0:
        return CheckResult("not_tracked", "no end-user devices are in the asset inventory yet", url)
    missing = devices.filter(anti_malware_present=False).count()
    stale = devices.filter(anti_malware_present=True, anti_malware_updated=False).count()
    if missing:
        return CheckResult("not_met", f"{missing} of {total} end-user devices have no anti-malware", url)
    if stale:
        return CheckResult("at_risk", f"{stale} of {total} end-user devices have anti-malware that is not up to date", url)
    return CheckResult("met", f"all {total} end-user devices have current anti-malware", url)


def check_api_credentials(now: datetime) -> CheckResult:
    """1.4: API keys provided by Amazon are encrypted, reachable only by those who need them, rotated."""
    url = _list_url(kind=AssetKind.CREDENTIAL)
    rows = list(
        _active()
        .filter(kind=AssetKind.CREDENTIAL)
        .values_list("credential_type", "encryption_algorithm", "encryption_key_bits", "access_holders", "last_rotated_at")
    )
    if not rows:
        return CheckResult("not_tracked", "no credentials are in the asset inventory yet", url)
    limit = limits_from_settings().rotation_days
    amazon = sum(1 for row in rows if row[0] in AMAZON_CREDENTIALS)
    weak = sum(1 for row in rows if encryption_shortfall(row[1], row[2]))
    unknown_holders = sum(1 for row in rows if not (row[3] or "").strip())
    stale = sum(1 for row in rows if row[4] is None or (now.date() - row[4]).days > limit)
    intro = f"{plural(len(rows), 'credential')} recorded ({amazon} from Amazon)"
    if weak:
        return CheckResult("not_met", f"{intro}; {weak} stored without encryption of at least AES-128 / RSA-2048", url)
    problems = []
    if unknown_holders:
        problems.append(f"{unknown_holders} without a record of who can reach them")
    if stale:
        problems.append(f"{stale} not rotated within {limit} days")
    if problems:
        return CheckResult("at_risk", f"{intro}; " + "; ".join(problems), url)
    return CheckResult("met", f"{intro}; all encrypted, access recorded and rotated within {limit} days", url)


def check_endpoint_tls(now: datetime) -> CheckResult:
    """1.5: TLS 1.2+ on every endpoint; message-level encryption through untrusted proxies."""
    endpoints = _active().filter(kind=AssetKind.ENDPOINT)
    url = _list_url(kind=AssetKind.ENDPOINT)
    total = endpoints.count()
    if total == 0:
        return CheckResult("not_tracked", "no endpoints are in the asset inventory yet", url)
    weak = endpoints.filter(
        Q(tls_min_version__in=[TlsVersion.NONE, TlsVersion.TLS10, TlsVersion.TLS11]) | Q(url__istartswith="http://")
    ).count()
    proxied = endpoints.filter(untrusted_proxy=True, message_encryption=False).count()
    unknown = endpoints.filter(tls_min_version="").exclude(url__istartswith="http://").count()
    problems = []
    if weak:
        problems.append(f"{weak} of {total} endpoints accept TLS below 1.2 or no TLS")
    if proxied:
        problems.append(f"{proxied} end TLS in an untrusted proxy without message-level encryption")
    if problems:
        return CheckResult("not_met", "; ".join(problems), url)
    if unknown:
        return CheckResult("at_risk", f"{unknown} of {total} endpoints have no minimum TLS version recorded", url)
    return CheckResult("met", f"all {total} endpoints require TLS 1.2 or later", url)


def check_attribution(now: datetime) -> CheckResult:
    """1.8: Information in a separate store, or tagged with its origin."""
    stores = DataStore.objects.filter(
        asset__retired_at__isnull=True, asset__kind=AssetKind.DATA_STORE, asset__holds_amazon_information=True
    )
    url = _list_url(kind=AssetKind.DATA_STORE)
    total = stores.count()
    if total == 0:
        return CheckResult("not_tracked", "no data stores holding Amazon Information are recorded yet", url)
    untagged = stores.filter(attribution=Attribution.NONE).count()
    if untagged:
        return CheckResult(
            "not_met", f"{untagged} of {total} data stores with Amazon Information are neither separate nor origin-tagged", url
        )
    undescribed = sum(
        1 for text in stores.filter(attribution=Attribution.TAGGED).values_list("attribution_mechanism", flat=True) if not text.strip()
    )
    if undescribed:
        return CheckResult("at_risk", f"{undescribed} of {total} data stores are tagged but the tagging mechanism is not described", url)
    return CheckResult("met", f"all {total} data stores with Amazon Information are separate or origin-tagged", url)


def _pii_stores():
    return DataStore.objects.filter(asset__retired_at__isnull=True, asset__kind=AssetKind.DATA_STORE, asset__holds_pii=True)


def check_retention(now: datetime) -> CheckResult:
    """2.1: PII kept no longer than 30 days after delivery unless a law requires it."""
    url = _list_url(kind="data_store", pii="yes")
    rows = list(_pii_stores().values_list("pii_retention_days", "retention_legal_basis"))
    if not rows:
        return CheckResult("not_tracked", "no data stores holding PII are recorded yet", url)
    unrecorded = sum(1 for days, _basis in rows if days is None)
    too_long = sum(1 for days, basis in rows if days is not None and days > PII_RETENTION_LIMIT_DAYS and not (basis or "").strip())
    if too_long:
        return CheckResult(
            "not_met",
            f"{too_long} of {len(rows)} PII stores keep PII over {PII_RETENTION_LIMIT_DAYS} days after delivery without a legal basis",
            url,
        )
    if unrecorded:
        return CheckResult("at_risk", f"{unrecorded} of {len(rows)} PII stores have no retention period recorded", url)
    return CheckResult(
        "met", f"all {len(rows)} PII stores keep PII at most {PII_RETENTION_LIMIT_DAYS} days after delivery or have a legal basis", url
    )


def check_record_of_processing(now: datetime) -> CheckResult:
    """2.2: a record of processing activities for all PII."""
    url = reverse("assets:record_of_processing")
    rows = list(_pii_stores().values_list("rop_data_fields", flat=True))
    if not rows:
        return CheckResult("not_tracked", "no data stores holding PII are recorded yet", url)
    missing = sum(1 for text in rows if not text.strip())
    if missing:
        return CheckResult("not_met", f"{missing} of {len(rows)} PII stores have no record of processing", url)
    return CheckResult("met", f"all {len(rows)} PII stores have a record of processing", url)


def check_inventory(now: datetime) -> CheckResult:
    """2.3: inventory updated quarterly; no PII on personal devices or unencrypted removable media."""

    assets = _active()
    url = reverse("assets:attestations")
    total = assets.count()
    if total == 0:
        return CheckResult("not_tracked", "the asset inventory is empty", url)
    personal = (
        assets.filter(kind=AssetKind.HARDWARE, ownership=Ownership.PERSONAL)
        .filter(Q(holds_pii=True) | Q(holds_amazon_information=True))
        .count()
    )
    media = [
        row
        for row in assets.filter(kind=AssetKind.REMOVABLE_MEDIA, holds_pii=True).values_list("encryption_algorithm", "encryption_key_bits")
        if encryption_shortfall(*row)
    ]
    cadence = effective_cadence(ATTESTATION)
    last = InventoryAttestation.objects.filter(scope=AttestationScope.INVENTORY).aggregate(at=Max("attested_at"))["at"]
    attested = f"inventory last attested {(now - last).days} days ago" if last else "inventory not attested yet"
    reason = f"{plural(total, 'asset')}; {attested}; due every {cadence.period}"
    obligation = open_obligation(ATTESTATION, None)
    # the open obligation is the clock (re-dated when the period changes); without one, the period
    # in force from the last attestation
    due = obligation.due_at if obligation is not None else cadence.due_after(last) if last else None
    problems = []
    if personal:
        problems.append(f"{plural(personal, 'personal device')} with Information")
    if media:
        problems.append(f"{len(media)} removable media with PII not encrypted to AES-128 / RSA-2048")
    if problems:
        return CheckResult("not_met", f"{reason}; " + "; ".join(problems), url)
    if due is not None and due <= now:
        return CheckResult("not_met", reason, url)
    if due is not None and now >= due - cadence.warning:
        return CheckResult("at_risk", reason, url)
    return CheckResult("met", reason, url)


def check_encryption_at_rest(now: datetime) -> CheckResult:
    """2.4: PII encrypted at rest with AES-128 / RSA-2048 or stronger; keys only for our services."""
    url = _list_url(kind="data_store", pii="yes")
    rows = list(_pii_stores().values_list("asset__encryption_algorithm", "asset__encryption_key_bits", "keys_service_only"))
    if not rows:
        return CheckResult("not_tracked", "no data stores holding PII are recorded yet", url)
    weak = sum(1 for algorithm, bits, _only in rows if encryption_shortfall(algorithm, bits))
    open_keys = sum(1 for algorithm, bits, only in rows if not encryption_shortfall(algorithm, bits) and not only)
    if weak:
        return CheckResult("not_met", f"{weak} of {len(rows)} PII stores are not encrypted with at least AES-128 / RSA-2048", url)
    if open_keys:
        return CheckResult(
            "at_risk", f"{open_keys} of {len(rows)} PII stores have keys reachable beyond our own processes and services", url
        )
    return CheckResult(
        "met", f"all {len(rows)} PII stores are encrypted at rest with at least AES-128 / RSA-2048; keys only for our services", url
    )


def check_vulnerability_management(now: datetime) -> CheckResult:
    """2.7: scans every 180 days, a pen test every 365 days (or the tighter periods in force), code
    scans before each release, findings fixed on time, and backup/restore procedures for PII stores."""
    url = reverse("assets:vulnerabilities")
    last_scan = VulnerabilityScan.objects.aggregate(at=Max("performed_at"))["at"]
    last_test = PenetrationTest.objects.aggregate(at=Max("performed_at"))["at"]
    releases = ReleaseScan.objects.all()
    if last_scan is None and last_test is None and not releases.exists() and not Finding.objects.exists():
        return CheckResult("not_tracked", "no vulnerability scans, penetration tests or release scans are recorded yet", url)
    failing, warning, parts = [], [], []
    for label, moment, kind in (("vulnerability scan", last_scan, SCAN), ("penetration test", last_test, PENTEST)):
        cadence = effective_cadence(kind)
        period = cadence.period
        if moment is None:
            failing.append(f"no {label} recorded")
            continue
        parts.append(f"last {label} {(now - moment).days} days ago (every {period})")
        if now > cadence.due_after(moment):
            failing.append(f"{label} overdue")
    unscanned = releases.filter(result=ScanResult.PENDING, release_date__lte=now).count()
    late = releases.exclude(result=ScanResult.PENDING).filter(scanned_at__gt=F("release_date")).count()
    failed = releases.filter(result=ScanResult.FAIL, scanned_at__isnull=False).count()
    if unscanned:
        failing.append(f"{plural(unscanned, 'release')} past the release date without a code scan")
    if late:
        warning.append(f"{plural(late, 'release')} scanned after the release date")
    if failed:
        warning.append(f"{plural(failed, 'release scan')} failed")
    overdue = Finding.objects.filter(status=FindingStatus.OPEN, due_at__lte=now).count()
    open_findings = Finding.objects.filter(status=FindingStatus.OPEN).count()
    if overdue:
        failing.append(f"{overdue} of {open_findings} open findings overdue")
    elif open_findings:
        parts.append(f"{plural(open_findings, 'open finding')}, none overdue")
    no_backup = sum(
        1
        for backup, restore in _pii_stores().values_list("backup_procedure", "restore_procedure")
        if not backup.strip() or not restore.strip()
    )
    if no_backup:
        warning.append(f"{no_backup} PII stores without a backup and restore procedure")
    reason = "; ".join(failing + warning + parts)
    if failing:
        return CheckResult("not_met", reason, url)
    if warning:
        return CheckResult("at_risk", reason, url)
    return CheckResult("met", reason, url)


CHECKS = [
    ("1.1", "Anti-malware on end-user devices", check_anti_malware),
    ("1.4", "Amazon API keys encrypted and rotated", check_api_credentials),
    ("1.5", "Endpoints require TLS 1.2+", check_endpoint_tls),
    ("1.8", "Data stores separate or origin-tagged", check_attribution),
    ("2.1", "PII retention of data stores", check_retention),
    ("2.2", "Record of processing for PII stores", check_record_of_processing),
    ("2.3", "Asset inventory current and attested", check_inventory),
    ("2.4", "PII encrypted at rest", check_encryption_at_rest),
    ("2.7", "Vulnerability scans, pen tests, release scans and findings", check_vulnerability_management),
]


def register() -> None:
    register_provider(ATTESTATION, AttestationProvider())
    register_provider(SCAN, ScanProvider())
    register_provider(PENTEST, PentestProvider())
    register_provider(RELEASE_SCAN, ReleaseScanProvider())
    register_provider(FINDING_FIX, FindingProvider())
    register_provider(DELETION_30D, DeletionProvider())
    register_provider(DELETION_90D, DeletionProvider())
    register_provider(RETENTION_CHECK, RetentionProvider())
    for clause, name, check in CHECKS:
        register_check(clause, name, check)
    register_scope("assets.data_stores", in_scope_data_stores)

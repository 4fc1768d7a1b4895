"""Reads of the assets app in a fixed number of queries: the inventory list, the record of
processing (for the pages and the evidence pack), and the state of deletion requests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import BooleanField, Case, Count, F, Max, Q, QuerySet, Value, When

from assets.deletion_rules import RequestState, StoreState, ninety_day_met_at, request_state, thirty_day_met_at
from assets.dsar_rules import response_days, retention_days
from assets.models import (
    AMAZON_CREDENTIALS,
    END_USER_DEVICES,
    Asset,
    AssetKind,
    DataStore,
    DataSubjectRequest,
    DeletionRequest,
    DsarType,
    Environment,
    Finding,
    FindingStatus,
    InventoryAttestation,
    Ownership,
    PenetrationTest,
    ReleaseScan,
    RetentionCheck,
    VulnerabilityScan,
)
from assets.models import Attribution as Attribution  # re-exported for the readers' labels
from assets.models import TlsVersion as TlsVersion  # re-exported for the readers' labels
from assets.models.inventory import ROP_FIELDS


def assets_for_list() -> QuerySet[Asset]:
    """Every asset with what its flags need (owner and data-store details) in the same query."""
    return Asset.objects.select_related("owner", "data_store")


def record_of_processing(*, include_retired: bool = False) -> list[dict]:
    """The record of processing activities (DPP 2.2), one dict per data store, for pages and the
    evidence pack. One query; the values are decrypted here, so print them only to those allowed.

    Keys: ``asset_id``, ``tag``, ``name``, ``store_type``, ``environment``, ``owner``,
    ``holds_amazon_information``, ``holds_pii``, ``retention_days``, ``retention_legal_basis``,
    ``encryption``, ``data_fields``, ``collected``, ``processed``, ``stored``, ``used``,
    ``shared``, ``disposed``, ``complete`` (every part filled in), ``updated_at``.
    """
    stores = DataStore.objects.select_related("asset__owner").filter(asset__kind=AssetKind.DATA_STORE).order_by("asset__name", "pk")
    if not include_retired:
        stores = stores.filter(asset__retired_at__isnull=True)
    records = []
    for store in stores:
        asset = store.asset
        parts = {field.removeprefix("rop_"): getattr(store, field) for field in ROP_FIELDS}
        encryption = (
            f"{asset.get_encryption_algorithm_display()}-{asset.encryption_key_bits}" if asset.encryption_algorithm else "not encrypted"
        )
        records.append(
            {
                "asset_id": asset.pk,
                "tag": asset.tag,
                "name": asset.name,
                "store_type": store.get_store_type_display(),
                "environment": asset.get_environment_display() or "—",
                "owner": asset.owner.get_full_name() or asset.owner.username,
                "holds_amazon_information": asset.holds_amazon_information,
                "holds_pii": asset.holds_pii,
                "retention_days": store.pii_retention_days,
                "retention_legal_basis": store.retention_legal_basis,
                "encryption": encryption,
                **parts,
                "complete": all(value.strip() for value in parts.values()),
                "updated_at": store.rop_updated_at,
            }
        )
    return records


def deletion_store_states(request: DeletionRequest) -> list[StoreState]:
    """The per-store facts the deletion rules need (use with prefetched actions/exceptions)."""
    exceptions = {exception.data_store_id: exception.recorded_at for exception in request.exceptions.all()}
    states = []
    for action in request.actions.all():
        store = action.data_store
        states.append(
            StoreState(
                store_id=store.pk,
                name=store.asset.name,
                live=store.live,
                performed_at=action.performed_at,
                verified_at=action.verified_at,
                exception_at=exceptions.get(store.pk),
            )
        )
    return states  # an exception's store always has an action row (retention_exception_add makes one)


def deletion_requests_with_state() -> QuerySet[DeletionRequest]:
    return DeletionRequest.objects.select_related("responsible", "certificate").prefetch_related(
        "actions__data_store__asset", "exceptions__data_store__asset"
    )


if TYPE_CHECKING:

    class DeletionRequestWithState(DeletionRequest):
        """A request as ``annotate_deletion_state`` returns it: plain attributes, not columns."""

        store_states: list[StoreState]
        state: RequestState
        deleted_at: datetime | None
        live_deleted_at: datetime | None


def annotate_deletion_state(requests) -> list[DeletionRequestWithState]:
    """Attach ``state``, ``deleted_at`` (30-day part met) and ``live_deleted_at`` (90-day part)."""
    rows = list(requests)
    for item in rows:
        states = deletion_store_states(item)
        certified = _has_certificate(item)
        item.store_states = states
        item.state = request_state(states, certified=certified)
        item.deleted_at = thirty_day_met_at(states)
        item.live_deleted_at = ninety_day_met_at(states)
    return rows


def _has_certificate(item: DeletionRequest) -> bool:
    try:
        return item.certificate is not None
    except DeletionRequest.certificate.RelatedObjectDoesNotExist:
        return False


def dsar_period_summary(start, end) -> dict:
    """Data-subject requests (DPP 2.2) for the evidence pack, PII-free, in one query.

    ``start``/``end`` are dates (whole UTC days, ``end`` included) or aware datetimes (``[start,
    end)``). Rows are the requests active in the period: received before its end and not answered
    before its start. Keys: ``received`` (in the period), ``by_type`` (label → count of those),
    ``answered``, ``answered_in_time``, ``answered_late`` (responses sent in the period),
    ``extended`` (extensions decided in the period), ``open_at_end``, ``overdue_at_end``,
    ``purged`` (details removed by the end), ``response_days``, ``retention_days`` and ``rows``:
    one dict per request with ``reference``, ``type``, ``channel``, ``received_at``, ``due_at``,
    ``original_due_at``, ``extended``, ``response_sent_at`` (None if not sent by the end),
    ``in_time`` (None while open), ``outcome``, ``identity_verified``, ``stores_searched`` (count)
    and ``purged``. No requester details: they are never part of the evidence.
    """

    if isinstance(start, date) and not isinstance(start, datetime):
        start = datetime.combine(start, time.min, tzinfo=UTC)
    if isinstance(end, date) and not isinstance(end, datetime):
        end = datetime.combine(end, time.min, tzinfo=UTC) + timedelta(days=1)
    requests = (
        DataSubjectRequest.objects.filter(Q(response_sent_at__isnull=True) | Q(response_sent_at__gte=start), received_at__lt=end)
        .annotate(store_count=Count("stores_searched"))
        .order_by("received_at", "pk")
    )
    rows = []
    summary = {"received": 0, "answered": 0, "answered_in_time": 0, "answered_late": 0, "extended": 0, "open_at_end": 0}
    summary |= {"overdue_at_end": 0, "purged": 0}
    by_type = {label: 0 for label in DsarType.labels}
    for dsar in requests:
        sent = dsar.response_sent_at if dsar.response_sent_at is not None and dsar.response_sent_at < end else None
        in_time = None if sent is None else sent <= dsar.due_at
        extended = dsar.extended_at is not None and dsar.extended_at < end
        if dsar.received_at >= start:
            summary["received"] += 1
            by_type[dsar.get_request_type_display()] += 1
        if sent is not None and sent >= start:
            summary["answered"] += 1
            summary["answered_in_time" if in_time else "answered_late"] += 1
        if extended and dsar.extended_at >= start:
            summary["extended"] += 1
        if sent is None:
            summary["open_at_end"] += 1
            summary["overdue_at_end"] += int((dsar.due_at if extended else dsar.original_due_at) <= end)
        purged = dsar.purged_at is not None and dsar.purged_at < end
        summary["purged"] += int(purged)
        rows.append(
            {
                "reference": dsar.reference,
                "type": dsar.get_request_type_display(),
                "channel": dsar.get_channel_display(),
                "received_at": dsar.received_at,
                "due_at": dsar.due_at if extended else dsar.original_due_at,
                "original_due_at": dsar.original_due_at,
                "extended": extended,
                "response_sent_at": sent,
                "in_time": in_time,
                "outcome": dsar.get_outcome_display() if sent is not None else "",
                "identity_verified": dsar.identity_verified,
                "stores_searched": dsar.store_count,
                "purged": purged,
            }
        )
    return {**summary, "by_type": by_type, "response_days": response_days(), "retention_days": retention_days(), "rows": rows}


# --- reads of the evidence pack and the Amazon questionnaire (grc.evidence, grc.kit) -------------
# Periods are half-open ``[start_at, end_at)`` of aware datetimes; querysets may be narrowed or
# ordered further by the reader. The enums and constants re-exported at the top are for labels.


def _active_for_list() -> QuerySet[Asset]:
    return assets_for_list().filter(retired_at__isnull=True)


def assets_added_and_retired(start_at, end_at) -> tuple[int, int]:
    """How many assets were added, and how many retired, in the period (two counts)."""
    added = Asset.objects.filter(created_at__gte=start_at, created_at__lt=end_at).count()
    retired = Asset.objects.filter(retired_at__gte=start_at, retired_at__lt=end_at).count()
    return added, retired


def inventory_attestations_signed(start_at, end_at) -> QuerySet[InventoryAttestation]:
    """Attestations signed in the period, oldest first, with the signer."""
    return (
        InventoryAttestation.objects.filter(attested_at__gte=start_at, attested_at__lt=end_at)
        .select_related("attested_by")
        .order_by("attested_at", "pk")
    )


def last_inventory_attestation_before(moment):
    """When the last attestation before ``moment`` was signed (None: never)."""
    return InventoryAttestation.objects.filter(attested_at__lt=moment).aggregate(last=Max("attested_at"))["last"]


def active_data_stores() -> QuerySet[DataStore]:
    """Data stores of live (not retired) data-store assets, with their asset and its owner."""
    return DataStore.objects.select_related("asset__owner").filter(asset__kind=AssetKind.DATA_STORE, asset__retired_at__isnull=True)


def retention_checks_per_store(start_at, end_at) -> dict[int, int]:
    """Data store id → purge confirmations recorded in the period."""
    return dict(
        RetentionCheck.objects.filter(checked_at__gte=start_at, checked_at__lt=end_at)
        .values("data_store_id")
        .annotate(n=Count("pk"))
        .values_list("data_store_id", "n")
    )


def encryption_at_rest_assets() -> QuerySet[Asset]:
    """Live data stores, removable media and hardware holding PII (DPP 2.4), unordered."""
    wanted = Q(kind__in=[AssetKind.DATA_STORE, AssetKind.REMOVABLE_MEDIA]) | Q(kind=AssetKind.HARDWARE, holds_pii=True)
    return _active_for_list().filter(wanted)


def _end_user_devices() -> QuerySet[Asset]:
    return _active_for_list().filter(kind=AssetKind.HARDWARE, hardware_type__in=END_USER_DEVICES)


def end_user_device_counts() -> dict[str, int]:
    """Live end-user devices: ``total``, ``protected`` (current anti-malware) and ``personal_with_information``."""
    return _end_user_devices().aggregate(
        total=Count("pk"),
        protected=Count("pk", filter=Q(anti_malware_present=True, anti_malware_updated=True)),
        personal_with_information=Count(
            "pk", filter=Q(ownership=Ownership.PERSONAL) & (Q(holds_amazon_information=True) | Q(holds_pii=True))
        ),
    )


def end_user_devices_without_anti_malware() -> QuerySet[Asset]:
    """Live end-user devices whose anti-malware is missing or not up to date, by name."""
    return _end_user_devices().filter(Q(anti_malware_present=False) | Q(anti_malware_updated=False)).order_by("name", "pk")


def credential_assets() -> QuerySet[Asset]:
    """Live credentials, by type and name (the secret itself is never stored)."""
    return _active_for_list().filter(kind=AssetKind.CREDENTIAL).order_by("credential_type", "name", "pk")


def endpoint_assets() -> QuerySet[Asset]:
    """Live endpoints, by name."""
    return _active_for_list().filter(kind=AssetKind.ENDPOINT).order_by("name", "pk")


def environment_counts():
    """Live assets per environment (those with one), as ``{"environment", "n"}`` rows."""
    return _active_for_list().exclude(environment="").values("environment").annotate(n=Count("pk")).order_by("environment")


def test_assets_holding_pii() -> QuerySet[Asset]:
    """Live test-environment assets that hold PII (DPP 2.5), unordered."""
    return Asset.objects.filter(retired_at__isnull=True, environment=Environment.TEST, holds_pii=True)


def vulnerability_scans_performed(start_at, end_at) -> QuerySet[VulnerabilityScan]:
    return (
        VulnerabilityScan.objects.filter(performed_at__gte=start_at, performed_at__lt=end_at)
        .select_related("recorded_by")
        .order_by("performed_at", "pk")
    )


def penetration_tests_performed(start_at, end_at) -> QuerySet[PenetrationTest]:
    return PenetrationTest.objects.filter(performed_at__gte=start_at, performed_at__lt=end_at).order_by("performed_at", "pk")


def last_scan_and_penetration_test_before(moment) -> tuple:
    """When the last vulnerability scan and the last penetration test before ``moment`` were performed (None: never)."""
    last_scan = VulnerabilityScan.objects.filter(performed_at__lt=moment).aggregate(last=Max("performed_at"))["last"]
    last_test = PenetrationTest.objects.filter(performed_at__lt=moment).aggregate(last=Max("performed_at"))["last"]
    return last_scan, last_test


def release_scans_released(start_at, end_at) -> QuerySet[ReleaseScan]:
    """Releases made in the period, unordered."""
    return ReleaseScan.objects.filter(release_date__gte=start_at, release_date__lt=end_at)


def findings_open_in_period(start_at, end_at) -> QuerySet[Finding]:
    """Findings open at some time in the period, by due date, with owner, asset and resolver."""
    open_then = Q(found_at__lt=end_at) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=start_at))
    # informational findings have nothing to remediate: never "open", never "fixed on time"
    findings = Finding.objects.filter(open_then).exclude(status=FindingStatus.INFO)
    return findings.select_related("owner", "asset", "resolved_by").order_by("due_at", "pk")


def _filled(name: str):
    """``True`` when a (possibly encrypted) text field is not empty — decided in SQL, never decrypted."""
    return Case(
        When(**{name: ""}, then=Value(False)),
        When(**{f"{name}__isnull": True}, then=Value(False)),
        default=Value(True),
        output_field=BooleanField(),
    )


def data_store_facts():
    """Live data stores as tuples, by tag, with no free-text or encrypted value read (whether one is
    filled in is asked in SQL): ``(asset_id, tag, store_type, environment, holds_pii,
    holds_amazon_information, encryption_algorithm, encryption_key_bits, keys_service_only,
    pii_retention_days, legal_basis recorded, attribution, backup recorded, restore recorded,
    restore_tested_at, record of processing complete, sharing recorded)``. One query."""
    return (
        DataStore.objects.filter(asset__kind=AssetKind.DATA_STORE, asset__retired_at__isnull=True)
        .annotate(
            backup_recorded=_filled("backup_procedure"),
            restore_recorded=_filled("restore_procedure"),
            legal_basis=_filled("retention_legal_basis"),
            sharing_recorded=_filled("rop_shared"),
            rop_complete=Case(
                When(
                    Q(rop_data_fields="")
                    | Q(rop_collected="")
                    | Q(rop_processed="")
                    | Q(rop_stored="")
                    | Q(rop_used="")
                    | Q(rop_shared="")
                    | Q(rop_disposed=""),
                    then=Value(False),
                ),
                default=Value(True),
                output_field=BooleanField(),
            ),
        )
        .values_list(
            "asset_id",
            "asset__tag",
            "store_type",
            "asset__environment",
            "asset__holds_pii",
            "asset__holds_amazon_information",
            "asset__encryption_algorithm",
            "asset__encryption_key_bits",
            "keys_service_only",
            "pii_retention_days",
            "legal_basis",
            "attribution",
            "backup_recorded",
            "restore_recorded",
            "restore_tested_at",
            "rop_complete",
            "sharing_recorded",
        )
        .order_by("asset__tag", "asset_id")
    )


def inventory_counts(*, rotation_cutoff, baseline_cutoff) -> dict[str, int]:
    """Counts over the live inventory (one aggregate query): devices, credentials, Amazon keys,
    endpoints, environments and baselines. Credentials rotated on or after ``rotation_cutoff`` and
    baselines verified on or after ``baseline_cutoff`` (dates) count as current."""
    active = Asset.objects.filter(retired_at__isnull=True)
    device = Q(kind=AssetKind.HARDWARE, hardware_type__in=END_USER_DEVICES)
    credential = Q(kind=AssetKind.CREDENTIAL)
    amazon_key = credential & Q(credential_type__in=AMAZON_CREDENTIALS)
    encrypted = ~Q(encryption_algorithm="")
    endpoint = Q(kind=AssetKind.ENDPOINT)
    info = Q(holds_pii=True) | Q(holds_amazon_information=True)
    baseline_kinds = Q(kind__in=[AssetKind.HARDWARE, AssetKind.SOFTWARE, AssetKind.DATA_STORE])
    return active.aggregate(
        total=Count("id"),
        flagged=Count("id", filter=Q(flag_count__gt=0)),
        devices=Count("id", filter=device),
        devices_protected=Count("id", filter=device & Q(anti_malware_present=True, anti_malware_updated=True)),
        devices_encrypted=Count("id", filter=device & encrypted),
        personal_with_info=Count("id", filter=Q(kind=AssetKind.HARDWARE, ownership=Ownership.PERSONAL) & info),
        removable_pii_plain=Count("id", filter=Q(kind=AssetKind.REMOVABLE_MEDIA, holds_pii=True, encryption_algorithm="")),
        credentials=Count("id", filter=credential),
        credentials_encrypted=Count("id", filter=credential & encrypted),
        credentials_holders=Count("id", filter=credential & ~Q(access_holders="")),
        credentials_rotated=Count("id", filter=credential & Q(last_rotated_at__gte=rotation_cutoff)),
        amazon_keys=Count("id", filter=amazon_key),
        amazon_keys_encrypted=Count("id", filter=amazon_key & encrypted),
        amazon_keys_holders=Count("id", filter=amazon_key & ~Q(access_holders="")),
        endpoints=Count("id", filter=endpoint),
        endpoints_tls=Count("id", filter=endpoint & Q(tls_min_version__in=["1.2", "1.3"])),
        endpoints_proxy_plain=Count("id", filter=endpoint & Q(untrusted_proxy=True, message_encryption=False)),
        production=Count("id", filter=Q(environment="production")),
        test=Count("id", filter=Q(environment="test")),
        test_with_pii=Count("id", filter=Q(environment="test", holds_pii=True)),
        baseline_kinds=Count("id", filter=baseline_kinds),
        baseline_current=Count("id", filter=baseline_kinds & ~Q(baseline_reference="") & Q(baseline_verified_at__gte=baseline_cutoff)),
    )


def vulnerability_summary(*, now, since) -> dict:
    """Vulnerability management in four queries: the last ``scan`` and ``pentest`` (``pk``,
    ``performed_at``), the ``releases`` since ``since`` (total, scanned before release, unscanned)
    and the ``findings`` counts (open, overdue at ``now``, open critical/high, fixed and fixed late
    since ``since``, accepted, informational)."""
    scan = VulnerabilityScan.objects.order_by("-performed_at", "-pk").values("pk", "performed_at").first()
    pentest = PenetrationTest.objects.order_by("-performed_at", "-pk").values("pk", "performed_at").first()
    releases = ReleaseScan.objects.filter(release_date__gte=since, release_date__lte=now).aggregate(
        total=Count("id"),
        scanned_before=Count("id", filter=Q(scanned_at__isnull=False, scanned_at__lte=F("release_date"))),
        unscanned=Count("id", filter=Q(scanned_at__isnull=True)),
    )
    findings = Finding.objects.aggregate(
        open=Count("id", filter=Q(status=FindingStatus.OPEN)),
        overdue=Count("id", filter=Q(status=FindingStatus.OPEN, due_at__lte=now)),
        open_critical=Count("id", filter=Q(status=FindingStatus.OPEN, severity="critical")),
        open_high=Count("id", filter=Q(status=FindingStatus.OPEN, severity="high")),
        fixed_year=Count("id", filter=Q(status=FindingStatus.FIXED, resolved_at__gte=since)),
        fixed_late_year=Count("id", filter=Q(status=FindingStatus.FIXED, resolved_at__gte=since, resolved_at__gt=F("due_at"))),
        accepted=Count("id", filter=Q(status=FindingStatus.ACCEPTED)),
        informational=Count("id", filter=Q(status=FindingStatus.INFO)),
    )
    return {"scan": scan, "pentest": pentest, "releases": releases, "findings": findings}


def deletion_request_counts(*, since) -> dict[str, int]:
    """Deletion requests: ``total``, ``certified``, and received since ``since`` (``year``)."""
    return DeletionRequest.objects.aggregate(
        total=Count("id"),
        certified=Count("id", filter=Q(certificate__isnull=False)),
        year=Count("id", filter=Q(received_at__gte=since)),
    )


# --- the REST API (grc.api): list and detail querysets ---------------------------------------------
def data_stores_for_list() -> QuerySet[DataStore]:
    """Every data store with its asset and the asset's owner."""
    return DataStore.objects.select_related("asset__owner")


def vulnerability_scans_for_list() -> QuerySet[VulnerabilityScan]:
    """Every vulnerability scan with who recorded it, its assets and its findings."""
    return VulnerabilityScan.objects.select_related("recorded_by").prefetch_related("assets", "findings")


def findings_for_list() -> QuerySet[Finding]:
    """Every vulnerability finding with its owner and asset."""
    return Finding.objects.select_related("owner", "asset")


def release_scans_for_list() -> QuerySet[ReleaseScan]:
    """Every release and its code scan, with owner and asset."""
    return ReleaseScan.objects.select_related("owner", "asset")

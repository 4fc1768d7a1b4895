"""Reads of the assets app in a fixed number of queries: the inventory list, the record of
processing (for the pages and the evidence pack), and the state of deletion requests."""

from __future__ import annotations

from django.db.models import QuerySet

from assets.deletion_rules import StoreState, ninety_day_met_at, request_state, thirty_day_met_at
from assets.models import Asset, AssetKind, DataStore, DeletionRequest
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


def annotate_deletion_state(requests) -> list[DeletionRequest]:
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
    from datetime import UTC, date, datetime, time, timedelta

    from django.db.models import Count, Q

    from assets.dsar_rules import response_days, retention_days
    from assets.models import DataSubjectRequest, DsarType

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

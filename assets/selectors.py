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

"""Writes to the inventory: assets, their data-store details, the record of processing, the
monthly PII-purge confirmation of a store. Every write stores the asset's flag count and audits
the names of the changed fields (never their values)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field
from django.urls import reverse

from assets.flags import asset_flags, flags_recheck_at, limits_from_settings
from assets.kinds import ALL_KIND_FIELDS, KIND_FIELDS, REQUIRED_BY_KIND, ROP_FORM_FIELDS
from assets.models import Asset, AssetKind, DataStore, RetentionCheck
from assets.services.programme import RETENTION_CHECK, programme_obligations_ensure
from grc.audit.services import record_change, record_event
from grc.compliance.services import obligation_complete, obligation_open, obligation_waive, open_obligation


def apply_flags(asset: Asset, store: DataStore | None, now: datetime) -> None:
    """Store the flag count and the next time-based recheck on ``asset`` (not saved)."""
    limits = limits_from_settings()
    asset.flag_count = len(asset_flags(asset, now=now, store=store, limits=limits))
    asset.flags_recheck_at = flags_recheck_at(asset, now=now, limits=limits)


def asset_problems(asset: Asset) -> dict[str, str]:
    """What is missing for the asset's kind, by field (shared by the form and the CSV import)."""
    problems: dict[str, str] = {}
    for field in REQUIRED_BY_KIND.get(asset.kind, ()):
        if not getattr(asset, field):
            problems[field] = f"Required for {AssetKind(asset.kind).label.lower()} assets."
    if asset.encryption_algorithm and asset.encryption_key_bits is None:
        problems["encryption_key_bits"] = "Give the key length in bits (e.g. 256 for AES-256)."
    if asset.encryption_key_bits is not None and not asset.encryption_algorithm:
        problems["encryption_algorithm"] = "Choose the algorithm the key length belongs to."
    if (
        asset.kind == AssetKind.ENDPOINT
        and asset.url
        and not asset.url.lower().startswith(("https://", "http://", "sftp://", "ssh://", "tcp://"))
    ):
        problems["url"] = "Give a full URL starting with https:// (or sftp://, ssh://)."
    return problems


def _clear_other_kinds(asset: Asset) -> None:
    """A kind's form shows only its own fields: reset the others so no stale value lingers."""
    mine = set(KIND_FIELDS.get(asset.kind, ()))
    for field in ALL_KIND_FIELDS:
        if field not in mine:
            model_field = cast(Field, Asset._meta.get_field(field))
            setattr(asset, field, model_field.get_default())


def _changed(instance, data: dict[str, Any]) -> list[str]:
    changed = []
    for field, value in data.items():
        if getattr(instance, field) != value:
            changed.append(field)
            setattr(instance, field, value)
    return changed


def _validate(asset: Asset) -> None:
    problems = asset_problems(asset)
    if problems:
        raise ValidationError(problems)
    duplicate = Asset.objects.filter(tag__iexact=asset.tag)
    if asset.pk:
        duplicate = duplicate.exclude(pk=asset.pk)
    if duplicate.exists():
        raise ValidationError({"tag": "Another asset already has this id."})


@transaction.atomic
def asset_create(*, data: dict[str, Any], store_data: dict[str, Any] | None = None, by, now: datetime, request=None) -> Asset:
    """Add an asset (and its data-store details when it is a data store)."""
    asset = Asset(**data, created_at=now, updated_at=now)
    _clear_other_kinds(asset)
    _validate(asset)
    store = DataStore(**(store_data or {})) if asset.kind == AssetKind.DATA_STORE else None
    apply_flags(asset, store, now)
    asset.save()
    if store is not None:
        store.asset = asset
        store.save()
        retention_obligation_sync(store=store, now=now)
    record_change("created", asset, request=request, actor=by, changed_fields=[*data, *(store_data or {})])
    programme_obligations_ensure(now=now, owner=by)
    return asset


@transaction.atomic
def asset_update(
    *, asset: Asset, data: dict[str, Any], store_data: dict[str, Any] | None = None, by, now: datetime, request=None
) -> list[str]:
    """Change an asset; its kind stays. Returns the names of the changed fields."""
    asset = Asset.objects.select_for_update(of=("self",)).select_related("data_store").get(pk=asset.pk)
    data = {field: value for field, value in data.items() if field != "kind"}
    changed = _changed(asset, data)
    _clear_other_kinds(asset)
    _validate(asset)
    store = asset.store
    if asset.kind == AssetKind.DATA_STORE:
        if store is None:
            store = DataStore(asset=asset)
        changed += _changed(store, store_data or {})
        store.save()
    if changed:
        asset.updated_at = now
    apply_flags(asset, store, now)
    asset.save()
    if store is not None:
        retention_obligation_sync(store=store, now=now)
    if changed:
        record_change("updated", asset, request=request, actor=by, changed_fields=changed)
    return changed


@transaction.atomic
def asset_retire(*, asset: Asset, by, now: datetime, request=None) -> Asset:
    """Take an asset out of the inventory (disposed, decommissioned); its history stays."""
    asset = Asset.objects.select_for_update(of=("self",)).select_related("data_store").get(pk=asset.pk)
    if asset.retired_at is not None:
        raise ValidationError("This asset is already retired.")
    asset.retired_at = asset.updated_at = now
    apply_flags(asset, asset.store, now)
    asset.save(update_fields=["retired_at", "updated_at", "flag_count", "flags_recheck_at"])
    if asset.store is not None:
        retention_obligation_sync(store=asset.store, now=now)
    record_change("retired", asset, request=request, actor=by, changed_fields=["retired_at"])
    return asset


def assets_refresh_stale_flags(*, now: datetime) -> int:
    """Recount the flags of assets whose time-based rule flipped (rotation, baseline age).

    One indexed query when nothing is stale, so list pages call it before reading flag counts.
    """
    stale = list(Asset.objects.filter(flags_recheck_at__lte=now).select_related("data_store")[:1000])
    for asset in stale:
        apply_flags(asset, asset.store, now)
    if stale:
        Asset.objects.bulk_update(stale, ["flag_count", "flags_recheck_at"])
    return len(stale)


def assets_recount_flags(*, now: datetime, queryset=None) -> int:
    """Recount every asset's flags (after a rule or setting change); returns how many changed."""
    changed = []
    for asset in (queryset if queryset is not None else Asset.objects.all()).select_related("data_store").iterator(chunk_size=500):
        before = (asset.flag_count, asset.flags_recheck_at)
        apply_flags(asset, asset.store, now)
        if (asset.flag_count, asset.flags_recheck_at) != before:
            changed.append(asset)
    Asset.objects.bulk_update(changed, ["flag_count", "flags_recheck_at"], batch_size=500)
    return len(changed)


@transaction.atomic
def record_of_processing_update(*, store: DataStore, data: dict[str, str], by, now: datetime, request=None) -> list[str]:
    """Save a store's record of processing activities (DPP 2.2)."""
    store = DataStore.objects.select_for_update().select_related("asset").get(pk=store.pk)
    changed = _changed(store, {field: data[field] for field in ROP_FORM_FIELDS if field in data})
    if changed:
        store.rop_updated_at, store.rop_updated_by = now, by
        store.save()
        asset = store.asset
        apply_flags(asset, store, now)
        asset.save(update_fields=["flag_count", "flags_recheck_at"])
        record_change("record_of_processing_updated", store, request=request, actor=by, changed_fields=changed)
    return changed


# --- DPP 2.1: the monthly confirmation that PII past its retention was purged ---------------
def _retention_title(store: DataStore) -> str:
    return f"Confirm PII past retention was purged: {store.asset.name}"[:200]


def retention_obligation_sync(*, store: DataStore, now: datetime) -> None:
    """A live data store with PII has a monthly purge confirmation; others have none."""
    asset = store.asset
    if asset.is_active and asset.holds_pii:
        current = open_obligation(RETENTION_CHECK, store)
        last = store.retention_checks.order_by("-checked_at").values_list("checked_at", flat=True).first()
        anchor = current.anchor_at if current is not None else (last or now)
        obligation_open(
            kind=RETENTION_CHECK,
            subject=store,
            anchor_at=anchor,
            owner=asset.owner,
            title=_retention_title(store),
            url=asset.get_absolute_url(),
        )
    elif open_obligation(RETENTION_CHECK, store) is not None:
        reason = "the asset was retired" if not asset.is_active else "the store no longer holds PII"
        obligation_waive(kind=RETENTION_CHECK, subject=store, when=now, reason=reason)


@transaction.atomic
def retention_check_record(*, store: DataStore, note: str, by, now: datetime, request=None) -> RetentionCheck:
    """The owner or lead confirms PII older than the store's rule was purged this month."""
    if not store.asset.holds_pii or not store.asset.is_active:
        raise ValidationError("Only active data stores holding PII have a retention check.")
    check = RetentionCheck.objects.create(data_store=store, checked_by=by, checked_at=now, note=note)
    retention_obligation_sync(store=store, now=now)
    obligation_complete(kind=RETENTION_CHECK, subject=store, completed_at=now, completed_by=by)
    record_event("assets.retention_check.recorded", request=request, actor=by, obj=check, details={"data_store": store.pk})
    return check


def asset_url(asset: Asset) -> str:
    return reverse("assets:detail", args=[asset.pk])

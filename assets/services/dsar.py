"""Writes of data-subject requests (DPP 2.2): record, update, extend once, answer, purge.

Each service runs in one transaction, keeps the ``policies.dsar_response`` obligation in line
(opened at receipt, re-dated by the extension, completed by the response) and writes the audit
event with field *names* only: the requester's details never enter the trail or the logs.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from assets.dsar_rules import (
    KIND,
    extended_due,
    extension_days,
    extension_refusal,
    purge_due,
    response_days,
    response_due,
    response_refusal,
    retention_days,
)
from assets.models import DataStore, DataSubjectRequest, DsarOutcome
from assets.models.dsar import PII_FIELDS
from grc.audit.services import record_change
from grc.compliance.services import obligation_complete, obligation_open

PURGE_ACTOR = "task:purge_dsar_details"
EDITABLE = (
    "received_at",
    "channel",
    "request_type",
    "handler",
    "requester_name",
    "requester_contact",
    "requester_reference",
    "authorized_user",
    "request_details",
    "identity_verified",
    "verification_method",
    "verification_note",
    "actions_taken",
)


def dsar_obligation_open(dsar: DataSubjectRequest) -> None:
    obligation_open(
        kind=KIND,
        subject=dsar,
        anchor_at=dsar.received_at,
        due_at=dsar.due_at,
        owner=dsar.handler,
        title=f"Answer data-subject request {dsar.reference}",
        url=dsar.get_absolute_url(),
    )


def _lock(dsar: DataSubjectRequest) -> DataSubjectRequest:
    return DataSubjectRequest.objects.select_for_update().select_related("handler").get(pk=dsar.pk)


def _check_received(received_at: datetime, now: datetime) -> None:
    if received_at > now:
        raise ValidationError({"received_at": "The request cannot have arrived in the future."})


def _check_stores(stores) -> list[DataStore]:
    stores = list(stores or [])
    for store in stores:
        if not store.asset.is_active:
            raise ValidationError({"stores_searched": f"{store.asset.tag} is retired."})
    return stores


def _check_verification(data: dict[str, Any]) -> None:
    if data.get("identity_verified") and not data.get("verification_method"):
        raise ValidationError({"verification_method": "Say how the identity was verified."})


@transaction.atomic
def dsar_create(*, data: dict[str, Any], stores=(), by, now: datetime, request=None) -> DataSubjectRequest:
    """Record a request; its response is due ``DSAR_RESPONSE_DAYS`` after ``received_at``."""
    _check_received(data["received_at"], now)
    _check_verification(data)
    stores = _check_stores(stores)
    due = response_due(data["received_at"], response_days())
    dsar = DataSubjectRequest(
        **{key: value for key, value in data.items() if key in EDITABLE},
        due_at=due,
        original_due_at=due,
        verified_at=now if data.get("identity_verified") else None,
        created_by=by,
        created_at=now,
        updated_at=now,
        reference=f"pending-{uuid.uuid4().hex[:12]}",
    )
    dsar.save()
    dsar.reference = f"DSR-{dsar.received_at:%Y}-{dsar.pk:04d}"
    dsar.save(update_fields=["reference"])
    dsar.stores_searched.set(stores)
    dsar_obligation_open(dsar)
    record_change("created", dsar, request=request, actor=by, changed_fields=[*(k for k in data if k in EDITABLE), "stores_searched"])
    return dsar


@transaction.atomic
def dsar_update(*, dsar: DataSubjectRequest, data: dict[str, Any], stores=None, by, now: datetime, request=None) -> list[str]:
    """Change the record (identity check, stores searched, actions …). Answered requests keep
    their deadline; purged ones can no longer change."""
    dsar = _lock(dsar)
    if dsar.is_purged:
        raise ValidationError("The identifying details of this request were purged; its record can no longer change.")
    if "received_at" in data:
        _check_received(data["received_at"], now)
        if not dsar.is_open and data["received_at"] != dsar.received_at:
            raise ValidationError({"received_at": "The request has been answered: its receipt time is part of the record."})
    merged = {field: getattr(dsar, field) for field in EDITABLE} | {k: v for k, v in data.items() if k in EDITABLE}
    _check_verification(merged)
    changed = [field for field, value in data.items() if field in EDITABLE and getattr(dsar, field) != value]
    for field in changed:
        setattr(dsar, field, data[field])
    if "identity_verified" in changed:
        dsar.verified_at = now if dsar.identity_verified else None
    if "received_at" in changed:
        dsar.original_due_at = response_due(dsar.received_at, response_days())
        dsar.due_at = extended_due(dsar.original_due_at, extension_days()) if dsar.is_extended else dsar.original_due_at
    if stores is not None:
        stores = _check_stores(stores)
        if {s.pk for s in stores} != set(dsar.stores_searched.values_list("pk", flat=True)):
            dsar.stores_searched.set(stores)
            changed.append("stores_searched")
    if not changed:
        return []
    dsar.updated_at = now
    dsar.save()
    if dsar.is_open and ({"received_at", "handler"} & set(changed)):
        dsar_obligation_open(dsar)
    record_change("updated", dsar, request=request, actor=by, changed_fields=changed)
    return changed


@transaction.atomic
def dsar_extend(*, dsar: DataSubjectRequest, reason: str, by, now: datetime, request=None) -> DataSubjectRequest:
    """Extend the deadline once, with a reason, by ``DSAR_EXTENSION_DAYS`` from the original deadline."""
    dsar = _lock(dsar)
    refusal = extension_refusal(
        extended_at=dsar.extended_at, response_sent_at=dsar.response_sent_at, original_due_at=dsar.original_due_at, now=now
    )
    if refusal:
        raise ValidationError(refusal)
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the extension (it is told to the requester)."})
    dsar.extended_at, dsar.extended_by, dsar.extension_reason = now, by, reason.strip()
    dsar.due_at = extended_due(dsar.original_due_at, extension_days())
    dsar.updated_at = now
    dsar.save()
    dsar_obligation_open(dsar)
    record_change("extended", dsar, request=request, actor=by, changed_fields=["due_at", "extended_at", "extension_reason"])
    return dsar


@transaction.atomic
def dsar_respond(
    *, dsar: DataSubjectRequest, response_sent_at: datetime, outcome: str, note: str, by, now: datetime, request=None
) -> DataSubjectRequest:
    """Record that the response was sent: completes the obligation (met, or met late)."""
    dsar = _lock(dsar)
    if not dsar.is_open:
        raise ValidationError("The response to this request is already recorded.")
    if outcome not in DsarOutcome.values:
        raise ValidationError({"outcome": "Choose the outcome."})
    if response_sent_at > now:
        raise ValidationError({"response_sent_at": "The response cannot be sent in the future."})
    if response_sent_at < dsar.received_at:
        raise ValidationError({"response_sent_at": "The response cannot be sent before the request arrived."})
    refusal = response_refusal(outcome=outcome, identity_verified=dsar.identity_verified, stores_searched=dsar.stores_searched.count())
    if refusal:
        raise ValidationError(refusal)
    dsar.response_sent_at, dsar.outcome, dsar.response_note, dsar.responded_by = response_sent_at, outcome, note.strip(), by
    dsar.updated_at = now
    dsar.save()
    obligation_complete(kind=KIND, subject=dsar, completed_at=response_sent_at, completed_by=by, open_next=False)
    record_change("answered", dsar, request=request, actor=by, changed_fields=["response_sent_at", "outcome", "response_note"])
    return dsar


@transaction.atomic
def dsar_purge_one(*, dsar_id: int, now: datetime) -> bool:
    """Remove the identifying details of one answered request past ``DSAR_RETENTION_DAYS``.

    Claims the row with ``select_for_update(skip_locked=True)``, so two workers never purge the
    same request; returns whether this call purged it. What stays: the reference, type, channel,
    times, deadline and extension, outcome, the stores searched, and who handled it.
    """
    dsar = DataSubjectRequest.objects.select_for_update(skip_locked=True).filter(pk=dsar_id, purged_at__isnull=True).first()
    if dsar is None:
        return False
    due = purge_due(dsar.response_sent_at, retention_days())
    if due is None or now < due:
        return False
    for field in PII_FIELDS:
        setattr(dsar, field, "")
    dsar.purged_at = now
    dsar.save(update_fields=[*PII_FIELDS, "purged_at"])
    record_change("purged", dsar, system_actor=PURGE_ACTOR, changed_fields=list(PII_FIELDS))
    return True


def dsar_purge_expired(*, now: datetime) -> int:
    """Purge every answered request past its retention; returns how many were purged."""
    cutoff = now - timedelta(days=retention_days())
    ids = list(
        DataSubjectRequest.objects.filter(purged_at__isnull=True, response_sent_at__isnull=False, response_sent_at__lte=cutoff)
        .order_by("response_sent_at")
        .values_list("pk", flat=True)
    )
    return sum(1 for pk in ids if dsar_purge_one(dsar_id=pk, now=now))

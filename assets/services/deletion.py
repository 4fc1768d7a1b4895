"""Writes of Amazon deletion requests (DPP 1.7): the notice, per-store sanitisation (NIST SP
800-88), verification, legal-retention exceptions and the signed certificate of destruction.

``deletion_sync`` keeps the two obligations (30 and 90 days from the notice) in line with the
rows after every write: completed at the moment the rule of ``assets.deletion_rules`` was met,
re-opened if a later change (a newly named store) un-meets it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from assets.deletion_rules import RequestState, ninety_day_met_at, request_state, thirty_day_met_at
from assets.files import save_pdf
from assets.models import DataStore, DeletionAction, DeletionRequest, DestructionCertificate, RetentionException, SanitisationMethod
from assets.selectors import deletion_store_states
from assets.services.programme import DELETION_30D, DELETION_90D
from grc.audit.services import record_change, record_event
from grc.compliance.services import obligation_complete, obligation_open, obligations_for, open_obligation
from grc.pdf import render_pdf


def _load(request: DeletionRequest, *, lock: bool = True) -> DeletionRequest:
    queryset = DeletionRequest.objects.select_related("responsible").prefetch_related("actions__data_store__asset", "exceptions")
    if lock:
        DeletionRequest.objects.select_for_update().filter(pk=request.pk).first()
    return queryset.get(pk=request.pk)


def _refuse_if_certified(request: DeletionRequest) -> None:
    if DestructionCertificate.objects.filter(request=request).exists():
        raise ValidationError("This request is certified; its record can no longer change.")


def deletion_sync(request: DeletionRequest) -> None:
    """Complete (or re-open) the 30- and 90-day obligations from the per-store rows."""
    request = _load(request, lock=False)
    states = deletion_store_states(request)
    for kind, met_at in ((DELETION_30D, thirty_day_met_at(states)), (DELETION_90D, ninety_day_met_at(states))):
        if met_at is None or open_obligation(kind, request) is not None or not obligations_for(request, kind).filter(kind=kind).exists():
            obligation_open(
                kind=kind, subject=request, anchor_at=request.received_at, owner=request.responsible, url=request.get_absolute_url()
            )
        if met_at is not None and open_obligation(kind, request) is not None:
            obligation_complete(kind=kind, subject=request, completed_at=met_at, completed_by=request.responsible)


def _check_stores(stores) -> list[DataStore]:
    stores = list(stores)
    for store in stores:
        if not store.asset.is_active:
            raise ValidationError({"stores": f"{store.asset.name} is retired."})
    return stores


@transaction.atomic
def deletion_request_create(*, data: dict[str, Any], stores, by, now: datetime, request=None) -> DeletionRequest:
    """Record Amazon's notice and the data stores it affects; both clocks start at ``received_at``."""
    if data["received_at"] > now:
        raise ValidationError({"received_at": "The notice cannot have arrived in the future."})
    stores = _check_stores(stores)
    deletion = DeletionRequest.objects.create(**data, created_by=by, created_at=now)
    DeletionAction.objects.bulk_create([DeletionAction(request=deletion, data_store=store) for store in stores])
    record_change("created", deletion, request=request, actor=by, changed_fields=[*data, "stores"])
    deletion_sync(deletion)
    return deletion


@transaction.atomic
def deletion_request_update(*, deletion: DeletionRequest, data: dict[str, Any], by, now: datetime, request=None) -> list[str]:
    deletion = _load(deletion)
    _refuse_if_certified(deletion)
    if "received_at" in data and data["received_at"] > now:
        raise ValidationError({"received_at": "The notice cannot have arrived in the future."})
    changed = [field for field, value in data.items() if getattr(deletion, field) != value]
    for field in changed:
        setattr(deletion, field, data[field])
    if changed:
        deletion.save()
        for kind in (DELETION_30D, DELETION_90D):
            if open_obligation(kind, deletion) is not None:
                obligation_open(
                    kind=kind, subject=deletion, anchor_at=deletion.received_at, owner=deletion.responsible, url=deletion.get_absolute_url()
                )
        record_change("updated", deletion, request=request, actor=by, changed_fields=changed)
    return changed


@transaction.atomic
def deletion_store_add(*, deletion: DeletionRequest, store: DataStore, by, now: datetime, request=None) -> DeletionAction:
    """Name one more affected store (this may re-open a met clock: the new store is not deleted yet)."""
    deletion = _load(deletion)
    _refuse_if_certified(deletion)
    _check_stores([store])
    action, created = DeletionAction.objects.get_or_create(request=deletion, data_store=store)
    if not created:
        raise ValidationError({"store": "This store is already part of the request."})
    record_event("assets.deletion.store_added", request=request, actor=by, obj=deletion, details={"data_store": store.pk})
    deletion_sync(deletion)
    return action


@transaction.atomic
def deletion_action_perform(
    *, action: DeletionAction, method: str, description: str, performed_by, performed_at: datetime, by, now: datetime, request=None
) -> DeletionAction:
    """Record the sanitisation of one store: NIST SP 800-88 method, who and when."""
    action = DeletionAction.objects.select_for_update().select_related("request").get(pk=action.pk)
    _refuse_if_certified(action.request)
    if method not in SanitisationMethod.values:
        raise ValidationError({"method": "Choose Clear, Purge or Destroy (NIST SP 800-88)."})
    if performed_at > now:
        raise ValidationError({"performed_at": "Record the sanitisation once it has been done."})
    if action.verified_at is not None and performed_at > action.verified_at:
        raise ValidationError({"performed_at": "The deletion was already verified before this time."})
    action.method, action.description, action.performed_by, action.performed_at = method, description, performed_by, performed_at
    action.save(update_fields=["method", "description", "performed_by", "performed_at"])
    record_event(
        "assets.deletion.sanitised",
        request=request,
        actor=by,
        obj=action.request,
        details={"data_store": action.data_store_id, "method": method},
        changed_fields=["method", "description", "performed_by", "performed_at"],
    )
    deletion_sync(action.request)
    return action


@transaction.atomic
def deletion_action_verify(*, action: DeletionAction, verified_at: datetime, note: str, by, now: datetime, request=None) -> DeletionAction:
    """Record that the sanitisation of a store was checked (no live instance left)."""
    action = DeletionAction.objects.select_for_update().select_related("request").get(pk=action.pk)
    _refuse_if_certified(action.request)
    if action.performed_at is None:
        raise ValidationError("Record the sanitisation before verifying it.")
    if verified_at > now:
        raise ValidationError({"verified_at": "Record the verification once it has been done."})
    if verified_at < action.performed_at:
        raise ValidationError({"verified_at": "The verification cannot come before the sanitisation."})
    if not note.strip():
        raise ValidationError({"note": "Say how it was verified (e.g. query returned no rows; restore test of the backup)."})
    action.verified_by, action.verified_at, action.verification_note = by, verified_at, note
    action.save(update_fields=["verified_by", "verified_at", "verification_note"])
    record_event(
        "assets.deletion.verified",
        request=request,
        actor=by,
        obj=action.request,
        details={"data_store": action.data_store_id},
        changed_fields=["verified_at", "verification_note"],
    )
    deletion_sync(action.request)
    return action


@transaction.atomic
def retention_exception_add(*, deletion: DeletionRequest, data: dict[str, Any], by, now: datetime, request=None) -> RetentionException:
    """Record Information kept for a legal requirement (tax, regulatory) with its end date."""
    deletion = _load(deletion)
    _refuse_if_certified(deletion)
    store = data["data_store"]
    if data["ends_on"] <= deletion.received_at.date():
        raise ValidationError({"ends_on": "The retention must end after the notice date."})
    if RetentionException.objects.filter(request=deletion, data_store=store).exists():
        raise ValidationError({"data_store": "This store already has an exception in this request."})
    DeletionAction.objects.get_or_create(request=deletion, data_store=store)
    exception = RetentionException.objects.create(request=deletion, recorded_by=by, recorded_at=now, **data)
    record_change("created", exception, request=request, actor=by, changed_fields=list(data))
    deletion_sync(deletion)
    return exception


# --- the certificate of destruction --------------------------------------------------------
def certificate_context(deletion: DeletionRequest, *, signer, signed_at: datetime) -> dict:
    deletion = _load(deletion, lock=False)
    states = deletion_store_states(deletion)
    exceptions = {exception.data_store_id: exception for exception in deletion.exceptions.all()}
    rows = []
    for action in deletion.actions.all():
        rows.append(
            {
                "action": action,
                "store": action.data_store,
                "asset": action.data_store.asset,
                "exception": exceptions.get(action.data_store_id),
            }
        )
    return {
        "deletion": deletion,
        "rows": rows,
        "exceptions": [row for row in rows if row["exception"] is not None],
        "deleted_at": thirty_day_met_at(states),
        "live_deleted_at": ninety_day_met_at(states),
        "signer": signer,
        "signed_at": signed_at,
    }


@transaction.atomic
def certificate_sign(*, deletion: DeletionRequest, by, step_up_at: datetime, now: datetime, request=None) -> DestructionCertificate:
    """The responsible person signs the certificate of destruction (one page, rendered now).

    Refused until both parts of the request are done, and for anyone but the responsible person.
    """
    deletion = _load(deletion)
    if by.pk != deletion.responsible_id:
        raise PermissionDenied("Only the person responsible for this request signs its certificate.")
    _refuse_if_certified(deletion)
    if request_state(deletion_store_states(deletion)) != RequestState.COMPLETE:
        raise ValidationError("Every store must be sanitised (and live copies verified) or excepted before the certificate is signed.")
    pdf = render_pdf("assets/certificate_pdf.html", certificate_context(deletion, signer=by, signed_at=now))
    certificate = DestructionCertificate(request=deletion, signed_by=by, signed_at=now, step_up_at=step_up_at)
    certificate.sha256 = save_pdf(certificate.file, pdf, f"certificate-of-destruction-{deletion.pk}")
    certificate.save()
    record_event(
        "assets.deletion.certified",
        request=request,
        actor=by,
        obj=deletion,
        details={"certificate": certificate.pk, "sha256": certificate.sha256},
    )
    return certificate

"""Writes of the control register: record, re-attest and remove entries (audited, on the clock).

Every path — the pages, the CSV import and the REST API — calls ``control_entry_save`` with the
raw values, so one validation (``grc.controls.areas``) and one audit trail serve them all.
Saving an entry is its attestation: the open re-attestation obligation is completed and the next
one is opened from the new "as of" day on the area's cadence in force.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from grc.audit.services import record_change
from grc.compliance.services import obligation_complete, obligation_open, obligation_waive
from grc.controls.areas import AREAS, Area, FieldError, area_for
from grc.controls.models import ControlEntry
from grc.controls.rules import day_start
from grc.files import check_evidence_upload, store_upload


def system_model():
    """The registry's System model, reached through the foreign key (the register imports no domain app)."""
    return ControlEntry._meta.get_field("system").related_model


def _check_delegation(area: Area, values: dict[str, Any], system) -> None:
    name = values.get("delegated_to")
    if area.key != "identity" or not name:
        return
    target = system_model().objects.filter(name__iexact=name).first()
    if target is None:
        raise ValidationError({"delegated_to": f"{name!r} is not a system of the registry"})
    if system is not None and target.pk == system.pk:
        raise ValidationError({"delegated_to": "a system cannot delegate sign-in to itself"})
    values["delegated_to"] = target.name


def validate_entry(
    *, area: str, raw: dict[str, Any], system=None, data_store=None, as_of: date, now: datetime, base=None
) -> dict[str, Any]:
    """The values to store, or ValidationError with a message per field (no write)."""
    try:
        definition = area_for(area)
    except FieldError as error:
        raise ValidationError({"area": str(error)}) from None
    if definition.subject == "system" and system is None:
        raise ValidationError({"system": f"{definition.title} are recorded per system"})
    if definition.subject == "data_store" and data_store is None:
        raise ValidationError({"data_store": f"{definition.title} is recorded per data store holding PII"})
    values, errors = definition.parse(raw, partial_of=base)
    if as_of > now.date():
        errors["as_of"] = "cannot be in the future"
    if errors:
        raise ValidationError(errors)
    _check_delegation(definition, values, system)
    return values


def entry_changes(
    existing: Mapping[str, Any] | None, *, values: dict[str, Any], owner_id: int, as_of: date, evidence_link: str
) -> list[str]:
    """The fields a save would change (every field for a new entry). ``existing`` holds the stored
    ``values``, ``owner_id``, ``as_of`` and ``evidence_link``; an empty link keeps the stored one.
    The one rule behind the audit event, the import's preview and the API's dry run."""
    if existing is None:
        return [*values, "owner", "as_of", "evidence_link"]
    changed = [name for name in values if existing["values"].get(name) != values[name]]
    link = evidence_link or existing["evidence_link"]
    for name, old, new in (
        ("owner", existing["owner_id"], owner_id),
        ("as_of", existing["as_of"], as_of),
        ("evidence_link", existing["evidence_link"], link),
    ):
        if old != new:
            changed.append(name)
    return changed


def stored_state(entry: ControlEntry | None) -> dict[str, Any] | None:
    """What ``entry_changes`` compares with, for a stored entry."""
    if entry is None:
        return None
    return {"values": entry.values, "owner_id": entry.owner_id, "as_of": entry.as_of, "evidence_link": entry.evidence_link}


def reattestation_open(entry: ControlEntry) -> None:
    """(Re-)date the entry's re-attestation obligation from its "as of" day on the area's cadence in force."""
    definition = AREAS[entry.area]
    obligation_open(
        kind=definition.obligation_kind,
        subject=entry,
        anchor_at=day_start(entry.as_of),
        owner=entry.owner,
        title=f"Re-attest the {definition.words} of {subject_name(entry)}",
        url=entry.get_absolute_url(),
    )


def subject_name(entry: ControlEntry) -> str:
    if entry.system_id:
        assert entry.system is not None
        return entry.system.name
    assert entry.data_store is not None  # an entry is about a system or a data store (check constraint)
    return entry.data_store.tag


@transaction.atomic
def control_entry_save(
    *,
    area: str,
    raw: dict[str, Any],
    owner,
    as_of: date,
    by,
    now: datetime,
    system=None,
    data_store=None,
    evidence_link: str = "",
    evidence_file=None,
    partial: bool = False,
    request=None,
) -> ControlEntry:
    """Create or update the entry of (subject, area). ``partial``: fields absent from ``raw`` keep their value."""
    # order_by("pk"): the default ordering joins the system and the store, and PostgreSQL refuses
    # FOR UPDATE on the nullable side of an outer join
    existing = ControlEntry.objects.select_for_update().filter(area=area, system=system, data_store=data_store).order_by("pk").first()
    base = dict(existing.values) if (partial and existing is not None) else None
    values = validate_entry(area=area, raw=raw, system=system, data_store=data_store, as_of=as_of, now=now, base=base)
    if evidence_file is not None:
        try:
            check_evidence_upload(evidence_file)
        except ValidationError as error:
            raise ValidationError({"evidence_file": error.messages}) from None
    entry = existing or ControlEntry(area=area, system=system, data_store=data_store, created_at=now)
    evidence_link = evidence_link or (existing.evidence_link if existing else "")
    changed = entry_changes(stored_state(existing), values=values, owner_id=owner.pk, as_of=as_of, evidence_link=evidence_link)
    entry.owner, entry.as_of, entry.evidence_link = owner, as_of, evidence_link
    entry.values = values
    entry.recorded_by = by
    entry.updated_at = now
    if evidence_file is not None:
        entry.evidence_sha256 = store_upload(entry.evidence_file, evidence_file)
        changed.append("evidence_file")
    entry.save()
    record_change("created" if existing is None else "updated", entry, request=request, actor=by, changed_fields=changed)
    if existing is not None:
        obligation_complete(kind=AREAS[area].obligation_kind, subject=entry, completed_at=now, completed_by=by, open_next=False)
    reattestation_open(entry)
    return entry


@transaction.atomic
def control_entry_delete(*, entry: ControlEntry, by, now: datetime, request=None) -> None:
    """Remove an entry: the subject is "not yet recorded" again for that area; the clock stops."""
    definition = AREAS[entry.area]
    obligation_waive(kind=definition.obligation_kind, subject=entry, when=now, reason="control entry removed", by=by)
    record_change("deleted", entry, request=request, actor=by, changed_fields=["area", "values"])
    entry.delete()

"""Canary records (DPP 2.6 "access to canary data records"): the security lead marks any record
as bait; from then on every view or download of it raises an alarm at once (grc.audit.rules).

A record is named by its model label and primary key, so incidents, people, assets … can all be
canaries without this app importing them. Only records of the portal's own apps can be marked,
and only ones that exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest

from grc.audit.models import Canary
from grc.audit.services import describe, record_event
from grc.labels import model_for, record_label

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as User  # the AUTH_USER_MODEL (the stubs' alias): audit sits below accounts

LOCAL_APP_PREFIXES = ("grc.", "incidents", "access_reviews", "assets")
NOT_CANARIES = {"audit.auditevent", "audit.auditanchor", "audit.alarm", "audit.canary", "audit.logreview"}


def canary_subject_types() -> list[tuple[str, str]]:
    """(label, "App · model") of every model that may be marked, for the mark form."""
    choices = []
    for model in apps.get_models():
        config = model._meta.app_config
        label = record_label(model)
        if config.name.startswith(LOCAL_APP_PREFIXES) and label not in NOT_CANARIES:
            choices.append((label, f"{config.verbose_name} · {model._meta.verbose_name}"))
    return sorted(choices, key=lambda choice: choice[1].lower())


def canary_subject(subject_type: str, subject_id: str) -> models.Model:
    """The record a canary names, or a ValidationError saying why it cannot be one."""
    allowed = dict(canary_subject_types())
    if subject_type not in allowed:
        raise ValidationError({"subject_type": "Choose a kind of record of the portal."})
    model = model_for(subject_type)
    try:
        record = model._default_manager.filter(pk=subject_id).first()
    except (ValueError, TypeError, ValidationError):
        record = None
    if record is None:
        raise ValidationError({"subject_id": f"There is no {model._meta.verbose_name} with id {subject_id}."})
    return record


def canary_for(obj: models.Model) -> Canary | None:
    subject_type, subject_id = describe(obj)
    return Canary.objects.filter(subject_type=subject_type, subject_id=subject_id).first()


@transaction.atomic
def canary_mark(*, subject_type: str, subject_id: str, note: str, by: User, now: datetime, request: HttpRequest | None = None) -> Canary:
    """Mark a record as a canary (idempotent: marking again keeps the first mark)."""
    record = canary_subject(subject_type, str(subject_id).strip())
    subject_type, subject_id = describe(record)
    canary, created = Canary.objects.get_or_create(
        subject_type=subject_type, subject_id=subject_id, defaults={"note": (note or "").strip(), "marked_by": by, "marked_at": now}
    )
    if created:
        record_event(
            "audit.canary.marked",
            request=request,
            actor=by,
            obj=canary,
            details={"subject_type": subject_type, "subject_id": subject_id},
            changed_fields=["subject_type", "subject_id", "note"],
            occurred_at=now,
        )
    return canary


@transaction.atomic
def canary_unmark(*, subject_type: str, subject_id: str, by: User, now: datetime, request: HttpRequest | None = None) -> bool:
    """Stop watching a record; returns whether it was a canary."""
    canary = Canary.objects.select_for_update().filter(subject_type=subject_type, subject_id=str(subject_id)).first()
    if canary is None:
        return False
    record_event(
        "audit.canary.unmarked",
        request=request,
        actor=by,
        obj=canary,
        details={"subject_type": canary.subject_type, "subject_id": canary.subject_id},
        occurred_at=now,
    )
    canary.delete()
    return True

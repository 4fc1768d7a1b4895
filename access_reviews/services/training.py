"""Security and data-protection training (DPP 1.1: "training for everyone with system access").

Everyone active with an enabled account has a ``training_initial`` obligation from joining until
their first record, then a recurring ``training_annual`` one anchored at their latest completion.
People without system access, or terminated, have none open (waived with the reason).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from access_reviews.models import Person, TrainingRecord
from grc.audit.services import record_change
from grc.compliance.services import obligation_complete, obligation_open, obligation_waive, open_obligation

INITIAL = "access_reviews.training_initial"
ANNUAL = "access_reviews.training_annual"


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def training_owner(person: Person):
    if person.user_id:
        return person.user
    manager = person.manager if person.manager_id else None
    if manager is not None and manager.user_id:
        return manager.user
    return None


def has_system_access(person: Person) -> bool:
    return person.accounts.filter(enabled=True, removed_at__isnull=True).exists()


@transaction.atomic
def training_sync_person(*, person: Person, now: datetime) -> None:
    """Make the person's open training obligations match their records and access."""
    if person.is_terminated or not has_system_access(person):
        reason = "person terminated" if person.is_terminated else "no system access"
        for kind in (INITIAL, ANNUAL):
            if open_obligation(kind, person) is not None:
                obligation_waive(kind=kind, subject=person, when=now, reason=reason)
        return
    url = reverse("access_reviews:person_training", args=[person.pk])
    latest = person.training_records.order_by("-completed_on").values_list("completed_on", flat=True).first()
    owner = training_owner(person)
    if latest is None:
        anchor = person.started_at or person.created_at
        obligation_open(kind=INITIAL, subject=person, anchor_at=min(anchor, now), owner=owner, url=url)
        return
    if open_obligation(INITIAL, person) is not None:
        obligation_complete(kind=INITIAL, subject=person, completed_at=day_start(latest))
    obligation_open(kind=ANNUAL, subject=person, anchor_at=day_start(latest), owner=owner, url=url)


@transaction.atomic
def training_record_create(
    *, person: Person, course: str, completed_on: date, by, now: datetime, evidence=None, note: str = "", request=None
) -> TrainingRecord:
    """Record a completed course; it meets the person's open training obligation."""
    if completed_on > now.date():
        raise ValidationError({"completed_on": "The completion date cannot be in the future."})
    if not course.strip():
        raise ValidationError({"course": "Name the course."})
    if evidence is None and not note.strip():
        raise ValidationError({"evidence": "Attach the certificate or describe the evidence in the note."})
    previous = person.training_records.order_by("-completed_on").values_list("completed_on", flat=True).first()
    record = TrainingRecord.objects.create(
        person=person, course=course.strip(), completed_on=completed_on, note=note.strip(), recorded_by=by, recorded_at=now
    )
    if evidence is not None:
        record.evidence.save(evidence.name, evidence, save=True)
    record_change(
        "created", record, request=request, actor=by, changed_fields=["course", "completed_on", "evidence" if evidence else "note"]
    )
    if previous is None or completed_on >= previous:
        completed_at = day_start(completed_on)
        if open_obligation(INITIAL, person) is not None:
            obligation_complete(kind=INITIAL, subject=person, completed_at=completed_at, completed_by=by)
        elif open_obligation(ANNUAL, person) is not None:
            obligation_complete(kind=ANNUAL, subject=person, completed_at=completed_at, completed_by=by)
    training_sync_person(person=person, now=now)
    return record

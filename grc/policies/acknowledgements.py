"""Staff acknowledgements of policy versions ("I have read it and will follow it", DPP 2.2 "abide by").

When a version that requires acknowledgement is approved, every active member of staff (portal
users with the security lead, manager or staff role; auditors only read) gets an
``Acknowledgement`` row and an obligation ``policies.acknowledgement`` owned by them, due one
cadence period (30 days) later, with reminders from the engine. Acknowledging completes it. A newer
version supersedes the outstanding ones (waived with the reason); people who leave have theirs
waived; people who join later are asked by ``acknowledgements_sync`` (the provider's daily resync).

Audit events carry ids and counts only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet

from grc.accounts.models import Role, User
from grc.audit.services import record_change, record_event
from grc.compliance.cadences import cadence_for
from grc.compliance.services import obligation_complete, obligation_open, obligation_waive
from grc.policies.models import Acknowledgement, DocumentVersion, VersionStatus

KIND = "policies.acknowledgement"
WORKFORCE_ROLES = (Role.SECURITY_LEAD, Role.MANAGER, Role.STAFF)
LEFT_REASON = "no longer an active member of staff"


def workforce(now: datetime) -> QuerySet[User]:
    """Everyone asked to acknowledge: active portal users of the workforce roles, inside any access window."""
    return User.objects.filter(is_active=True, role__in=WORKFORCE_ROLES).filter(
        Q(access_starts_at__isnull=True) | Q(access_starts_at__lte=now),
        Q(access_expires_at__isnull=True) | Q(access_expires_at__gt=now),
    )


def acknowledgement_due(requested_at: datetime) -> datetime:
    return cadence_for(KIND).due_after(requested_at)


def versions_to_acknowledge() -> QuerySet[DocumentVersion]:
    """The versions in force that ask for acknowledgement."""
    return DocumentVersion.objects.filter(
        status=VersionStatus.APPROVED, requires_acknowledgement=True, document__current_version=F("pk")
    ).select_related("document__type")


def _obligation_open(ack: Acknowledgement, version: DocumentVersion) -> None:
    obligation_open(
        kind=KIND,
        subject=ack,
        anchor_at=ack.requested_at,
        due_at=ack.due_at,
        owner=ack.user,
        title=f"Acknowledge the {version.document.type.name.lower()} (version {version.number})",
        url=version.get_absolute_url(),
    )


@transaction.atomic
def acknowledgements_request(*, version: DocumentVersion, now: datetime, request=None, actor=None) -> int:
    """Ask every active member of staff who has not been asked yet; returns how many were asked.

    Idempotent: people already asked keep their row; a row waived because the person had left is
    asked again if they are active again. Re-opens (re-dates) the obligation of every outstanding row.
    """
    version = DocumentVersion.objects.select_related("document__type").get(pk=version.pk)
    people = list(workforce(now))
    active_ids = {user.pk for user in people}
    rows = {ack.user_id: ack for ack in version.acknowledgements.select_for_update().select_related("user")}
    due = acknowledgement_due(now)
    new = [Acknowledgement(version=version, user=user, requested_at=now, due_at=due) for user in people if user.pk not in rows]
    Acknowledgement.objects.bulk_create(new)
    for ack in rows.values():
        if ack.waived_at is not None and ack.acknowledged_at is None and ack.user_id in active_ids:
            ack.waived_at, ack.waived_reason, ack.requested_at, ack.due_at = None, "", now, due
            ack.save(update_fields=["waived_at", "waived_reason", "requested_at", "due_at"])
    outstanding = version.acknowledgements.filter(acknowledged_at__isnull=True, waived_at__isnull=True).select_related("user")
    for ack in outstanding:
        _obligation_open(ack, version)
    if new:
        record_event(
            "policies.documentversion.acknowledgements_requested",
            request=request,
            actor=actor,
            system_actor="" if actor or request else "task:acknowledgements_sync",
            obj=version,
            details={"count": len(new)},
        )
    return len(new)


@transaction.atomic
def acknowledgements_waive_superseded(*, version: DocumentVersion, now: datetime) -> int:
    """Waive the outstanding acknowledgements of the document's earlier versions."""
    stale = Acknowledgement.objects.select_for_update().filter(
        version__document_id=version.document_id, acknowledged_at__isnull=True, waived_at__isnull=True
    )
    count = 0
    for ack in stale.exclude(version=version):
        _waive(ack, now=now, reason=f"superseded by version {version.number}")
        count += 1
    return count


def _waive(ack: Acknowledgement, *, now: datetime, reason: str) -> None:
    ack.waived_at, ack.waived_reason = now, reason
    ack.save(update_fields=["waived_at", "waived_reason"])
    obligation_waive(kind=KIND, subject=ack, when=now, reason=reason)


@transaction.atomic
def acknowledgement_record(*, version: DocumentVersion, user, now: datetime, request=None) -> Acknowledgement:
    """``user`` acknowledges the version in force (idempotent: a second click changes nothing)."""
    version = DocumentVersion.objects.select_related("document__type").get(pk=version.pk)
    if version.document.current_version_id != version.pk:
        raise ValidationError("Only the version in force can be acknowledged.")
    if not version.requires_acknowledgement:
        raise ValidationError("This version does not ask for acknowledgement.")
    if user.role not in WORKFORCE_ROLES:
        raise ValidationError("Auditors read the policies; they do not acknowledge them.")
    ack, _created = Acknowledgement.objects.select_for_update().get_or_create(
        version=version, user=user, defaults={"requested_at": now, "due_at": acknowledgement_due(now)}
    )
    if ack.acknowledged_at is not None:
        return ack
    ack.acknowledged_at, ack.waived_at, ack.waived_reason = now, None, ""
    ack.save(update_fields=["acknowledged_at", "waived_at", "waived_reason"])
    obligation_complete(kind=KIND, subject=ack, completed_at=now, completed_by=user, open_next=False)
    record_change("acknowledged", ack, request=request, actor=user, changed_fields=["acknowledged_at"])
    return ack


@transaction.atomic
def acknowledgements_sync(*, now: datetime) -> int:
    """Bring the acknowledgements in line with the staff and the versions in force (daily resync).

    Asks people who joined since, waives those of people who left and those of versions no longer
    in force, and re-opens the obligation of every outstanding one. Returns how many are outstanding.
    """
    active_ids = set(workforce(now).values_list("pk", flat=True))
    in_force = list(versions_to_acknowledge())
    for version in in_force:
        acknowledgements_request(version=version, now=now)
    outstanding = Acknowledgement.objects.select_for_update().filter(acknowledged_at__isnull=True, waived_at__isnull=True)
    for ack in outstanding.exclude(version__in=in_force).select_related("version"):
        _waive(ack, now=now, reason="the version is no longer in force")
    for ack in outstanding.exclude(user_id__in=active_ids):
        _waive(ack, now=now, reason=LEFT_REASON)
    return Acknowledgement.objects.filter(acknowledged_at__isnull=True, waived_at__isnull=True).count()


def pending_for(user, now: datetime) -> list[DocumentVersion]:
    """Versions in force that ``user`` still has to acknowledge (asked or not yet asked), with
    ``ack`` (their row or None) attached. Two queries; nothing is written."""
    if user.role not in WORKFORCE_ROLES:
        return []
    versions = list(versions_to_acknowledge().order_by("document__type__position", "document__title"))
    rows = {ack.version_id: ack for ack in Acknowledgement.objects.filter(user=user, version__in=versions)}
    pending = []
    for version in versions:
        ack = rows.get(version.pk)
        if ack is not None and ack.acknowledged_at is not None:
            continue
        cast(Any, version).ack = ack  # for the template: not a model field
        pending.append(version)
    return pending

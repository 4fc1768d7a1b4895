"""Auditor access (DPP 3 audits; DPP 1.3 least privilege): the security lead grants an auditor
account read-only access for whole days and a set of clauses; it ends by itself.

The grant is the authority: ``auditor_window_sync`` sets the account's ``access_starts_at`` /
``access_expires_at`` to the current (or next) grant, and the account policy middleware signs the
auditor out at ``access_expires_at`` on their next request. The hourly task records each grant's
end in the audit trail and moves the window to a later grant, if there is one.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from grc.accounts.models import Role, User
from grc.audit.services import record_change, record_event
from grc.evidence.clauses import normalise_scope
from grc.evidence.models import Audit, AuditorGrant

MAX_GRANT_DAYS = 366  # time-boxed: a year at most; grant again for longer engagements
TASK_ACTOR = "task:end_expired_grants"


def day_bounds(starts_on: date, ends_on: date, zone) -> tuple[datetime, datetime]:
    """From the start of ``starts_on`` to the end of ``ends_on`` in ``zone``, as aware datetimes."""
    zone = zone or ZoneInfo("UTC")
    start = datetime.combine(starts_on, time.min).replace(tzinfo=zone)
    end = datetime.combine(ends_on + timedelta(days=1), time.min).replace(tzinfo=zone)
    return start, end


def current_grant(user, now: datetime) -> AuditorGrant | None:
    """The grant that lets ``user`` in right now (the widest scope if several overlap)."""
    if user is None or not user.is_authenticated:
        return None
    grants = list(AuditorGrant.objects.filter(auditor=user, revoked_at__isnull=True, starts_at__lte=now, ends_at__gt=now))
    if not grants:
        return None
    return min(grants, key=lambda grant: (bool(grant.clauses), -len(grant.clauses), grant.ends_at))


@transaction.atomic
def grant_create(
    *,
    auditor: User,
    starts_on: date,
    ends_on: date,
    clauses: list[str],
    purpose: str,
    by: User,
    now: datetime,
    audit: Audit | None = None,
    zone=None,
    request=None,
) -> AuditorGrant:
    errors = {}
    if auditor.role != Role.AUDITOR:
        errors["auditor"] = "Only an auditor account can be given auditor access: invite the auditor with the Auditor role first."
    elif not auditor.is_active:
        errors["auditor"] = "This account is deactivated."
    zone = zone or timezone.get_current_timezone()
    today = now.astimezone(zone).date()
    if starts_on > ends_on:
        errors["ends_on"] = "The last day must be on or after the first day."
    elif ends_on < today:
        errors["ends_on"] = "The last day has already passed."
    elif (ends_on - starts_on).days + 1 > MAX_GRANT_DAYS:
        errors["ends_on"] = "Auditor access is time-boxed to a year at most: grant again for a longer engagement."
    if not (purpose or "").strip():
        errors["purpose"] = "Say what the access is for, e.g. Amazon DPP assessment 2027."
    if errors:
        raise ValidationError(errors)
    starts_at, ends_at = day_bounds(starts_on, ends_on, zone)
    grant = AuditorGrant.objects.create(
        auditor=auditor,
        starts_on=starts_on,
        ends_on=ends_on,
        starts_at=starts_at,
        ends_at=ends_at,
        clauses=normalise_scope(clauses),
        purpose=purpose.strip()[:200],
        audit=audit,
        granted_by=by,
        granted_at=now,
    )
    record_event(
        "evidence.grant.created",
        request=request,
        actor=by,
        obj=grant,
        details={
            "auditor_id": auditor.pk,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "clauses": grant.clauses or "all",
        },
        occurred_at=now,
    )
    auditor_window_sync(auditor=auditor, now=now, by=by, request=request)
    return grant


@transaction.atomic
def grant_revoke(*, grant: AuditorGrant, by: User, now: datetime, request=None) -> bool:
    """End a grant now (or cancel a scheduled one); False if it had already ended or was revoked."""
    grant = AuditorGrant.objects.select_for_update().select_related("auditor").get(pk=grant.pk)
    if grant.revoked_at is not None or grant.ends_at <= now:
        return False
    grant.revoked_at, grant.revoked_by = now, by
    grant.save(update_fields=["revoked_at", "revoked_by"])
    record_event("evidence.grant.revoked", request=request, actor=by, obj=grant, details={"auditor_id": grant.auditor_id}, occurred_at=now)
    auditor_window_sync(auditor=grant.auditor, now=now, by=by, request=request)
    return True


def auditor_window_sync(*, auditor: User, now: datetime, by: User | None = None, request=None) -> list[str]:
    """Set the account's access window to its current or next grant; with none left, access ends now.

    Returns the changed field names (audited on the user, names only)."""
    upcoming = AuditorGrant.objects.filter(auditor=auditor, revoked_at__isnull=True, ends_at__gt=now).order_by("starts_at", "pk").first()
    values: dict[str, datetime | None]
    if upcoming is not None:
        values = {"access_starts_at": upcoming.starts_at, "access_expires_at": upcoming.ends_at}
    else:
        expires = auditor.access_expires_at
        values = {"access_starts_at": auditor.access_starts_at, "access_expires_at": now if expires is None or expires > now else expires}
    changed = [name for name, value in values.items() if getattr(auditor, name) != value]
    if not changed:
        return []
    User.objects.filter(pk=auditor.pk).update(**values)
    for name, value in values.items():
        setattr(auditor, name, value)
    record_change(
        "updated",
        auditor,
        request=request,
        actor=by,
        system_actor="" if by else TASK_ACTOR,
        changed_fields=changed,
        message="access window set from auditor grants",
    )
    return changed


def grant_end_record(*, grant_id: int, now: datetime) -> bool:
    """Record the end of one expired grant once (claimed with an update) and re-sync the window."""
    with transaction.atomic():
        claimed = AuditorGrant.objects.filter(
            pk=grant_id, ended_recorded_at__isnull=True, revoked_at__isnull=True, ends_at__lte=now
        ).update(ended_recorded_at=now)
        if claimed != 1:
            return False
        grant = AuditorGrant.objects.select_related("auditor").get(pk=grant_id)
        record_event(
            "evidence.grant.ended",
            system_actor=TASK_ACTOR,
            obj=grant,
            message="auditor access ended at its last day",
            details={"auditor_id": grant.auditor_id, "ended_at": grant.ends_at.isoformat()},
            occurred_at=now,
        )
        auditor_window_sync(auditor=grant.auditor, now=now)
    return True


def grants_end_expired(*, now: datetime) -> int:
    ids = list(
        AuditorGrant.objects.filter(ended_recorded_at__isnull=True, revoked_at__isnull=True, ends_at__lte=now).values_list("pk", flat=True)
    )
    return sum(grant_end_record(grant_id=grant_id, now=now) for grant_id in ids)

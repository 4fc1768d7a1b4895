"""How apps keep their obligations: open one when a clock starts, complete it when done.

Apps call these services from their own services (never from signals):

    obligation_open(kind="incidents.amazon_notification", subject=incident,
                    anchor_at=incident.detected_at, owner=incident.owner, url=incident_url)
    obligation_complete(kind="incidents.amazon_notification", subject=incident, completed_at=sent_at)

A recurring kind (quarterly review, yearly training …) opens its next obligation, anchored at the
completion time, when one is completed. Opening is idempotent: opening again updates the open row.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from grc.accounts.models import User
from grc.audit.services import record_event
from grc.compliance.cadences import cadence_for, effective_cadence
from grc.compliance.models import CalendarFeedToken, Obligation
from grc.compliance.registry import providers
from grc.labels import record_label

logger = logging.getLogger("grc.compliance")

PROGRAMME = "programme"


def subject_key(subject: Model | None, kind: str = "") -> tuple[str, str]:
    """Type and id of what an obligation is about. ``subject=None`` means the programme as a
    whole (the quarterly review, the log review …): one open obligation per kind."""
    if subject is None:
        return PROGRAMME, kind
    return record_label(subject), str(subject.pk)


def obligation_due(kind: str, anchor_at: datetime, due_at: datetime | None = None) -> datetime:
    """When an obligation opened at ``anchor_at`` falls due: the cadence in force when the app gives
    no due time; where the security lead tightened the kind's period, the app's own due time capped
    by it; never before the anchor."""
    cadence = effective_cadence(kind)
    if due_at is None:
        due = cadence.due_after(anchor_at)
    elif cadence.period is not None and cadence.period != cadence_for(kind).period:
        due = min(due_at, cadence.due_after(anchor_at))
    else:
        due = due_at
    return max(due, anchor_at)


@dataclass(frozen=True)
class NewObligation:
    """One first obligation for ``obligations_open_new``: what ``obligation_open`` takes."""

    subject: Model
    anchor_at: datetime
    due_at: datetime | None
    owner: User | None
    title: str
    url: str


def obligations_open_new(*, kind: str, items: Sequence[NewObligation], batch_size: int = 1000) -> int:
    """``obligation_open`` for many subjects that have no open obligation of ``kind`` yet (rows the
    caller created in the same transaction), in a few INSERTs: a 10,000-finding scan report opens
    its fix obligations in under a second instead of 10,000 locked look-ups. Same values as
    ``obligation_open``; returns how many were opened."""
    cadence = effective_cadence(kind)
    rows = []
    for item in items:
        subject_type, subject_id = subject_key(item.subject, kind)
        rows.append(
            Obligation(
                kind=kind,
                subject_type=subject_type,
                subject_id=subject_id,
                clause=cadence.clause,
                title=item.title or cadence.title,
                owner=item.owner,
                anchor_at=item.anchor_at,
                due_at=obligation_due(kind, item.anchor_at, item.due_at),
                url=item.url,
            )
        )
    Obligation.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)


def _open_of(kind: str, subjects: Sequence[Model], batch_size: int) -> Iterator[QuerySet[Obligation]]:
    """The open obligations of ``kind`` for ``subjects``, a batch of ids at a time."""
    if not subjects:
        return
    subject_type = subject_key(subjects[0], kind)[0]
    ids = [str(subject.pk) for subject in subjects]
    for start in range(0, len(ids), batch_size):
        yield Obligation.objects.filter(
            kind=kind, subject_type=subject_type, subject_id__in=ids[start : start + batch_size], completed_at__isnull=True
        )


def obligations_complete_many(
    *, kind: str, subjects: Sequence[Model], completed_at: datetime, completed_by: User | None, batch_size: int = 500
) -> int:
    """``obligation_complete`` for many subjects of one model and a kind that does not recur (a
    scan closing the findings it no longer reports). Returns how many were completed."""
    if cadence_for(kind).recurring:
        raise ValueError(f"{kind} recurs: complete its obligations one by one (obligation_complete opens the next)")
    return sum(
        batch.update(completed_at=completed_at, completed_by=completed_by, waived_reason="", updated_at=completed_at)
        for batch in _open_of(kind, subjects, batch_size)
    )


def obligations_reassign(*, kind: str, subjects: Sequence[Model], owner: User | None, now: datetime, batch_size: int = 500) -> int:
    """Give the open obligations of ``kind`` for ``subjects`` (one model) to ``owner``."""
    return sum(batch.update(owner=owner, updated_at=now) for batch in _open_of(kind, subjects, batch_size))


@transaction.atomic
def obligation_open(
    *,
    kind: str,
    subject: Model | None,
    anchor_at: datetime,
    owner: User | None = None,
    title: str = "",
    url: str = "",
    due_at: datetime | None = None,
) -> Obligation:
    """Start (or re-date) the open obligation of ``kind`` for ``subject``.

    The due time follows the cadence in force (``effective_cadence``): where the security lead
    tightened the kind's period, a due time the app worked out itself is capped by it too.
    """
    cadence = effective_cadence(kind)
    subject_type, subject_id = subject_key(subject, kind)
    values = {
        "clause": cadence.clause,
        "title": title or cadence.title,
        "owner": owner,
        "anchor_at": anchor_at,
        "due_at": obligation_due(kind, anchor_at, due_at),
        "url": url,
    }
    obligation = (
        Obligation.objects.select_for_update()
        .filter(kind=kind, subject_type=subject_type, subject_id=subject_id, completed_at__isnull=True)
        .first()
    )
    if obligation is None:
        return Obligation.objects.create(kind=kind, subject_type=subject_type, subject_id=subject_id, **values)
    for field, value in values.items():
        setattr(obligation, field, value)
    obligation.save()
    return obligation


@transaction.atomic
def obligation_complete(
    *,
    kind: str,
    subject: Model | None,
    completed_at: datetime,
    completed_by: User | None = None,
    waived_reason: str = "",
    open_next: bool = True,
) -> Obligation | None:
    """Mark the open obligation done; for a recurring kind, open the next one from ``completed_at``.

    Returns the completed obligation, or None when there was none open (e.g. a first review).
    """
    subject_type, subject_id = subject_key(subject, kind)
    obligation = (
        Obligation.objects.select_for_update()
        .filter(kind=kind, subject_type=subject_type, subject_id=subject_id, completed_at__isnull=True)
        .first()
    )
    if obligation is not None:
        obligation.completed_at = completed_at
        obligation.completed_by = completed_by
        obligation.waived_reason = waived_reason
        obligation.save(update_fields=["completed_at", "completed_by", "waived_reason", "updated_at"])
    cadence = cadence_for(kind)
    if open_next and cadence.recurring and not waived_reason:
        obligation_open(
            kind=kind,
            subject=subject,
            anchor_at=completed_at,
            owner=obligation.owner if obligation else completed_by,
            title=obligation.title if obligation else "",
            url=obligation.url if obligation else "",
        )
    return obligation


def obligation_waive(*, kind: str, subject: Model | None, when: datetime, reason: str, by: User | None = None) -> Obligation | None:
    """Close an obligation that no longer applies, keeping the reason: shown as *waived* everywhere,
    never counted as a completion (``Status.WAIVED``). A waiver always carries a reason (the
    empty one would read as a completion, since the reason is what marks a waiver)."""
    reason = (reason or "").strip() or "no longer applies"
    return obligation_complete(kind=kind, subject=subject, completed_at=when, completed_by=by, waived_reason=reason, open_next=False)


def obligations_for(subject: Model | None, kind: str = "") -> QuerySet[Obligation]:
    subject_type, subject_id = subject_key(subject, kind)
    return Obligation.objects.filter(subject_type=subject_type, subject_id=subject_id)


def open_obligation(kind: str, subject: Model | None) -> Obligation | None:
    return obligations_for(subject, kind).filter(kind=kind, completed_at__isnull=True).first()


# --- calendar feed tokens ------------------------------------------------------------------------
def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def calendar_feed_token_create(*, user: User, now: datetime, request: HttpRequest | None = None) -> str:
    """Make a new secret feed token for ``user`` (revoking any older one) and return it.

    Only its hash is stored, so the link can be shown once; calendar apps keep it.
    """
    CalendarFeedToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeedToken.objects.create(user=user, token_hash=feed_token_hash(token), created_at=now)
    record_event("compliance.calendar_feed.created", request=request, actor=user, obj=feed)
    return token


@transaction.atomic
def calendar_feed_token_revoke(*, user: User, now: datetime, request: HttpRequest | None = None) -> int:
    """Revoke the user's feed link; calendar apps subscribed to it get 404 from now on."""
    revoked = 0
    for feed in CalendarFeedToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True):
        feed.revoked_at = now
        feed.save(update_fields=["revoked_at"])
        record_event("compliance.calendar_feed.revoked", request=request, actor=user, obj=feed)
        revoked += 1
    return revoked


def calendar_feed_user(token: str, now: datetime) -> tuple[User | None, CalendarFeedToken | None]:
    """The user a feed token belongs to, if the token is active and the user may still sign in."""
    feed = CalendarFeedToken.objects.select_related("user").filter(token_hash=feed_token_hash(token), revoked_at__isnull=True).first()
    if feed is None or not feed.user.is_active or not feed.user.access_is_current(now):
        return None, feed
    CalendarFeedToken.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed.user, feed


# --- housekeeping ------------------------------------------------------------------------------
def obligations_resync(*, now: datetime) -> dict[str, int]:
    """Ask every registered provider to re-open/re-date its kind's obligations from its records.

    Cheap by contract (each provider touches only its open obligations); one failing provider is
    logged and does not stop the others.
    """
    counts: dict[str, int] = {}
    for kind, provider in sorted(providers().items()):
        resync = getattr(provider, "resync", None)
        if resync is None:
            continue
        try:
            counts[kind] = int(resync(now=now) or 0)
        except Exception:
            logger.exception("resync of the %s provider failed", kind)
            counts[kind] = -1
    return counts

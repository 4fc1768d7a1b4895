"""Sync sessions: a full sync of a system's accounts sent in pages (issue 24).

A sync replaces the system's whole list, so a list too large for one request cannot be sent as
several syncs — each would remove the accounts of the others. A session collects the pages
(begin → append page 1, 2, … → commit) and the commit plans them all at once, through the same
code as the one-shot sync (``grc.api.areas.access.accounts_sync_run``).

Rules, each a 409 with the reason when broken:

- pages are numbered from 1; sending a number again replaces that page (a retried request counts
  once), skipping one is refused with the number expected;
- a session lives ``SYNC_SESSION_IDLE`` after it was opened or last appended to; an expired,
  abandoned or committed session takes no page and no commit.

Only the token that opened a session sees it (another token gets a 404). The pages hold account
names and emails: encrypted at rest, and deleted as soon as the session is committed, abandoned
or expired (``sessions_sweep``, beat, and on every begin). The audit trail gets counts only.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db import transaction
from rest_framework import exceptions, status

from grc.api.models import SYNC_SESSION_IDLE, ApiToken, SyncPage, SyncSession, SyncStatus
from grc.audit.services import record_event

MAX_SESSION_ROWS = 500_000  # rows of all pages together: five times the largest identity provider in view


class SessionConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The sync session is not in a state that allows this."
    default_code = "conflict"


def closed_reason(session: SyncSession, now: datetime) -> str:
    """Why the session takes no more pages and no commit; "" while it is open."""
    if session.status == SyncStatus.COMMITTED:
        return f"This sync session was committed at {_at(session.closed_at)}: open a new one for the next sync."
    if session.status == SyncStatus.ABANDONED:
        return "This sync session was abandoned: open a new one."
    if session.status == SyncStatus.EXPIRED or now >= session.expires_at:
        return (
            f"This sync session expired at {_at(session.closed_at or session.expires_at)} "
            f"({int(SYNC_SESSION_IDLE.total_seconds() // 60)} minutes after its last page): open a new one and send every page again."
        )
    return ""


def _at(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "?"


def _drop_pages(session_ids) -> None:
    SyncPage.objects.filter(session_id__in=session_ids).delete()


def sessions_sweep(now: datetime) -> int:
    """Close every open session past its expiry and delete its pages; the number closed."""
    with transaction.atomic():
        expired = list(
            SyncSession.objects.select_for_update().filter(status=SyncStatus.OPEN, expires_at__lte=now).values_list("pk", flat=True)
        )
        if expired:
            SyncSession.objects.filter(pk__in=expired).update(status=SyncStatus.EXPIRED, closed_at=now)
            _drop_pages(expired)
        # pages outlive their session only if a commit or abandon failed half-way: never keep them
        _drop_pages(SyncSession.objects.exclude(status=SyncStatus.OPEN).filter(pages__isnull=False).values("pk"))
    return len(expired)


@transaction.atomic
def session_begin(*, system, token: ApiToken, by, now: datetime, request=None) -> SyncSession:
    sessions_sweep(now)
    session = SyncSession.objects.create(system=system, token=token, created_by=by, created_at=now, expires_at=now + SYNC_SESSION_IDLE)
    record_event(
        "api.sync_session.opened",
        request=request,
        actor=by,
        obj=session,
        message=f"system={system.pk}",
        details={"system": system.pk, "kind": session.kind},
        occurred_at=now,
    )
    return session


def session_for(*, system, token: ApiToken, session_id: int) -> SyncSession | None:
    """The session of this system opened by this token, or None (the caller answers 404)."""
    return SyncSession.objects.filter(pk=session_id, system=system, token=token).first()


def session_lock_open(session: SyncSession, now: datetime) -> SyncSession:
    """The session, locked for this transaction, if it still takes pages; SessionConflict if not.
    One past its expiry is refused here and closed (its pages deleted) by the next sweep."""
    locked = SyncSession.objects.select_for_update().get(pk=session.pk)
    reason = closed_reason(locked, now)
    if reason:
        raise SessionConflict(reason)
    return locked


@transaction.atomic
def page_append(*, session: SyncSession, seq: int, rows: list[dict], now: datetime) -> SyncSession:
    """Store page ``seq`` (replacing it if it was sent before) and extend the session's life."""
    session = session_lock_open(session, now)
    expected = session.page_count + 1
    if seq > expected:
        raise SessionConflict(f"Page {seq} cannot come yet: the next page of this session is {expected}. Send the pages in order.")
    previous = SyncPage.objects.filter(session=session, seq=seq).values_list("row_count", flat=True).first() or 0
    total = session.row_count - previous + len(rows)
    if total > MAX_SESSION_ROWS:
        raise exceptions.ValidationError(
            {"accounts": [f"A sync session holds at most {MAX_SESSION_ROWS} rows; this page would make {total}."]}
        )
    SyncPage.objects.update_or_create(session=session, seq=seq, defaults={"rows": json.dumps(rows), "row_count": len(rows)})
    session.page_count = max(session.page_count, seq)
    session.row_count = total
    session.expires_at = now + SYNC_SESSION_IDLE
    session.save(update_fields=["page_count", "row_count", "expires_at"])
    return session


def session_rows(session: SyncSession) -> list[dict]:
    """Every row of every page, in page order: the sync's list, as if posted at once."""
    rows: list[dict] = []
    for page in SyncPage.objects.filter(session=session).order_by("seq").only("rows"):
        rows.extend(json.loads(page.rows))
    return rows


def session_close(*, session: SyncSession, status_to: str, now: datetime, request=None, details: dict | None = None) -> None:
    """Mark the session committed or abandoned (inside the caller's transaction), drop its pages
    and audit it with counts only."""
    SyncSession.objects.filter(pk=session.pk).update(status=status_to, closed_at=now)
    _drop_pages([session.pk])
    record_event(
        f"api.sync_session.{status_to}",
        request=request,
        obj=session,
        message=f"system={session.system_id} pages={session.page_count} rows={session.row_count}",
        details={"system": session.system_id, "pages": session.page_count, "rows": session.row_count, **(details or {})},
        occurred_at=now,
    )


@transaction.atomic
def session_abandon(*, session: SyncSession, now: datetime, request=None) -> None:
    session = session_lock_open(session, now)
    session_close(session=session, status_to=SyncStatus.ABANDONED, now=now, request=request)

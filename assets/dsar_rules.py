"""Pure rules of data-subject requests (DPP 2.2): the response deadline, the one extension, when
the identifying details are purged, and a request's state. No database; ``now`` is an argument.

The numbers are settings, read when used: ``DSAR_RESPONSE_DAYS`` (default 30) after receipt,
``DSAR_EXTENSION_DAYS`` (default 60) added once to the original deadline, ``DSAR_RETENTION_DAYS``
(default 90) after the response before the requester's details are removed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings

KIND = "policies.dsar_response"  # the obligation kind (grc/compliance/cadences.py, clause 2.2)
DUE_SOON = timedelta(days=7)  # the cadence's warning window


def response_days() -> int:
    return int(getattr(settings, "DSAR_RESPONSE_DAYS", 30))


def extension_days() -> int:
    return int(getattr(settings, "DSAR_EXTENSION_DAYS", 60))


def retention_days() -> int:
    return int(getattr(settings, "DSAR_RETENTION_DAYS", 90))


def response_due(received_at: datetime, days: int) -> datetime:
    return received_at + timedelta(days=days)


def extended_due(original_due_at: datetime, days: int) -> datetime:
    """The one extension adds ``days`` to the original deadline (not to today)."""
    return original_due_at + timedelta(days=days)


def extension_refusal(*, extended_at: datetime | None, response_sent_at: datetime | None, original_due_at: datetime, now: datetime) -> str:
    """Why the deadline cannot be extended now, or "" when it can.

    Once only, before the response, and decided before the original deadline passes (the
    requester must be told within the first period).
    """
    if response_sent_at is not None:
        return "The request has been answered: there is nothing left to extend."
    if extended_at is not None:
        return "The deadline has already been extended once; it cannot be extended again."
    if now >= original_due_at:
        return "The original deadline has passed: an extension must be decided and explained to the requester before it."
    return ""


def purge_due(response_sent_at: datetime | None, days: int) -> datetime | None:
    """When the identifying details of an answered request are removed (None while open)."""
    if response_sent_at is None:
        return None
    return response_sent_at + timedelta(days=days)


class DsarState(StrEnum):
    OPEN = "open"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MET = "met"  # answered in time
    MET_LATE = "met_late"  # answered after the deadline


STATE_LABELS = {
    DsarState.OPEN: "open",
    DsarState.DUE_SOON: "due soon",
    DsarState.OVERDUE: "overdue",
    DsarState.MET: "answered in time",
    DsarState.MET_LATE: "answered late",
}


def dsar_state(*, due_at: datetime, response_sent_at: datetime | None, now: datetime, warning: timedelta = DUE_SOON) -> DsarState:
    if response_sent_at is not None:
        return DsarState.MET if response_sent_at <= due_at else DsarState.MET_LATE
    if now >= due_at:
        return DsarState.OVERDUE
    if now >= due_at - warning:
        return DsarState.DUE_SOON
    return DsarState.OPEN


def response_refusal(*, outcome: str, identity_verified: bool, stores_searched: int) -> str:
    """Why a response with ``outcome`` cannot be recorded yet, or "".

    Information is disclosed, corrected or erased only for a verified requester, and only after
    the data stores were searched (the register shows which).
    """
    if outcome in ("fulfilled", "partial") and not identity_verified:
        return "Verify the requester's identity before fulfilling the request (or record it as refused)."
    if outcome in ("fulfilled", "partial", "no_data") and stores_searched == 0:
        return "Record which data stores were searched before answering."
    return ""

"""Obligation status as a pure function of the obligation's times and ``now`` (no database).

One meaning of done (DESIGN.md, "What a status means"): a closed obligation is ``met`` or
``met_late`` only when it was really completed; one closed with a reason (``waived_reason``: it no
longer applies) is ``waived``, never met. A waiver is a waiver, never a completion.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    MET = "met"
    MET_LATE = "met_late"
    WAIVED = "waived"  # closed because it no longer applies, with the reason: not a completion
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    OPEN = "open"


def obligation_status(
    *, due_at: datetime, completed_at: datetime | None, warning: timedelta, now: datetime, waived_reason: str = ""
) -> Status:
    if completed_at is not None:
        if waived_reason:
            return Status.WAIVED
        return Status.MET if completed_at <= due_at else Status.MET_LATE
    if now >= due_at:
        return Status.OVERDUE
    if now >= due_at - warning:
        return Status.DUE_SOON
    return Status.OPEN


def latest_milestone(*, due_at: datetime, milestones: tuple[timedelta, ...], now: datetime) -> timedelta | None:
    """The most recent milestone already reached (offset before due), or None if none yet.

    A sweep that ran late sends only this one: catching up never sends a burst.
    """
    reached = [offset for offset in milestones if now >= due_at - offset]
    return min(reached) if reached else None


def milestone_label(offset: timedelta) -> str:
    """A stable name for a milestone, used in the reminder's unique key: ``breach``, ``-3d``, ``-12h``."""
    if offset == timedelta(0):
        return "breach"
    hours = int(offset.total_seconds() // 3600)
    return f"-{hours // 24}d" if hours % 24 == 0 else f"-{hours}h"

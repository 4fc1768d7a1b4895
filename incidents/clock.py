"""The 24-hour Amazon clock of an incident (DPP 1.6), as pure functions of its times and ``now``.

The deadline and the warning window come from the one cadence table
(``incidents.amazon_notification``); the wording from ``grc.timefmt`` so pages, emails and PDFs
agree. States: ``open`` (running), ``due_soon`` (inside the last 12 hours), ``overdue``, ``met``,
``met_late`` and ``not_required`` (Amazon Information not involved, with a recorded reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from grc.compliance.cadences import cadence_for
from grc.compliance.status import obligation_status
from grc.timefmt import span, time_left

KIND = "incidents.amazon_notification"
NOT_REQUIRED = "not_required"


def notification_due(detected_at: datetime) -> datetime:
    return cadence_for(KIND).due_after(detected_at)


@dataclass(frozen=True)
class ClockState:
    state: str
    due_at: datetime
    label: str
    percent_used: int  # share of the 24 hours gone, 0-100 (for the progress bar)
    late_by: timedelta | None = None

    @property
    def is_red(self) -> bool:
        return self.state in ("overdue", "met_late")

    @property
    def late_by_label(self) -> str:
        return f"{span(self.late_by)} late" if self.late_by else ""

    @property
    def is_running(self) -> bool:
        return self.state in ("open", "due_soon", "overdue")


def clock_state(*, detected_at: datetime, notified_at: datetime | None, not_required: bool, now: datetime) -> ClockState:
    due = notification_due(detected_at)
    total = (due - detected_at).total_seconds()
    until = notified_at or now
    percent = max(0, min(100, round((until - detected_at).total_seconds() * 100 / total)))
    if notified_at is None and not_required:
        return ClockState(NOT_REQUIRED, due, "not required: Amazon Information not involved", percent)
    status = obligation_status(due_at=due, completed_at=notified_at, warning=cadence_for(KIND).warning, now=now)
    if notified_at is not None:
        late = notified_at - due if notified_at > due else None
        label = f"Amazon notified {span(late)} late" if late else f"Amazon notified {span(notified_at - detected_at)} after detection"
        return ClockState(str(status), due, label, percent, late)
    return ClockState(str(status), due, time_left(due, now), percent, now - due if now > due else None)

"""The 24-hour Amazon clock of an incident (DPP 1.6), as pure functions of its times and ``now``.

The deadline and the warning window come from the one cadence table
(``incidents.amazon_notification``); the wording from ``grc.timefmt`` so pages, emails and PDFs
agree. States: ``open`` (running), ``due_soon`` (inside the last 12 hours), ``overdue``, ``met``,
``met_late`` and ``not_required`` (Amazon Information not involved, with a recorded reason).
``detection_change_refusal`` is the one rule for correcting the detection time (the clock's start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from grc.accounts.models import Role
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


# --- correcting the detection time -------------------------------------------------------------
# The clock runs from detection, so a later detection time is a later deadline. Moving it earlier
# only shortens the time left and is always allowed; moving it later needs the security lead,
# a written reason and a fresh one-time code, and never goes past the report (nobody reports an
# incident before it was detected) or past the recorded notification to Amazon.
def detection_change_refusal(
    *,
    old: datetime,
    new: datetime,
    reported_at: datetime,
    role: str,
    reason_given: bool,
    stepped_up: bool,
    now: datetime,
    notified_at: datetime | None = None,
) -> str | None:
    """Why the detection time may not move from ``old`` to ``new`` (None: it may)."""
    if new > now:
        return "The detection time cannot be in the future."
    if new <= old:
        return None
    if role != Role.SECURITY_LEAD:
        return "Only the security lead can move the detection time later: it moves the 24-hour Amazon deadline later."
    if new > reported_at:
        return f"The detection time cannot be later than the report time ({_when(reported_at)}): it was detected before it was reported."
    if notified_at is not None and new > notified_at:
        return f"The detection time cannot be later than the notification to Amazon ({_when(notified_at)})."
    if not reason_given:
        return "Give the reason for moving the detection time later: it moves the 24-hour Amazon deadline later."
    if not stepped_up:
        return "Moving the detection time later needs a fresh one-time code (step-up): confirm with your code on the incident pages, then save again."
    return None


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d %b %Y %H:%M")

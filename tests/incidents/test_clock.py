"""The 24-hour Amazon clock (DPP 1.6) as pure rules: no database, ``now`` given or moved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from incidents.clock import clock_state, notification_due

DETECTED = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def state_at(hours: float, *, notified_after: float | None = None, not_required: bool = False):
    notified = DETECTED + timedelta(hours=notified_after) if notified_after is not None else None
    return clock_state(detected_at=DETECTED, notified_at=notified, not_required=not_required, now=DETECTED + timedelta(hours=hours))


def test_the_deadline_is_24_hours_after_detection():
    assert notification_due(DETECTED) == datetime(2027, 3, 11, 9, 0, tzinfo=UTC)


def test_the_clock_runs_then_warns_in_its_last_12_hours_then_turns_overdue():
    assert state_at(1).state == "open"
    assert state_at(1).label == "due in 23 h"
    assert state_at(12.5).state == "due_soon"
    assert state_at(23.5).state == "due_soon" and state_at(23.5).label == "due in 30 min"
    late = state_at(26)
    assert late.state == "overdue" and late.is_red
    assert late.label == "overdue by 2 h" and late.late_by == timedelta(hours=2)
    assert late.percent_used == 100


def test_the_clock_follows_the_real_time_when_moved(time_machine):
    time_machine.move_to(DETECTED + timedelta(hours=20), tick=False)
    now = timezone.now()
    assert clock_state(detected_at=DETECTED, notified_at=None, not_required=False, now=now).state == "due_soon"
    time_machine.move_to(DETECTED + timedelta(hours=24, seconds=1), tick=False)
    assert clock_state(detected_at=DETECTED, notified_at=None, not_required=False, now=timezone.now()).state == "overdue"


def test_a_notification_inside_the_24_hours_is_met():
    state = state_at(40, notified_after=19)
    assert state.state == "met" and not state.is_red and state.late_by is None
    assert state.label == "Amazon notified 19 h after detection"
    assert state.percent_used == 79


def test_a_notification_after_the_24_hours_is_met_late_with_the_delay():
    state = state_at(40, notified_after=27.5)
    assert state.state == "met_late" and state.is_red
    assert state.late_by == timedelta(hours=3, minutes=30)
    assert state.late_by_label == "3 h 30 min late"


def test_when_amazon_information_is_not_involved_the_clock_is_not_required():
    state = state_at(30, not_required=True)
    assert state.state == "not_required" and not state.is_red and not state.is_running

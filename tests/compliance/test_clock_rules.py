"""The obligation clock as pure functions: statuses, milestones and calendar months (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grc.compliance.cadences import CADENCES, INCIDENT_MILESTONES, STANDARD_MILESTONES, Period, cadence_for
from grc.compliance.models import Obligation
from grc.compliance.status import Status, latest_milestone, milestone_label, obligation_status
from grc.timefmt import add_months

DUE = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
WARNING = timedelta(days=14)


@pytest.mark.parametrize(
    ("completed_at", "now", "expected"),
    [
        (None, DUE - timedelta(days=30), Status.OPEN),
        (None, DUE - timedelta(days=14), Status.DUE_SOON),
        (None, DUE - timedelta(seconds=1), Status.DUE_SOON),
        (None, DUE, Status.OVERDUE),
        (None, DUE + timedelta(days=3), Status.OVERDUE),
        (DUE - timedelta(days=1), DUE + timedelta(days=30), Status.MET),
        (DUE, DUE + timedelta(days=30), Status.MET),
        (DUE + timedelta(minutes=1), DUE + timedelta(days=30), Status.MET_LATE),
    ],
)
def test_it_computes_the_status_from_times_alone(completed_at, now, expected):
    assert obligation_status(due_at=DUE, completed_at=completed_at, warning=WARNING, now=now) == expected


def test_it_uses_the_open_status_word_of_the_issue():
    assert Status.OPEN.value == "open"
    assert {status.value for status in Status} == {"met", "met_late", "waived", "due_soon", "overdue", "open"}


def test_an_unsaved_obligation_reports_its_status_at_any_moment():
    obligation = Obligation(kind="incidents.amazon_notification", anchor_at=DUE - timedelta(hours=24), due_at=DUE)
    assert obligation.status_at(DUE - timedelta(hours=13)) == Status.OPEN
    assert obligation.status_at(DUE - timedelta(hours=12)) == Status.DUE_SOON  # the incident warning window is 12 h
    assert obligation.status_at(DUE) == Status.OVERDUE


def test_the_status_property_follows_the_clock(time_machine):
    obligation = Obligation(kind="access_reviews.quarterly_review", anchor_at=DUE - timedelta(days=90), due_at=DUE)
    time_machine.move_to(DUE - timedelta(days=20), tick=False)
    assert obligation.status == Status.OPEN
    time_machine.move_to(DUE + timedelta(hours=1), tick=False)
    assert obligation.status == Status.OVERDUE


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2026, 11, 30, 9, 30, tzinfo=UTC), 3, datetime(2027, 2, 28, 9, 30, tzinfo=UTC)),
        (datetime(2027, 11, 30, 9, 30, tzinfo=UTC), 3, datetime(2028, 2, 29, 9, 30, tzinfo=UTC)),  # leap year
        (datetime(2027, 1, 31, tzinfo=UTC), 1, datetime(2027, 2, 28, tzinfo=UTC)),
        (datetime(2027, 8, 31, tzinfo=UTC), 6, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2027, 12, 15, tzinfo=UTC), 12, datetime(2028, 12, 15, tzinfo=UTC)),
        (datetime(2028, 2, 29, tzinfo=UTC), 12, datetime(2029, 2, 28, tzinfo=UTC)),
    ],
)
def test_periods_in_months_are_calendar_months(start, months, expected):
    assert add_months(start, months) == expected
    assert Period(months=months).after(start) == expected


def test_a_quarterly_review_completed_on_30_november_is_due_at_the_end_of_february():
    quarterly = cadence_for("access_reviews.quarterly_review")
    assert quarterly.due_after(datetime(2026, 11, 30, 16, 0, tzinfo=UTC)) == datetime(2027, 2, 28, 16, 0, tzinfo=UTC)
    assert quarterly.due_after(datetime(2027, 11, 30, 16, 0, tzinfo=UTC)) == datetime(2028, 2, 29, 16, 0, tzinfo=UTC)


def test_the_incident_clock_is_24_hours_and_days_stay_days():
    detected = datetime(2027, 3, 27, 22, 0, tzinfo=UTC)
    assert cadence_for("incidents.amazon_notification").due_after(detected) == detected + timedelta(hours=24)
    assert cadence_for("assets.deletion_30d").due_after(detected) == detected + timedelta(days=30)


def test_a_kind_without_a_fixed_period_needs_its_due_time():
    with pytest.raises(ValueError, match="no fixed period"):
        cadence_for("assets.finding_fix").due_after(DUE)


def test_an_unknown_kind_says_where_to_add_it():
    with pytest.raises(KeyError, match="cadences.py"):
        cadence_for("nothing.like_this")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (DUE - timedelta(days=20), None),
        (DUE - timedelta(days=14), timedelta(days=14)),
        (DUE - timedelta(days=5), timedelta(days=14)),
        (DUE - timedelta(days=3), timedelta(days=3)),
        (DUE - timedelta(hours=2), timedelta(days=1)),
        (DUE, timedelta(0)),
        (DUE + timedelta(days=40), timedelta(0)),
    ],
)
def test_the_latest_reached_milestone_is_the_only_one_to_send(now, expected):
    assert latest_milestone(due_at=DUE, milestones=STANDARD_MILESTONES, now=now) == expected


def test_the_incident_milestones_are_at_detection_12_20_and_23_hours_and_breach():
    detected = DUE - timedelta(hours=24)
    reached = [
        milestone_label(latest_milestone(due_at=DUE, milestones=INCIDENT_MILESTONES, now=detected + timedelta(hours=h)))
        for h in (0, 12, 20, 23, 24)
    ]
    assert reached == ["-1d", "-12h", "-4h", "-1h", "breach"]


def test_milestone_labels_are_stable_keys():
    assert [milestone_label(offset) for offset in STANDARD_MILESTONES] == ["-14d", "-3d", "-1d", "breach"]


def test_every_kind_has_a_known_clause_and_breach_milestone():
    clauses = {"1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "3"}
    for kind, cadence in CADENCES.items():
        assert cadence.clause in clauses, kind
        assert timedelta(0) in cadence.milestones, kind
        assert kind.split(".")[0] and "." in kind

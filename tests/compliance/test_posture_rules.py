"""A requirement's status from its checks and obligation kinds: pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from grc.compliance.cadences import cadence_for
from grc.compliance.posture import (
    Finding,
    KindSummary,
    RequirementState,
    check_finding,
    kind_finding,
    posture_counts,
    requirement_status,
    run_check,
)
from grc.compliance.registry import CheckResult

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
QUARTERLY = cadence_for("access_reviews.quarterly_review")


def summary(**values) -> KindSummary:
    return KindSummary(kind="access_reviews.quarterly_review", **values)


def test_an_overdue_obligation_means_not_met_with_the_reason_in_words():
    finding = kind_finding(
        summary(open_count=1, overdue_count=1, next_due_at=NOW - timedelta(days=14), last_completed_at=NOW - timedelta(days=104)),
        QUARTERLY,
        NOW,
    )
    assert finding.status == RequirementState.NOT_MET
    assert finding.reason == "Quarterly access review overdue by 14 days (last completed 104 days ago; due every 3 months)"


def test_several_overdue_obligations_are_counted():
    finding = kind_finding(
        summary(open_count=5, overdue_count=3, next_due_at=NOW - timedelta(days=2)), cadence_for("access_reviews.deprovision"), NOW
    )
    assert finding.status == RequirementState.NOT_MET
    assert "3 overdue, the oldest overdue by 2 days" in finding.reason


def test_an_obligation_inside_its_warning_window_puts_the_clause_at_risk():
    finding = kind_finding(summary(open_count=1, next_due_at=NOW + timedelta(days=5)), QUARTERLY, NOW)
    assert finding.status == RequirementState.AT_RISK
    assert finding.reason.startswith("Quarterly access review due in 5 days")


def test_one_completed_late_recently_puts_the_clause_at_risk():
    finding = kind_finding(
        summary(
            open_count=1,
            next_due_at=NOW + timedelta(days=60),
            completed_count=1,
            late_recently=1,
            last_completed_at=NOW - timedelta(days=30),
        ),
        QUARTERLY,
        NOW,
    )
    assert finding.status == RequirementState.AT_RISK
    assert "completed late once in the last 90 days" in finding.reason


def test_open_and_on_time_is_met():
    finding = kind_finding(
        summary(open_count=1, next_due_at=NOW + timedelta(days=60), completed_count=2, last_completed_at=NOW - timedelta(days=30)),
        QUARTERLY,
        NOW,
    )
    assert finding.status == RequirementState.MET
    assert finding.reason == "Quarterly access review next due in 60 days (last completed 30 days ago; due every 3 months)"


def test_all_completed_on_time_is_met():
    finding = kind_finding(
        KindSummary(kind="assets.deletion_30d", completed_count=4, last_completed_at=NOW - timedelta(days=3)),
        cadence_for("assets.deletion_30d"),
        NOW,
    )
    assert finding.status == RequirementState.MET
    assert "completed on time (all 4)" in finding.reason
    assert "due within 30 days" in finding.reason


def test_a_kind_never_recorded_contributes_nothing():
    assert kind_finding(summary(), QUARTERLY, NOW) is None


def test_nothing_registered_means_not_tracked():
    status = requirement_status([])
    assert status.status == RequirementState.NOT_TRACKED
    assert "Nothing records this clause yet" in status.reason


def test_the_worst_finding_wins_and_gives_the_reason():
    findings = [
        Finding("check", "MFA enforced", RequirementState.MET, "every page needs MFA"),
        Finding(
            "obligation", "Quarterly access review", RequirementState.NOT_MET, "Quarterly access review overdue by 2 days", "/calendar/"
        ),
        Finding("check", "Lockout", RequirementState.AT_RISK, "lockout is lenient"),
    ]
    status = requirement_status(findings)
    assert status.status == RequirementState.NOT_MET
    assert status.reason == "Quarterly access review overdue by 2 days"
    assert [f.name for f in status.findings] == ["Quarterly access review", "Lockout", "MFA enforced"]
    assert status.links == [("Quarterly access review", "/calendar/")]


def test_checks_that_track_nothing_do_not_make_a_clause_met():
    status = requirement_status([Finding("check", "Scanner", RequirementState.NOT_TRACKED, "no scanner connected yet")])
    assert status.status == RequirementState.NOT_TRACKED
    assert status.reason == "no scanner connected yet"
    mixed = requirement_status(
        [Finding("check", "Scanner", RequirementState.NOT_TRACKED, "no scanner"), Finding("check", "x", RequirementState.MET, "fine")]
    )
    assert mixed.status == RequirementState.MET


def test_a_check_result_becomes_a_finding_and_a_bad_status_is_a_risk():
    assert check_finding("MFA", CheckResult("met", "all good", "/accounts/")).url == "/accounts/"
    odd = check_finding("MFA", CheckResult("green", "?"))
    assert odd.status == RequirementState.AT_RISK
    assert "unknown status" in odd.reason


def test_a_check_that_crashes_puts_the_clause_at_risk_instead_of_breaking_the_page():
    def broken(now):
        raise RuntimeError("database is gone")

    finding = run_check("Broken check", broken, NOW)
    assert finding.status == RequirementState.AT_RISK
    assert "RuntimeError" in finding.reason


def test_posture_counts_every_state():
    counts = posture_counts([requirement_status([]), requirement_status([Finding("check", "a", RequirementState.MET, "ok")])])
    assert counts == {"met": 1, "at_risk": 0, "not_met": 0, "not_tracked": 1}


def test_a_completion_of_another_row_of_the_kind_is_not_worded_as_the_overdue_one_s_last_completion():
    """Issue 23: "last completed 54 s ago … overdue by 50 weeks". Per-person training has one row per
    person: a colleague's completion a minute ago says nothing about the row overdue for 50 weeks."""
    initial = cadence_for("access_reviews.training_initial")
    finding = kind_finding(
        KindSummary(
            kind="access_reviews.training_initial",
            open_count=2,
            overdue_count=2,
            next_due_at=NOW - timedelta(weeks=50),
            completed_count=3,
            last_completed_at=NOW - timedelta(seconds=54),
        ),
        initial,
        NOW,
    )
    assert finding.status == RequirementState.NOT_MET
    assert "last completed" not in finding.reason
    assert finding.reason == (
        "Security training on joining: 2 overdue, the oldest overdue by 50 weeks (another one was completed 54 s ago; due within 30 days)"
    )


def test_a_single_series_is_due_at_its_last_completion_plus_the_cadence_and_says_so():
    """A recurring kind's open row is anchored at its last completion, so the completion precedes it."""
    completed = NOW - timedelta(days=104)
    due = completed + timedelta(days=90)  # the quarter after the completion: overdue by 14 days now
    finding = kind_finding(summary(open_count=1, overdue_count=1, next_due_at=due, last_completed_at=completed), QUARTERLY, NOW)
    assert "last completed 104 days ago" in finding.reason
    assert "another one" not in finding.reason

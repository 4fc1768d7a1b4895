"""Scoring and flagging as pure functions (DPP 1.6: likelihood and impact of known risks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grc.risks import rules
from grc.risks.rules import AcceptanceState, Band, Flag, RiskFacts

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def test_the_score_is_likelihood_times_impact_on_1_to_5_scales():
    assert rules.score(1, 1) == 1
    assert rules.score(4, 5) == 20
    assert rules.score(5, 5) == 25
    assert {rules.score(lk, im) for lk in rules.LEVELS for im in rules.LEVELS} == {1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 20, 25}


@pytest.mark.parametrize("likelihood, impact", [(0, 3), (6, 1), (3, None), (True, 2), (2.5, 2), ("3", 2)])
def test_a_level_outside_1_to_5_is_refused(likelihood, impact):
    with pytest.raises(ValueError, match="1 to 5"):
        rules.score(likelihood, impact)


@pytest.mark.parametrize(
    "score, expected",
    [
        (1, Band.LOW),
        (4, Band.LOW),
        (5, Band.MEDIUM),
        (9, Band.MEDIUM),
        (10, Band.HIGH),
        (16, Band.HIGH),
        (20, Band.CRITICAL),
        (25, Band.CRITICAL),
    ],
)
def test_bands_cut_at_4_9_and_16(score, expected):
    assert rules.band(score) == expected


def test_a_score_outside_1_to_25_has_no_band():
    for value in (0, 26):
        with pytest.raises(ValueError):
            rules.band(value)


def test_every_level_has_words():
    for scale in (rules.LIKELIHOOD, rules.IMPACT):
        assert sorted(scale) == [1, 2, 3, 4, 5]
        assert all(level.label and level.description for level in scale.values())
    assert str(rules.LIKELIHOOD[5]) == "5 · Almost certain"
    assert str(rules.IMPACT[1]) == "1 · Negligible"
    assert rules.score_label(12) == "12 · high"


def test_the_appetite_is_a_setting_with_default_12(settings):
    del settings.RISK_APPETITE_SCORE
    assert rules.appetite_from_settings() == 12
    settings.RISK_APPETITE_SCORE = 9
    assert rules.appetite_from_settings() == 9
    settings.RISK_APPETITE_SCORE = 30
    with pytest.raises(ValueError):
        rules.appetite_from_settings()


def test_above_the_appetite_means_strictly_above():
    assert not rules.above_appetite(12, 12)
    assert rules.above_appetite(15, 12)


def test_controls_never_raise_a_risk():
    assert rules.residual_within_inherent(inherent_likelihood=4, inherent_impact=5, residual_likelihood=2, residual_impact=5)
    assert not rules.residual_within_inherent(inherent_likelihood=3, inherent_impact=3, residual_likelihood=4, residual_impact=2)


def test_a_plan_is_actions_for_mitigate_transfer_avoid_and_a_valid_acceptance_for_accept():
    for treatment in ("mitigate", "transfer", "avoid"):
        assert rules.plan_in_place(treatment=treatment, action_count=1, acceptance_expires_at=None, now=NOW)
        assert not rules.plan_in_place(treatment=treatment, action_count=0, acceptance_expires_at=NOW + timedelta(days=9), now=NOW)
    assert rules.plan_in_place(treatment="accept", action_count=0, acceptance_expires_at=NOW + timedelta(seconds=1), now=NOW)
    assert not rules.plan_in_place(treatment="accept", action_count=3, acceptance_expires_at=NOW, now=NOW)
    assert not rules.plan_in_place(treatment="accept", action_count=0, acceptance_expires_at=None, now=NOW)
    assert not rules.plan_in_place(treatment="", action_count=2, acceptance_expires_at=None, now=NOW)


def test_an_acceptance_is_valid_then_expiring_then_expired():
    expires = NOW + timedelta(days=60)
    assert rules.acceptance_state(None, NOW) == AcceptanceState.NONE
    assert rules.acceptance_state(expires, NOW) == AcceptanceState.VALID
    assert rules.acceptance_state(expires, expires - timedelta(days=29)) == AcceptanceState.EXPIRING
    assert rules.acceptance_state(expires, expires) == AcceptanceState.EXPIRED


def test_an_acceptance_expires_within_12_calendar_months():
    assert rules.acceptance_expiry_allowed(datetime(2028, 3, 10, 9, 0, tzinfo=UTC), NOW)
    assert not rules.acceptance_expiry_allowed(datetime(2028, 3, 10, 9, 1, tzinfo=UTC), NOW)
    assert not rules.acceptance_expiry_allowed(NOW, NOW)


def facts(**values) -> RiskFacts:
    return RiskFacts(**{"is_open": True, "residual_score": 15, "treatment": "", **values})


def test_a_risk_above_the_appetite_without_a_plan_is_flagged():
    assert rules.risk_flags(facts(), appetite=12, now=NOW) == [Flag.NO_PLAN, Flag.ABOVE_APPETITE]
    assert rules.needs_treatment_plan(facts(), appetite=12, now=NOW)


def test_a_plan_or_a_score_within_the_appetite_clears_the_flag():
    assert rules.risk_flags(facts(treatment="mitigate", action_count=2), appetite=12, now=NOW) == [Flag.ABOVE_APPETITE]
    assert rules.risk_flags(facts(residual_score=12), appetite=12, now=NOW) == []
    assert not rules.needs_treatment_plan(facts(residual_score=15), appetite=15, now=NOW)


def test_a_closed_risk_has_no_flags():
    assert rules.risk_flags(facts(is_open=False, overdue_actions=3), appetite=1, now=NOW) == []


def test_an_expired_acceptance_is_flagged_and_no_longer_a_plan():
    expired = facts(treatment="accept", acceptance_expires_at=NOW - timedelta(days=1))
    assert rules.risk_flags(expired, appetite=12, now=NOW) == [Flag.NO_PLAN, Flag.ABOVE_APPETITE, Flag.ACCEPTANCE_EXPIRED]
    within = facts(treatment="accept", residual_score=6, acceptance_expires_at=NOW - timedelta(days=1))
    assert rules.risk_flags(within, appetite=12, now=NOW) == [Flag.ACCEPTANCE_EXPIRED]
    valid = facts(treatment="accept", acceptance_expires_at=NOW + timedelta(days=1))
    assert rules.risk_flags(valid, appetite=12, now=NOW) == [Flag.ABOVE_APPETITE]


def test_pending_acceptances_and_overdue_actions_are_flagged():
    flags = rules.risk_flags(facts(residual_score=4, acceptance_pending=True, overdue_actions=1), appetite=12, now=NOW)
    assert flags == [Flag.ACCEPTANCE_PENDING, Flag.ACTIONS_OVERDUE]
    assert [flag.label for flag in flags] == ["acceptance awaiting approval", "actions overdue"]


def test_the_plan_summary_says_where_the_treatment_stands():
    assert (
        rules.plan_summary(treatment="mitigate", action_count=3, done_count=1, acceptance_expires_at=None, now=NOW) == "1 of 3 actions done"
    )
    assert rules.plan_summary(treatment="avoid", action_count=0, done_count=0, acceptance_expires_at=None, now=NOW) == "no actions yet"
    assert (
        rules.plan_summary(treatment="transfer", action_count=2, done_count=2, acceptance_expires_at=None, now=NOW) == "all 2 actions done"
    )
    until = datetime(2027, 9, 1, 9, 0, tzinfo=UTC)
    assert (
        rules.plan_summary(treatment="accept", action_count=0, done_count=0, acceptance_expires_at=until, now=NOW)
        == "accepted until 01 Sep 2027"
    )
    assert (
        rules.plan_summary(treatment="accept", action_count=0, done_count=0, acceptance_expires_at=None, now=NOW)
        == "acceptance not approved"
    )
    assert rules.plan_summary(treatment="", action_count=0, done_count=0, acceptance_expires_at=None, now=NOW) == "treatment not decided"

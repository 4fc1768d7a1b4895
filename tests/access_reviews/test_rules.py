"""Campaign rules on plain values: periods, reviewer choice (never self), decision requirements."""

from __future__ import annotations

from datetime import date

import pytest

from access_reviews.rules import choose_reviewer, decision_errors, period_bounds, quarter_of


def test_it_names_the_quarter_of_a_day_with_its_bounds():
    assert quarter_of(date(2026, 11, 2)) == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_of(date(2028, 2, 29)) == ("2028-Q1", date(2028, 1, 1), date(2028, 3, 31))


def test_it_refuses_a_malformed_period():
    with pytest.raises(ValueError):
        period_bounds("2026-Q5")
    assert period_bounds(" 2026-q2 ")[0] == "2026-Q2"


def test_it_picks_the_managers_user_for_a_personal_account():
    assert choose_reviewer(own_user_id=5, is_service_account=False, manager_user_id=2, system_owner_id=3, lead_ids=[1]) == 2


def test_it_picks_the_system_owner_for_a_service_account():
    assert choose_reviewer(own_user_id=5, is_service_account=True, manager_user_id=2, system_owner_id=3, lead_ids=[1]) == 3


def test_it_never_assigns_an_account_to_its_own_person():
    # The system owner owns the service account themselves: the lead reviews it.
    assert choose_reviewer(own_user_id=3, is_service_account=True, manager_user_id=None, system_owner_id=3, lead_ids=[1]) == 1
    # The lead's own account, without a manager: another lead.
    assert choose_reviewer(own_user_id=1, is_service_account=False, manager_user_id=None, system_owner_id=1, lead_ids=[1, 7]) == 7


def test_it_falls_back_to_the_lead_when_there_is_no_manager():
    assert choose_reviewer(own_user_id=5, is_service_account=False, manager_user_id=None, system_owner_id=3, lead_ids=[1]) == 1


def test_it_falls_back_to_another_reviewer_when_the_only_lead_owns_the_account():
    assert (
        choose_reviewer(own_user_id=1, is_service_account=False, manager_user_id=None, system_owner_id=1, lead_ids=[1], other_ids=[4]) == 4
    )


def test_it_returns_none_when_only_the_own_person_could_review():
    assert choose_reviewer(own_user_id=1, is_service_account=False, manager_user_id=None, system_owner_id=1, lead_ids=[1]) is None


def test_it_requires_a_comment_to_revoke_or_change_and_to_keep_a_flagged_account():
    assert "comment" in decision_errors(decision="revoke", flagged=False, comment=" ")
    assert "comment" in decision_errors(decision="change", flagged=False, comment="", new_privilege="read")
    assert "comment" in decision_errors(decision="keep", flagged=True, comment="")
    assert decision_errors(decision="keep", flagged=False, comment="") == {}
    assert decision_errors(decision="keep", flagged=True, comment="break-glass account, vaulted") == {}


def test_it_requires_a_different_privilege_for_a_change():
    assert "new_privilege" in decision_errors(decision="change", flagged=False, comment="too much", new_privilege="")
    errors = decision_errors(decision="change", flagged=False, comment="too much", new_privilege="admin", current_privilege="admin")
    assert "new_privilege" in errors


def test_it_refuses_an_unknown_decision():
    assert "decision" in decision_errors(decision="pending", flagged=False, comment="")

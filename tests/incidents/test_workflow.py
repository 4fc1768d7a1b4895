"""The workflow rules (reported → … → closed) and what closing needs (DPP 1.6), without a database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from incidents.workflow import ORDER, IncidentFacts, advance_blockers, close_blockers, next_status

READY = IncidentFacts(
    status="recovered",
    description="What happened.",
    remediation_actions="Rotated keys.",
    corrective_controls="Keys now expire daily.",
    amazon_involved="yes",
    amazon_notified=True,
    triaged=True,
)


def test_the_steps_follow_the_dpp_order():
    assert ORDER == ("reported", "triaged", "contained", "eradicated", "recovered", "closed")
    assert [next_status(s) for s in ORDER] == ["triaged", "contained", "eradicated", "recovered", "closed", None]


def test_it_moves_one_step_at_a_time():
    facts = replace(READY, status="triaged")
    assert advance_blockers(facts, "contained") == []
    assert advance_blockers(facts, "recovered") == ["the next step after triaged is contained, not recovered"]
    assert advance_blockers(facts, "closed") == ["the next step after triaged is contained, not closed"]


def test_nothing_moves_before_triage_or_after_closing():
    untriaged = replace(READY, status="reported", triaged=False)
    assert advance_blockers(untriaged, "triaged") == ["the triage (type, severity, Amazon involvement and owner)"]
    assert advance_blockers(replace(READY, status="closed"), "closed") == ["the incident is closed"]


def test_a_documented_and_notified_incident_can_close():
    assert close_blockers(READY) == []
    assert advance_blockers(READY, "closed") == []


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("description", "a description of what happened"),
        ("remediation_actions", "the remediation actions"),
        ("corrective_controls", "the corrective process/system controls implemented to prevent recurrence"),
    ],
)
def test_it_refuses_to_close_without_each_documented_part(field, message):
    assert close_blockers(replace(READY, **{field: "   "})) == [message]


def test_it_refuses_to_close_without_the_amazon_notification():
    assert close_blockers(replace(READY, amazon_notified=False)) == ["the record of the notification to Amazon"]
    unknown = close_blockers(replace(READY, amazon_notified=False, amazon_involved="unknown"))
    assert unknown == ["the Amazon notification, or a triage decision that Amazon Information was not involved (with the reason)"]


def test_a_recorded_reason_replaces_the_notification_when_amazon_information_is_not_involved():
    not_involved = replace(READY, amazon_notified=False, amazon_involved="no", amazon_not_involved_reason="only test data in staging")
    assert close_blockers(not_involved) == []
    assert close_blockers(replace(not_involved, amazon_not_involved_reason="")) == ["the reason Amazon Information was not involved"]


def test_it_lists_everything_missing_at_once():
    empty = IncidentFacts(status="recovered", triaged=True)
    assert len(close_blockers(empty)) == 4

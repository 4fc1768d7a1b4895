"""The pure rules of governed documents: required sections, lists, review clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from grc.policies.catalogue import BUILTIN_BY_CODE, IR_PLAN
from grc.policies.rules import major_change_review_due, missing_parts, next_review_due, parse_list, review_state

IR = BUILTIN_BY_CODE[IR_PLAN]


def test_the_ir_plan_requires_the_four_parts_dpp_1_6_names():
    required = [s["title"] for s in IR["sections"] if s["required"]] + [e["title"] for e in IR["lists"] if e["required"]]
    assert required == [
        "Roles and responsibilities",
        "Response procedures per incident type",
        "Escalation path to Amazon",
        "Incident types that may affect Amazon",
    ]
    assert IR["review_period_months"] == 6 and IR["review_kind"] == "policies.ir_plan_review" and IR["reviews_after_major_change"]


def test_it_names_every_empty_required_part_and_ignores_optional_ones():
    text = {"roles": "Lead", "procedures": "   ", "alarms": ""}
    missing = missing_parts(sections=IR["sections"], lists=IR["lists"], section_text=text, list_items={"incident_types": ["", " "]})
    assert missing == ["Response procedures per incident type", "Escalation path to Amazon", "Incident types that may affect Amazon"]


def test_a_complete_version_misses_nothing():
    text = {"roles": "a", "procedures": "b", "escalation": "c"}
    assert missing_parts(sections=IR["sections"], lists=IR["lists"], section_text=text, list_items={"incident_types": ["x"]}) == []


def test_a_list_is_one_item_per_line_without_bullets_blanks_or_repeats():
    assert parse_list("- Lost device\n\n• Malware \nLost device\n* Phishing") == ["Lost device", "Malware", "Phishing"]


def test_the_review_is_due_six_calendar_months_later():
    assert next_review_due(datetime(2026, 8, 31, 10, tzinfo=UTC), 6) == datetime(2027, 2, 28, 10, tzinfo=UTC)


def test_a_major_change_review_is_due_n_days_after_the_change():
    assert major_change_review_due(datetime(2027, 3, 1, tzinfo=UTC), 30) == datetime(2027, 3, 31, tzinfo=UTC)


def test_the_review_state_follows_the_clock():
    due = datetime(2027, 9, 10, tzinfo=UTC)
    assert review_state(due_at=None, warning=timedelta(days=30), now=due) == "none"
    assert review_state(due_at=due, warning=timedelta(days=30), now=due - timedelta(days=31)) == "ok"
    assert review_state(due_at=due, warning=timedelta(days=30), now=due - timedelta(days=29)) == "due_soon"
    assert review_state(due_at=due, warning=timedelta(days=30), now=due) == "overdue"

"""The engine's bulk obligation services write what the one-at-a-time services write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grc.accounts.models import User
from grc.compliance.models import Obligation
from grc.compliance.services import (
    NewObligation,
    obligation_open,
    obligations_complete_many,
    obligations_open_new,
    obligations_reassign,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
KIND = "risks.treatment_action"  # not recurring, no period of its own


@pytest.fixture
def people(db):
    return [User.objects.create_user(username=f"subject-{n}", email=f"s{n}@example.com") for n in range(4)]


def fields(obligation: Obligation) -> tuple:
    return (
        obligation.kind,
        obligation.clause,
        obligation.title,
        obligation.owner_id,
        obligation.anchor_at,
        obligation.due_at,
        obligation.url,
    )


def test_a_bulk_open_writes_the_row_obligation_open_writes(people):
    one, many = people[0], people[1:]
    single = obligation_open(kind=KIND, subject=one, anchor_at=NOW, owner=one, title="Fix it", url="/x/", due_at=NOW + timedelta(days=3))
    opened = obligations_open_new(
        kind=KIND,
        items=[NewObligation(subject=p, anchor_at=NOW, due_at=NOW + timedelta(days=3), owner=one, title="Fix it", url="/x/") for p in many],
    )
    assert opened == 3
    bulk = Obligation.objects.filter(kind=KIND).exclude(pk=single.pk)
    assert [fields(o) for o in bulk] == [fields(single)] * 3
    assert sorted(bulk.values_list("subject_id", flat=True)) == sorted(str(p.pk) for p in many)


def test_a_due_time_before_the_anchor_is_moved_to_the_anchor(people):
    obligations_open_new(
        kind=KIND, items=[NewObligation(subject=people[0], anchor_at=NOW, due_at=NOW - timedelta(days=1), owner=None, title="", url="")]
    )
    assert Obligation.objects.get(kind=KIND).due_at == NOW


def test_bulk_complete_and_reassign_touch_only_the_open_obligations_of_the_subjects_given(people):
    items = [NewObligation(subject=p, anchor_at=NOW, due_at=NOW + timedelta(days=5), owner=people[0], title="", url="") for p in people]
    obligations_open_new(kind=KIND, items=items)
    later = NOW + timedelta(days=2)
    assert obligations_reassign(kind=KIND, subjects=people[:2], owner=people[3], now=later) == 2
    assert obligations_complete_many(kind=KIND, subjects=people[1:3], completed_at=later, completed_by=people[0]) == 2
    rows = {o.subject_id: o for o in Obligation.objects.filter(kind=KIND)}
    assert rows[str(people[0].pk)].owner == people[3] and rows[str(people[0].pk)].completed_at is None
    assert rows[str(people[1].pk)].completed_at == later and rows[str(people[1].pk)].owner == people[3]
    assert rows[str(people[2].pk)].completed_at == later and rows[str(people[2].pk)].owner == people[0]
    assert rows[str(people[3].pk)].completed_at is None
    assert obligations_complete_many(kind=KIND, subjects=people[1:3], completed_at=later, completed_by=None) == 0  # already done


def test_a_recurring_kind_is_never_completed_in_bulk(people):
    with pytest.raises(ValueError, match="recurs"):
        obligations_complete_many(kind="risks.annual_review", subjects=people, completed_at=NOW, completed_by=None)

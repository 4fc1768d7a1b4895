"""Helpers for the obligation engine's tests: obligations made directly, a clean registry."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from grc.compliance import registry
from grc.compliance.cadences import cadence_for
from grc.compliance.models import Obligation

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # a fixed "now" for tests that move the clock
_subjects = itertools.count(1)


def make_obligation(
    kind: str = "access_reviews.quarterly_review",
    *,
    due_at: datetime,
    owner=None,
    completed_at=None,
    anchor_at=None,
    url: str = "",
    title: str = "",
) -> Obligation:
    """An obligation row about a made-up subject (each call a new subject, so none collide)."""
    cadence = cadence_for(kind)
    anchor = anchor_at or min(due_at - timedelta(days=1), due_at)
    return Obligation.objects.create(
        kind=kind,
        clause=cadence.clause,
        title=title or cadence.title,
        owner=owner,
        subject_type="tests.subject",
        subject_id=str(next(_subjects)),
        anchor_at=anchor,
        due_at=due_at,
        completed_at=completed_at,
        url=url,
    )


@pytest.fixture
def obligation(db):
    return make_obligation


@pytest.fixture
def clean_registry():
    """Let a test register checks and providers without leaking them into other tests."""
    saved_checks = {clause: list(entries) for clause, entries in registry._checks.items()}
    saved_providers = dict(registry._providers)
    yield registry
    registry._checks.clear()
    registry._checks.update(saved_checks)
    registry._providers.clear()
    registry._providers.update(saved_providers)


@pytest.fixture
def bare_registry(clean_registry):
    """No app's checks or providers: statuses come from the obligations (and what the test registers)."""
    clean_registry._checks.clear()
    clean_registry._providers.clear()
    return clean_registry

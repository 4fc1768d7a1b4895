"""Helpers for the risk register tests: risks made through the services, a fixed clock, and a
client with a fresh step-up (the one-time code that signs approvals and reviews)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from grc.accounts.stepup import SESSION_KEY
from grc.risks.services.register import risk_create

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def risk_data(**overrides) -> dict:
    data = {
        "title": "Leaked SP-API credentials",
        "description": "The LWA client secret lets anyone read our orders.",
        "threat": "An outside attacker who finds the secret in a CI log.",
        "vulnerability": "The secret sits in CI variables readable by every job.",
        "existing_controls": "Secrets manager for production.",
        "inherent_likelihood": 4,
        "inherent_impact": 5,
        "residual_likelihood": 3,
        "residual_impact": 5,
        "treatment": "",
        "treatment_plan": "",
        "clauses": ["1.4"],
        "other_systems": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_risk(lead):
    def make(*, by=None, now=NOW, owner=None, source_type="", source_id=None, **overrides):
        data = risk_data(owner=owner or lead, **overrides)
        return risk_create(data=data, by=by or lead, now=now, source_type=source_type, source_id=source_id)

    return make


def stepped_up(client, when=None):
    session = client.session
    session[SESSION_KEY] = (when or timezone.now()).timestamp()
    session.save()
    return client

"""Helpers for the policy library tests: the IR plan type and a plan made through the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grc.policies import services
from grc.policies.catalogue import IR_PLAN, document_types_ensure
from grc.policies.models import DocumentType

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
SECTIONS = {
    "roles": "The security lead runs every incident.",
    "procedures": "Contain, eradicate, recover; keep evidence in custody.",
    "escalation": "Email 3p-security@amazon.com within 24 hours.",
}
TYPES = {"incident_types": ["Unauthorised access", "Lost device"]}


@pytest.fixture
def ir_type(db) -> DocumentType:
    document_types_ensure()
    return DocumentType.objects.get(code=IR_PLAN)


@pytest.fixture
def draft_plan(ir_type, lead, manager):
    """An IR plan with an empty first draft; the manager is its approver."""
    return services.document_create(
        type=ir_type, title="Incident response plan", owner=lead, approver=manager, by=lead, now=NOW - timedelta(days=2)
    )


@pytest.fixture
def approved_plan(draft_plan, lead, manager):
    """The plan with version 1 approved at NOW."""
    version = draft_plan.versions.get()
    services.version_update(version=version, sections=SECTIONS, lists=TYPES, change_summary="First", by=lead, now=NOW - timedelta(days=1))
    services.version_approve(version=version, by=manager, step_up_at=NOW, now=NOW)
    draft_plan.refresh_from_db()
    return draft_plan

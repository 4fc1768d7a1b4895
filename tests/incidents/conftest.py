"""Helpers for the incident tests: incidents made through the services, a private MEDIA_ROOT."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidents import services
from incidents.models import AmazonInvolved, Severity

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # a fixed "now"; tests move the clock from here
COMPLETE = {
    "description": "Unusual exports from the order API.",
    "actions_taken": "Token revoked.",
    "remediation_actions": "Rotated all service tokens.",
    "corrective_controls": "Tokens bound to our network range.",
}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Evidence files go to a private folder per test, never to var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def report(db, staff):
    """``report(by=..., detected_at=..., now=...)`` → a reported incident."""

    def make(*, by=None, detected_at=None, now=None, title="Suspicious logins on the order API", **extra):
        now = now or NOW
        return services.incident_report(
            by=by or staff,
            title=title,
            description=extra.pop("description", "Many failed logins, then one success, from an unknown network."),
            detected_at=detected_at or now - timedelta(hours=1),
            systems_involved=extra.pop("systems_involved", "order API"),
            now=now,
        )

    return make


@pytest.fixture
def triage(lead):
    def run(incident, *, amazon=AmazonInvolved.YES, owner=None, reason="", now=None, detected_at=None, by=None):
        return services.incident_triage(
            incident=incident,
            by=by or lead,
            incident_type="Compromised credentials or account takeover",
            severity=Severity.HIGH,
            amazon_involved=amazon,
            amazon_not_involved_reason=reason,
            owner=owner or lead,
            detected_at=detected_at or incident.detected_at,
            now=now or NOW,
        )

    return run


@pytest.fixture
def approved_plan(db, lead):
    """An approved IR plan whose incident types are not the built-in ones."""
    from grc.policies import services as policy_services
    from grc.policies.catalogue import IR_PLAN, document_types_ensure
    from grc.policies.models import DocumentType

    document_types_ensure()
    now = NOW - timedelta(days=10)
    plan = policy_services.document_create(
        type=DocumentType.objects.get(code=IR_PLAN), title="IR plan", owner=lead, approver=lead, by=lead, now=now
    )
    version = plan.versions.get()
    policy_services.version_update(
        version=version,
        sections={"roles": "Lead runs it.", "procedures": "Contain, eradicate, recover.", "escalation": "Email 3p-security@amazon.com."},
        lists={"incident_types": ["Card skimming on the checkout", "Lost device"]},
        change_summary="",
        by=lead,
        now=now,
    )
    policy_services.version_approve(version=version, by=lead, step_up_at=now, now=now)
    plan.refresh_from_db()
    return plan


@pytest.fixture
def registers(db, lead, staff):
    """A system of the access-review register and two assets of the inventory (one owned by staff)."""
    from access_reviews.models import System
    from assets.models import Asset

    system = System.objects.create(name="Order API", owner=lead)
    server = Asset.objects.create(tag="SRV-0001", name="Order database server", kind="hardware", owner=lead)
    laptop = Asset.objects.create(tag="EP-0007", name="Staff laptop", kind="endpoint", owner=staff)
    return {"system": system, "server": server, "laptop": laptop}

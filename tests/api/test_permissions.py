"""Scope AND role on every endpoint: the token must carry the area's scope and its user the role
the area's pages need; objects outside the user's view are 404, as on the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from grc.accounts.models import Role
from grc.api.models import ApiToken, TokenKind
from grc.api.scopes import ALL_SCOPES
from incidents import services as incident_services
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db

READ_ENDPOINTS = {
    "people": "/api/v1/people/",
    "access": "/api/v1/systems/",
    "assets": "/api/v1/assets/",
    "vulnerabilities": "/api/v1/findings/",
    "incidents": "/api/v1/incidents/",
    "risks": "/api/v1/risks/",
    "compliance": "/api/v1/obligations/",
    "audit": "/api/v1/audit-events/",
}
READERS = {Role.SECURITY_LEAD, Role.MANAGER, Role.AUDITOR}
EVERYONE = READERS | {Role.STAFF}
# who reads each area with its pages' roles
EXPECTED_READ = {
    "people": READERS,
    "access": READERS,
    "assets": READERS,
    "vulnerabilities": READERS,
    "incidents": EVERYONE,
    "risks": READERS,
    "compliance": EVERYONE,
    "audit": {Role.SECURITY_LEAD},
}


def forced_token(user, scopes) -> str:
    """A token carrying any scope (bypassing the service's role check), to prove the role check
    at call time: a user whose role changed keeps tokens with scopes they can no longer use."""
    from grc.accounts.models import hash_token
    from grc.api.services import new_key

    key = new_key()
    now = timezone.now()
    ApiToken.objects.create(
        name="forced",
        kind=TokenKind.PERSONAL,
        user=user,
        created_by=user,
        prefix=key[:12],
        key_hash=hash_token(key),
        scopes=list(scopes),
        created_at=now,
        expires_at=now + timedelta(days=1),
    )
    return key


@pytest.mark.parametrize("area", sorted(READ_ENDPOINTS))
def test_each_role_reads_what_its_pages_read(area, lead, manager, auditor, staff):
    for user in (lead, manager, auditor, staff):
        response = Api(forced_token(user, ALL_SCOPES)).get(READ_ENDPOINTS[area])
        expected = 200 if user.role in EXPECTED_READ[area] else 403
        assert response.status_code == expected, (area, user.role, response.json())


@pytest.mark.parametrize("area", sorted(READ_ENDPOINTS))
def test_a_token_without_the_scope_gets_403(area, lead):
    others = [scope for scope in ALL_SCOPES if not scope.startswith(f"{area}:")]
    response = Api(forced_token(lead, others)).get(READ_ENDPOINTS[area])
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied" and f"{area}:read" in response.json()["detail"]


def test_a_read_token_cannot_write(lead, token_for):
    _token, key = token_for(lead, "people:read", "assets:read", "vulnerabilities:read", "incidents:read", "access:read")
    client = Api(key)
    calls = [
        ("/api/v1/people/", {"person_id": "E1", "first_name": "A", "last_name": "B"}),
        ("/api/v1/assets/", {"tag": "LT-1", "name": "x", "kind": "software", "owner": lead.username}),
        ("/api/v1/findings/", {"title": "x", "severity": "low"}),
        ("/api/v1/incidents/", {"title": "x", "description": "y", "detected_at": timezone.now().isoformat()}),
        ("/api/v1/people/sync/", {"people": [{"person_id": "E1", "first_name": "A", "last_name": "B"}]}),
    ]
    for path, body in calls:
        response = client.post(path, body)
        assert response.status_code == 403, path
        assert ":write scope" in response.json()["detail"]


def test_a_write_scope_includes_read(lead, token_for):
    _token, key = token_for(lead, "assets:write")
    assert Api(key).get("/api/v1/assets/").status_code == 200


def test_a_lead_demoted_to_manager_loses_writes_with_the_same_token(lead, token_for, registry):
    _token, key = token_for(lead, "people:write")
    lead.role = Role.MANAGER
    lead.save(update_fields=["role"])
    response = Api(key).post("/api/v1/people/", {"person_id": "E77", "first_name": "Ann", "last_name": "Lee"})
    assert response.status_code == 403 and "may not change" in response.json()["detail"]


def test_staff_report_incidents_and_see_only_their_own(staff, lead, token_for):
    other = incident_services.incident_report(
        by=lead, title="Lead's incident", description="d", detected_at=timezone.now() - timedelta(hours=1), now=timezone.now()
    )
    _token, key = token_for(staff, "incidents:write")
    client = Api(key)
    created = client.post(
        "/api/v1/incidents/", {"title": "Phishing mail", "description": "clicked a link", "detected_at": timezone.now().isoformat()}
    )
    assert created.status_code == 201, created.json()
    listed = [row["id"] for row in client.get("/api/v1/incidents/").json()["results"]]
    assert listed == [created.json()["id"]]
    assert client.get(f"/api/v1/incidents/{other.pk}/").status_code == 404


def test_auditors_read_but_never_write(auditor, token_for):
    token, key = token_for(auditor, "assets:read", "vulnerabilities:read", days=20)
    client = Api(key)
    assert client.get("/api/v1/assets/").status_code == 200
    forced = Api(forced_token(auditor, ["incidents:write", "assets:write"]))
    assert forced.post("/api/v1/incidents/", {"title": "x"}).status_code == 403
    assert forced.post("/api/v1/assets/", {"tag": "x"}).status_code == 403


def test_a_manager_reads_only_their_reports(manager, token_for, registry):
    _token, key = token_for(manager, "people:read", "access:read")
    client = Api(key)
    ids = {row["person_id"] for row in client.get("/api/v1/people/").json()["results"]}
    assert ids == {"E1001", "E1002"}  # themselves and their report
    assert client.get(f"/api/v1/people/{registry.other_person.pk}/").status_code == 404
    mine = registry.account("lee.wong", registry.staff_person)
    theirs = registry.account("sam.otter", registry.other_person)
    seen = {row["id"] for row in client.get("/api/v1/accounts/").json()["results"]}
    assert mine.pk in seen and theirs.pk not in seen


def test_audit_events_are_for_the_security_lead_only(lead, auditor, token_for):
    _token, key = token_for(lead, "audit:read")
    response = Api(key).get("/api/v1/audit-events/")
    assert response.status_code == 200 and response.json()["results"]
    assert Api(forced_token(auditor, ["audit:read"])).get("/api/v1/audit-events/").status_code == 403

"""Who may call: a bearer token that is known, not revoked, not expired, of an active user in
their access window. No token in a URL, no session instead of a token. Every call is audited
with the token id, refused calls too."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from grc.api.models import ApiToken
from grc.audit.models import AuditEvent
from tests.api.conftest import Api
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
ME = "/api/v1/token/"


def test_a_valid_token_says_who_it_is(lead, token_for):
    token, key = token_for(lead, "access:read")
    response = Api(key).get(ME)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == token.pk and body["user"] == lead.username and body["scopes"] == ["access:read"]
    assert "key" not in body and "key_hash" not in body


def test_no_token_gets_401_json_with_a_challenge(db):
    response = Api(None).get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["error"] == "not_authenticated" and body["errors"][0]["reason"]


@pytest.mark.parametrize("header", ["Token abc", "Bearer", "Bearer a b", "Basic dXNlcjpwYXNz"])
def test_a_malformed_authorization_header_gets_401(db, header):
    response = Api(None).get(ME, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401 and response.json()["error"] == "not_authenticated"


def test_an_unknown_token_gets_401(db):
    response = Api("dpp_" + "x" * 43).get(ME)
    assert response.status_code == 401 and "unknown token" in response.json()["detail"]


def test_a_revoked_token_gets_401_and_the_refusal_names_the_token(lead, token_for):
    token, key = token_for(lead, "access:read")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now(), revoked_by=lead)
    response = Api(key).get("/api/v1/systems/")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    event = AuditEvent.objects.filter(action="api.request").latest("id")
    assert event.outcome == "failure" and event.details["token_id"] == token.pk and event.details["status"] == 401


def test_an_expired_token_gets_401(lead, token_for):
    _token, key = token_for(lead, "access:read", days=7)
    assert Api(key).get(ME).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)):
        response = Api(key).get(ME)
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_a_deactivated_users_token_gets_401(manager, token_for):
    _token, key = token_for(manager, "access:read")
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    assert Api(key).get(ME).status_code == 401


def test_an_auditors_token_stops_with_their_access(auditor, token_for):
    _token, key = token_for(auditor, "assets:read", days=20)
    auditor.access_expires_at = timezone.now() - timedelta(seconds=1)
    auditor.save(update_fields=["access_expires_at"])
    assert Api(key).get("/api/v1/assets/").status_code == 401


def test_a_token_in_the_url_is_refused(lead, token_for):
    _token, key = token_for(lead, "access:read")
    response = Api(None).get("/api/v1/systems/", {"token": key})
    assert response.status_code == 401 and "never in the URL" in response.json()["detail"]
    response = Api(key).get("/api/v1/systems/", {"name": key})
    assert response.status_code == 401


def test_a_signed_in_session_is_no_api_credential(client, lead):
    signed_in(client, lead)
    assert client.get("/api/v1/systems/").status_code == 401


def test_use_is_recorded_on_the_token(lead, token_for):
    token, key = token_for(lead, "access:read")
    assert token.last_used_at is None
    Api(key).get(ME)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_every_call_is_audited_with_the_token_id(lead, token_for):
    token, key = token_for(lead, "access:read")
    client = Api(key)
    client.get("/api/v1/systems/")
    client.post("/api/v1/people/", {"person_id": "E9"})  # no people:write scope: 403
    client.get("/api/v1/systems/999/")
    events = list(AuditEvent.objects.filter(action="api.request").order_by("id"))
    assert [(e.details["method"], e.details["status"]) for e in events] == [("GET", 200), ("POST", 403), ("GET", 404)]
    assert all(e.details["token_id"] == token.pk and e.channel == "api" and e.actor_id == lead.pk for e in events)
    assert [e.outcome for e in events] == ["success", "failure", "failure"]
    assert events[0].object_id == "api:system-list"
    denial = AuditEvent.objects.get(action="accounts.permission_denied")
    assert denial.details["token_id"] == token.pk and denial.message == "denied: scope"

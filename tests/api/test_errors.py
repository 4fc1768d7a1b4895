"""Bad input: every error is JSON with a 4xx status, the field and the reason; a request that
fails validation changes nothing; bodies over the limit get 413; the rate limit gives 429 with
Retry-After, per token."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from access_reviews.models import Person
from assets.models import Finding, VulnerabilityScan
from grc.audit.models import AuditEvent
from tests.api.conftest import Api, error_fields

pytestmark = pytest.mark.django_db


def test_validation_errors_name_the_field_and_the_reason(lead_api):
    response = lead_api.post("/api/v1/people/", {"person_id": "", "first_name": "Ann", "email": "not-an-email"})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["error"] == "invalid" and "nothing was changed" in body["detail"]
    fields = error_fields(response)
    assert set(fields) == {"person_id", "last_name", "email"}
    assert all(reason for reason in fields.values())


def test_nested_errors_name_the_row(lead_api, lead):
    now = timezone.now()
    body = {
        "performed_at": (now - timedelta(hours=1)).isoformat(),
        "tool": "nessus",
        "scope": "10.0.0.0/24",
        "findings": [{"title": "ok", "severity": "low"}, {"title": "bad", "severity": "extreme"}],
    }
    response = lead_api.post("/api/v1/vulnerability-scans/", body)
    assert response.status_code == 400
    assert "findings.1.severity" in error_fields(response)


def test_a_service_rule_failing_half_way_leaves_the_database_unchanged(lead_api):
    """The scan is valid; its second finding is dated in the future, which the service refuses:
    the scan and the first finding are rolled back with it."""
    now = timezone.now()
    events_before = AuditEvent.objects.exclude(action="api.request").count()
    body = {
        "performed_at": (now - timedelta(hours=2)).isoformat(),
        "tool": "nessus",
        "scope": "prod VPC",
        "findings": [
            {"title": "TLS 1.0 enabled", "severity": "medium"},
            {"title": "from the future", "severity": "high", "found_at": (now + timedelta(days=2)).isoformat()},
        ],
    }
    response = lead_api.post("/api/v1/vulnerability-scans/", body)
    assert response.status_code == 400
    assert error_fields(response) == {"found_at": "This is in the future: record it once it has happened."}
    assert not VulnerabilityScan.objects.exists() and not Finding.objects.exists()
    assert AuditEvent.objects.exclude(action="api.request").count() == events_before


def test_a_service_rule_becomes_a_400_with_its_field(lead_api, registry):
    response = lead_api.post("/api/v1/people/", {"person_id": "E1000", "first_name": "Dup", "last_name": "Licate"})
    assert response.status_code == 400 and "person_id" in error_fields(response)
    assert Person.objects.filter(person_id="E1000").count() == 1


def test_malformed_json_is_a_400(lead_api):
    response = lead_api.client.post("/api/v1/people/", "{not json", content_type="application/json", **lead_api.headers())
    assert response.status_code == 400 and response.json()["error"] == "invalid"


def test_other_content_types_get_415(lead_api):
    response = lead_api.client.post("/api/v1/people/", {"person_id": "E5"}, **lead_api.headers())  # multipart form
    assert response.status_code == 415 and response.json()["error"] == "unsupported_media_type"


def test_an_unknown_path_or_id_is_a_json_404(lead_api):
    for path in ("/api/v1/nothing-here/", "/api/v1/people/99999/", "/api/v1/people/abc/", "/api/v1/people"):
        response = lead_api.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"


def test_an_unknown_path_needs_a_token_too(db):
    assert Api(None).get("/api/v1/nothing-here/").status_code == 401


def test_a_wrong_method_is_a_json_405(lead_api):
    response = lead_api.delete("/api/v1/people/")
    assert response.status_code == 405 and response.json()["error"] == "method_not_allowed"


def test_a_bad_cursor_or_page_size_is_a_400(lead_api):
    assert error_fields(lead_api.get("/api/v1/assets/", {"cursor": "garbage"})).keys() == {"cursor"}
    assert error_fields(lead_api.get("/api/v1/assets/", {"page_size": "0"})).keys() == {"page_size"}
    assert error_fields(lead_api.get("/api/v1/assets/", {"page_size": "5000"})).keys() == {"page_size"}


def test_a_bad_filter_value_is_a_400(lead_api):
    response = lead_api.get("/api/v1/accounts/", {"state": "sideways", "system": "x"})
    assert response.status_code == 400 and set(error_fields(response)) == {"state", "system"}


def test_dates_outside_a_sane_range_are_refused(lead_api):
    response = lead_api.post("/api/v1/findings/", {"title": "x", "severity": "low", "found_at": "0001-01-01T00:00:00Z"})
    assert response.status_code == 400 and "found_at" in error_fields(response)


def test_a_body_over_the_limit_gets_413_and_changes_nothing(lead_api, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = {"person_id": "E42", "first_name": "Big", "last_name": "Body", "department": "x" * 2000}
    response = lead_api.post("/api/v1/people/", body)
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large" and "1000 bytes" in response.json()["detail"]
    assert not Person.objects.filter(person_id="E42").exists()


def test_the_rate_limit_is_per_token_with_retry_after(lead, token_for, settings):
    settings.API_RATE_LIMIT = "3/minute"
    _one, key_one = token_for(lead, "access:read")
    _two, key_two = token_for(lead, "access:read")
    first, second = Api(key_one), Api(key_two)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert [first.get("/api/v1/systems/").status_code for _ in range(3)] == [200, 200, 200]
        limited = first.get("/api/v1/systems/")
        assert limited.status_code == 429
        assert int(limited["Retry-After"]) == 60
        body = limited.json()
        assert body["error"] == "rate_limited" and body["retry_after"] == 60
        assert second.get("/api/v1/systems/").status_code == 200  # another token has its own count
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert first.get("/api/v1/systems/").status_code == 200
    assert AuditEvent.objects.filter(action="api.request", details__status=429).count() == 1


@pytest.mark.parametrize("bad", ["SRV\x00-1", "\ud800", 3.5, ["SRV-1"]])
def test_a_natural_key_no_record_can_have_is_a_400_before_any_query(lead_api, bad):
    """A NUL or a lone surrogate would make PostgreSQL fail the lookup: refused as a 400 instead."""
    response = lead_api.post("/api/v1/findings/", {"title": "x", "severity": "low", "asset": bad})
    assert response.status_code == 400 and "asset" in error_fields(response)

"""Hostile API bodies and server errors (issue 21): deep or oversized JSON is a JSON 400/413, and
even a real bug answers JSON (never Django's HTML 500 page) and is logged."""

from __future__ import annotations

import io
import json
import logging

import pytest

from grc.api.parsers import MAX_DEPTH, BoundedJSONParser, nesting_depth
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_api(lead) -> Api:
    """The security lead's token with every scope a lead may hold."""
    from datetime import timedelta

    from django.utils import timezone

    from grc.api.scopes import scopes_for_role
    from grc.api.services import token_create

    now = timezone.now()
    _token, key = token_create(
        user=lead, by=lead, name="bodies", kind="personal", scopes=scopes_for_role(lead.role), expires_at=now + timedelta(days=1), now=now
    )
    return Api(key)


def test_depth_is_counted_without_recursion_and_ignores_brackets_in_strings():
    assert nesting_depth("1") == 0
    assert nesting_depth('{"a": [1, {"b": []}]}') == 4
    assert nesting_depth('["[[[[[[", "\\"[[[[", "}}}"]') == 1
    assert nesting_depth("[" * 1_000_000) == MAX_DEPTH + 1  # stops counting past the limit


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 1_000 + "1" + "}" * 1_000,
        json.dumps({"findings": [[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]}),
    ],
)
def test_a_body_nested_too_deep_is_a_json_400(lead_api: Api, body):
    response = lead_api.client.post("/api/v1/people/", body, content_type="application/json", **lead_api.headers())
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"] == [{"field": None, "reason": f"The JSON body is nested deeper than {MAX_DEPTH} levels."}]


def test_a_body_within_the_depth_limit_reaches_validation(lead_api: Api):
    body = {"person_id": "E1", "first_name": "Ann", "last_name": "Lee", "email": "ann@example.test", "department": [[[[1]]]]}
    response = lead_api.post("/api/v1/people/", body)
    assert response.status_code in (201, 400)
    assert "nested deeper" not in response.content.decode()


@pytest.mark.parametrize("body", ["1" * 5_000, "NaN", '{"a": Infinity}', "\xff\xfe", "{"])
def test_numbers_python_cannot_convert_and_non_json_constants_are_a_json_400(lead_api: Api, body):
    response = lead_api.client.post("/api/v1/people/", body, content_type="application/json", **lead_api.headers())
    assert response.status_code == 400
    assert response.json()["status"] == 400


def test_a_body_larger_than_the_limit_is_refused_while_reading(settings):
    """A chunked request has no Content-Length for grc.api.base to check: the parser reads at most
    the limit and one byte more."""
    from grc.api.errors import BodyTooLarge

    settings.API_MAX_BODY_BYTES = 100
    with pytest.raises(BodyTooLarge):
        BoundedJSONParser().parse(io.BytesIO(b'{"a": "' + b"x" * 200 + b'"}'), "application/json", {})
    assert BoundedJSONParser().parse(io.BytesIO(b'{"a": 1}'), "application/json", {}) == {"a": 1}


def test_a_server_error_in_the_api_is_json_and_logged(lead_api: Api, monkeypatch, caplog):
    from grc.api.areas.people import PersonViewSet

    def broken(self, request, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(PersonViewSet, "list", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = lead_api.get("/api/v1/people/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == 500 and body["error"] == "server_error"
    assert "a bug" not in response.content.decode()  # no internals to the caller
    # grc.logging's redaction keeps the traceback as text (exc_text) without the exception's message
    logged = [record for record in caplog.records if record.name == "django.request" and record.levelno == logging.ERROR]
    assert len(logged) == 1 and "RuntimeError" in (logged[0].exc_text or "")  # once, with the traceback

"""The OpenAPI schema at /api/schema/ and the Swagger UI at /api/docs/: for signed-in users and
tokens only, served from the app's own static files (no CDN anywhere)."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

from tests.api.conftest import Api
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_schema_needs_a_session_or_a_token(client, manager, token_for):
    assert client.get("/api/schema/").status_code == 401
    client.force_login(manager, backend="django.contrib.auth.backends.ModelBackend")  # not MFA-verified yet
    assert client.get("/api/schema/").status_code == 401
    signed_in(client, manager)
    assert client.get("/api/schema/").status_code == 200
    _token, key = token_for(manager, "access:read")
    assert Api(key).get("/api/schema/").status_code == 200


def test_the_schema_is_valid_openapi_with_every_area(lead_api):
    response = lead_api.get("/api/schema/")
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    schema = response.json()
    validate_schema(schema)
    paths = set(schema["paths"])
    for path in (
        "/api/v1/people/",
        "/api/v1/people/{id}/terminate/",
        "/api/v1/people/sync/",
        "/api/v1/systems/{id}/accounts/sync/",
        "/api/v1/accounts/",
        "/api/v1/assets/",
        "/api/v1/data-stores/",
        "/api/v1/vulnerability-scans/",
        "/api/v1/findings/{id}/resolve/",
        "/api/v1/release-scans/{id}/result/",
        "/api/v1/incidents/",
        "/api/v1/risks/",
        "/api/v1/obligations/",
        "/api/v1/dpp-status/",
        "/api/v1/audit-events/",
    ):
        assert path in paths, path
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    sync = schema["paths"]["/api/v1/systems/{id}/accounts/sync/"]["post"]
    assert {"200", "400", "401", "403", "404", "413", "429"} <= set(sync["responses"])
    assert "Retry-After" in sync["responses"]["429"]["headers"]
    assert not any("/schema/" in path or "/docs/" in path or "/tokens/" in path for path in paths)


def test_the_docs_page_is_served_without_a_cdn(client, lead):
    response = client.get("/api/docs/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    signed_in(client, lead)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/") for source in sources), sources
    assert "<script>" not in html and "<style" not in html  # the CSP allows only our own files
    for source in sources:
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/")), source
    script = next(source for source in sources if "script" in source)
    init = client.get(script)
    assert init.status_code == 200 and init["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in init.content.decode()

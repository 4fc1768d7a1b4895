"""Property-based run of the whole API against its own OpenAPI schema (schemathesis): every
operation, with a bounded number of generated requests and a fixed seed, valid and invalid data
alike, must never answer 5xx and must always answer as the schema says (status, content type,
body). The lead's token carries every scope, so the writes run too, against the test database."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from grc.api.scopes import scopes_for_role

MAX_EXAMPLES = 15  # generated requests per operation (about 40 operations): the run stays bounded
SEED = 20261129
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]


def build_schema():
    raw = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": ["all"],
            # Examples and fuzzing (valid and invalid data, ``mode: all``); the coverage phase's
            # exhaustive boundary cases (about ten times the requests) are left to a manual run.
            "phases": {"coverage": {"enabled": False}},
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "with-security-parameters": False,
                "database": "none",
            },
        }
    )
    schema = schemathesis.openapi.from_dict(raw, config=config)
    schema.app = get_wsgi_application()
    return schema


schema = build_schema()


@pytest.fixture
def bearer(db, lead, settings, tmp_path):
    """The lead's token with every scope; no rate limit in the way; uploads to a temporary folder.

    The WSGI app runs in this thread, inside the test's transaction: like Django's test client,
    keep the request signals from closing the connection at the end of each request."""
    from datetime import timedelta

    from django.utils import timezone

    from grc.api.services import token_create

    settings.API_RATE_LIMIT = "1000000/minute"
    settings.MEDIA_ROOT = tmp_path / "media"
    now = timezone.now()
    _token, key = token_create(
        user=lead,
        by=lead,
        name="schemathesis",
        kind="personal",
        scopes=scopes_for_role(lead.role),
        expires_at=now + timedelta(days=1),
        now=now,
    )
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {key}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    # The run really reached the API as the lead (not a wall of 401s that would conform too).
    from grc.audit.models import AuditEvent

    calls = AuditEvent.objects.filter(action="api.request")
    assert calls.exists() and not calls.filter(details__status=401).exists()


@pytest.mark.slow
@schema.parametrize()
def test_the_api_answers_as_its_schema_says(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)

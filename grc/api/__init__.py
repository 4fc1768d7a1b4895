"""The REST API under ``/api/v1/`` (DRF + drf-spectacular): scoped, hashed API tokens, one module
per area in ``areas/``, every call audited with its token id, and the OpenAPI schema and docs."""

"""The OpenAPI schema (drf-spectacular): every operation documents the JSON error body of each 4xx
it can answer with, so clients (and the schemathesis run in the tests) know every response."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

ERROR_STATUSES = {
    "400": "Invalid input or query parameter: nothing was changed.",
    "401": "No token, or the token is unknown, revoked or expired.",
    "403": "The token lacks the scope, or its user the role.",
    "404": "No such record, or not one the token's user may see.",
    "405": "Method not allowed.",
    "406": "Only JSON is served.",
    "413": "The request body is larger than API_MAX_BODY_BYTES (as sent: compressed, if gzip), or decompresses past "
    "SYNC_MAX_DECOMPRESSED_BYTES: the reason says how to send it (gzip, or a sync session for a full sync).",
    "415": "Send JSON (Content-Type: application/json), plain or gzip (Content-Encoding: gzip).",
    "429": "Rate limit of the token reached: retry after Retry-After seconds.",
}


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="dotted path of the field or query parameter; null for the whole request")
    reason = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    error = serializers.CharField(help_text="a short code: invalid, not_authenticated, permission_denied, not_found, rate_limited …")
    detail = serializers.CharField()
    # a declared field: DRF's metaclass moves it into _declared_fields, Serializer.errors stays a property
    errors = FieldErrorSerializer(many=True)  # type: ignore[assignment]
    retry_after = serializers.IntegerField(required=False, help_text="seconds to wait (429 only)")


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in ERROR_STATUSES.items():
            if code in responses:
                continue
            response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
            response["description"] = description
            if code == "429":
                response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}}
            responses[code] = response
        return responses

"""Every API error is JSON with a 4xx status, the field and the reason:

    {"status": 400, "error": "invalid", "detail": "The request is not valid.",
     "errors": [{"field": "performed_at", "reason": "This is in the future: …"}]}

``field`` is a dotted path into the body or a query parameter (``accounts.3.mfa``), or null for
the request as a whole. Django ``ValidationError``s raised by the apps' services become 400s the
same way, so a service's rule reads the same on a page and in the API.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler, set_rollback

NON_FIELD = {api_settings.NON_FIELD_ERRORS_KEY, "__all__"}
CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "server_error",
}
logger = logging.getLogger("django.request")  # where Django logs its own 500s (and mails the admins, if configured)


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "body_too_large"


def printable(text: Any) -> str:
    """Text that JSON can carry: a lone surrogate sent in the body and echoed in a reason
    ("'\\ud800' is not a valid choice") is escaped instead of breaking the renderer (a 500)."""
    return str(text).encode("utf-8", "backslashreplace").decode("utf-8")


def flatten(detail: Any, path: str = "") -> list[dict[str, str | None]]:
    """[{field, reason}] from DRF's nested error detail (dicts by field, lists by index)."""
    if isinstance(detail, dict):
        items = []
        for key, value in detail.items():
            key = str(key)
            child = path if key in NON_FIELD else (f"{path}.{key}" if path else key)
            items += flatten(value, child)
        return items
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [{"field": printable(path) or None, "reason": printable(item)} for item in detail]
        items = []
        for index, item in enumerate(detail):
            if item:  # an empty dict/list: that list item had no error
                items += flatten(item, f"{path}.{index}" if path else str(index))
        return items
    return [{"field": printable(path) or None, "reason": printable(detail)}]


def error_body(status_code: int, detail: str, errors: list[dict[str, str | None]] | None = None, **extra) -> dict[str, Any]:
    return {"status": status_code, "error": CODES.get(status_code, "error"), "detail": detail, "errors": errors or [], **extra}


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found: no such record, or not one you may see.")
    response = exception_handler(exc, context)
    if response is None:
        return server_error(exc, context)
    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.detail)
        detail = "The request is not valid: nothing was changed." if errors else "The request is not valid."
    else:
        detail = str(exc.detail) if not isinstance(exc.detail, (dict, list)) else "The request failed."
        errors = [{"field": None, "reason": detail}]
        # Throttled sets ``wait`` in __init__; the stubs do not declare it
        wait: float | None = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
        if wait is not None:
            extra["retry_after"] = int(wait) + (wait % 1 > 0)
    response.data = error_body(response.status_code, detail, errors, **extra)
    return response


def server_error(exc, context) -> Response:
    """A real server error (a bug): logged with its traceback the way Django logs a 500, and
    answered as JSON like every other API error — an API client (a sync script, a scanner) parses
    JSON, and Django's HTML 500 page would say nothing to it. An open atomic block of the request
    is marked for rollback, as DRF does for its own errors."""
    request = context.get("request")
    django_request = getattr(request, "_request", request)
    logger.error(
        "Internal Server Error: %s",
        getattr(django_request, "path", "?"),
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"status_code": 500, "request": django_request},
    )
    set_rollback()
    detail = "The server failed to handle this request; the error is logged. Try again later or tell the portal's administrators."
    response = json_error(status.HTTP_500_INTERNAL_SERVER_ERROR, detail)
    # django.utils.log.log_response would log it again, without the traceback (a private flag the stubs do not declare)
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def json_error(status_code: int, detail: str, field: str | None = None) -> Response:
    return Response(error_body(status_code, detail, [{"field": field, "reason": detail}]), status=status_code)

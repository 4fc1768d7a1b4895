"""What every API endpoint shares: token authentication, scope-and-role permission, the per-token
rate limit, the body size limit, JSON only, cursor pages, and one audit event per call
(``api.request``: method, status and route, with the token id) whatever its outcome."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import django_filters
from django import forms
from django.conf import settings
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, serializers, viewsets
from rest_framework.renderers import JSONRenderer

from grc.api.authentication import ApiTokenAuthentication
from grc.api.errors import BodyTooLarge
from grc.api.pagination import ApiCursorPagination
from grc.api.parsers import BoundedJSONParser, too_large_message
from grc.api.permissions import AreaPermission
from grc.api.throttling import TokenRateThrottle
from grc.audit.services import record_event

if TYPE_CHECKING:
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.filters import BaseFilterBackend
    from rest_framework.generics import BaseFilterProtocol
    from rest_framework.pagination import BasePagination
    from rest_framework.parsers import BaseParser
    from rest_framework.permissions import _PermissionClass
    from rest_framework.renderers import BaseRenderer
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.throttling import BaseThrottle
    from rest_framework.views import APIView

DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024
ID_PATTERN = "[0-9]{1,18}"  # ids in paths: anything else is a 404, never a database error
MIN_YEAR, MAX_YEAR = 2000, 2100


def max_body_bytes() -> int:
    return int(getattr(settings, "API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def check_body_size(request) -> None:
    """``Content-Length`` against the limit: the size as sent, so compressed for a gzip body
    (its decompressed size is checked by the parser)."""
    raw = request.META.get("CONTENT_LENGTH") or "0"
    try:
        length = int(raw)
    except ValueError:
        raise exceptions.ParseError("Content-Length is not a number.")
    limit = max_body_bytes()
    if length > limit:
        raise BodyTooLarge(too_large_message(limit, length, path=request.path))


def audit_call(request, response) -> None:
    django_request = getattr(request, "_request", request)
    match = getattr(django_request, "resolver_match", None)
    status_code = response.status_code
    details = {"method": request.method, "status": status_code}
    refused = getattr(django_request, "api_token_refused_id", None)
    if refused:
        details["token_id"] = refused
    kind = getattr(django_request, "api_token_kind", "")
    if kind:
        details["token_kind"] = kind
    record_event(
        "api.request",
        request=django_request,
        outcome="success" if status_code < 400 else "failure",
        object_type="api.endpoint",
        object_id=(match.view_name if match else "")[:64],
        message=f"{request.method} {status_code}",
        details=details,
    )


if TYPE_CHECKING:
    # the mixin only ever precedes an APIView: let mypy check its super() calls against it
    _MixinBase = APIView
else:
    _MixinBase = object


class ApiViewMixin(_MixinBase):
    # the same declared types as APIView / GenericAPIView in the drf stubs
    area = ""  # a key of grc.api.scopes.AREAS; empty: any valid token
    authentication_classes: Sequence[type[BaseAuthentication]] = [ApiTokenAuthentication]
    permission_classes: Sequence[_PermissionClass] = [AreaPermission]
    throttle_classes: Sequence[type[BaseThrottle]] = [TokenRateThrottle]
    renderer_classes: Sequence[type[BaseRenderer]] = [JSONRenderer]
    # depth and size limits: a JSON 400/413, never a 500
    parser_classes: Sequence[type[BaseParser]] = [BoundedJSONParser]
    filter_backends: Sequence[type[BaseFilterBackend | BaseFilterProtocol[Any]]] = [DjangoFilterBackend]
    pagination_class: type[BasePagination] | None = ApiCursorPagination
    lookup_value_regex = ID_PATTERN

    # an action that takes files sets its own size check (``@action(..., body_check=…)``); the rest
    # are held to the JSON body limit. Checked after authentication, before anything is read.
    body_check: Callable[[Request], None] | None = None

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)
        (self.body_check or check_body_size)(request)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        audit_call(request, response)
        return response


class ReadOnlyViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ApiViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """A viewset whose writes call the app's services (never ``serializer.save()``)."""


# --- fields that keep values in a range the apps' date arithmetic can handle -------------------
class MomentField(serializers.DateTimeField):
    """An ISO 8601 date-time between 2000 and 2100 (naive values are UTC)."""

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        if not MIN_YEAR <= moment.year <= MAX_YEAR:
            raise serializers.ValidationError(f"Give a time between {MIN_YEAR} and {MAX_YEAR}.")
        return moment


class DayField(serializers.DateField):
    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise serializers.ValidationError(f"Give a date between {MIN_YEAR} and {MAX_YEAR}.")
        return day


class CountField(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 1_000_000)
        super().__init__(**kwargs)


class ApiModelSerializer(serializers.ModelSerializer):
    """Model serializers with bounded dates and counts."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: MomentField,
        models.DateField: DayField,
    }

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        """DRF drops ``allow_blank`` from read-only fields; keep it, so the schema says a blank
        choice (an incident not yet triaged has no severity) may be returned."""
        allow_blank = kwargs.get("allow_blank")
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if kwargs.get("read_only") and allow_blank:
            kwargs["allow_blank"] = True
        return kwargs

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, models.PositiveIntegerField | models.PositiveSmallIntegerField) and "max_value" not in kwargs:
            kwargs["max_value"] = 1_000_000
        return field_class, kwargs


def storable_text(value: str) -> bool:
    """Text a database can store and compare: no NUL character (PostgreSQL refuses it in text)
    and no lone surrogate (not encodable as UTF-8)."""
    return "\x00" not in value and not any(0xD800 <= ord(char) <= 0xDFFF for char in value)


class NaturalKeyField(serializers.SlugRelatedField):
    """A record by its natural key (a person id, an asset tag, a system name, a username).

    Values that no record can have are refused before they reach the database."""

    default_error_messages = {"invalid": "Give the {slug_name} as text."}

    def to_internal_value(self, data):
        if isinstance(data, int) and not isinstance(data, bool):
            data = str(data)
        if not isinstance(data, str) or not storable_text(data):
            self.fail("invalid", slug_name=self.slug_field)
        return super().to_internal_value(data)


class UsernameField(NaturalKeyField):
    """A portal user by username (``jsmith``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "username")
        super().__init__(**kwargs)


class IdFilter(django_filters.NumberFilter):
    """A record id in a query parameter: a whole number in range, or a 400."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 10**18)
        super().__init__(*args, **kwargs)


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value):
        moment = super().to_python(value)
        if moment is not None and not MIN_YEAR <= moment.year <= MAX_YEAR:
            raise forms.ValidationError(f"Give a time between {MIN_YEAR} and {MAX_YEAR}.")
        return moment


class MomentFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time in a query parameter, within the years the API accepts."""

    field_class = BoundedIsoDateTimeField

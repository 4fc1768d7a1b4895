"""``GET /api/v1/token/``: which token is calling, as whom, with which scopes (any valid token).
Scripts call it first to check their token before a sync."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from grc.api.base import ApiViewMixin
from grc.api.models import ApiToken


class TokenInfoSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username")
    role = serializers.CharField(source="user.role")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "kind", "prefix", "user", "role", "scopes", "created_at", "expires_at", "last_used_at"]
        read_only_fields = fields


class TokenInfoView(ApiViewMixin, GenericAPIView):
    area = ""
    pagination_class = None
    filter_backends: list = []
    serializer_class = TokenInfoSerializer

    @extend_schema(responses={200: TokenInfoSerializer})
    def get(self, request):
        return Response(TokenInfoSerializer(request.auth).data)

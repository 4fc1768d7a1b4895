"""The audit trail (DPP 2.6), for the security lead's tokens only (``audit:read``): newest first,
filterable like the viewer. Events carry ids and field names, never personal data."""

from __future__ import annotations

import django_filters
from rest_framework import mixins

from grc.api.base import ApiModelSerializer, ApiViewSet, IdFilter, MomentFilter
from grc.audit.models import AuditEvent, Channel, Outcome


class AuditEventSerializer(ApiModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor_id",
            "actor_name",
            "action",
            "object_type",
            "object_id",
            "outcome",
            "source_ip",
            "channel",
            "message",
            "details",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields


class AuditEventFilter(django_filters.FilterSet):
    since = MomentFilter(field_name="occurred_at", lookup_expr="gte")
    until = MomentFilter(field_name="occurred_at", lookup_expr="lt")
    actor_id = IdFilter(field_name="actor_id")
    action = django_filters.CharFilter(method="filter_action", help_text="an action, or a namespace ending in a dot (accounts.)")
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def filter_action(self, queryset, name, value):
        return queryset.filter(action__startswith=value) if value.endswith(".") else queryset.filter(action=value)


class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    area = "audit"
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    cursor_ordering = "-pk"

    def get_queryset(self):
        return AuditEvent.objects.all()

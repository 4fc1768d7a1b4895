"""Obligations (every DPP deadline, from the obligation engine) and the status of each DPP clause.
Read by every role: staff see the obligations they own, the others all of them
(``grc.compliance.selectors.visible_obligations``), as on the calendar."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from grc.api.base import ApiModelSerializer, ApiViewMixin, ApiViewSet, MomentFilter
from grc.compliance import selectors
from grc.compliance.cadences import CADENCES
from grc.compliance.filters import STATUS_LABELS, app_choices, clause_choices, kind_choices
from grc.compliance.models import Obligation
from grc.compliance.posture import RequirementState, posture_counts

if TYPE_CHECKING:
    from grc.accounts.models import User


class ObligationSerializer(ApiModelSerializer):
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    status = serializers.SerializerMethodField(
        help_text="open, due_soon, overdue, met, met_late or waived (closed because it no longer applies; never counted as met)"
    )

    class Meta:
        model = Obligation
        fields = [
            "id",
            "kind",
            "clause",
            "title",
            "owner",
            "status",
            "subject_type",
            "subject_id",
            "anchor_at",
            "due_at",
            "completed_at",
            "waived_reason",
            "url",
        ]
        read_only_fields = fields

    def get_status(self, obligation) -> str | None:
        if obligation.kind not in CADENCES:
            return None
        return obligation.status_at(self.context.get("now") or timezone.now()).value


class ObligationFilter(django_filters.FilterSet):
    app = django_filters.ChoiceFilter(choices=app_choices, method="filter_app")
    kind = django_filters.ChoiceFilter(choices=kind_choices)
    clause = django_filters.ChoiceFilter(choices=clause_choices)
    owner = django_filters.CharFilter(field_name="owner__username")
    status = django_filters.ChoiceFilter(choices=list(STATUS_LABELS.items()), method="filter_status")
    open = django_filters.BooleanFilter(field_name="completed_at", lookup_expr="isnull")
    due_before = MomentFilter(field_name="due_at", lookup_expr="lt")
    due_after = MomentFilter(field_name="due_at", lookup_expr="gte")

    class Meta:
        model = Obligation
        fields: list[str] = []

    def filter_app(self, queryset, name, value: str):
        return queryset.filter(kind__startswith=f"{value}.")

    def filter_status(self, queryset, name, value: str):
        return queryset.filter(selectors.status_q(value, timezone.now()))


class ObligationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Every deadline of the DPP programme with its computed status."""

    area = "compliance"
    queryset = Obligation.objects.none()  # the real one depends on the user: get_queryset
    serializer_class = ObligationSerializer
    filterset_class = ObligationFilter

    def get_queryset(self):
        # AreaPermission has let only a token's portal user through
        return selectors.visible_obligations(cast("User", self.request.user))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}


class FindingOutSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="check or obligation")  # type: ignore[assignment]  # a declared field: DRF's metaclass moves it to _declared_fields, so Field.source stays
    name = serializers.CharField(help_text="the check's or obligation kind's stable name")
    title = serializers.CharField(help_text="what the portal's pages print")
    status = serializers.ChoiceField(choices=[state.value for state in RequirementState])
    reason = serializers.CharField()


class RequirementStatusSerializer(serializers.Serializer):
    clause = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=[state.value for state in RequirementState])
    reason = serializers.CharField()
    findings = FindingOutSerializer(many=True)


class DppStatusSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="requirements per status")
    requirements = RequirementStatusSerializer(many=True)


class DppStatusView(ApiViewMixin, GenericAPIView):
    """The DPP catalogue (clauses 1.1 … 3), each with its status computed now from the records and
    live checks, and the reason in words (the same as ``manage.py dpp_status --json``)."""

    area = "compliance"
    pagination_class = None
    filter_backends: list = []
    serializer_class = DppStatusSerializer

    @extend_schema(responses={200: DppStatusSerializer})
    def get(self, request):
        now = timezone.now()
        rows = selectors.requirement_statuses(now)
        return Response(
            {
                "as_of": now,
                "counts": posture_counts(row.status for row in rows),
                "requirements": [
                    {
                        "clause": row.requirement.clause,
                        "title": row.requirement.title,
                        "status": row.status.status.value,
                        "reason": row.status.reason,
                        "findings": [
                            {"source": f.source, "name": f.name, "title": f.title, "status": f.status.value, "reason": f.reason}
                            for f in row.status.findings
                        ],
                    }
                    for row in rows
                ],
            }
        )

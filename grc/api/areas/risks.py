"""The risk register (DPP 1.6), read-only: the lead, managers and auditors read every risk, as on
the register page. Scores and bands, treatment, owner and links; the free texts describing
weaknesses stay on the pages (they are encrypted at rest for a reason)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import django_filters
from rest_framework import mixins, serializers

from grc.api.base import ApiModelSerializer, ApiViewSet
from grc.risks.models import Risk, RiskStatus, Treatment
from grc.risks.selectors import risks_for_list

if TYPE_CHECKING:
    from access_reviews.models import System
    from assets.models import Asset
    from grc.accounts.models import User


class RiskSerializer(ApiModelSerializer):
    reference = serializers.CharField(read_only=True)
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    affected_assets: serializers.SlugRelatedField[Asset] = serializers.SlugRelatedField(slug_field="tag", many=True, read_only=True)
    affected_systems: serializers.SlugRelatedField[System] = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    inherent_band = serializers.CharField(read_only=True)
    residual_band = serializers.CharField(read_only=True)
    clauses = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Risk
        fields = [
            "id",
            "reference",
            "title",
            "status",
            "owner",
            "clauses",
            "affected_assets",
            "affected_systems",
            "inherent_likelihood",
            "inherent_impact",
            "inherent_score",
            "inherent_band",
            "residual_likelihood",
            "residual_impact",
            "residual_score",
            "residual_band",
            "treatment",
            "source_type",
            "source_id",
            "identified_at",
            "last_reviewed_at",
            "closed_at",
            "updated_at",
        ]
        read_only_fields = fields


class RiskFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RiskStatus.choices)
    treatment = django_filters.ChoiceFilter(choices=[c for c in Treatment.choices if c[0]])
    owner = django_filters.CharFilter(field_name="owner__username")
    min_residual_score = django_filters.NumberFilter(field_name="residual_score", lookup_expr="gte", min_value=1, max_value=25)

    class Meta:
        model = Risk
        fields: list[str] = []


class RiskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    area = "risks"
    serializer_class = RiskSerializer
    filterset_class = RiskFilter

    def get_queryset(self):
        return risks_for_list()

"""Security incidents (DPP 1.6). Anyone but an auditor reports one (``incidents:write``) through
``incidents.services.incident_report``, which starts the 24-hour Amazon clock at detection.
Reads follow the pages: the lead, managers and auditors read every incident, staff the ones they
reported or own. The API shows no free text (what happened, actions): those stay on the pages.

The lead or the incident's owner corrects the detection time (``POST incidents/{id}/detection/``)
through ``incidents.services.detection_correct``, the rule of the pages: earlier at any time;
later only by the security lead with a reason and a fresh one-time code, which a token cannot
give, so a later time is refused here (400) and is recorded on the incident page instead."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from access_reviews.models import System
from assets.models import Asset
from grc.accounts.models import Role
from grc.accounts.permissions import deny
from grc.api.base import ApiModelSerializer, ApiViewSet, MomentField, NaturalKeyField
from incidents import services
from incidents.access import access_for
from incidents.models import AmazonInvolved, Incident, Severity, Status
from incidents.selectors import incidents_for_api

if TYPE_CHECKING:
    from grc.accounts.models import User


class IncidentSerializer(ApiModelSerializer):
    reference = serializers.CharField(read_only=True)
    reported_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    systems: serializers.SlugRelatedField[System] = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    assets: serializers.SlugRelatedField[Asset] = serializers.SlugRelatedField(slug_field="tag", many=True, read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "title",
            "status",
            "severity",
            "incident_type",
            "amazon_involved",
            "detected_at",
            "notification_due_at",
            "reported_by",
            "reported_at",
            "owner",
            "triaged_at",
            "closed_at",
            "systems",
            "assets",
        ]
        read_only_fields = fields


class IncidentReportSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, help_text="a short label, without names or contact details")
    description = serializers.CharField(max_length=20000, help_text="what happened (stored encrypted)")
    detected_at = MomentField(help_text="when it was first detected: Amazon must be notified within 24 hours of this")
    systems_involved = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    systems = NaturalKeyField(slug_field="name", queryset=System.objects.all(), many=True, required=False)
    assets = NaturalKeyField(slug_field="tag", queryset=Asset.objects.all(), many=True, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and user.role == Role.STAFF:  # as on the report page: staff pick among their own assets
            cast(serializers.ManyRelatedField, self.fields["assets"]).child_relation.queryset = Asset.objects.filter(owner=user)


class DetectionCorrectionSerializer(serializers.Serializer):
    detected_at = MomentField(help_text="the corrected detection time; the 24-hour Amazon deadline follows it")
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="why it changes (required to move it later; stored encrypted)",
    )


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    amazon_involved = django_filters.ChoiceFilter(choices=AmazonInvolved.choices)
    open = django_filters.BooleanFilter(method="filter_open")

    class Meta:
        model = Incident
        fields: list[str] = []

    def filter_open(self, queryset, name, value):
        return queryset.exclude(status=Status.CLOSED) if value else queryset.filter(status=Status.CLOSED)


class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    area = "incidents"
    queryset = Incident.objects.none()  # the real one depends on the user: get_queryset
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter

    def get_queryset(self):
        return incidents_for_api(self.request.user)

    @extend_schema(request=IncidentReportSerializer, responses={201: IncidentSerializer})
    def create(self, request):
        """Report a suspected security incident; the security team is told at once and the
        24-hour clock to notify Amazon runs from ``detected_at``."""
        data = IncidentReportSerializer(data=request.data, user=request.user)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        incident = services.incident_report(
            by=request.user,
            title=values["title"],
            description=values["description"],
            detected_at=values["detected_at"],
            systems_involved=values["systems_involved"],
            systems=values.get("systems", []),
            assets=values.get("assets", []),
            now=timezone.now(),
            request=request,
        )
        return Response(IncidentSerializer(self.get_queryset().get(pk=incident.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DetectionCorrectionSerializer, responses={200: IncidentSerializer})
    @action(detail=True, methods=["post"])
    def detection(self, request, pk=None):
        """Correct the detection time (the security lead or the incident's owner). An earlier time
        is always accepted and brings the Amazon deadline closer; a later one needs the security
        lead's fresh one-time code, which only the incident page takes: here it is refused (400)."""
        incident = self.get_object()
        if not access_for(request.user, incident).can_edit:
            deny(request._request, "not the incident's lead or owner")
            raise exceptions.PermissionDenied(
                "Only the security lead or the incident's owner may correct the detection time of an open incident."
            )
        data = DetectionCorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.detection_correct(
            incident=incident,
            by=request.user,
            detected_at=data.validated_data["detected_at"],
            reason=data.validated_data["reason"],
            stepped_up=False,  # a token carries no step-up: later times are corrected on the incident page
            now=timezone.now(),
            request=request,
        )
        return Response(IncidentSerializer(self.get_queryset().get(pk=incident.pk)).data)

"""The asset inventory (DPP 2.3) and its data stores (1.8, 2.1, 2.2, 2.4). Read by the lead,
managers and auditors; created, changed and retired by the security lead's tokens
(``assets:write``) through ``assets.services.inventory``, which checks each kind's required
fields, stores the flag count and keeps the retention obligations."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from assets.forms.inventory import owner_choices
from assets.kinds import ALL_KIND_FIELDS, COMMON_FIELDS, ROP_FORM_FIELDS, STORE_FIELDS
from assets.models import Asset, AssetKind, DataStore, Environment, StoreType
from assets.selectors import assets_for_list, data_stores_for_list
from assets.services import inventory
from grc.api.base import ApiModelSerializer, ApiViewSet, UsernameField

if TYPE_CHECKING:
    from grc.accounts.models import User

TEXT_LIMIT = {"max_length": 5000}
WRITABLE_FIELDS = ["kind", *COMMON_FIELDS, *ALL_KIND_FIELDS]


class DataStoreDetailsSerializer(ApiModelSerializer):
    class Meta:
        model = DataStore
        fields = list(STORE_FIELDS)
        extra_kwargs = {
            name: {**TEXT_LIMIT, "required": False}
            for name in ("attribution_mechanism", "key_holders", "retention_legal_basis", "backup_procedure", "restore_procedure")
        }


class AssetSerializer(ApiModelSerializer):
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    flags = serializers.SerializerMethodField(help_text="what breaks the DPP about it, in words")
    data_store = serializers.SerializerMethodField(help_text="id of its data-store details (data stores only)")

    class Meta:
        model = Asset
        fields = ["id", *WRITABLE_FIELDS, "flags", "flag_count", "data_store", "retired_at", "created_at", "updated_at"]
        read_only_fields = fields

    def get_flags(self, asset) -> list[str]:
        return asset.flags_at(self.context.get("now") or timezone.now())

    def get_data_store(self, asset) -> int | None:
        store = asset.store
        return store.pk if store is not None else None


class AssetWriteSerializer(ApiModelSerializer):
    owner = UsernameField(queryset=owner_choices(), help_text="username of the owner (not an auditor)")
    data_store = DataStoreDetailsSerializer(required=False, help_text="details of a data store (kind data_store only)")

    class Meta:
        model = Asset
        fields = [*WRITABLE_FIELDS, "data_store"]
        extra_kwargs = {
            "notes": {**TEXT_LIMIT, "required": False},
            "access_holders": {**TEXT_LIMIT, "required": False},
            "encryption_key_bits": {"min_value": 1, "max_value": 65536},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(UsernameField, self.fields["owner"]).queryset = owner_choices()
        if self.partial:
            self.fields.pop("kind")

    def validate(self, attrs):
        kind = attrs.get("kind") or getattr(self.instance, "kind", "")
        if "data_store" in attrs and kind != AssetKind.DATA_STORE:
            raise serializers.ValidationError({"data_store": "Only assets of kind data_store have data-store details."})
        return attrs


class AssetFilter(django_filters.FilterSet):
    tag = django_filters.CharFilter(help_text="exact asset id (tag)")
    kind = django_filters.ChoiceFilter(choices=AssetKind.choices)
    environment = django_filters.ChoiceFilter(choices=Environment.choices)
    owner = django_filters.CharFilter(field_name="owner__username", help_text="username of the owner")
    holds_pii = django_filters.BooleanFilter()
    flagged = django_filters.BooleanFilter(method="filter_flagged")
    state = django_filters.ChoiceFilter(choices=[("active", "in use"), ("retired", "retired")], method="filter_state")

    class Meta:
        model = Asset
        fields: list[str] = []

    def filter_flagged(self, queryset, name, value):
        return queryset.filter(flag_count__gt=0) if value else queryset.filter(flag_count=0)

    def filter_state(self, queryset, name, value):
        return queryset.filter(retired_at__isnull=value == "active")


class AssetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Assets of every kind, retired ones too (``state=active`` for those in use)."""

    area = "assets"
    serializer_class = AssetSerializer
    filterset_class = AssetFilter

    def get_queryset(self):
        return assets_for_list()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def _written(self, asset_pk: int) -> dict:
        return AssetSerializer(self.get_queryset().get(pk=asset_pk), context=self.get_serializer_context()).data

    @extend_schema(request=AssetWriteSerializer, responses={201: AssetSerializer})
    def create(self, request):
        """Add an asset (``assets:write``): ``kind`` picks the fields that apply (hardware,
        software, data_store, credential, endpoint, removable_media); a data store takes its
        details in ``data_store``. A credential's secret is never sent: only where it is kept."""
        data = AssetWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        store_data = values.pop("data_store", None)
        asset = inventory.asset_create(data=values, store_data=store_data, by=request.user, now=timezone.now(), request=request)
        return Response(self._written(asset.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=AssetWriteSerializer(partial=True), responses={200: AssetSerializer})
    def partial_update(self, request, pk=None):
        """Change some fields of an asset (its kind stays)."""
        asset = self.get_object()
        data = AssetWriteSerializer(asset, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        store_data = values.pop("data_store", None)
        inventory.asset_update(asset=asset, data=values, store_data=store_data, by=request.user, now=timezone.now(), request=request)
        return Response(self._written(asset.pk))

    @extend_schema(request=None, responses={200: AssetSerializer})
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        """Take the asset out of the inventory (disposed, decommissioned); its history stays."""
        asset = self.get_object()
        inventory.asset_retire(asset=asset, by=request.user, now=timezone.now(), request=request)
        return Response(self._written(asset.pk))


class DataStoreSerializer(ApiModelSerializer):
    asset = serializers.IntegerField(source="asset_id", read_only=True)
    tag = serializers.CharField(source="asset.tag", read_only=True)
    name = serializers.CharField(source="asset.name", read_only=True)
    owner = serializers.CharField(source="asset.owner.username", read_only=True)
    holds_pii = serializers.BooleanField(source="asset.holds_pii", read_only=True)
    holds_amazon_information = serializers.BooleanField(source="asset.holds_amazon_information", read_only=True)
    retired_at = serializers.DateTimeField(source="asset.retired_at", read_only=True)
    has_record_of_processing = serializers.BooleanField(read_only=True)

    class Meta:
        model = DataStore
        fields = [
            "id",
            "asset",
            "tag",
            "name",
            "owner",
            "holds_pii",
            "holds_amazon_information",
            "retired_at",
            *STORE_FIELDS,
            *ROP_FORM_FIELDS,
            "has_record_of_processing",
            "rop_updated_at",
        ]
        read_only_fields = fields


class DataStoreFilter(django_filters.FilterSet):
    store_type = django_filters.ChoiceFilter(choices=StoreType.choices)
    live = django_filters.BooleanFilter()
    holds_pii = django_filters.BooleanFilter(field_name="asset__holds_pii")
    tag = django_filters.CharFilter(field_name="asset__tag")

    class Meta:
        model = DataStore
        fields: list[str] = []


class DataStoreViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Data stores with their retention, encryption-key holders and record of processing (DPP 2.2)."""

    area = "assets"
    serializer_class = DataStoreSerializer
    filterset_class = DataStoreFilter

    def get_queryset(self):
        return data_stores_for_list()

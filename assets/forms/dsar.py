"""Forms and the list filter of data-subject requests (DPP 2.2)."""

from __future__ import annotations

from typing import cast

import django_filters
from django import forms
from django.db.models import F, Q
from django.utils import timezone

from assets.dsar_rules import DUE_SOON
from assets.forms.inventory import TEXTAREA, UserChoiceField
from assets.models import AssetKind, DataStore, DataSubjectRequest, DsarOutcome, DsarType
from grc.accounts.models import Role, User
from grc.classification import level_for
from grc.forms import DateTimeInput, StyledForm, StyledModelForm


def handlers():
    return User.objects.filter(is_active=True, role__in=[Role.SECURITY_LEAD, Role.MANAGER]).order_by("first_name", "last_name")


def searchable_stores():
    """Data stores of the inventory in use, PII stores first."""
    return (
        DataStore.objects.filter(asset__retired_at__isnull=True, asset__kind=AssetKind.DATA_STORE)
        .select_related("asset")
        .order_by("-asset__holds_pii", "asset__name")
    )


class StoresSearchedField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: DataStore) -> str:
        level = level_for(holds_pii=obj.asset.holds_pii, holds_amazon_information=obj.asset.holds_amazon_information)
        return f"{obj.asset.tag} {obj.asset.name} · {level.name}"


class DsarForm(StyledModelForm):
    """Record or update a request. No identity documents: only whether and how identity was checked."""

    stores_searched = StoresSearchedField(
        queryset=DataStore.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Data stores searched",
        help_text="Every store of the inventory searched for the requester's information (with its classification level).",
    )

    class Meta:
        model = DataSubjectRequest
        fields = [
            "received_at",
            "channel",
            "request_type",
            "handler",
            "authorized_user",
            "requester_name",
            "requester_contact",
            "requester_reference",
            "request_details",
            "identity_verified",
            "verification_method",
            "verification_note",
            "actions_taken",
        ]
        field_classes = {"handler": UserChoiceField}
        widgets = {
            "received_at": DateTimeInput(),
            "request_details": forms.Textarea(attrs=TEXTAREA),
            "verification_note": forms.Textarea(attrs={"rows": 2}),
            "actions_taken": forms.Textarea(attrs=TEXTAREA),
        }
        help_texts = {
            "identity_verified": "Tick once the requester's identity is verified. Never upload or keep identity documents.",
            "actions_taken": "What was exported, corrected, erased or stopped, and where.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["handler"]).queryset = handlers()
        cast(forms.ModelChoiceField, self.fields["stores_searched"]).queryset = searchable_stores()
        self.fields["verification_method"].required = False
        if self.instance.pk:
            self.initial.setdefault("stores_searched", list(self.instance.stores_searched.values_list("pk", flat=True)))
        elif not self.is_bound:
            self.initial.setdefault("received_at", timezone.localtime().replace(second=0, microsecond=0))


class ExtendForm(StyledForm):
    reason = forms.CharField(
        label="Reason for the extension",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why more time is needed (e.g. the number or complexity of requests). The requester is told this reason.",
    )
    confirm = forms.BooleanField(label="The requester is told of the extension and its reason before the original deadline.")


class RespondForm(StyledForm):
    response_sent_at = forms.DateTimeField(label="Response sent at", widget=DateTimeInput())
    outcome = forms.ChoiceField(choices=DsarOutcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How the answer was sent (e.g. secure download link, by post). Removed with the requester's details.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("response_sent_at", timezone.localtime().replace(second=0, microsecond=0))


STATES = [
    ("open", "open"),
    ("overdue", "overdue"),
    ("due_soon", f"due within {DUE_SOON.days} days"),
    ("answered", "answered"),
    ("late", "answered late"),
    ("purged", "details purged"),
]


class DsarFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=STATES, method="filter_state", empty_label="any state", label="State")
    request_type = django_filters.ChoiceFilter(choices=DsarType.choices, empty_label="any type", label="Type")

    class Meta:
        model = DataSubjectRequest
        fields: list[str] = []

    def filter_state(self, queryset, name, value):
        now = timezone.now()
        open_ = Q(response_sent_at__isnull=True)
        return {
            "open": queryset.filter(open_),
            "overdue": queryset.filter(open_, due_at__lte=now),
            "due_soon": queryset.filter(open_, due_at__gt=now, due_at__lte=now + DUE_SOON),
            "answered": queryset.filter(response_sent_at__isnull=False),
            "late": queryset.filter(response_sent_at__gt=F("due_at")),
            "purged": queryset.filter(purged_at__isnull=False),
        }.get(value, queryset)

"""Forms of deletion requests (DPP 1.7)."""

from __future__ import annotations

from typing import cast

from django import forms

from assets.forms.inventory import TEXTAREA, UserChoiceField
from assets.models import METHOD_HELP, AssetKind, DataStore, DeletionRequest, RetentionException, SanitisationMethod
from grc.accounts.models import Role, User
from grc.forms import DateInput, DateTimeInput, StyledForm, StyledModelForm


class StoreChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: DataStore) -> str:
        return f"{obj.asset.tag} {obj.asset.name}"


class StoresField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: DataStore) -> str:
        extra = " · Amazon Information" if obj.asset.holds_amazon_information else ""
        return f"{obj.asset.tag} {obj.asset.name}{extra}{'' if obj.live else ' · offline'}"


def active_stores():
    return (
        DataStore.objects.filter(asset__retired_at__isnull=True, asset__kind=AssetKind.DATA_STORE)
        .select_related("asset")
        .order_by("asset__name")
    )


def signers():
    return User.objects.filter(is_active=True, role__in=[Role.SECURITY_LEAD, Role.MANAGER]).order_by("first_name", "last_name")


class DeletionRequestForm(StyledModelForm):
    stores = StoresField(
        queryset=DataStore.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Affected data stores",
        help_text="Every store that holds the Information named in the notice (stores with Amazon Information are pre-selected).",
    )

    class Meta:
        model = DeletionRequest
        fields = ["reference", "received_at", "scope", "responsible"]
        field_classes = {"responsible": UserChoiceField}
        widgets = {"received_at": DateTimeInput(), "scope": forms.Textarea(attrs=TEXTAREA)}

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["responsible"]).queryset = signers()
        if editing:
            del self.fields["stores"]
        else:
            cast(forms.ModelChoiceField, self.fields["stores"]).queryset = active_stores()
            if not self.is_bound:
                self.initial.setdefault("stores", [s.pk for s in active_stores() if s.asset.holds_amazon_information])


class AddStoreForm(StyledForm):
    store = StoreChoiceField(queryset=DataStore.objects.none(), label="Add an affected store")

    def __init__(self, *args, exclude=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["store"]).queryset = active_stores().exclude(pk__in=list(exclude))


class PerformForm(StyledForm):
    method = forms.ChoiceField(
        choices=SanitisationMethod.choices,
        widget=forms.RadioSelect,
        label="NIST SP 800-88 method",
        help_text=" · ".join(f"{SanitisationMethod(k).label}: {v}" for k, v in METHOD_HELP.items()),
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs=TEXTAREA),
        label="What was done",
        help_text="e.g. rows deleted and table vacuumed; bucket objects and versions deleted.",
    )
    performed_by = UserChoiceField(queryset=User.objects.none(), label="Performed by")
    performed_at = forms.DateTimeField(widget=DateTimeInput(), label="Performed at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["performed_by"]).queryset = (
            User.objects.filter(is_active=True).exclude(role=Role.AUDITOR).order_by("first_name", "last_name")
        )


class VerifyForm(StyledForm):
    verified_at = forms.DateTimeField(widget=DateTimeInput(), label="Verified at")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="How it was verified",
        help_text="e.g. query for the seller's orders returns 0 rows; replica checked.",
    )


class ExceptionForm(StyledModelForm):
    class Meta:
        model = RetentionException
        fields = ["data_store", "basis", "description", "ends_on"]
        field_classes = {"data_store": StoreChoiceField}
        widgets = {"description": forms.Textarea(attrs=TEXTAREA), "ends_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["data_store"]).queryset = active_stores()


class SignForm(StyledForm):
    confirm = forms.BooleanField(
        required=True,
        label="I certify that the Information listed was securely destroyed as described, except where a legal retention is shown.",
    )

"""Forms of the inventory pages: one asset form that shows the fields of its kind, the data-store
details, the record of processing, the attestation, the retention check and the CSV upload."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from assets.kinds import KIND_LABELS, ROP_FORM_FIELDS, STORE_FIELDS, fields_for
from assets.models import Asset, AssetKind, DataStore
from grc.accounts.models import Role, User
from grc.forms import DateInput, StyledForm, StyledModelForm

TEXTAREA = {"rows": 3}


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.get_role_display()})"


def owner_choices():
    """People who can own an asset: active portal users other than auditors."""
    return User.objects.filter(is_active=True).exclude(role=Role.AUDITOR).order_by("first_name", "last_name", "username")


class AssetForm(StyledModelForm):
    """The common fields plus those of one kind (``kind`` is fixed when the form is made)."""

    class Meta:
        model = Asset
        fields = [
            "tag",
            "name",
            "owner",
            "environment",
            "location",
            "baseline_reference",
            "baseline_verified_at",
            "holds_amazon_information",
            "holds_pii",
            "notes",
            "hardware_type",
            "ownership",
            "encryption_algorithm",
            "encryption_key_bits",
            "encryption_detail",
            "anti_malware_present",
            "anti_malware_updated",
            "vendor",
            "version",
            "credential_type",
            "access_holders",
            "last_rotated_at",
            "url",
            "tls_min_version",
            "untrusted_proxy",
            "message_encryption",
        ]
        field_classes = {"owner": UserChoiceField}
        widgets = {
            "baseline_verified_at": DateInput(),
            "last_rotated_at": DateInput(),
            "notes": forms.Textarea(attrs=TEXTAREA),
            "access_holders": forms.Textarea(attrs=TEXTAREA),
        }

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        keep = set(fields_for(kind))
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = owner_choices()
        for name, (label, help_text) in KIND_LABELS.get(kind, {}).items():
            if name in self.fields:
                self.fields[name].label, self.fields[name].help_text = label, help_text
        empty_labels = {"encryption_algorithm": "none (not encrypted)", "environment": "not applicable", "tls_min_version": "not recorded"}
        for name, label in empty_labels.items():
            if name in self.fields:
                field = cast(forms.ChoiceField, self.fields[name])
                current = cast("list[tuple[Any, Any]]", field.choices)  # static choices: ChoiceField keeps them as a list
                field.choices = [("", label), *[(v, text) for v, text in current if v != ""]]
        for name in ("hardware_type", "ownership", "credential_type"):
            if name in self.fields:
                self.fields[name].required = True
        if "url" in self.fields:
            self.fields["url"].required = True
            self.fields["url"].widget.attrs["placeholder"] = "https://api.example.com/v1"


class DataStoreForm(StyledModelForm):
    prefix = "store"

    class Meta:
        model = DataStore
        fields = list(STORE_FIELDS)
        widgets = {
            "attribution_mechanism": forms.Textarea(attrs=TEXTAREA),
            "key_holders": forms.Textarea(attrs=TEXTAREA),
            "retention_legal_basis": forms.Textarea(attrs=TEXTAREA),
            "backup_procedure": forms.Textarea(attrs=TEXTAREA),
            "restore_procedure": forms.Textarea(attrs=TEXTAREA),
            "restore_tested_at": DateInput(),
        }


class RecordOfProcessingForm(StyledModelForm):
    class Meta:
        model = DataStore
        fields = list(ROP_FORM_FIELDS)
        widgets = {name: forms.Textarea(attrs=TEXTAREA) for name in ROP_FORM_FIELDS}
        help_texts = {
            "rop_collected": "e.g. SP-API Orders API, pulled every 15 minutes by the sync service.",
            "rop_processed": "e.g. label generation, tax calculation.",
            "rop_stored": "e.g. encrypted columns in the orders table, eu-west-1.",
            "rop_used": "The purposes (DPP 2.1: fulfilment, tax, legal requirements).",
            "rop_shared": "Who receives it (carriers, tax advisers), or 'not shared'.",
            "rop_disposed": "e.g. nightly purge 30 days after delivery; backups expire after 35 days.",
        }

    def clean_rop_data_fields(self) -> str:
        value = self.cleaned_data["rop_data_fields"]
        if not value.strip():
            raise forms.ValidationError("List the data fields the store holds: the record starts there.")
        return value


class KindChoiceForm(StyledForm):
    kind = forms.ChoiceField(choices=AssetKind.choices, widget=forms.RadioSelect, label="What kind of asset?")


class AttestationForm(StyledForm):
    confirm = forms.BooleanField(
        label="I confirm the assets listed are complete and current, including owners, locations, baselines and DPP flags.",
        required=True,
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text="What was checked, what changed since the last attestation (optional).",
    )


class RetentionCheckForm(StyledForm):
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. purge job log reviewed; 0 rows older than the retention period (optional).",
    )


class UploadForm(StyledForm):
    file = forms.FileField(
        label="CSV file", help_text="UTF-8 CSV with a header row; up to 10 MB. Rows match existing assets by asset id (tag)."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError("Upload a .csv file (save the spreadsheet as CSV UTF-8).")
        return upload


class ApplyForm(StyledForm):
    import_good_rows = forms.BooleanField(required=False, label="Import the good rows and skip the rows with errors")

"""Forms of the control register, built from the one schema (``grc.controls.areas``).

The form only collects what the person typed: the area's values are checked by
``control_entry_save`` (the schema's ``parse``), so a page, a CSV line and an API call are refused
with the same words, shown next to the field (``LateErrorsMixin`` marks it red).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms

from grc.accounts.forms import LateErrorsMixin
from grc.accounts.models import User
from grc.controls.access import owners
from grc.controls.areas import YES_NO, Area, Field
from grc.controls.aws.service import parse_regions
from grc.forms import DateInput, StyledForm

BLANK = ("", "—")


class OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.get_role_display()})"


class SchemaChecked:
    """A form field whose value the area's schema checks, not Django (no second set of rules)."""

    def validate(self, value: Any) -> None:
        return None


class SchemaChoiceField(SchemaChecked, forms.ChoiceField):
    pass


class SchemaMultipleChoiceField(SchemaChecked, forms.MultipleChoiceField):
    pass


class SchemaCharField(SchemaChecked, forms.CharField):
    pass


def form_field(spec: Field, *, system_names: list[str]) -> forms.Field:
    common: dict[str, Any] = {"label": spec.label, "required": spec.required, "help_text": spec.help}
    if spec.kind == "choice":
        return SchemaChoiceField(choices=[BLANK, *spec.choices], **common)  # nothing chosen for the person
    if spec.kind == "multi":
        return SchemaMultipleChoiceField(choices=spec.choices, widget=forms.CheckboxSelectMultiple, **common)
    if spec.kind == "bool":
        return SchemaChoiceField(choices=[BLANK, *YES_NO], **common)
    if spec.kind == "int":
        attrs = {"min": spec.minimum, "max": spec.maximum, "step": 1}
        return SchemaCharField(widget=forms.NumberInput(attrs=attrs), **common)
    if spec.kind == "date":
        return SchemaCharField(widget=DateInput(), **common)
    if spec.kind == "system":
        choices = [("", "— none: the system has its own settings —"), *[(name, name) for name in system_names]]
        return SchemaChoiceField(choices=choices, **common)
    return SchemaCharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=500, **common)


def initial_value(spec: Field, value: Any) -> Any:
    """A stored value as the form shows it (booleans as yes/no, numbers as text)."""
    if value is None:
        return [] if spec.kind == "multi" else ""
    if spec.kind == "bool":
        return "yes" if value else "no"
    if spec.kind in ("int", "date", "text", "system"):
        return str(value)
    return value


class ControlEntryForm(LateErrorsMixin, StyledForm):
    """Owner, "as of" and evidence; ``entry_form`` adds the area's fields. ``raw()`` is what the service parses."""

    area: Area

    owner = OwnerField(queryset=User.objects.none(), help_text="Re-attests the entry on the area's cadence; reminders go to them.")
    as_of = forms.DateField(
        label="As of", widget=DateInput(), help_text="The day these settings were true. Saving is the attestation: the clock restarts."
    )
    evidence_link = forms.URLField(
        label="Evidence link", required=False, max_length=500, assume_scheme="https", help_text="A screenshot, export or console page."
    )
    evidence_file = forms.FileField(
        label="Evidence file",
        required=False,
        help_text="PDF, image, CSV, JSON, text, HTML, XML, ZIP, XLSX or DOCX; stored with its SHA-256. Leave empty to keep the current one.",
    )

    def __init__(self, *args, values: dict[str, Any] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(OwnerField, self.fields["owner"]).queryset = owners()
        if values is not None and not self.is_bound:
            for spec in self.area.fields:
                self.initial[spec.name] = initial_value(spec, values.get(spec.name))

    @property
    def area_fields(self):
        return [self[spec.name] for spec in self.area.fields]

    @property
    def common_fields(self):
        return [self[name] for name in ("owner", "as_of", "evidence_link", "evidence_file")]

    def raw(self) -> dict[str, Any]:
        """The area's values as typed (strings, lists), for ``control_entry_save``."""
        return {spec.name: self.cleaned_data.get(spec.name) for spec in self.area.fields}


def entry_form(area: Area, *, system_names: list[str]) -> type[ControlEntryForm]:
    """The form of one area: its fields from the schema, then the common ones."""
    attrs: dict[str, Any] = {spec.name: form_field(spec, system_names=system_names) for spec in area.fields}
    attrs["area"] = area
    return type(f"{area.key.title()}EntryForm", (ControlEntryForm,), attrs)


class FilterForm(StyledForm):
    """The register's filters: one area, one status."""

    area = forms.ChoiceField(required=False, label="Area")
    status = forms.ChoiceField(required=False, label="Status")

    def __init__(self, *args, areas: list[tuple[str, str]], statuses: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["area"]).choices = [("", "All areas"), *areas]
        cast(forms.ChoiceField, self.fields["status"]).choices = [("", "Any status"), *statuses]


class UploadForm(StyledForm):
    file = forms.FileField(label="CSV file", help_text="UTF-8 CSV with a header line, up to 1 MB and 2,000 rows.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError("Choose a .csv file (save the spreadsheet as CSV UTF-8).")
        return upload


class AwsConnectionForm(StyledForm):
    """The lead's AWS connection of one system: the role to assume and the regions in scope."""

    role_arn = forms.CharField(
        label="Role ARN", max_length=600, help_text="The read-only role you created, e.g. arn:aws:iam::123456789012:role/dpp-portal-audit."
    )
    regions = forms.CharField(label="Regions", max_length=300, help_text="Comma-separated; account-wide checks run in the first.")
    enabled = forms.BooleanField(label="Collect every day", required=False, initial=True)

    def clean_regions(self) -> list[str]:
        return parse_regions(self.cleaned_data["regions"])

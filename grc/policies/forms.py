"""Forms of the policy library. The version form is built from the document type's definition,
so every type (IR plan, runbook, policy) gets its own sections without its own form class."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone

from grc.accounts.models import Role, User
from grc.forms import DateTimeInput, StyledForm, StyledModelForm
from grc.policies.models import ChangeCategory, Document, DocumentType, DocumentVersion, ReviewOutcome
from grc.policies.rules import parse_list


def signers():
    return User.objects.filter(is_active=True, role__in=[Role.SECURITY_LEAD, Role.MANAGER])


class DocumentForm(StyledModelForm):
    class Meta:
        model = Document
        fields = ["type", "title", "owner", "approver"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = signers()
        cast(forms.ModelChoiceField, self.fields["approver"]).queryset = signers()
        self.fields["owner"].help_text = "keeps the document current"
        if self.instance.pk:
            del self.fields["type"]
        else:
            type_field = cast(forms.ModelChoiceField, self.fields["type"])
            type_field.queryset = DocumentType.objects.filter(document__isnull=True)
            type_field.empty_label = None


class VersionForm(StyledForm):
    """One textarea per section and per list of the type (lists: one item per line), a number
    per numeric field (e.g. RTO/RPO), the acknowledgement setting and an optional file."""

    change_summary = forms.CharField(
        label="What changed in this version", max_length=300, required=False, help_text="Shown in the version history."
    )

    def __init__(self, *args, version: DocumentVersion, **kwargs):
        self.type = version.document.type
        initial: dict[str, Any] = {"change_summary": version.change_summary}
        initial.update({f"section_{s['key']}": version.sections.get(s["key"], "") for s in self.type.sections})
        initial.update({f"list_{e['key']}": "\n".join(version.lists.get(e["key"], [])) for e in self.type.lists})
        initial.update({f"field_{f['key']}": version.values.get(f["key"]) for f in self.type.fields})
        initial["requires_acknowledgement"] = version.requires_acknowledgement
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        fields: dict[str, forms.Field] = {}
        for section in self.type.sections:
            fields[f"section_{section['key']}"] = forms.CharField(
                label=section["title"] + ("" if section.get("required") else " (optional)"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
                help_text=section.get("help", ""),
            )
        for entry in self.type.lists:
            fields[f"list_{entry['key']}"] = forms.CharField(
                label=entry["title"],
                required=False,
                widget=forms.Textarea(attrs={"rows": 6, "class": "form-control"}),
                help_text=entry.get("help", "One item per line."),
            )
        for entry in self.type.fields:
            fields[f"field_{entry['key']}"] = forms.DecimalField(
                label=f"{entry['title']} ({entry.get('unit', 'number')})" + ("" if entry.get("required") else " (optional)"),
                required=False,
                min_value=0,
                max_digits=10,
                decimal_places=2,
                help_text=entry.get("help", ""),
            )
        fields["change_summary"] = self.fields.pop("change_summary")
        fields["requires_acknowledgement"] = forms.BooleanField(
            label="Every active member of staff must acknowledge this version once it is approved",
            required=False,
            help_text="Each person gets an obligation with reminders, due 30 days after the approval.",
        )
        fields["file"] = forms.FileField(
            label="Document file (optional)",
            required=False,
            help_text="The formatted or signed document (PDF, DOCX, ODT, Markdown, text). "
            + (f"It replaces {version.file_name}. " if version.file else "")
            + "Fill in the required sections too: a short summary or where in the file each one is.",
        )
        self.fields.clear()
        self.fields.update(fields)
        self._apply_styles()

    @property
    def section_values(self) -> dict[str, str]:
        return {s["key"]: self.cleaned_data.get(f"section_{s['key']}", "").strip() for s in self.type.sections}

    @property
    def list_values(self) -> dict[str, list[str]]:
        return {e["key"]: parse_list(self.cleaned_data.get(f"list_{e['key']}", "")) for e in self.type.lists}

    @property
    def field_values(self) -> dict[str, float | None]:
        values = {}
        for entry in self.type.fields:
            value = self.cleaned_data.get(f"field_{entry['key']}")
            values[entry["key"]] = float(value) if value is not None else None
        return values

    def _apply_styles(self) -> None:
        """The fields are built after ``StyledFormMixin`` ran: style the new widgets the same way."""
        for field in self.fields.values():
            widget = field.widget
            css = "form-check-input" if isinstance(widget, forms.CheckboxInput) else "form-control"
            if css not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class ApproveForm(StyledForm):
    confirm = forms.BooleanField(label="I have read this version and approve it as the version in force.")


class ReviewForm(StyledForm):
    outcome = forms.ChoiceField(choices=ReviewOutcome.choices, widget=forms.RadioSelect, initial=ReviewOutcome.NO_CHANGE)
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you checked, and what must change if a new version is needed. Stored encrypted.",
    )
    confirm = forms.BooleanField(label="I have reviewed and verified the document against our current systems, controls and risks.")
    # The code signs the review on this form (one step): the view checks it with the step-up's rules.
    code = forms.CharField(
        label="One-time code",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text="A fresh 6-digit code from your authenticator app, or one of your backup codes: it signs this review.",
    )

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        return code.replace(" ", "").strip()

    def clean(self):
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        if data.get("outcome") == ReviewOutcome.NEW_VERSION and not (data.get("note") or "").strip():
            self.add_error("note", "Say what must change: the new draft starts from this note.")
        return data


class MajorChangeForm(StyledForm):
    document = forms.ModelChoiceField(queryset=Document.objects.none(), label="Document to review", empty_label=None)
    summary = forms.CharField(
        label="What changed", max_length=200, help_text="e.g. moved the order database to a new cloud account. No names."
    )
    category = forms.ChoiceField(choices=ChangeCategory.choices, label="Kind of change")
    changed_at = forms.DateTimeField(label="When", widget=DateTimeInput(), help_text="When the change took (or takes) effect.")
    systems = forms.CharField(label="Systems affected", max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["document"]).queryset = Document.objects.filter(
            type__reviews_after_major_change=True
        ).select_related("type")
        if not self.is_bound:
            self.initial.setdefault("changed_at", timezone.localtime().replace(second=0, microsecond=0))

"""Forms of the assessment kit: a cadence period, the answers, a submission, a document."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from grc.accounts.models import Role, User
from grc.compliance.cadence_overrides import UNIT_LABELS, UNITS
from grc.forms import DateInput, StyledForm
from grc.kit.models import KitDocument, KitDocumentKind
from grc.kit.questionnaire.services import MAX_LIMIT, MIN_LIMIT

CLAUSES = ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "3"]


class CadenceForm(StyledForm):
    number = forms.IntegerField(label="Every", min_value=1, max_value=10000)
    unit = forms.ChoiceField(choices=[(unit, UNIT_LABELS[unit]) for unit in UNITS], label="Unit")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        max_length=500,
        help_text="Why the period changes, e.g. the DPP revision or Amazon request that asks for it. Printed in evidence packs; no names.",
    )


class AnswersForm(StyledForm):
    """One text area and one character limit per question area (fields ``answer-<key>``, ``limit-<key>``)."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            key = row.area.key
            self.fields[f"answer-{key}"] = forms.CharField(
                required=False,
                initial=row.text,
                label=row.area.question,
                widget=forms.Textarea(attrs={"rows": 6, "class": "form-control", "data-kit-answer": key, "data-limit": row.limit}),
            )
            self.fields[f"limit-{key}"] = forms.IntegerField(
                min_value=MIN_LIMIT,
                max_value=MAX_LIMIT,
                initial=row.limit,
                label="Character limit",
                widget=forms.NumberInput(attrs={"data-kit-limit": key, "class": "form-control form-control-sm kit-limit"}),
            )

    def clean(self):
        cleaned = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        for row in self.rows:
            key = row.area.key
            text, limit = cleaned.get(f"answer-{key}") or "", cleaned.get(f"limit-{key}")
            if limit and len(text.replace("\r\n", "\n").strip()) > limit:
                self.add_error(f"answer-{key}", f"{len(text.strip())} characters: shorten it to {limit} or raise the limit.")
        return cleaned

    def values(self) -> dict[str, tuple[str, int]]:
        return {
            row.area.key: (self.cleaned_data[f"answer-{row.area.key}"], self.cleaned_data[f"limit-{row.area.key}"]) for row in self.rows
        }

    def pairs(self):
        """(row, answer field, limit field) for the template."""
        return [(row, self[f"answer-{row.area.key}"], self[f"limit-{row.area.key}"]) for row in self.rows]


class SubmissionForm(StyledForm):
    submitted_on = forms.DateField(label="Submitted to Amazon on", widget=DateInput())
    label = forms.CharField(
        required=False, max_length=120, help_text="e.g. Developer profile, follow-up questions, annual assessment. No names."
    )


class KitDocumentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: KitDocument) -> str:
        return f"{obj.get_kind_display()}: {obj.title}"


class SignerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.get_role_display()})"


class DocumentForm(StyledForm):
    kind = forms.ChoiceField(choices=KitDocumentKind.choices)
    title = forms.CharField(max_length=150, help_text="e.g. Production architecture, order data flow. No names.")
    clauses = forms.MultipleChoiceField(
        choices=[(clause, f"DPP {clause}") for clause in CLAUSES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The clauses it is evidence for. Empty: the usual ones for its kind.",
    )
    file = forms.FileField(help_text="PDF, PNG, JPEG, SVG, Visio, draw.io, text or Markdown.")
    supersedes = KitDocumentChoiceField(
        queryset=KitDocument.objects.none(),
        required=False,
        empty_label="— a new document —",
        label="Replaces",
        help_text="Choose the document this is a new version of.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        supersedes = cast(KitDocumentChoiceField, self.fields["supersedes"])
        supersedes.queryset = KitDocument.objects.filter(superseded_at__isnull=True).order_by("kind", "title")


class AttestationForm(StyledForm):
    """Sign a statement: who answers for it, the evidence (a file or a link), until when."""

    owner = SignerChoiceField(queryset=User.objects.none(), help_text="The security lead or manager who answers for the statement.")
    evidence = forms.FileField(required=False, help_text="PDF, image, CSV, text, Word or Excel file.")
    evidence_url = forms.URLField(
        required=False,
        max_length=500,
        assume_scheme="https",
        label="or a link to the evidence",
        help_text="An https:// link, e.g. the change workflow.",
    )
    expires_on = forms.DateField(widget=DateInput(), help_text="At most 12 months from today; the checklist warns 30 days before.")
    confirm = forms.BooleanField(label="I confirm that this statement is true for every in-scope system today.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(SignerChoiceField, self.fields["owner"]).queryset = User.objects.filter(
            is_active=True, role__in=[Role.SECURITY_LEAD, Role.MANAGER]
        ).order_by("last_name", "first_name", "pk")

    def clean(self):
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        if not data.get("evidence") and not data.get("evidence_url") and "evidence_url" not in self.errors:
            self.add_error("evidence", "Attach the evidence or give a link to it.")
        return data


class WithdrawForm(StyledForm):
    reason = forms.CharField(max_length=300, help_text="Why the statement no longer holds. No names.")

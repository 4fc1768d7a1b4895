"""Forms of the evidence pages. They only read and check input; the services decide and write."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from grc.accounts.models import Role, User
from grc.evidence.clauses import clause_choices, scope_clauses
from grc.evidence.files import check_upload
from grc.evidence.models import Audit, AuditFinding, AuditStatus
from grc.evidence.periods import preset_periods
from grc.forms import DateInput, StyledForm, StyledModelForm

PRESET_LABELS = {
    "last_quarter": "Last quarter",
    "this_quarter": "This quarter so far",
    "last_year": "Last calendar year",
    "last_12_months": "The last 12 months",
    "custom": "Other dates",
}


class ClauseField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, allowed: list[str] | None = None, **kwargs):
        choices = [(clause, label) for clause, label in clause_choices() if allowed is None or clause in allowed]
        kwargs.setdefault("required", False)
        super().__init__(choices=choices, **kwargs)
        self.widget.attrs["class"] = "form-check-input"


class PackForm(StyledForm):
    preset = forms.ChoiceField(label="Period", choices=list(PRESET_LABELS.items()), initial="last_quarter")
    period_start = forms.DateField(label="First day", required=False, widget=DateInput())
    period_end = forms.DateField(label="Last day", required=False, widget=DateInput())
    clauses = ClauseField(label="Clauses", help_text="Leave all unticked for the whole DPP (or the whole scope of your access).")
    include_zip = forms.BooleanField(
        label="Also build a ZIP with the original evidence files (scan reports, custody files, certificates) and the manifest",
        required=False,
        initial=True,
    )

    def __init__(self, *args, today: date, scope: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.scope = scope or []
        self.fields["clauses"] = ClauseField(label="Clauses", allowed=scope_clauses(self.scope), help_text=self.fields["clauses"].help_text)
        presets = preset_periods(today)
        cast(forms.ChoiceField, self.fields["preset"]).choices = [
            (key, f"{label} ({presets[key].start:%d %b %Y} – {presets[key].end:%d %b %Y})" if key in presets else label)
            for key, label in PRESET_LABELS.items()
        ]

    def clean(self):
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        preset = data.get("preset")
        if preset == "custom":
            if not data.get("period_start") or not data.get("period_end"):
                raise ValidationError({"period_start": "Give the first and last day of the period."})
        elif preset:
            period = preset_periods(self.today)[preset]
            data["period_start"], data["period_end"] = period.start, period.end
        chosen = data.get("clauses") or []
        data["clauses"] = chosen or list(self.scope)  # nothing ticked: the whole DPP, or the whole of an auditor's scope
        return data


class VerifyForm(StyledForm):
    file = forms.FileField(
        label="The PDF (or ZIP) you received", help_text="It is hashed here and compared with every pack the portal issued; it is not kept."
    )


class GrantForm(StyledForm):
    auditor = forms.ModelChoiceField(
        queryset=User.objects.none(), help_text="An auditor account (invite the auditor with the Auditor role first)."
    )
    starts_on = forms.DateField(label="First day", widget=DateInput())
    ends_on = forms.DateField(
        label="Last day", widget=DateInput(), help_text="Access ends by itself at the end of this day (your time zone)."
    )
    clauses = ClauseField(label="Clauses in scope", help_text="Leave all unticked for the whole DPP.")
    purpose = forms.CharField(max_length=200, help_text="e.g. Amazon DPP assessment 2027. No names.")
    audit = forms.ModelChoiceField(queryset=Audit.objects.none(), required=False, help_text="The audit this access is for, if any.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["auditor"]).queryset = User.objects.filter(role=Role.AUDITOR, is_active=True).order_by(
            "last_name", "first_name"
        )
        cast(forms.ModelChoiceField, self.fields["audit"]).queryset = Audit.objects.exclude(status=AuditStatus.CLOSED).order_by(
            "-starts_on"
        )


class AuditForm(StyledModelForm):
    clauses = ClauseField(label="Clauses in scope", help_text="Leave all unticked for the whole DPP.")

    class Meta:
        model = Audit
        fields = [
            "title",
            "kind",
            "reference",
            "auditor_organisation",
            "auditor_contact",
            "starts_on",
            "ends_on",
            "clauses",
            "scope_note",
            "status",
        ]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput(), "scope_note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (value, label) for value, label in AuditStatus.choices if value != AuditStatus.CLOSED
        ]


def workforce_users():
    return User.objects.filter(is_active=True).exclude(role=Role.AUDITOR).order_by("last_name", "first_name")


class FindingForm(StyledModelForm):
    clause = forms.ChoiceField(label="DPP clause", choices=clause_choices())

    class Meta:
        model = AuditFinding
        fields = ["clause", "title", "severity", "description", "remediation_action", "owner", "due_on"]
        widgets = {
            "due_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "remediation_action": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = workforce_users()


class EvidenceForm(StyledForm):
    file = forms.FileField()
    description = forms.CharField(max_length=200, help_text="What it shows, e.g. MFA policy screenshot. No names.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_upload(upload)
        return upload


class RemediateForm(StyledForm):
    note = forms.CharField(label="What was done", widget=forms.Textarea(attrs={"rows": 3}))


class ReopenForm(StyledForm):
    due_on = forms.DateField(label="New agreed due date", widget=DateInput())
    reason = forms.CharField(label="Why the evidence was not accepted", widget=forms.Textarea(attrs={"rows": 2}))


class ApprovalForm(StyledForm):
    approver_name = forms.CharField(label="Approved by", max_length=200)
    approver_organisation = forms.CharField(label="Organisation", max_length=200)
    approved_on = forms.DateField(label="Date of the approval", widget=DateInput())
    statement = forms.CharField(label="The approval's words", widget=forms.Textarea(attrs={"rows": 3}))
    document = forms.FileField(label="The written approval", help_text="As received, e.g. the email saved as PDF.")

    def clean_document(self):
        upload = self.cleaned_data["document"]
        check_upload(upload)
        return upload


class LetterForm(StyledForm):
    addressed_to = forms.CharField(max_length=200, initial="Amazon")
    request_reference = forms.CharField(label="Amazon's written request (reference)", max_length=120, required=False)
    requested_on = forms.DateField(label="Request received on", required=False, widget=DateInput())
    confirm = forms.BooleanField(label="I have read the status and the exceptions above and sign this letter as security lead")

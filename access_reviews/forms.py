"""Forms of the access-review pages: Bootstrap-styled, errors next to the field, no writes here."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from access_reviews.imports.accounts import FIELDS
from access_reviews.imports.presets import PRESET_CHOICES
from access_reviews.models import Account, Decision, Person, PersonStatus, System
from access_reviews.rules import period_bounds, quarter_of
from grc.accounts.forms import CodeForm
from grc.accounts.models import Role, User
from grc.forms import DateInput, DateTimeInput, StyledForm, StyledModelForm

EVIDENCE_TYPES = {".pdf", ".png", ".jpg", ".jpeg"}


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.name} ({obj.person_id})"


def active_people():
    return Person.objects.filter(status=PersonStatus.ACTIVE).order_by("person_id")


def reviewers():
    return User.objects.filter(is_active=True, role__in=[Role.SECURITY_LEAD, Role.MANAGER])


class PersonForm(StyledModelForm):
    manager = PersonChoiceField(queryset=active_people(), required=False)

    class Meta:
        model = Person
        fields = ["person_id", "first_name", "last_name", "email", "manager", "user", "department", "kind", "started_at"]
        widgets = {"started_at": DateTimeInput()}
        labels = {"user": "Portal user"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["manager"]).queryset = (
            active_people().exclude(pk=self.instance.pk) if self.instance.pk else active_people()
        )
        self.fields["email"].widget = forms.EmailInput(attrs={"class": "form-control"})
        self.fields["email"].validators.append(forms.EmailField().validators[0])
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = User.objects.filter(is_active=True).order_by("username")
        self.fields["user"].help_text = "The portal user who is this person, if any."

    def clean_person_id(self) -> str:
        return self.cleaned_data["person_id"].strip()


class TerminateForm(StyledForm):
    terminated_at = forms.DateTimeField(
        label="Terminated at",
        widget=DateTimeInput(),
        help_text="When employment or the contract ended. Access must be removed within 24 hours of this time (DPP 1.2).",
    )


class SystemForm(StyledModelForm):
    class Meta:
        model = System
        fields = ["name", "description", "owner", "holds_amazon_information", "in_scope", "asset"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = reviewers().order_by("username")
        self.fields["owner"].required = True
        self.fields["owner"].help_text = "Reviews its service accounts and confirms deprovisioning."
        asset_field = cast(forms.ModelChoiceField, self.fields["asset"])
        asset_field.queryset = cast("QuerySet[Any]", asset_field.queryset).order_by("tag")  # the model field's queryset
        # the per-form label hook Django's docs show; mypy refuses assigning to a method
        asset_field.label_from_instance = lambda obj: f"{obj.tag} {obj.name}"  # type: ignore[method-assign]


class AccountForm(StyledModelForm):
    person = PersonChoiceField(queryset=Person.objects.order_by("person_id"), required=False, help_text="Empty: nobody (flagged orphan).")

    class Meta:
        model = Account
        fields = [
            "system",
            "name",
            "person",
            "is_service_account",
            "purpose",
            "is_shared",
            "privilege",
            "privileged",
            "mfa",
            "last_login_at",
            "enabled",
        ]
        widgets = {"last_login_at": DateTimeInput(), "purpose": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget = forms.TextInput(attrs={"class": "form-control"})


class UploadForm(StyledForm):
    file = forms.FileField(label="CSV file", help_text="UTF-8 CSV with a header line (comma, semicolon or tab), up to 10 MB.")
    preset = forms.ChoiceField(
        label="Where does this file come from?",
        required=False,
        choices=[("", "Guess from the header"), *PRESET_CHOICES],
        help_text="The export's tool: its columns and values (dates, statuses) are read the way it writes them.",
    )

    def __init__(self, *args, accounts: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not accounts:  # the people file has one format
            del self.fields["preset"]
        else:
            self.fields["preset"].widget.attrs["class"] = "form-select"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError("Choose a .csv file.")
        return upload


class MappingForm(StyledForm):
    """One select per field of an import (``field_table``: the accounts' or the people's
    ``FIELDS``), offering the file's columns."""

    def __init__(
        self,
        *args,
        header: list[str],
        initial_mapping: dict[str, str],
        field_table: dict[str, tuple[str, bool, tuple[str, ...]]] = FIELDS,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        choices = [("", "— not in this file —")] + [(c, c) for c in header if c]
        for target, (label, required, _names) in field_table.items():
            self.fields[target] = forms.ChoiceField(
                label=label, choices=choices, required=required, initial=initial_mapping.get(target, "")
            )
            self.fields[target].widget.attrs["class"] = "form-select"

    def mapping(self) -> dict[str, str]:
        return {target: column for target, column in self.cleaned_data.items() if column}


class ApplyForm(StyledForm):
    import_good_rows = forms.BooleanField(required=False, label="Import the good rows and skip the rows with errors")
    confirm_downgrades = forms.BooleanField(
        required=False, label="Apply the downgrades: these accounts lose privileged or MFA on, as listed above"
    )


class CampaignStartForm(StyledForm):
    period = forms.CharField(max_length=10, help_text="The quarter this review covers, e.g. 2026-Q4.")
    effective_at = forms.DateTimeField(
        label="Evidence effective at", widget=DateTimeInput(), help_text="The moment the snapshot describes (usually now)."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        now = timezone.localtime()
        self.fields["period"].initial = quarter_of(now.date())[0]
        self.fields["effective_at"].initial = now.replace(second=0, microsecond=0)

    def clean_period(self):
        try:
            return period_bounds(self.cleaned_data["period"])
        except ValueError as error:
            raise forms.ValidationError(str(error))


class DecisionForm(StyledForm):
    decision = forms.ChoiceField(choices=[("", "Decide…")] + [c for c in Decision.choices if c[0] != Decision.PENDING])
    new_privilege = forms.CharField(max_length=120, required=False, label="New privilege")
    comment = forms.CharField(max_length=1000, required=False, widget=forms.TextInput(attrs={"placeholder": "Comment"}))


class SignOffForm(CodeForm):
    """The reviewer's signature: the one-time code on the sign-off form itself (one step, no detour
    through the step-up page). ``inline``: on the review page, without taking the focus."""

    def __init__(self, *args, inline: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        code = self.fields["code"]
        code.help_text = "The 6-digit code from your authenticator app: it signs your review."
        if inline:
            code.widget.attrs.pop("autofocus", None)


class TaskConfirmForm(StyledForm):
    outcome = forms.ChoiceField(choices=[("disabled", "Disabled"), ("removed", "Removed"), ("privilege_changed", "Privilege changed")])
    when = forms.DateTimeField(label="Done at", widget=DateTimeInput(), help_text="When the account was disabled, removed or changed.")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="e.g. ticket number (optional)")

    def __init__(self, *args, reason: str, **kwargs):
        super().__init__(*args, **kwargs)
        if reason != "change":
            outcome = cast(forms.ChoiceField, self.fields["outcome"])
            outcome.choices = cast("list[tuple[str, str]]", outcome.choices)[:2]  # static choices: kept as a list
        else:
            cast(forms.ChoiceField, self.fields["outcome"]).choices = [
                ("privilege_changed", "Privilege changed"),
                ("disabled", "Disabled"),
                ("removed", "Removed"),
            ]
        self.fields["when"].initial = timezone.localtime().replace(second=0, microsecond=0)


class AccessRequestForm(StyledForm):
    requester = PersonChoiceField(queryset=active_people(), label="Person")
    system = forms.ModelChoiceField(queryset=System.objects.order_by("name"))
    privilege = forms.CharField(max_length=120, label="Privilege / role")
    privileged = forms.BooleanField(required=False, label="Administrative or otherwise elevated rights")
    justification = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Why this person needs it (need-to-know, DPP 1.3).")
    approver = forms.ModelChoiceField(queryset=reviewers().order_by("username"), help_text="The system owner or the person's manager.")

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["requester"]).queryset = active_people() if people is None else people


class RequestDecisionForm(StyledForm):
    approve = forms.TypedChoiceField(choices=[("yes", "Approve"), ("no", "Reject")], coerce=lambda v: v == "yes", widget=forms.RadioSelect)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Required when rejecting.")


class GrantForm(StyledForm):
    account = forms.ModelChoiceField(queryset=Account.objects.none(), required=False, label="Existing account")
    account_name = forms.CharField(max_length=300, required=False, label="…or the name of the new account")

    def __init__(self, *args, access_request, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["account"]).queryset = Account.objects.filter(
            system=access_request.system, person=access_request.requester, removed_at__isnull=True
        )
        # the per-form label hook Django's docs show; mypy refuses assigning to a method
        cast(forms.ModelChoiceField, self.fields["account"]).label_from_instance = lambda obj: obj.name  # type: ignore[method-assign]


class TrainingRecordForm(StyledForm):
    course = forms.CharField(max_length=200, initial="Security and data-protection awareness")
    completed_on = forms.DateField(widget=DateInput())
    evidence = forms.FileField(required=False, help_text="Certificate as PDF, PNG or JPEG.")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Or where the evidence is kept.")

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        if upload is None:
            return None
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"The file is larger than {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
        if not any(upload.name.lower().endswith(ext) for ext in EVIDENCE_TYPES):
            raise forms.ValidationError("Attach a PDF, PNG or JPEG file.")
        return upload

    def clean(self):
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data; the stubs say Optional
        if not self.errors and not data.get("evidence") and not (data.get("note") or "").strip():
            self.add_error("evidence", "Attach the certificate or describe the evidence in the note.")
        return data

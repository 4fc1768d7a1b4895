"""Forms of the risk register. Likelihood and impact are chosen from their words (1 Rare … 5
Almost certain; 1 Negligible … 5 Severe), so everyone scores against the same scale."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, cast

from django import forms
from django.db.models import Model
from django.utils import timezone

from grc.accounts.models import Role, User
from grc.forms import DateInput, DateTimeInput, StyledForm, StyledModelForm
from grc.risks.models import ReviewDecision, Risk
from grc.risks.rules import IMPACT, LIKELIHOOD, MAX_ACCEPTANCE_MONTHS
from grc.risks.services.register import LEVEL_FIELDS, clause_catalogue, levels_problems

LEVEL_SCALES = {
    "inherent_likelihood": LIKELIHOOD,
    "inherent_impact": IMPACT,
    "residual_likelihood": LIKELIHOOD,
    "residual_impact": IMPACT,
}


def related_model(name: str) -> type[Model]:
    """The model of one of the risk's many-to-many fields (the register imports no domain app)."""
    model = Risk._meta.get_field(name).related_model
    assert isinstance(model, type)  # a model class, never the "self" placeholder
    return model


def signers():
    """Senior management: active security leads and managers."""
    return User.objects.filter(is_active=True, role__in=[Role.SECURITY_LEAD, Role.MANAGER]).order_by("first_name", "last_name", "pk")


def workforce():
    return User.objects.filter(is_active=True, role__in=[Role.SECURITY_LEAD, Role.MANAGER, Role.STAFF]).order_by("first_name", "last_name")


def level_choices(scale, *, blank: bool = False, short: bool = False) -> list[tuple]:
    choices = [(n, str(level) if short else f"{level} — {level.description}") for n, level in scale.items()]
    return [("", "—"), *choices] if blank else choices


def level_field(name: str, *, required: bool = True, short: bool = False) -> forms.TypedChoiceField:
    scale = LEVEL_SCALES[name]
    return forms.TypedChoiceField(
        label=name.replace("_", " ").capitalize(),
        choices=level_choices(scale, blank=not required, short=short),
        coerce=int,
        empty_value=None,
        required=required,
        widget=forms.Select(attrs={"data-level": name}),
    )


class RiskForm(StyledModelForm):
    clauses = forms.MultipleChoiceField(label="DPP clauses touched", required=False, widget=forms.CheckboxSelectMultiple)
    source = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Risk
        fields = [
            "title",
            "owner",
            "description",
            "threat",
            "vulnerability",
            "affected_assets",
            "affected_systems",
            "other_systems",
            "clauses",
            "inherent_likelihood",
            "inherent_impact",
            "existing_controls",
            "residual_likelihood",
            "residual_impact",
            "treatment",
            "treatment_plan",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "threat": forms.Textarea(attrs={"rows": 2}),
            "vulnerability": forms.Textarea(attrs={"rows": 2}),
            "existing_controls": forms.Textarea(attrs={"rows": 3}),
            "treatment_plan": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in LEVEL_FIELDS:
            self.fields[name] = level_field(name)
            self.fields[name].widget.attrs["class"] = "form-select"
        cast(forms.ChoiceField, self.fields["clauses"]).choices = [(clause, f"{clause} {title}") for clause, title in clause_catalogue()]
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = signers()
        self.fields["owner"].help_text = "Keeps the risk current and its treatment moving."
        assets = related_model("affected_assets")._default_manager.filter(retired_at__isnull=True).order_by("tag")
        cast(forms.ModelChoiceField, self.fields["affected_assets"]).queryset = assets
        self.fields["affected_assets"].help_text = "From the asset inventory (DPP 2.3). Hold Ctrl or ⌘ to choose several."
        systems = related_model("affected_systems")._default_manager.order_by("name")
        cast(forms.ModelChoiceField, self.fields["affected_systems"]).queryset = systems
        self.fields["affected_systems"].help_text = "From the access-review registry. Hold Ctrl or ⌘ to choose several."
        for name in ("affected_assets", "affected_systems"):
            self.fields[name].widget.attrs["size"] = 6
        self.fields[
            "treatment"
        ].help_text = (
            "Mitigate, transfer or avoid: add actions with owners and due dates. Accept: ask for approval with a rationale and an expiry."
        )
        if self.instance.pk:
            del self.fields["source"]

    def clean(self):
        data = cast(dict[str, Any], super().clean())  # ModelForm.clean returns cleaned_data
        if all(data.get(name) is not None for name in LEVEL_FIELDS):
            for field, message in levels_problems(data).items():
                self.add_error(field, message)
        return data


class CloseForm(StyledForm):
    reason = forms.CharField(label="Why it no longer applies", max_length=300, help_text="e.g. the legacy webhook was retired. No names.")


class ActionForm(StyledForm):
    title = forms.CharField(label="Action", max_length=200, help_text="What will be done. No names.")
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label="Owner")
    due_at = forms.DateTimeField(label="Due", widget=DateTimeInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = workforce()


class ActionCloseForm(StyledForm):
    note = forms.CharField(label="Note", max_length=300, required=False)


class AcceptanceRequestForm(StyledForm):
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why the risk is tolerable as it is: the controls in place, the cost of more, the business reason. Stored encrypted.",
    )
    expires_on = forms.DateField(
        label="Accepted until",
        widget=DateInput(),
        help_text=f"The acceptance must be revisited by then: at most {MAX_ACCEPTANCE_MONTHS} months from today.",
    )

    def clean_expires_on(self):
        """The start of that day in the user's time zone (so 12 months from today is allowed)."""
        day = self.cleaned_data["expires_on"]
        return timezone.make_aware(datetime.combine(day, time(0, 0)), timezone.get_current_timezone())


class AcceptanceDecisionForm(StyledForm):
    decision = forms.ChoiceField(
        choices=[
            ("approve", "Approve: the risk is accepted until the date asked for"),
            ("reject", "Reject: the risk needs another treatment"),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="Note", max_length=300, required=False, help_text="Required when you reject. No names.")

    def clean(self):
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", "Say why the acceptance is rejected.")
        return data


class ReviewStartForm(StyledForm):
    title = forms.CharField(max_length=120, required=False, help_text="Default: “Annual risk review” and the year.")
    approvers = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Senior-management approvers",
        help_text="Each of them confirms or re-scores the risks and signs the review with a one-time code.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["approvers"]).queryset = signers()


class ItemDecisionForm(StyledForm):
    decision = forms.ChoiceField(choices=[(ReviewDecision.CONFIRMED, "Confirm"), (ReviewDecision.RESCORED, "Re-score")])
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Stored encrypted.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in LEVEL_FIELDS:
            self.fields[name] = level_field(name, required=False, short=True)
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"

    @property
    def levels(self) -> dict[str, int | None]:
        return {name: self.cleaned_data.get(name) for name in LEVEL_FIELDS}


class ReviewSignForm(StyledForm):
    note = forms.CharField(
        label="Conclusions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What senior management concluded: appetite, priorities, resources. Stored encrypted.",
    )
    confirm = forms.BooleanField(
        label="I have reviewed every open risk of the register, its likelihood, impact and treatment, and approve this assessment."
    )

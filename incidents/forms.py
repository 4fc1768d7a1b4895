"""Forms of the incident pages. Rules that need the database or ``now`` live in the services;
these forms check shapes and say what is wrong next to the field."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.db.models import Model
from django.utils import timezone

from grc.accounts.models import Role, User
from grc.forms import DateTimeInput, StyledForm
from incidents.models import AmazonInvolved, Incident, NotificationMethod, Severity


def _now_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


def not_in_future(value, what: str):
    """Times of things that already happened cannot lie ahead (the services check it again)."""
    if value is not None and value > timezone.now():
        raise forms.ValidationError(f"The {what} cannot be in the future.")
    return value


def register_fields(form, *, user=None) -> None:
    """Multi-selects of the systems register (access reviews) and the asset inventory.

    Staff pick among all systems and the assets they own; the security team among all assets.
    """
    System = cast("type[Model]", Incident._meta.get_field("systems").related_model)
    Asset = cast("type[Model]", Incident._meta.get_field("assets").related_model)
    assets = Asset._default_manager.order_by("tag")  # Asset.objects (no custom manager)
    if user is not None and user.role == Role.STAFF:
        assets = assets.filter(owner=user)
    form.fields["systems"] = forms.ModelMultipleChoiceField(
        queryset=System._default_manager.order_by("name"),
        required=False,
        label="Systems involved",
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 5}),
        help_text="From the systems register. Hold Ctrl (⌘ on a Mac) to pick several.",
    )
    form.fields["assets"] = forms.ModelMultipleChoiceField(
        queryset=assets,
        required=False,
        label="Assets involved",
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 5}),
        help_text="From the asset inventory (laptops, servers, data stores …).",
    )
    form.order_fields([name for name in form.fields if name != "systems_involved"] + ["systems_involved"])


def workforce():
    return User.objects.filter(is_active=True).exclude(role=Role.AUDITOR)


class ReportForm(StyledForm):
    title = forms.CharField(
        max_length=200, help_text="A short label, e.g. “Suspicious logins on the order API”. No names or contact details."
    )
    description = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What you saw, where and when. Stored encrypted; only the security team and auditors read it.",
    )
    detected_at = forms.DateTimeField(
        label="When it was detected", widget=DateTimeInput(), help_text="Amazon must be told within 24 hours of this moment."
    )
    systems_involved = forms.CharField(
        label="Other systems involved",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Anything not in the lists above, one per line, if you know.",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        register_fields(self, user=user)
        if not self.is_bound:
            self.initial.setdefault("detected_at", _now_minute())

    def clean_detected_at(self):
        return not_in_future(self.cleaned_data.get("detected_at"), "detection time")


class TriageForm(StyledForm):
    incident_type = forms.ChoiceField(label="Incident type")
    severity = forms.ChoiceField(choices=[("", "—")] + list(Severity.choices))
    amazon_involved = forms.ChoiceField(
        label="Is Amazon Information involved?", choices=AmazonInvolved.choices, widget=forms.RadioSelect, initial=AmazonInvolved.UNKNOWN
    )
    amazon_not_involved_reason = forms.CharField(
        label="Why Amazon Information is not involved",
        max_length=300,
        required=False,
        help_text="Required when the answer is No: it is recorded instead of the notification. No names.",
    )
    owner = forms.ModelChoiceField(queryset=User.objects.none(), help_text="Runs the investigation and is reminded of the 24-hour clock.")
    detected_at = forms.DateTimeField(
        label="Detected at",
        widget=DateTimeInput(),
        help_text="Correct it if the report was wrong: the clock follows. Earlier is always possible; later only with a reason "
        "and a fresh one-time code, and never after the report time.",
    )
    detection_reason = forms.CharField(
        label="Why the detection time changes",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to move it later. Shown on the incident and in the evidence pack; stored encrypted.",
    )

    def __init__(self, *args, types: list[str], current_type: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        choices = list(types)
        if current_type and current_type not in choices:
            choices.append(current_type)  # a type from an earlier plan version stays valid on this incident
        cast(forms.ChoiceField, self.fields["incident_type"]).choices = [("", "—")] + [(t, t) for t in choices]
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = workforce()

    # the detection time is checked by the one rule (``incidents.clock.detection_change_refusal``)
    # in ``services.detection_correct``; its refusal is shown next to the field

    def clean(self):
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data; the stubs say Optional
        if data.get("amazon_involved") == AmazonInvolved.NO and not (data.get("amazon_not_involved_reason") or "").strip():
            self.add_error("amazon_not_involved_reason", "Record why Amazon Information is not involved: it replaces the notification.")
        return data


class DetectionForm(StyledForm):
    """Correct the detection time (the start of the 24-hour clock); the service applies the rule."""

    detected_at = forms.DateTimeField(label="Detected at", widget=DateTimeInput())
    reason = forms.CharField(
        label="Why it changes",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required to move it later. Shown on the incident and in the evidence pack; stored encrypted.",
    )


class InvestigationForm(StyledForm):
    title = forms.CharField(max_length=200)
    description = forms.CharField(label="What happened", widget=forms.Textarea(attrs={"rows": 5}))
    systems_involved = forms.CharField(
        label="Other systems involved",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Not in the registers; one per line.",
    )
    actions_taken = forms.CharField(
        label="Actions taken so far",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Containment and response; goes into the notification to Amazon, so write it without names.",
    )
    remediation_actions = forms.CharField(label="Remediation actions", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    corrective_controls = forms.CharField(
        label="Corrective process/system controls",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What was put in place to prevent it happening again (DPP 1.6).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        register_fields(self)
        self.order_fields(["title", "description", "systems", "assets", "systems_involved"])


class AdvanceForm(StyledForm):
    note = forms.CharField(
        label="Note for the timeline", required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Stored encrypted."
    )


class DraftForm(StyledForm):
    subject = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 20, "class": "font-monospace"}))


class RecordNotificationForm(StyledForm):
    sent_at = forms.DateTimeField(label="Sent at", widget=DateTimeInput())
    method = forms.ChoiceField(choices=NotificationMethod.choices, initial=NotificationMethod.EMAIL)
    amazon_reference = forms.CharField(
        label="Amazon's reference", max_length=120, required=False, help_text="The ticket or case number Amazon gave, if any."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("sent_at", _now_minute())

    def clean_sent_at(self):
        return not_in_future(self.cleaned_data.get("sent_at"), "sending time")


class RegulatoryForm(StyledForm):
    authority = forms.CharField(max_length=200, help_text="e.g. the national data protection authority")
    notified_at = forms.DateTimeField(label="Notified at", widget=DateTimeInput())
    reference = forms.CharField(max_length=120, required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Stored encrypted.")
    on_behalf_of_amazon = forms.BooleanField(
        label="This notification speaks on behalf of Amazon",
        required=False,
        help_text="Only when Amazon has asked us in writing (DPP 1.6).",
    )
    amazon_written_request = forms.CharField(label="Reference of Amazon's written request", max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("notified_at", _now_minute())

    def clean_notified_at(self):
        return not_in_future(self.cleaned_data.get("notified_at"), "notification time")

    def clean(self):
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data; the stubs say Optional
        if data.get("on_behalf_of_amazon") and not (data.get("amazon_written_request") or "").strip():
            self.add_error(
                "amazon_written_request", "We may speak for Amazon only when Amazon asked in writing: give the reference of that request."
            )
        return data


class EvidenceForm(StyledForm):
    label = forms.CharField(label="What it is", max_length=200, help_text="e.g. web server access log, 10 March 08:00-12:00 UTC. No names.")
    upload = forms.FileField(label="File", required=False, help_text="Leave empty for a physical item and describe it below.")
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For a physical item: what it is and where it is kept. Stored encrypted.",
    )
    collected_by = forms.ModelChoiceField(queryset=User.objects.none())
    collected_at = forms.DateTimeField(label="Collected at", widget=DateTimeInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["collected_by"]).queryset = workforce()
        limit = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
        self.fields["upload"].help_text = f"Up to {limit} MB; its SHA-256 is taken on upload. " + self.fields["upload"].help_text
        if not self.is_bound:
            self.initial.setdefault("collected_at", _now_minute())

    def clean_collected_at(self):
        return not_in_future(self.cleaned_data.get("collected_at"), "collection time")

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload is not None and upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"The file is larger than the limit of {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
        return upload

    def clean(self):
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data; the stubs say Optional
        if not data.get("upload") and not (data.get("description") or "").strip() and "upload" not in self.errors:
            self.add_error("description", "Describe the physical item (what it is, where it is kept), or upload a file.")
        return data


class CustodyForm(StyledForm):
    from_party = forms.CharField(label="From", max_length=200, help_text="Who hands it over (person or organisation).")
    to_party = forms.CharField(label="To", max_length=200)
    at = forms.DateTimeField(label="When", widget=DateTimeInput())
    purpose = forms.CharField(max_length=200, help_text="e.g. forensic imaging, legal hold, returned to the evidence safe")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("at", _now_minute())

    def clean_at(self):
        return not_in_future(self.cleaned_data.get("at"), "hand-over time")

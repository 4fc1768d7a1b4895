"""Forms of the audit pages: the viewer's filters, alarm status, log review, canary marking."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from grc.audit.alarms import TRANSITIONS
from grc.audit.canaries import canary_subject_types
from grc.audit.models import Alarm, AlarmRule, AlarmStatus, Channel, Outcome
from grc.audit.selectors import EventFilters
from grc.forms import DateTimeInput, StyledForm

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as User  # the AUTH_USER_MODEL (the stubs' alias): audit sits below accounts

SMALL_INPUT = {"class": "form-control form-control-sm"}
SMALL_SELECT = {"class": "form-select form-select-sm"}


class ActorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user: User) -> str:
        return f"{user.get_full_name() or user.username} ({user.username})"


class EventFilterForm(forms.Form):
    """The viewer's filters (GET). Rendered by ``partials/filter_form.html``."""

    since = forms.DateTimeField(label="From", required=False, widget=DateTimeInput(attrs=SMALL_INPUT))
    until = forms.DateTimeField(label="To", required=False, widget=DateTimeInput(attrs=SMALL_INPUT))
    actor = ActorChoiceField(
        label="Actor",
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        empty_label="Anyone",
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    action = forms.CharField(
        label="Action",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={**SMALL_INPUT, "placeholder": "accounts.login_failed or accounts."}),
    )
    outcome = forms.ChoiceField(
        label="Outcome", required=False, choices=[("", "Any")] + Outcome.choices, widget=forms.Select(attrs=SMALL_SELECT)
    )
    object_type = forms.CharField(
        label="Object type",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={**SMALL_INPUT, "placeholder": "incidents.incident"}),
    )
    object_id = forms.CharField(label="Object id", required=False, max_length=64, widget=forms.TextInput(attrs={**SMALL_INPUT, "size": 6}))
    channel = forms.ChoiceField(
        label="Channel", required=False, choices=[("", "Any")] + Channel.choices, widget=forms.Select(attrs=SMALL_SELECT)
    )

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            self.add_error("until", "The end of the range must be after its start.")
        return data

    def filters(self) -> EventFilters:
        """The valid filters (an invalid form filters nothing and shows its errors)."""
        if not self.is_bound or not self.is_valid():
            return EventFilters()
        data = self.cleaned_data
        return EventFilters(
            since=data.get("since"),
            until=data.get("until"),
            actor_id=data["actor"].pk if data.get("actor") else None,
            action=(data.get("action") or "").strip(),
            outcome=data.get("outcome") or "",
            object_type=(data.get("object_type") or "").strip().lower(),
            object_id=(data.get("object_id") or "").strip(),
            channel=data.get("channel") or "",
        )


class AlarmFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        label="Status",
        choices=[("active", "Open or investigating")] + AlarmStatus.choices,
        empty_label="Any status",
        method="filter_state",
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    rule = django_filters.ChoiceFilter(choices=AlarmRule.choices, empty_label="Any rule", widget=forms.Select(attrs=SMALL_SELECT))

    class Meta:
        model = Alarm
        fields = ["state", "rule"]

    def filter_state(self, queryset: QuerySet[Alarm], name: str, value: str) -> QuerySet[Alarm]:
        if value == "active":
            return queryset.filter(status__in=[AlarmStatus.OPEN, AlarmStatus.INVESTIGATING])
        return queryset.filter(status=value)


class AlarmStatusForm(StyledForm):
    status = forms.ChoiceField(label="New status", choices=())
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you looked at and found; required to close. Stored encrypted, never copied into the trail.",
    )

    def __init__(self, *args: Any, alarm: Alarm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = TRANSITIONS.get(alarm.status, set())
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (value, label) for value, label in AlarmStatus.choices if value in allowed
        ]


class LogReviewForm(StyledForm):
    period_start = forms.DateTimeField(label="Period from", widget=DateTimeInput())
    period_end = forms.DateTimeField(label="Period to", widget=DateTimeInput())
    note = forms.CharField(
        label="What you reviewed and found",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="E.g. failed sign-ins, denials, downloads and the alarms of the period; anything unusual and what you did. Stored encrypted.",
    )


class CanaryMarkForm(StyledForm):
    subject_type = forms.ChoiceField(label="Kind of record", choices=())
    subject_id = forms.CharField(label="Record id", max_length=64)
    note = forms.CharField(
        label="Note (optional)", required=False, max_length=500, help_text="Why this record is a canary. Stored encrypted."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["subject_type"]).choices = [("", "Choose …")] + canary_subject_types()

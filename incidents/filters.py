"""Filters of the incident list (django-filter, rendered by ``partials/filter_form.html``)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from incidents.models import AmazonInvolved, Incident, Severity, Status

SMALL_INPUT = {"class": "form-control form-control-sm"}
SMALL_SELECT = {"class": "form-select form-select-sm"}
STATE_CHOICES = [("open", "Open"), ("closed", "Closed"), ("clock_running", "Amazon clock running"), ("overdue", "Amazon clock overdue")]


class IncidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Title or reference", method="filter_q", widget=forms.TextInput(attrs=SMALL_INPUT))
    state = django_filters.ChoiceFilter(
        label="State", choices=STATE_CHOICES, empty_label="Any state", method="filter_state", widget=forms.Select(attrs=SMALL_SELECT)
    )
    status = django_filters.ChoiceFilter(choices=Status.choices, empty_label="Any step", widget=forms.Select(attrs=SMALL_SELECT))
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label="Any severity", widget=forms.Select(attrs=SMALL_SELECT))
    amazon_involved = django_filters.ChoiceFilter(
        label="Amazon Information", choices=AmazonInvolved.choices, empty_label="Any", widget=forms.Select(attrs=SMALL_SELECT)
    )

    class Meta:
        model = Incident
        fields = ["q", "state", "status", "severity", "amazon_involved"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        reference = value.upper().removeprefix("INC-").lstrip("0")
        condition = Q(title__icontains=value)
        if reference.isdigit():
            condition |= Q(pk=int(reference))
        return queryset.filter(condition)

    def filter_state(self, queryset, name, value):
        running = Q(amazon_notification__sent_at__isnull=True) & ~Q(amazon_involved=AmazonInvolved.NO)
        if value == "open":
            return queryset.exclude(status=Status.CLOSED)
        if value == "closed":
            return queryset.filter(status=Status.CLOSED)
        if value == "clock_running":
            return queryset.filter(running)
        if value == "overdue":
            return queryset.filter(running, notification_due_at__lte=timezone.now())
        return queryset

"""Filters of the list pages (django-filter), rendered by partials/filter_form.html."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils import timezone

from access_reviews.flags import FLAG_FIELDS, Flag
from access_reviews.models import Account, Decision, DeprovisionTask, Person, PersonKind, PersonStatus, ReviewRow, System
from grc.widgets import PlainSelect, plain_choices

FLAG_CHOICES = [("any", "any flag"), ("none", "no flag")] + [(flag.value, flag.label) for flag in Flag]


def filter_flag(queryset, name, value):
    if value == "any":
        return queryset.filter(flag_count__gt=0)
    if value == "none":
        return queryset.filter(flag_count=0)
    field = FLAG_FIELDS.get(Flag(value)) if value in Flag._value2member_map_ else None
    return queryset.filter(**{field: True}) if field else queryset


class PersonFilter(django_filters.FilterSet):
    person_id = django_filters.CharFilter(lookup_expr="icontains", label="Person id")
    department = django_filters.CharFilter(lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(empty_label="any", choices=PersonKind.choices, label="Type")
    status = django_filters.ChoiceFilter(empty_label="any", choices=PersonStatus.choices)

    class Meta:
        model = Person
        fields = ["person_id", "department", "kind", "status"]


class AccountFilter(django_filters.FilterSet):
    system = django_filters.ModelChoiceFilter(empty_label="any", queryset=System.objects.order_by("name"))
    flag = django_filters.ChoiceFilter(empty_label="any", choices=FLAG_CHOICES, method="filter_flag", label="Flag")
    state = django_filters.ChoiceFilter(
        empty_label="any",
        choices=[("enabled", "enabled"), ("disabled", "disabled"), ("removed", "removed")],
        method="filter_state",
        label="State",
    )

    class Meta:
        model = Account
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the system names from one values query (no system's encrypted texts read), one-pass <select>
        plain_choices(self.form.fields["system"], System.objects.order_by("name").values_list("pk", "name"))

    def filter_flag(self, queryset, name, value):
        return filter_flag(queryset, name, value)

    def filter_state(self, queryset, name, value):
        if value == "removed":
            return queryset.filter(removed_at__isnull=False)
        return queryset.filter(removed_at__isnull=True, enabled=value == "enabled")


REVIEW_SELECT = {"class": "form-select form-select-sm"}


class ReviewRowFilter(django_filters.FilterSet):
    """The review page's filters, styled like the other list pages (small selects, PlainSelect)."""

    flag = django_filters.ChoiceFilter(
        empty_label="any", choices=FLAG_CHOICES, method="filter_flag", label="Flag", widget=PlainSelect(attrs=REVIEW_SELECT)
    )
    decision = django_filters.ChoiceFilter(
        empty_label="any",
        choices=[("decided", "Decided")] + list(Decision.choices),
        method="filter_decision",
        widget=PlainSelect(attrs=REVIEW_SELECT),
    )
    system = django_filters.ModelChoiceFilter(
        empty_label="any", queryset=System.objects.only("pk", "name").order_by("name"), widget=forms.Select(attrs=REVIEW_SELECT)
    )

    class Meta:
        model = ReviewRow
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the systems' names only, in one query (no model instances, no encrypted description)
        plain_choices(self.form.fields["system"], System.objects.order_by("name").values_list("pk", "name"))

    def filter_flag(self, queryset, name, value):
        return filter_flag(queryset, name, value)

    def filter_decision(self, queryset, name, value):
        if value == "decided":
            return queryset.exclude(decision=Decision.PENDING)
        return queryset.filter(decision=value)


class TaskFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        empty_label="any", choices=[("open", "open"), ("overdue", "overdue"), ("closed", "closed")], method="filter_state"
    )
    system = django_filters.ModelChoiceFilter(empty_label="any", queryset=System.objects.order_by("name"), field_name="account__system")

    class Meta:
        model = DeprovisionTask
        fields: list[str] = []

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(closed_at__isnull=True)
        if value == "overdue":
            return queryset.filter(closed_at__isnull=True, due_at__lte=timezone.now())
        return queryset.filter(closed_at__isnull=False)


__all__ = ["AccountFilter", "PersonFilter", "ReviewRowFilter", "TaskFilter"]

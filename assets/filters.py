"""Filters of the list pages (django-filter), rendered by partials/filter_form.html."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone

from assets.forms.inventory import UserChoiceField, owner_choices
from assets.models import Asset, AssetKind, Environment, Finding, FindingStatus, Severity

YES_NO = [("yes", "yes"), ("no", "no")]


class UserFilter(django_filters.ModelChoiceFilter):
    field_class = UserChoiceField


class AssetFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    kind = django_filters.ChoiceFilter(choices=AssetKind.choices, empty_label="any kind")
    owner = UserFilter(queryset=owner_choices(), empty_label="anyone")
    environment = django_filters.ChoiceFilter(choices=Environment.choices, empty_label="any")
    flagged = django_filters.ChoiceFilter(choices=YES_NO, method="filter_flagged", label="Flagged", empty_label="any")
    pii = django_filters.ChoiceFilter(choices=YES_NO, method="filter_pii", label="Holds PII", empty_label="any")
    state = django_filters.ChoiceFilter(
        choices=[("active", "in use"), ("retired", "retired"), ("all", "all")], method="filter_state", label="State", empty_label="in use"
    )

    class Meta:
        model = Asset
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["owner"].queryset = owner_choices()
        self.form.fields["q"].widget.attrs["placeholder"] = "id or name"

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(tag__icontains=value) | Q(name__icontains=value))

    def filter_flagged(self, queryset, name, value):
        return queryset.filter(flag_count__gt=0) if value == "yes" else queryset.filter(flag_count=0)

    def filter_pii(self, queryset, name, value):
        return queryset.filter(holds_pii=value == "yes")

    def filter_state(self, queryset, name, value):
        """The view shows assets in use unless ``state`` asks otherwise (see ``views.inventory.asset_list``)."""
        if value == "retired":
            return queryset.filter(retired_at__isnull=False)
        if value == "active":
            return queryset.filter(retired_at__isnull=True)
        return queryset


class FindingFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[("overdue", "overdue"), *FindingStatus.choices], method="filter_status", empty_label="any status"
    )
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label="any severity")
    owner = UserFilter(queryset=owner_choices(), empty_label="anyone")

    class Meta:
        model = Finding
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["owner"].queryset = owner_choices()

    def filter_status(self, queryset, name, value):
        if value == "overdue":
            return queryset.filter(status=FindingStatus.OPEN, due_at__lte=timezone.now())
        return queryset.filter(status=value)

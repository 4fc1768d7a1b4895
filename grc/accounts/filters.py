"""Filters of the Users table (django-filter, rendered by ``partials/filter_form.html``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from grc.accounts.lockout import locked_usernames
from grc.accounts.models import Role, User

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations  # a dev dependency (django-stubs): annotations only

SMALL_INPUT = {"class": "form-control form-control-sm"}
SMALL_SELECT = {"class": "form-select form-select-sm"}

STATE_CHOICES = [
    ("active", "Active"),
    ("deactivated", "Deactivated"),
    ("locked", "Locked"),
    ("expired", "Access ended"),
]
MFA_CHOICES = [("yes", "Enrolled"), ("no", "Not enrolled")]


class HasMfa(TypedDict):
    """The annotation of the Users table's queryset (``grc.accounts.user_views.users_with_mfa``)."""

    has_mfa: bool


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Name or username", method="filter_q", widget=forms.TextInput(attrs=SMALL_INPUT))
    role = django_filters.ChoiceFilter(choices=Role.choices, empty_label="Any role", widget=forms.Select(attrs=SMALL_SELECT))
    state = django_filters.ChoiceFilter(
        label="State", choices=STATE_CHOICES, empty_label="Any state", method="filter_state", widget=forms.Select(attrs=SMALL_SELECT)
    )
    mfa = django_filters.ChoiceFilter(
        label="MFA", choices=MFA_CHOICES, empty_label="Any", method="filter_mfa", widget=forms.Select(attrs=SMALL_SELECT)
    )

    class Meta:
        model = User
        fields = ["q", "role", "state", "mfa"]

    def filter_q(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        for word in value.split():
            queryset = queryset.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(username__icontains=word))
        return queryset

    def filter_state(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        now = timezone.now()
        if value == "active":
            return queryset.filter(is_active=True).exclude(access_expires_at__lte=now)
        if value == "deactivated":
            return queryset.filter(is_active=False)
        if value == "expired":
            return queryset.filter(access_expires_at__lte=now)
        if value == "locked":
            return queryset.filter(username__in=locked_usernames(now))
        return queryset

    def filter_mfa(
        self, queryset: QuerySet[WithAnnotations[User, HasMfa]], name: str, value: str
    ) -> QuerySet[WithAnnotations[User, HasMfa]]:
        return queryset.filter(has_mfa=value == "yes")

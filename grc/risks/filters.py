"""Filters of the register (django-filter, rendered by ``partials/filter_form.html``).

``cell_filters`` reads ``inherent`` and ``residual``: a heat-map cell as ``<likelihood>-<impact>``
(a click on the heat map), kept apart from the form so the form shows no hidden fields; ``flag`` uses the SQL twins of the pure flag rules (``selectors.flag_q``), so the
queryset must come from ``selectors.register_queryset``.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from grc.risks import rules
from grc.risks.forms import signers
from grc.risks.models import Risk, RiskStatus, SourceType, Treatment
from grc.risks.selectors import flag_q
from grc.risks.services.register import clause_catalogue

SMALL_INPUT = {"class": "form-control form-control-sm"}
SMALL_SELECT = {"class": "form-select form-select-sm"}
STATUS_CHOICES = [("closed", "Closed"), ("all", "Open and closed")]  # empty: open (the default)
BAND_CHOICES = [(band.value, band.value.title()) for band in rules.Band]
BAND_RANGES = {rules.Band.LOW: (1, 4), rules.Band.MEDIUM: (5, 9), rules.Band.HIGH: (10, 16), rules.Band.CRITICAL: (17, 25)}
FLAG_CHOICES = [(flag.value, flag.label.capitalize()) for flag in rules.Flag]


def parse_cell(value: str) -> tuple[int, int] | None:
    likelihood, _, impact = (value or "").partition("-")
    if likelihood.isdigit() and impact.isdigit() and int(likelihood) in rules.LEVELS and int(impact) in rules.LEVELS:
        return int(likelihood), int(impact)
    return None


class RiskFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Title or reference", method="filter_q", widget=forms.TextInput(attrs=SMALL_INPUT))
    status = django_filters.ChoiceFilter(
        label="Status", choices=STATUS_CHOICES, empty_label="Open", method="filter_status", widget=forms.Select(attrs=SMALL_SELECT)
    )
    flag = django_filters.ChoiceFilter(
        label="Flag", choices=FLAG_CHOICES, empty_label="Any", method="filter_flag", widget=forms.Select(attrs=SMALL_SELECT)
    )
    band = django_filters.ChoiceFilter(
        label="Residual band", choices=BAND_CHOICES, empty_label="Any", method="filter_band", widget=forms.Select(attrs=SMALL_SELECT)
    )
    treatment = django_filters.ChoiceFilter(
        choices=[("none", "Not decided"), *[c for c in Treatment.choices if c[0]]],
        empty_label="Any treatment",
        method="filter_treatment",
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    owner = django_filters.ModelChoiceFilter(queryset=signers(), empty_label="Any owner", widget=forms.Select(attrs=SMALL_SELECT))
    clause = django_filters.ChoiceFilter(
        label="DPP clause", choices=[], empty_label="Any clause", method="filter_clause", widget=forms.Select(attrs=SMALL_SELECT)
    )
    source = django_filters.ChoiceFilter(
        label="Raised from",
        choices=[c for c in SourceType.choices if c[0]],
        empty_label="Anywhere",
        field_name="source_type",
        widget=forms.Select(attrs=SMALL_SELECT),
    )

    class Meta:
        model = Risk
        fields = ["q", "status", "flag", "band", "treatment", "owner", "clause", "source"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["owner"].queryset = signers()
        self.filters["clause"].extra["choices"] = [(clause, f"{clause} {title}") for clause, title in clause_catalogue()]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        reference = value.upper().removeprefix("RSK-").lstrip("0")
        condition = Q(title__icontains=value)
        if reference.isdigit():
            condition |= Q(pk=int(reference))
        return queryset.filter(condition)

    def filter_status(self, queryset, name, value):
        if value == "all":
            return queryset
        return queryset.filter(status=RiskStatus.CLOSED if value == "closed" else RiskStatus.OPEN)

    def filter_flag(self, queryset, name, value):
        return queryset.filter(flag_q(value, appetite=rules.appetite_from_settings(), now=timezone.now()))

    def filter_band(self, queryset, name, value):
        low, high = BAND_RANGES[rules.Band(value)]
        return queryset.filter(residual_score__gte=low, residual_score__lte=high)

    def filter_treatment(self, queryset, name, value):
        return queryset.filter(treatment="" if value == "none" else value)

    def filter_clause(self, queryset, name, value):
        return queryset.filter(clauses__icontains=f'"{value}"')  # a JSON list of clause strings


CELL_PARAMS = ("inherent", "residual")


def cell_filters(queryset, params) -> tuple:
    """Apply ``?inherent=4-5`` / ``?residual=3-4`` (a heat-map cell) and say which are active."""
    active: dict[str, tuple[int, int]] = {}
    for name in CELL_PARAMS:
        if name not in params:
            continue
        cell = parse_cell(params.get(name))
        if cell is None:
            queryset = queryset.none()
            continue
        active[name] = cell
        queryset = queryset.filter(**{f"{name}_likelihood": cell[0], f"{name}_impact": cell[1]})
    return queryset, active

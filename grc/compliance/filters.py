"""Filters of the calendar (month and list): by app, kind, clause, owner and computed status."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from grc.accounts.models import User
from grc.compliance.cadences import CADENCES
from grc.compliance.models import Obligation
from grc.compliance.selectors import FULL_VIEW_ROLES, status_q
from grc.compliance.status import Status

APP_LABELS = {
    "access_reviews": "Access reviews",
    "accounts": "Accounts",
    "assets": "Assets",
    "audit": "Audit trail",
    "evidence": "Evidence & audits",
    "incidents": "Incidents",
    "policies": "Policies",
    "risks": "Risks",
}
STATUS_LABELS = {
    Status.OVERDUE: "Overdue",
    Status.DUE_SOON: "Due soon",
    Status.OPEN: "Open",
    Status.MET: "Met",
    Status.MET_LATE: "Met late",
    Status.WAIVED: "Waived",
}


def app_choices() -> list[tuple[str, str]]:
    apps = sorted({kind.split(".", 1)[0] for kind in CADENCES})
    return [(app, APP_LABELS.get(app, app.replace("_", " ").title())) for app in apps]


def kind_choices() -> list[tuple[str, str]]:
    return [(kind, f"{c.clause} · {c.title}") for kind, c in sorted(CADENCES.items(), key=lambda item: (item[1].clause, item[1].title))]


def clause_choices() -> list[tuple[str, str]]:
    clauses = sorted({c.clause for c in CADENCES.values()}, key=lambda clause: [int(part) for part in clause.split(".")])
    return [(clause, f"DPP {clause}") for clause in clauses]


class ObligationFilter(django_filters.FilterSet):
    app = django_filters.ChoiceFilter(label="App", choices=app_choices, method="filter_app", empty_label="All apps")
    kind = django_filters.ChoiceFilter(label="Kind", choices=kind_choices, empty_label="All kinds")
    clause = django_filters.ChoiceFilter(label="Clause", choices=clause_choices, empty_label="All clauses")
    owner = django_filters.ModelChoiceFilter(label="Owner", queryset=User.objects.none(), empty_label="Anyone")
    status = django_filters.ChoiceFilter(
        label="Status", choices=list(STATUS_LABELS.items()), method="filter_status", empty_label="Any status"
    )

    class Meta:
        model = None
        fields: list[str] = []

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        owners = User.objects.filter(is_active=True).order_by("first_name", "last_name", "pk")
        if user is None or getattr(user, "role", None) not in FULL_VIEW_ROLES:
            owners = owners.filter(Q(pk=getattr(user, "pk", None)))  # staff see only their own obligations
        owner_field = self.filters["owner"].field
        owner_field.queryset = owners
        owner_field.label_from_instance = lambda person: person.get_full_name() or person.username
        for name in ("app", "kind", "clause", "owner", "status"):
            self.form.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        self.form.fields["kind"].widget.attrs["class"] += " compliance-kind-filter"  # long labels: keep the row compact

    def filter_app(self, queryset: QuerySet[Obligation], name: str, value: str) -> QuerySet[Obligation]:
        return queryset.filter(kind__startswith=f"{value}.") if value else queryset

    def filter_status(self, queryset: QuerySet[Obligation], name: str, value: str) -> QuerySet[Obligation]:
        return queryset.filter(status_q(value, timezone.now())) if value else queryset

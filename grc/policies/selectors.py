"""Reads other apps may use (no writes): the IR plan in force and its incident types.

``incident_types()`` is how incident triage learns the types the IR plan defines (DPP 1.6:
"define incident types that may affect Amazon"); until a plan is approved it returns the
built-in list, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Min, Q, QuerySet

from grc.policies.catalogue import BUILTIN_BY_CODE, IR_PLAN
from grc.policies.models import Document, DocumentVersion


@dataclass(frozen=True)
class IncidentTypes:
    types: list[str]
    version: DocumentVersion | None  # the approved IR plan version they come from; None = built-in list

    @property
    def from_plan(self) -> bool:
        return self.version is not None


def current_document(code: str) -> Document | None:
    return Document.objects.select_related("type", "current_version", "approver", "owner").filter(type__code=code).first()


def ir_plan() -> Document | None:
    return current_document(IR_PLAN)


def incident_types() -> IncidentTypes:
    plan = Document.objects.filter(type__code=IR_PLAN, current_version__isnull=False).select_related("current_version").first()
    if plan is not None:
        types = [t for t in plan.current_version.lists.get("incident_types", []) if t]
        if types:
            return IncidentTypes(types=types, version=plan.current_version)
    defaults = next(entry for entry in BUILTIN_BY_CODE[IR_PLAN]["lists"] if entry["key"] == "incident_types")["default"]
    return IncidentTypes(types=list(defaults), version=None)


def library() -> QuerySet[Document]:
    """The library index: each document with its type, version in force, draft and next reviews."""
    return Document.objects.select_related("type", "current_version", "owner", "approver").annotate(
        draft_count=Count("versions", filter=Q(versions__status="draft"), distinct=True),
        major_change_due_at=Min("major_changes__review_due_at", filter=Q(major_changes__review__isnull=True)),
    )

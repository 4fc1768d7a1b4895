"""Reads other apps may use (no writes): the IR plan in force and its incident types, the library
index, and what the evidence pack prints about each governed document for a period.

``incident_types()`` is how incident triage learns the types the IR plan defines (DPP 1.6:
"define incident types that may affect Amazon"); until a plan is approved it returns the
built-in list, and says so. ``documents_evidence(start, end)`` gives, per document, the version in
force, its approval and the reviews of the period (for ``grc.evidence``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import cast

from django.db.models import Count, Min, Prefetch, Q, QuerySet

from grc.policies.catalogue import BUILTIN_BY_CODE, IR_PLAN
from grc.policies.models import Acknowledgement, Document, DocumentReview, DocumentVersion, MajorChange, VersionStatus
from grc.policies.rules import acknowledgement_counts, missing_parts


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
    if plan is not None and plan.current_version is not None:  # filtered: it has a version in force
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


# --- the evidence pack (DPP 1.6, 2.2, 2.7 …): what each governed document looked like in a period ---
@dataclass(frozen=True)
class Approval:
    version_number: int
    approved_by: str  # the approver's name: signers are named in the pack, nobody else
    approved_at: datetime
    step_up_at: datetime | None  # when the approver gave the one-time code that signed it


@dataclass(frozen=True)
class DocumentEvidence:
    """One governed document for a period ``[start, end)``, as the evidence pack prints it."""

    document: Document
    code: str
    title: str
    type_name: str
    clause: str
    review_period_months: int
    current_version: DocumentVersion | None  # in force now
    version_at_end: DocumentVersion | None  # in force at the end of the period
    approval: Approval | None  # of ``version_at_end``
    versions_approved: list[DocumentVersion]  # approved inside the period, oldest first
    reviews: list[DocumentReview]  # signed inside the period, oldest first (reviewer and version loaded)
    major_changes: list[MajorChange]  # changed inside the period, oldest first (review loaded)
    last_reviewed_at: datetime | None
    review_due_at: datetime | None
    missing_parts: list[str]  # required parts empty in ``version_at_end`` (should be none)
    acknowledgements: dict[str, int] = field(default_factory=dict)  # asked/done/outstanding/overdue at the end, for version_at_end

    @property
    def reviewed_in_period(self) -> bool:
        return bool(self.reviews)


def period_bounds(start: date | datetime, end: date | datetime) -> tuple[datetime, datetime]:
    """``[start, end)`` as aware datetimes; dates mean whole days in UTC (``end`` included)."""
    if not isinstance(start, datetime):
        start = datetime.combine(start, time.min, tzinfo=UTC)
    if not isinstance(end, datetime):
        end = datetime.combine(end, time.min, tzinfo=UTC) + timedelta(days=1)
    return start, end


def version_in_force_at(versions: list[DocumentVersion], moment: datetime) -> DocumentVersion | None:
    """The version in force at ``moment``: the last one approved by then (pure; versions already loaded)."""
    approved = [v for v in versions if v.approved_at is not None and v.approved_at < moment]
    return max(approved, key=lambda v: (v.approved_at, v.number), default=None)


def documents_evidence(start: date | datetime, end: date | datetime, *, codes: list[str] | None = None) -> list[DocumentEvidence]:
    """Every governed document (or those of ``codes``) for the period, in six queries whatever the size.

    For each: the version in force now and at the period's end with its approval (who, when, the
    step-up time), the versions approved, reviews signed and major changes logged in the period,
    the review clock, and the acknowledgement counts of the version in force at the end.
    """

    start, end = period_bounds(start, end)
    queryset = Document.objects.select_related("type", "current_version").order_by("type__position", "title")
    if codes is not None:
        queryset = queryset.filter(type__code__in=codes)
    documents = list(queryset.prefetch_related(Prefetch("versions", queryset=DocumentVersion.objects.select_related("approved_by"))))
    ids = [d.pk for d in documents]
    reviews: dict[int, list[DocumentReview]] = {pk: [] for pk in ids}
    for review in (
        DocumentReview.objects.filter(document_id__in=ids, reviewed_at__gte=start, reviewed_at__lt=end)
        .select_related("reviewer", "version")
        .order_by("reviewed_at", "id")
    ):
        reviews[review.document_id].append(review)
    changes: dict[int, list[MajorChange]] = {pk: [] for pk in ids}
    for change in (
        MajorChange.objects.filter(document_id__in=ids, changed_at__gte=start, changed_at__lt=end)
        .select_related("review")
        .order_by("changed_at", "id")
    ):
        changes[change.document_id].append(change)
    at_end = {d.pk: version_in_force_at(list(d.versions.all()), end) for d in documents}
    acks: dict[int, list] = {}
    for row in Acknowledgement.objects.filter(version_id__in=[v.pk for v in at_end.values() if v is not None]).values_list(
        "version_id", "acknowledged_at", "waived_at", "due_at"
    ):
        version_id, acknowledged_at, waived_at, due_at = row
        # as things stood at the end of the period
        acks.setdefault(version_id, []).append(
            (
                acknowledged_at if acknowledged_at and acknowledged_at < end else None,
                waived_at if waived_at and waived_at < end else None,
                due_at,
            )
        )
    result = []
    for document in documents:
        version = at_end[document.pk]
        type_ = document.type
        approval = None
        if version is not None and version.approved_at is not None:  # the version in force is an approved one
            approver = version.approved_by
            approval = Approval(
                version_number=version.number,
                approved_by=(approver.get_full_name() or approver.username) if approver else "",
                approved_at=version.approved_at,
                step_up_at=version.approval_step_up_at,
            )
        result.append(
            DocumentEvidence(
                document=document,
                code=type_.code,
                title=document.title,
                type_name=type_.name,
                clause=type_.clause,
                review_period_months=type_.review_period_months,
                current_version=document.current_version,
                version_at_end=version,
                approval=approval,
                versions_approved=sorted(
                    (v for v in document.versions.all() if v.approved_at is not None and start <= v.approved_at < end),
                    key=lambda v: cast(datetime, v.approved_at),  # filtered: approved
                ),
                reviews=reviews[document.pk],
                major_changes=changes[document.pk],
                last_reviewed_at=document.last_reviewed_at,
                review_due_at=document.review_due_at,
                missing_parts=missing_parts(
                    sections=type_.sections,
                    lists=type_.lists,
                    section_text=version.sections,
                    list_items=version.lists,
                    fields=type_.fields,
                    field_values=version.values,
                )
                if version is not None
                else [],
                acknowledgements=acknowledgement_counts(acks.get(version.pk, []), end) if version is not None else {},
            )
        )
    return result


def document_evidence(code: str, start: date | datetime, end: date | datetime) -> DocumentEvidence | None:
    """One document type's evidence for the period (None when no such document exists)."""
    found = documents_evidence(start, end, codes=[code])
    return found[0] if found else None


# --- the evidence pack and the Amazon questionnaire (grc.evidence, grc.kit) ------------------------
def approved_versions_before(document: Document, moment: datetime) -> QuerySet[DocumentVersion]:
    """The document's versions approved before ``moment`` (drafts left out), newest first, with the approver."""
    return (
        document.versions.exclude(status=VersionStatus.DRAFT)
        .filter(approved_at__lt=moment)
        .select_related("approved_by")
        .order_by("-number")
    )


def major_change_counts(*, now: datetime, since: datetime) -> dict[str, int]:
    """Major changes logged since ``since`` (``year``), not yet reviewed (``unreviewed``) and
    unreviewed past their review date at ``now`` (``overdue``). One query."""
    return MajorChange.objects.aggregate(
        year=Count("id", filter=Q(changed_at__gte=since)),
        unreviewed=Count("id", filter=Q(review__isnull=True)),
        overdue=Count("id", filter=Q(review__isnull=True, review_due_at__lte=now)),
    )

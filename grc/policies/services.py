"""Writes of the policy library: documents, versions, approvals, signed reviews, major changes.

Every service is keyword-only, takes ``now``, runs in one transaction and writes the audit event
(changed field *names* only: section texts and review notes never enter the trail). Review
deadlines go to the obligation engine: the periodic review of each approved document (kind from
its type, e.g. ``policies.ir_plan_review``) and one ``policies.major_change_review`` per logged
major change. Approving a version that requires acknowledgement asks every active member of
staff to acknowledge it (``grc.policies.acknowledgements``).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from grc.audit.services import record_change
from grc.compliance.services import obligation_complete, obligation_open
from grc.policies.acknowledgements import acknowledgements_request, acknowledgements_waive_superseded
from grc.policies.files import attach_version_file
from grc.policies.models import (
    ChangeCategory,
    Document,
    DocumentReview,
    DocumentType,
    DocumentVersion,
    MajorChange,
    ReviewOutcome,
    VersionStatus,
)
from grc.policies.rules import major_change_review_due, missing_parts, next_review_due, parse_number

MAJOR_CHANGE_KIND = "policies.major_change_review"


def major_change_review_days() -> int:
    return int(getattr(settings, "POLICY_MAJOR_CHANGE_REVIEW_DAYS", 30))


# --- obligations ---------------------------------------------------------------------------------
def review_obligation_open(*, document: Document, anchor_at: datetime) -> None:
    """(Re-)open the periodic review of ``document``, due one review period after ``anchor_at``.

    The due time comes from the document type's period (the type is the one place it is set),
    so it is passed to the engine explicitly rather than taken from the cadence table.
    """
    due = next_review_due(anchor_at, document.type.review_period_months)
    obligation_open(
        kind=document.type.review_kind,
        subject=document,
        anchor_at=anchor_at,
        due_at=due,
        owner=document.approver,
        title=f"Review the {document.type.name.lower()}",
        url=document.get_absolute_url(),
    )
    document.review_due_at = due
    document.save(update_fields=["review_due_at", "updated_at"])


def major_change_obligation_open(*, change: MajorChange) -> None:
    document = change.document
    obligation_open(
        kind=MAJOR_CHANGE_KIND,
        subject=change,
        anchor_at=change.changed_at,
        due_at=change.review_due_at,
        owner=document.approver,
        title=f"Review the {document.type.name.lower()} after a major change",
        url=document.get_absolute_url(),
    )


# --- documents and versions ----------------------------------------------------------------------
@transaction.atomic
def document_create(*, type: DocumentType, title: str, owner, approver, by, now: datetime, request=None) -> Document:
    """A new governed document with an empty first draft (list defaults pre-filled)."""
    if Document.objects.filter(type=type).exists():
        raise ValidationError({"type": "There is already a document of this type: add a new version to it instead."})
    document = Document.objects.create(type=type, title=title, owner=owner, approver=approver, created_by=by, created_at=now)
    lists = {entry["key"]: list(entry.get("default", [])) for entry in type.lists}
    DocumentVersion.objects.create(
        document=document,
        number=1,
        lists=lists,
        requires_acknowledgement=type.acknowledgement_default,
        created_by=by,
        created_at=now,
    )
    record_change("created", document, request=request, actor=by, changed_fields=["type", "title", "owner", "approver"])
    return document


@transaction.atomic
def document_update(*, document: Document, title: str, owner, approver, by, now: datetime, request=None) -> Document:
    changed = [name for name, value in (("title", title), ("owner", owner), ("approver", approver)) if getattr(document, name) != value]
    if not changed:
        return document
    document.title, document.owner, document.approver = title, owner, approver
    document.save()
    if document.current_version_id is not None and "approver" in changed and document.review_due_at is not None:
        # the open review follows the new approver
        anchor = document.last_reviewed_at
        if anchor is None:
            version = document.current_version
            assert version is not None and version.approved_at is not None  # the version in force is approved
            anchor = version.approved_at
        review_obligation_open(document=document, anchor_at=anchor)
    record_change("updated", document, request=request, actor=by, changed_fields=changed)
    return document


@transaction.atomic
def version_draft_create(*, document: Document, by, now: datetime, request=None) -> DocumentVersion:
    """Start the next version as a copy of the one in force (one draft at a time)."""
    draft = document.versions.filter(status=VersionStatus.DRAFT).first()
    if draft is not None:
        return draft
    base = document.current_version
    number = (document.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    draft = DocumentVersion.objects.create(
        document=document,
        number=number,
        sections=dict(base.sections) if base else {},
        lists={k: list(v) for k, v in base.lists.items()} if base else {e["key"]: list(e.get("default", [])) for e in document.type.lists},
        values=dict(base.values) if base else {},
        requires_acknowledgement=base.requires_acknowledgement if base else document.type.acknowledgement_default,
        created_by=by,
        created_at=now,
    )
    record_change("created", draft, request=request, actor=by, changed_fields=["sections", "lists", "values"])
    return draft


@transaction.atomic
def version_update(
    *,
    version: DocumentVersion,
    sections: dict,
    lists: dict,
    change_summary: str,
    by,
    now: datetime,
    request=None,
    values: dict | None = None,
    requires_acknowledgement: bool | None = None,
    upload=None,
) -> DocumentVersion:
    """Save a draft's text (numeric values, the acknowledgement setting and an uploaded file when
    given). Approved versions never change (a new version is drafted instead)."""
    version = DocumentVersion.objects.select_for_update().get(pk=version.pk)
    if not version.is_draft:
        raise ValidationError("Only a draft can be edited: approved versions are kept as they were approved.")
    values = values or {}
    for key, value in values.items():
        if value not in (None, "") and parse_number(value) is None:
            raise ValidationError({f"field_{key}": "Enter a number of zero or more."})
    changed = [f"section:{k}" for k in sections if sections[k] != version.sections.get(k, "")]
    changed += [f"list:{k}" for k in lists if lists[k] != version.lists.get(k, [])]
    changed += [f"value:{k}" for k in values if values[k] != version.values.get(k)]
    if change_summary != version.change_summary:
        changed.append("change_summary")
    if requires_acknowledgement is not None and requires_acknowledgement != version.requires_acknowledgement:
        version.requires_acknowledgement = requires_acknowledgement
        changed.append("requires_acknowledgement")
    if upload is not None:
        attach_version_file(version, upload)
        changed.append("file")
    version.sections = {**version.sections, **sections}
    version.lists = {**version.lists, **lists}
    version.values = {**version.values, **{k: parse_number(v) for k, v in values.items()}}
    version.change_summary = change_summary
    version.save()
    if changed:
        record_change("updated", version, request=request, actor=by, changed_fields=changed)
    return version


def version_missing_parts(version: DocumentVersion) -> list[str]:
    type_ = version.document.type
    return missing_parts(
        sections=type_.sections,
        lists=type_.lists,
        section_text=version.sections,
        list_items=version.lists,
        fields=type_.fields,
        field_values=version.values,
    )


@transaction.atomic
def version_approve(*, version: DocumentVersion, by, step_up_at: datetime | None, now: datetime, request=None) -> DocumentVersion:
    """Approve a draft: it becomes the version in force; the one before is superseded.

    Refused while a required section is empty (DPP 1.6 names the sections the IR plan needs).
    The first approval starts the periodic review clock. Outstanding acknowledgements of earlier
    versions are waived (superseded); if this version requires acknowledgement, every active
    member of staff is asked for it, each an obligation.
    """
    version = DocumentVersion.objects.select_for_update(of=("self",)).select_related("document__type").get(pk=version.pk)
    if not version.is_draft:
        raise ValidationError("This version is not a draft: it has already been approved.")
    missing = version_missing_parts(version)
    if missing:
        raise ValidationError(f"It cannot be approved while these required sections are empty: {', '.join(missing)}.")
    document = version.document
    first_approval = document.current_version_id is None
    document.versions.filter(status=VersionStatus.APPROVED).update(status=VersionStatus.SUPERSEDED)
    version.status = VersionStatus.APPROVED
    version.approved_by, version.approved_at, version.approval_step_up_at = by, now, step_up_at
    version.save()
    document.current_version = version
    document.save(update_fields=["current_version", "updated_at"])
    if first_approval:
        # A programme-wide review obligation (``subject=None``, opened before any document
        # existed) is fulfilled by the first approved version; from now on the document carries it.
        obligation_complete(kind=document.type.review_kind, subject=None, completed_at=now, completed_by=by, open_next=False)
        review_obligation_open(document=document, anchor_at=now)
    record_change("approved", version, request=request, actor=by, changed_fields=["status", "approved_by", "approved_at"])

    acknowledgements_waive_superseded(version=version, now=now)
    if version.requires_acknowledgement:
        acknowledgements_request(version=version, now=now, request=request, actor=by)
    return version


# --- reviews and major changes -------------------------------------------------------------------
@transaction.atomic
def document_review_sign(
    *, document: Document, reviewer, outcome: str, note: str, step_up_at: datetime, now: datetime, request=None
) -> DocumentReview:
    """Record a signed review of the version in force and restart the review clock from now.

    Completes the open periodic review obligation (met, or met late) and every open
    major-change review of this document logged up to now. With the outcome "new version", a
    draft copied from the current version is started for the changes.
    """
    document = Document.objects.select_for_update(of=("self",)).select_related("type", "current_version").get(pk=document.pk)
    if document.current_version is None:
        raise ValidationError("There is no approved version to review yet: approve a first version.")
    if outcome not in ReviewOutcome.values:
        raise ValidationError({"outcome": "Choose an outcome."})
    review = DocumentReview.objects.create(
        document=document,
        version=document.current_version,
        reviewer=reviewer,
        reviewed_at=now,
        step_up_at=step_up_at,
        outcome=outcome,
        note=note,
    )
    obligation_complete(kind=document.type.review_kind, subject=document, completed_at=now, completed_by=reviewer, open_next=False)
    document.last_reviewed_at = now
    document.save(update_fields=["last_reviewed_at", "updated_at"])
    review_obligation_open(document=document, anchor_at=now)
    for change in document.major_changes.select_for_update().filter(review__isnull=True, logged_at__lte=now):
        change.review = review
        change.save(update_fields=["review"])
        obligation_complete(kind=MAJOR_CHANGE_KIND, subject=change, completed_at=now, completed_by=reviewer)
    if outcome == ReviewOutcome.NEW_VERSION:
        version_draft_create(document=document, by=reviewer, now=now, request=request)
    record_change("signed", review, request=request, actor=reviewer, changed_fields=["outcome", "note"] if note else ["outcome"])
    return review


@transaction.atomic
def major_change_log(
    *, document: Document, summary: str, category: str, changed_at: datetime, systems: str, by, now: datetime, request=None
) -> MajorChange:
    """Log a major infrastructure or system change: the document's review is due within N days.

    N is ``POLICY_MAJOR_CHANGE_REVIEW_DAYS`` (default 30), counted from the change.
    """
    if not document.type.reviews_after_major_change:
        raise ValidationError("This kind of document is not reviewed after major changes.")
    if category not in ChangeCategory.values:
        raise ValidationError({"category": "Choose what kind of change it was."})
    change = MajorChange.objects.create(
        document=document,
        summary=summary,
        category=category,
        changed_at=changed_at,
        systems=systems,
        logged_by=by,
        logged_at=now,
        review_due_at=major_change_review_due(changed_at, major_change_review_days()),
    )
    major_change_obligation_open(change=change)
    record_change("created", change, request=request, actor=by, changed_fields=["summary", "category", "changed_at", "systems"])
    return change

"""Object-level access to governed documents (STYLE habit 6).

Everyone signed in reads the library (a policy is written to be followed). Only the security
lead writes; approving a version and signing a review is for the security lead or the
document's approver (DESIGN.md: a manager signs the six-month IR plan review when they are the
approver).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.shortcuts import get_object_or_404

from grc.accounts.models import Role
from grc.policies.models import Document, DocumentVersion


@dataclass(frozen=True)
class DocumentAccess:
    can_edit: bool  # drafts, document settings, major changes
    can_sign: bool  # approve versions, sign reviews


def access_for(user, document: Document) -> DocumentAccess:
    lead = user.role == Role.SECURITY_LEAD
    return DocumentAccess(can_edit=lead, can_sign=lead or (user.role != Role.AUDITOR and document.approver_id == user.pk))


def get_document_for(user, pk: int) -> tuple[Document, DocumentAccess]:
    document = get_object_or_404(Document.objects.select_related("type", "owner", "approver", "current_version"), pk=pk)
    return document, access_for(user, document)


def get_version_for(user, pk: int) -> tuple[DocumentVersion, DocumentAccess]:
    version = get_object_or_404(
        DocumentVersion.objects.select_related("document__type", "document__owner", "document__approver", "approved_by", "created_by"),
        pk=pk,
    )
    return version, access_for(user, version.document)

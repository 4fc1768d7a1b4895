"""What the policy library tells the obligation engine.

Providers for the periodic review kinds (``policies.ir_plan_review``, ``policies.document_review``)
and for ``policies.major_change_review``: reminders go to the approver (the obligation's owner)
and the document's owner; ``resync`` re-derives the open reviews from the records. The live
check of DPP 1.6 says whether an approved IR plan with every required section exists and is
reviewed on time. Reasons carry versions, counts and ages, never names.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Min
from django.urls import reverse

from grc.compliance.cadences import cadence_for
from grc.compliance.registry import CheckResult, register_check, register_provider
from grc.timefmt import span

PERIODIC_KINDS = ("policies.ir_plan_review", "policies.document_review")
MAJOR_CHANGE_KIND = "policies.major_change_review"


def _document_owner(document) -> list:
    return [document.owner] if document is not None and document.owner_id != document.approver_id else []


class DocumentReviewProvider:
    """Periodic reviews of every document whose type uses this kind."""

    def __init__(self, kind: str):
        self.kind = kind

    def recipients(self, obligation):
        from grc.policies.models import Document

        return _document_owner(Document.objects.select_related("owner").filter(pk=obligation.subject_id).first())

    def resync(self, *, now: datetime) -> int:
        from grc.policies.models import Document
        from grc.policies.services import review_obligation_open

        count = 0
        documents = (
            Document.objects.filter(type__review_kind=self.kind, current_version__isnull=False)
            .select_related("type", "approver")
            .annotate(first_approved_at=Min("versions__approved_at"))  # drafts have none
        )
        for document in documents:
            review_obligation_open(document=document, anchor_at=document.last_reviewed_at or document.first_approved_at)
            count += 1
        return count


class MajorChangeProvider:
    def recipients(self, obligation):
        from grc.policies.models import MajorChange

        change = MajorChange.objects.select_related("document__owner").filter(pk=obligation.subject_id).first()
        return _document_owner(change.document if change else None)

    def resync(self, *, now: datetime) -> int:
        """Re-date every unreviewed change from the current ``POLICY_MAJOR_CHANGE_REVIEW_DAYS``."""
        from grc.policies.models import MajorChange
        from grc.policies.rules import major_change_review_due
        from grc.policies.services import major_change_obligation_open, major_change_review_days

        count = 0
        for change in MajorChange.objects.filter(review__isnull=True).select_related("document__type", "document__approver"):
            due = major_change_review_due(change.changed_at, major_change_review_days())
            if change.review_due_at != due:
                change.review_due_at = due
                change.save(update_fields=["review_due_at"])
            major_change_obligation_open(change=change)
            count += 1
        return count


def check_ir_plan(now: datetime) -> CheckResult:
    """DPP 1.6: an approved IR plan with every required section, reviewed every 6 months and after major changes."""
    from grc.policies.models import MajorChange
    from grc.policies.rules import review_state
    from grc.policies.selectors import ir_plan
    from grc.policies.services import version_missing_parts

    plan = ir_plan()
    if plan is None or plan.current_version is None:
        url = plan.get_absolute_url() if plan else reverse("policies:index")
        return CheckResult("not_met", "no approved incident response plan yet; DPP 1.6 requires one, reviewed every 6 months", url)
    url = plan.get_absolute_url()
    version = plan.current_version
    missing = version_missing_parts(version)
    if missing:
        return CheckResult("not_met", f"the IR plan in force (version {version.number}) lacks: {', '.join(missing).lower()}", url)
    reviewed = plan.last_reviewed_at
    since = (
        f"last reviewed {span(now - reviewed)} ago" if reviewed else f"approved {span(now - version.approved_at)} ago, not reviewed since"
    )
    reason = f"IR plan version {version.number} in force; {since}; due every {plan.type.review_period_months} months"
    state = review_state(due_at=plan.review_due_at, warning=cadence_for(plan.type.review_kind).warning, now=now)
    changes = MajorChange.objects.filter(document=plan, review__isnull=True)
    overdue_changes = changes.filter(review_due_at__lte=now).count()
    open_changes = changes.count()
    if open_changes:
        reason += f"; {open_changes} major change{'s' if open_changes != 1 else ''} awaiting review"
    if state == "overdue" or overdue_changes:
        if overdue_changes:
            reason += f" ({overdue_changes} overdue)"
        return CheckResult("not_met", reason, url)
    soon_changes = changes.filter(review_due_at__lte=now + cadence_for(MAJOR_CHANGE_KIND).warning).count()
    if state == "due_soon" or soon_changes:
        return CheckResult("at_risk", reason, url)
    return CheckResult("met", reason, url)


def register() -> None:
    for kind in PERIODIC_KINDS:
        register_provider(kind, DocumentReviewProvider(kind))
    register_provider(MAJOR_CHANGE_KIND, MajorChangeProvider())
    register_check("1.6", "policies.ir_plan", check_ir_plan)

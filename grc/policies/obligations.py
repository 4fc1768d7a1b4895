"""What the policy library tells the obligation engine.

Providers for the periodic review kinds of every document type (``policies.ir_plan_review``,
``policies.document_review``, ``policies.vuln_runbook_review`` …), for
``policies.major_change_review`` and for ``policies.acknowledgement``: review reminders go to the
approver (the obligation's owner) and the document's owner; acknowledgement reminders to the person
who has to acknowledge; ``resync`` re-derives the open ones from the records. The live check of
DPP 1.6 says whether an approved IR plan with every required section exists and is reviewed on
time; every other built-in type has the same check under its own clause (``check_document``).

The DPP 2.2 parts kept by other apps (data-subject requests in ``assets``, confidentiality
agreements in ``access_reviews``) are registered by those apps from their own ``ready()``.
Reasons carry versions, counts and ages, never names.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import cast

from django.db.models import Min, Q
from django.urls import reverse

from grc.compliance.cadence_overrides import within
from grc.compliance.cadences import Period, cadence_for, effective_cadences
from grc.compliance.registry import CheckResult, register_check, register_provider
from grc.compliance.services import open_obligation
from grc.policies.acknowledgements import acknowledgements_sync
from grc.policies.catalogue import BUILTIN_BY_CODE, BUILTIN_TYPES, IR_PLAN, required_by_dpp
from grc.policies.models import Acknowledgement, Document, MajorChange
from grc.policies.rules import acknowledgement_counts, major_change_review_due, review_state
from grc.policies.selectors import current_document, ir_plan
from grc.policies.services import major_change_obligation_open, major_change_review_days, review_obligation_open, version_missing_parts
from grc.timefmt import span, time_left
from grc.words import plural

PERIODIC_KINDS = ("policies.ir_plan_review", "policies.document_review")
MAJOR_CHANGE_KIND = "policies.major_change_review"
ACKNOWLEDGEMENT_KIND = "policies.acknowledgement"


def periodic_kinds() -> list[str]:
    """Every periodic review kind: the two generic ones and those of the built-in types."""
    return sorted({*PERIODIC_KINDS, *(entry["review_kind"] for entry in BUILTIN_TYPES)})


def _document_owner(document) -> list:
    return [document.owner] if document is not None and document.owner_id != document.approver_id else []


class DocumentReviewProvider:
    """Periodic reviews of every document whose type uses this kind."""

    def __init__(self, kind: str):
        self.kind = kind

    def recipients(self, obligation):
        return _document_owner(Document.objects.select_related("owner").filter(pk=obligation.subject_id).first())

    def resync(self, *, now: datetime) -> int:

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
        change = MajorChange.objects.select_related("document__owner").filter(pk=obligation.subject_id).first()
        return _document_owner(change.document if change else None)

    def resync(self, *, now: datetime) -> int:
        """Re-date every unreviewed change from the current ``POLICY_MAJOR_CHANGE_REVIEW_DAYS``."""

        count = 0
        for change in MajorChange.objects.filter(review__isnull=True).select_related("document__type", "document__approver"):
            due = major_change_review_due(change.changed_at, major_change_review_days())
            if change.review_due_at != due:
                change.review_due_at = due
                change.save(update_fields=["review_due_at"])
            major_change_obligation_open(change=change)
            count += 1
        return count


class AcknowledgementProvider:
    """Acknowledgement reminders go to the person only (the cadence does not escalate)."""

    def recipients(self, obligation):
        return []

    def resync(self, *, now: datetime) -> int:
        return acknowledgements_sync(now=now)


# --- the review clock in force ----------------------------------------------------------------------
def overrides_in_force() -> dict[str, Period]:
    """kind → the period the security lead set (``CadenceOverride``), for kinds whose table period
    it replaced: one query, read once per check."""
    return {
        kind: cadence.period
        for kind, cadence in effective_cadences().items()
        if cadence.period is not None and cadence.period != cadence_for(kind).period
    }


def review_clock(document, overrides: dict[str, Period]) -> tuple[Period, datetime | None]:
    """The review period in force for ``document`` and its next review's due time.

    The type sets the period; a tighter period the security lead set for the type's review kind
    caps it (as ``obligation_open`` caps the obligation's due time, which is then the one to read).
    """

    own = Period(months=document.type.review_period_months)
    override = overrides.get(document.type.review_kind)
    if override is None:
        return own, document.review_due_at
    due = document.review_due_at
    obligation = open_obligation(document.type.review_kind, document)
    if obligation is not None and (due is None or obligation.due_at < due):
        due = obligation.due_at
    return (override if within(override, own) else own), due


def major_changes_due_by(moment: datetime, overrides: dict[str, Period]) -> Q:
    """Major changes whose review is due by ``moment``: at their own due time, or sooner by the
    period in force when the security lead tightened it (days or hours, never months)."""
    due = Q(review_due_at__lte=moment)
    override = overrides.get(MAJOR_CHANGE_KIND)
    if override is not None:
        due |= Q(changed_at__lte=moment - (override.after(moment) - moment))
    return due


def check_ir_plan(now: datetime) -> CheckResult:
    """DPP 1.6: an approved IR plan with every required section, reviewed every 6 months (or the tighter period
    in force) and after major changes."""

    plan = ir_plan()
    overrides = overrides_in_force()
    if plan is None or plan.current_version is None:
        url = plan.get_absolute_url() if plan else reverse("policies:index")
        kind = plan.type.review_kind if plan else PERIODIC_KINDS[0]
        every = overrides.get(kind) or cadence_for(kind).period
        return CheckResult("not_met", f"no approved incident response plan yet; DPP 1.6 requires one, reviewed every {every}", url)
    url = plan.get_absolute_url()
    version = plan.current_version
    missing = version_missing_parts(version)
    if missing:
        return CheckResult("not_met", f"the IR plan in force (version {version.number}) lacks: {', '.join(missing).lower()}", url)
    reviewed = plan.last_reviewed_at
    since = (
        f"last reviewed {span(now - reviewed)} ago"
        if reviewed
        else f"approved {span(now - cast(datetime, version.approved_at))} ago, not reviewed since"
    )
    period, due = review_clock(plan, overrides)
    reason = f"IR plan version {version.number} in force; {since}; due every {period}"
    state = review_state(due_at=due, warning=cadence_for(plan.type.review_kind).warning, now=now)
    changes = MajorChange.objects.filter(document=plan, review__isnull=True)
    overdue_changes = changes.filter(major_changes_due_by(now, overrides)).count()
    open_changes = changes.count()
    if open_changes:
        reason += f"; {open_changes} major change{'s' if open_changes != 1 else ''} awaiting review"
    if state == "overdue" or overdue_changes:
        if overdue_changes:
            reason += f" ({overdue_changes} overdue)"
        return CheckResult("not_met", reason, url)
    soon_changes = changes.filter(major_changes_due_by(now + cadence_for(MAJOR_CHANGE_KIND).warning, overrides)).count()
    if state == "due_soon" or soon_changes:
        return CheckResult("at_risk", reason, url)
    return CheckResult("met", reason, url)


def check_document(code: str, now: datetime) -> CheckResult:
    """A built-in governed document: approved, complete, reviewed on time, acknowledged by staff.

    Without an approved version the clause is not met when the DPP asks for the document itself
    (``required_by_dpp`` in the catalogue), otherwise at risk.
    """

    document = current_document(code)
    name = document.type.name if document else BUILTIN_BY_CODE[code]["name"]
    if document is None or document.current_version is None:
        url = document.get_absolute_url() if document else reverse("policies:index")
        status = "not_met" if required_by_dpp(code) else "at_risk"
        return CheckResult(status, f"no approved {name[0].lower() + name[1:]} yet", url)
    url = document.get_absolute_url()
    version = document.current_version
    overrides = overrides_in_force()
    missing = version_missing_parts(version)
    if missing:
        return CheckResult("not_met", f"the {name.lower()} in force (version {version.number}) lacks: {', '.join(missing).lower()}", url)
    reviewed = document.last_reviewed_at
    since = (
        f"last reviewed {span(now - reviewed)} ago"
        if reviewed
        else f"approved {span(now - cast(datetime, version.approved_at))} ago, not reviewed since"
    )
    period, due = review_clock(document, overrides)
    reason = f"{name} version {version.number} in force; {since}; due every {period}"
    state = review_state(due_at=due, warning=cadence_for(document.type.review_kind).warning, now=now)
    worst = "not_met" if state == "overdue" else "at_risk" if state == "due_soon" else "met"
    if state in ("overdue", "due_soon") and due is not None:  # (these states need a due time)
        reason += f"; the review is {time_left(due, now)}"
    if version.requires_acknowledgement:
        counts = acknowledgement_counts(
            Acknowledgement.objects.filter(version=version).values_list("acknowledged_at", "waived_at", "due_at"), now
        )
        reason += f"; acknowledged by {counts['done']} of {counts['asked']}"
        if counts["overdue"]:
            reason += f" ({plural(counts['overdue'], 'acknowledgement')} overdue)"
            worst = "not_met" if worst == "not_met" else "at_risk"
    if document.type.reviews_after_major_change:
        changes = MajorChange.objects.filter(document=document, review__isnull=True)
        open_changes, overdue_changes = changes.count(), changes.filter(major_changes_due_by(now, overrides)).count()
        if open_changes:
            reason += f"; {plural(open_changes, 'major change')} awaiting review"
        if overdue_changes:
            reason += f" ({overdue_changes} overdue)"
            worst = "not_met"
        elif worst == "met" and changes.filter(major_changes_due_by(now + cadence_for(MAJOR_CHANGE_KIND).warning, overrides)).exists():
            worst = "at_risk"
    return CheckResult(worst, reason, url)


def document_checks() -> list[tuple[str, str, Callable[[datetime], CheckResult]]]:
    """(clause, check name, check) of every built-in type but the IR plan (which has its own)."""

    return [
        (entry["clause"], f"{entry['name']} approved and reviewed", partial(check_document, entry["code"]))
        for entry in BUILTIN_TYPES
        if entry["code"] != IR_PLAN
    ]


def register() -> None:
    for kind in periodic_kinds():
        register_provider(kind, DocumentReviewProvider(kind))
    register_provider(MAJOR_CHANGE_KIND, MajorChangeProvider())
    register_provider(ACKNOWLEDGEMENT_KIND, AcknowledgementProvider())
    register_check("1.6", "policies.ir_plan", check_ir_plan, title="Incident response plan approved and reviewed")
    for clause, name, check in document_checks():
        register_check(clause, name, check)

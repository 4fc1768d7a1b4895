"""The annual senior-management review of the register (DPP 1.6: "reviewed by the Developer's
senior management annually").

A security lead starts a review naming the approvers (managers and/or security leads); it lists
every open risk as it stands. The approvers (or a security lead preparing the review) confirm
each risk or re-score it — a re-score changes the risk at once and goes into its history. When
no risk waits, each approver signs with a fresh one-time code; once every approver has signed,
the review is complete and the ``risks.annual_review`` obligation is met and opened again, due 12
calendar months after the completion. Decisions are locked once the first approver has signed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from grc.accounts.models import Role
from grc.audit.services import record_change
from grc.compliance.services import obligation_complete, obligation_open
from grc.risks.kinds import ANNUAL_REVIEW, OWNER_ROLES
from grc.risks.models import (
    ReviewDecision,
    ReviewStatus,
    Risk,
    RiskReview,
    RiskReviewItem,
    RiskReviewSignature,
    RiskStatus,
    ScoreChangeReason,
)
from grc.risks.services.register import LEVEL_FIELDS, _set_scores, levels_problems, record_scores

APPROVER_ROLES = OWNER_ROLES  # senior management: managers and security leads


def may_decide(review: RiskReview, user, approver_ids: set[int] | None = None) -> bool:
    ids = approver_ids if approver_ids is not None else set(review.approvers.values_list("pk", flat=True))
    return user.is_active and (user.pk in ids or user.role == Role.SECURITY_LEAD)


@transaction.atomic
def review_start(*, approvers: Iterable, by, now: datetime, title: str = "", request=None) -> RiskReview:
    """Start the annual review of every open risk, for the given senior-management approvers."""
    approvers = list(approvers)
    if not approvers:
        raise ValidationError({"approvers": "Name at least one senior-management approver."})
    if any(user.role not in APPROVER_ROLES or not user.is_active for user in approvers):
        raise ValidationError({"approvers": "Approvers must be active managers or security leads."})
    if RiskReview.objects.select_for_update().filter(status=ReviewStatus.OPEN).exists():
        raise ValidationError("A review is already in progress: complete it first.")
    risks = list(Risk.objects.filter(status=RiskStatus.OPEN).order_by("-residual_score", "-inherent_score", "pk"))
    if not risks:
        raise ValidationError("There is no open risk to review: record the risks first.")
    review = RiskReview.objects.create(
        title=title.strip() or f"Annual risk review {now:%Y}", started_at=now, started_by=by, status=ReviewStatus.OPEN
    )
    review.approvers.set(approvers)
    RiskReviewItem.objects.bulk_create(
        RiskReviewItem(
            review=review,
            risk=risk,
            inherent_likelihood=risk.inherent_likelihood,
            inherent_impact=risk.inherent_impact,
            residual_likelihood=risk.residual_likelihood,
            residual_impact=risk.residual_impact,
            treatment=risk.treatment,
        )
        for risk in risks
    )
    record_change("started", review, request=request, actor=by, changed_fields=["approvers", "items"])
    return review


def _snapshot_levels(item: RiskReviewItem) -> dict[str, int]:
    return {field: getattr(item, field) for field in LEVEL_FIELDS}


@transaction.atomic
def item_decide(
    *, item: RiskReviewItem, decision: str, levels: dict[str, int | None] | None = None, comment: str = "", by, now: datetime, request=None
) -> RiskReviewItem:
    """Confirm a risk as it stood, or re-score it (the risk changes at once; its history says so)."""
    item = RiskReviewItem.objects.select_for_update().select_related("review", "risk").get(pk=item.pk)
    review = item.review
    if not review.is_open:
        raise ValidationError("This review is complete: its decisions are final.")
    if not may_decide(review, by):
        raise ValidationError("Only the review's approvers or a security lead decide on its risks.")
    if review.signatures.exists():
        raise ValidationError("An approver has signed this review: its decisions are locked.")
    target: Mapping[str, int | None]
    if decision == ReviewDecision.CONFIRMED:
        target = _snapshot_levels(item)
        item.new_inherent_likelihood = item.new_inherent_impact = item.new_residual_likelihood = item.new_residual_impact = None
    elif decision == ReviewDecision.RESCORED:
        target = {field: (levels or {}).get(field) for field in LEVEL_FIELDS}
        problems = levels_problems(target)
        if problems:
            raise ValidationError(problems)
        if target == _snapshot_levels(item):
            raise ValidationError("These are the scores it already had: confirm the risk instead.")
        for field, value in target.items():
            setattr(item, f"new_{field}", value)
    else:
        raise ValidationError({"decision": "Confirm the risk or re-score it."})
    item.decision, item.comment, item.decided_by, item.decided_at = decision, (comment or "").strip(), by, now
    item.save()
    risk = Risk.objects.select_for_update().get(pk=item.risk_id)
    if any(getattr(risk, field) != value for field, value in target.items()):
        for field, value in target.items():
            setattr(risk, field, value)
        _set_scores(risk)
        risk.updated_at = now
        risk.save(update_fields=[*LEVEL_FIELDS, "inherent_score", "residual_score", "updated_at"])
        record_scores(risk=risk, reason=ScoreChangeReason.REVIEW, by=by, now=now, review=review)
        record_change("rescored", risk, request=request, actor=by, changed_fields=list(LEVEL_FIELDS))
    record_change("decided", item, request=request, actor=by, changed_fields=["decision", "comment"] if item.comment else ["decision"])
    return item


def review_pending(review: RiskReview) -> int:
    return review.items.filter(decision=ReviewDecision.PENDING).count()


@transaction.atomic
def review_sign(
    *, review: RiskReview, signer, note: str = "", step_up_at: datetime | None, now: datetime, request=None
) -> RiskReviewSignature:
    """An approver signs (fresh one-time code); the last signature completes the review and
    restarts the 12-month clock from now."""
    review = RiskReview.objects.select_for_update().get(pk=review.pk)
    if not review.is_open:
        raise ValidationError("This review is already complete.")
    approver_ids = set(review.approvers.values_list("pk", flat=True))
    if signer.pk not in approver_ids or not signer.is_active:
        raise ValidationError("Only the review's approvers sign it.")
    if review.signatures.filter(signer=signer).exists():
        raise ValidationError("You have signed this review already.")
    if step_up_at is None:
        raise ValidationError("Signing needs a fresh one-time code.")
    pending = review_pending(review)
    if pending:
        raise ValidationError(f"{pending} risk{'s' if pending != 1 else ''} still wait for a decision: confirm or re-score each first.")
    signature = RiskReviewSignature.objects.create(
        review=review, signer=signer, signed_at=now, step_up_at=step_up_at, note=(note or "").strip()
    )
    record_change("signed", signature, request=request, actor=signer, changed_fields=["note"] if signature.note else [])
    if set(review.signatures.values_list("signer_id", flat=True)) >= approver_ids:
        review_complete(review=review, by=signer, now=now, request=request)
    return signature


def review_complete(*, review: RiskReview, by, now: datetime, request=None) -> None:
    review.status, review.completed_at = ReviewStatus.COMPLETED, now
    review.save(update_fields=["status", "completed_at"])
    Risk.objects.filter(review_items__review=review).update(last_reviewed_at=now)
    done = obligation_complete(kind=ANNUAL_REVIEW, subject=None, completed_at=now, completed_by=by)
    # the recurring kind opened the next one, due 12 calendar months from now; keep its link and owner
    obligation_open(
        kind=ANNUAL_REVIEW,
        subject=None,
        anchor_at=now,
        owner=done.owner if done is not None and done.owner is not None else by,
        url=reverse("risks:reviews"),
    )
    record_change("completed", review, request=request, actor=by, changed_fields=["status", "completed_at"])

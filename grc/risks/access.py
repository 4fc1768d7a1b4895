"""Who may see and do what in the risk register (STYLE habit 6): one helper per object type.

* The security lead, managers and auditors read the whole register (auditors only read); staff
  do not use it (they report incidents instead).
* The security lead edits every risk; a manager edits the risks they own and records new ones.
* A manager or security lead other than the requester approves an acceptance (with step-up MFA).
* A treatment action is completed by its owner or by whoever may edit the risk.
* In an annual review, the named approvers (and a security lead preparing it) decide on each
  risk; only the approvers sign.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.shortcuts import get_object_or_404

from grc.accounts.models import Role
from grc.risks.models import AcceptanceStatus, Risk, RiskAcceptance, RiskReview, RiskReviewItem, TreatmentAction

WRITERS = (Role.SECURITY_LEAD, Role.MANAGER)


@dataclass(frozen=True)
class RiskAccess:
    can_edit: bool  # the risk, its actions, asking for acceptance, closing
    can_approve: bool  # decide a pending acceptance (someone else's request)


def access_for(user, risk: Risk, pending: RiskAcceptance | None = None) -> RiskAccess:
    lead = user.role == Role.SECURITY_LEAD
    owner = user.role == Role.MANAGER and risk.owner_id == user.pk
    can_approve = user.role in WRITERS and pending is not None and pending.requested_by_id != user.pk
    return RiskAccess(can_edit=lead or owner, can_approve=can_approve)


def get_risk_for(user, pk: int) -> tuple[Risk, RiskAccess]:
    risk = get_object_or_404(Risk.objects.select_related("owner", "created_by", "closed_by"), pk=pk)
    pending = risk.acceptances.filter(status=AcceptanceStatus.PENDING).first()
    return risk, access_for(user, risk, pending)


def get_action_for(user, pk: int) -> tuple[TreatmentAction, bool]:
    """The action and whether ``user`` may complete or cancel it."""
    action = get_object_or_404(TreatmentAction.objects.select_related("risk", "owner"), pk=pk)
    may = access_for(user, action.risk).can_edit or (action.owner_id == user.pk and user.role in WRITERS)
    return action, may


def get_acceptance_for(user, pk: int) -> tuple[RiskAcceptance, bool]:
    """The acceptance and whether ``user`` may decide it."""
    acceptance = get_object_or_404(RiskAcceptance.objects.select_related("risk__owner", "requested_by", "decided_by"), pk=pk)
    return acceptance, user.role in WRITERS and acceptance.requested_by_id != user.pk


@dataclass(frozen=True)
class ReviewAccess:
    can_decide: bool
    can_sign: bool
    approver_ids: frozenset[int]


def get_review_for(user, pk: int) -> tuple[RiskReview, ReviewAccess]:
    review = get_object_or_404(RiskReview.objects.select_related("started_by"), pk=pk)
    approver_ids = frozenset(review.approvers.values_list("pk", flat=True))
    approver = user.pk in approver_ids and user.role in WRITERS
    return review, ReviewAccess(
        can_decide=review.is_open and (approver or user.role == Role.SECURITY_LEAD),
        can_sign=review.is_open and approver,
        approver_ids=approver_ids,
    )


def get_review_item_for(user, pk: int) -> tuple[RiskReviewItem, ReviewAccess]:
    item = get_object_or_404(RiskReviewItem.objects.select_related("review", "risk"), pk=pk)
    _review, access = get_review_for(user, item.review_id)
    return item, access

"""Treatment plans: actions with owners and due times, and risk acceptance.

* Each action is an obligation ``risks.treatment_action`` due at its due time, owned by its owner.
* Accepting a risk needs a rationale and an expiry (at most 12 months away) and the approval of
  a manager or security lead other than the requester, given with a fresh one-time code. The
  approval opens ``risks.acceptance_revisit`` due at the expiry; a later approval (the revisit)
  completes it and opens the next.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from grc.audit.services import record_change
from grc.compliance.services import obligation_complete, obligation_open, obligation_waive
from grc.risks import rules
from grc.risks.kinds import ACCEPTANCE_REVISIT, OWNER_ROLES, TREATMENT_ACTION
from grc.risks.models import AcceptanceStatus, ActionStatus, Risk, RiskAcceptance, Treatment, TreatmentAction

APPROVER_ROLES = OWNER_ROLES  # a manager or a security lead approves an acceptance


def _action_title(action: TreatmentAction) -> str:
    return f"{action.risk.reference} treatment: {action.title}"[:200]


def action_obligation_open(action: TreatmentAction) -> None:
    obligation_open(
        kind=TREATMENT_ACTION,
        subject=action,
        anchor_at=min(action.created_at, action.due_at),
        due_at=action.due_at,
        owner=action.owner,
        title=_action_title(action),
        url=action.risk.get_absolute_url(),
    )


def _check_open(risk: Risk) -> None:
    if not risk.is_open:
        raise ValidationError("This risk is closed: reopen it first.")


@transaction.atomic
def action_add(*, risk: Risk, title: str, owner, due_at: datetime, by, now: datetime, request=None) -> TreatmentAction:
    """Add an action to the risk's treatment plan; its deadline goes to the obligation engine."""
    _check_open(risk)
    problems = {}
    if not (title or "").strip():
        problems["title"] = "Say what will be done."
    if owner is None or not owner.is_active:
        problems["owner"] = "Choose an active person to own the action."
    if due_at is None or due_at <= now:
        problems["due_at"] = "The due time must be in the future."
    if problems:
        raise ValidationError(problems)
    action = TreatmentAction.objects.create(risk=risk, title=title.strip(), owner=owner, due_at=due_at, created_at=now, created_by=by)
    action_obligation_open(action)
    record_change("created", action, request=request, actor=by, changed_fields=["title", "owner", "due_at"])
    return action


@transaction.atomic
def action_complete(*, action: TreatmentAction, note: str, by, now: datetime, request=None) -> TreatmentAction:
    action = TreatmentAction.objects.select_for_update().select_related("risk").get(pk=action.pk)
    if not action.is_open:
        raise ValidationError("This action is no longer open.")
    action.status, action.completed_at, action.completed_by, action.note = ActionStatus.DONE, now, by, (note or "").strip()
    action.save(update_fields=["status", "completed_at", "completed_by", "note"])
    obligation_complete(kind=TREATMENT_ACTION, subject=action, completed_at=now, completed_by=by)
    record_change("completed", action, request=request, actor=by, changed_fields=["status", "note"] if note else ["status"])
    return action


@transaction.atomic
def action_cancel(*, action: TreatmentAction, note: str, by, now: datetime, request=None) -> TreatmentAction:
    action = TreatmentAction.objects.select_for_update().select_related("risk").get(pk=action.pk)
    if not action.is_open:
        raise ValidationError("This action is no longer open.")
    if not (note or "").strip():
        raise ValidationError({"note": "Say why the action is cancelled."})
    action.status, action.completed_at, action.completed_by, action.note = ActionStatus.CANCELLED, now, by, note.strip()
    action.save(update_fields=["status", "completed_at", "completed_by", "note"])
    obligation_waive(kind=TREATMENT_ACTION, subject=action, when=now, reason="action cancelled", by=by)
    record_change("cancelled", action, request=request, actor=by, changed_fields=["status", "note"])
    return action


# --- acceptance ----------------------------------------------------------------------------------
@transaction.atomic
def acceptance_request(*, risk: Risk, rationale: str, expires_at: datetime, by, now: datetime, request=None) -> RiskAcceptance:
    """Ask for the risk to be accepted as it is; the treatment becomes "accept" (pending approval)."""
    risk = Risk.objects.select_for_update().get(pk=risk.pk)
    _check_open(risk)
    problems = {}
    if not (rationale or "").strip():
        problems["rationale"] = "Give the rationale: why the risk is tolerable as it is."
    if expires_at is None or not rules.acceptance_expiry_allowed(expires_at, now):
        problems["expires_at"] = f"Choose an expiry in the future and at most {rules.MAX_ACCEPTANCE_MONTHS} months away."
    if risk.acceptances.filter(status=AcceptanceStatus.PENDING).exists():
        problems["__all__"] = "An acceptance of this risk is already awaiting approval."
    if problems:
        raise ValidationError(problems)
    acceptance = RiskAcceptance.objects.create(
        risk=risk, rationale=rationale.strip(), expires_at=expires_at, requested_by=by, requested_at=now
    )
    if risk.treatment != Treatment.ACCEPT:
        risk.treatment, risk.updated_at = Treatment.ACCEPT, now
        risk.save(update_fields=["treatment", "updated_at"])
        record_change("updated", risk, request=request, actor=by, changed_fields=["treatment"])
    record_change("requested", acceptance, request=request, actor=by, changed_fields=["rationale", "expires_at"])
    return acceptance


@transaction.atomic
def acceptance_decide(
    *, acceptance: RiskAcceptance, approve: bool, note: str, by, step_up_at: datetime | None, now: datetime, request=None
) -> RiskAcceptance:
    """Approve or reject an acceptance. Only a manager or security lead, never the requester."""
    acceptance = RiskAcceptance.objects.select_for_update().select_related("risk__owner").get(pk=acceptance.pk)
    risk = acceptance.risk
    if acceptance.status != AcceptanceStatus.PENDING:
        raise ValidationError("This acceptance has already been decided.")
    if by.role not in APPROVER_ROLES or not by.is_active:
        raise ValidationError("Only a manager or a security lead approves a risk acceptance.")
    if acceptance.requested_by_id == by.pk:
        raise ValidationError("Someone other than the person who asked for it must approve a risk acceptance.")
    if step_up_at is None:
        raise ValidationError("Approving needs a fresh one-time code.")
    if approve:
        _check_open(risk)
        if acceptance.expires_at <= now:
            raise ValidationError("The requested expiry has passed: ask for a new acceptance with a later expiry.")
        for earlier in risk.acceptances.select_for_update().filter(status=AcceptanceStatus.APPROVED):
            earlier.status = AcceptanceStatus.WITHDRAWN
            earlier.save(update_fields=["status"])
            record_change("withdrawn", earlier, request=request, actor=by, changed_fields=["status"])
        # the earlier acceptance (if any) has been revisited now; the new one is revisited at its expiry
        obligation_complete(kind=ACCEPTANCE_REVISIT, subject=risk, completed_at=now, completed_by=by)
        acceptance.status = AcceptanceStatus.APPROVED
        acceptance.step_up_at = step_up_at
        obligation_open(
            kind=ACCEPTANCE_REVISIT,
            subject=risk,
            anchor_at=now,
            due_at=acceptance.expires_at,
            owner=risk.owner,
            title=f"Revisit the accepted risk {risk.reference}",
            url=risk.get_absolute_url(),
        )
        if risk.treatment != Treatment.ACCEPT:
            risk.treatment, risk.updated_at = Treatment.ACCEPT, now
            risk.save(update_fields=["treatment", "updated_at"])
    else:
        acceptance.status = AcceptanceStatus.REJECTED
    acceptance.decided_by, acceptance.decided_at, acceptance.decision_note = by, now, (note or "").strip()[:300]
    acceptance.save()
    record_change("approved" if approve else "rejected", acceptance, request=request, actor=by, changed_fields=["status"])
    return acceptance


def acceptances_withdraw(*, risk: Risk, by, now: datetime, reason: str, request=None) -> int:
    """Withdraw the risk's pending and approved acceptances and stop the revisit clock."""
    withdrawn = 0
    for acceptance in risk.acceptances.select_for_update().filter(status__in=[AcceptanceStatus.PENDING, AcceptanceStatus.APPROVED]):
        acceptance.status = AcceptanceStatus.WITHDRAWN
        acceptance.save(update_fields=["status"])
        record_change("withdrawn", acceptance, request=request, actor=by, changed_fields=["status"])
        withdrawn += 1
    obligation_waive(kind=ACCEPTANCE_REVISIT, subject=risk, when=now, reason=reason, by=by)
    return withdrawn


def current_acceptance(risk: Risk) -> RiskAcceptance | None:
    return risk.acceptances.filter(status=AcceptanceStatus.APPROVED).first()

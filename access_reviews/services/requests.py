"""Access requests: the formal user access registration of DPP 1.2 (who, which system, which
privilege, why — need-to-know, DPP 1.3 — approver, decision with time). Granting links the
request to the account, which clears the account's "no approved request" flag."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from access_reviews.models import AccessRequest, Account, Person, RequestStatus, System
from access_reviews.services.registry import account_create, accounts_refresh_flags
from grc.accounts.models import Role, User
from grc.audit.services import record_change


def allowed_approvers(person: Person, system: System) -> set[int | None]:
    """The system owner, or the person's manager's portal user; never the person themselves.

    When that leaves nobody (the owner requests access to their own system and has no manager),
    any other active security lead or manager may approve.
    """
    ids: set[int | None] = {system.owner_id}  # None: the portal's own system row has no owner
    manager = person.manager if person.manager_id else None
    if manager is not None and manager.user_id:
        ids.add(manager.user_id)
    ids.discard(person.user_id)
    if not ids:
        # pk=None is a valid exact lookup (IS NULL); the stubs refuse None
        others = User.objects.filter(is_active=True, role__in=[Role.SECURITY_LEAD, Role.MANAGER]).exclude(pk=person.user_id)  # type: ignore[misc]
        ids = set(others.values_list("pk", flat=True))
    return ids


@transaction.atomic
def access_request_create(
    *, requester: Person, system: System, privilege: str, privileged: bool, justification: str, approver, by, now: datetime, request=None
) -> AccessRequest:
    if requester.is_terminated:
        raise ValidationError({"requester": "This person is terminated."})
    if not justification.strip():
        raise ValidationError({"justification": "Say why this access is needed (need-to-know)."})
    if approver.pk not in allowed_approvers(requester, system):
        raise ValidationError({"approver": "The approver is the system owner or the person's manager (never the person)."})
    access_request = AccessRequest.objects.create(
        requester=requester,
        system=system,
        privilege=privilege.strip(),
        privileged=privileged,
        justification=justification.strip(),
        approver=approver,
        created_by=by,
        created_at=now,
    )
    record_change("created", access_request, request=request, actor=by, changed_fields=["system", "privilege", "justification", "approver"])
    return access_request


@transaction.atomic
def access_request_decide(*, access_request: AccessRequest, approve: bool, note: str, by, now: datetime, request=None) -> AccessRequest:
    """The named approver approves or rejects; the decision and its time are kept."""
    if access_request.approver_id != by.pk:
        raise PermissionDenied("Only the named approver decides this request.")
    if access_request.status != RequestStatus.PENDING:
        raise ValidationError("This request is already decided.")
    if not approve and not note.strip():
        raise ValidationError({"note": "Say why the request is rejected."})
    access_request.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
    access_request.decided_at, access_request.decided_by, access_request.decision_note = now, by, note.strip()
    access_request.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    record_change(
        "decided", access_request, request=request, actor=by, changed_fields=["status"], message=f"status={access_request.status}"
    )
    return access_request


@transaction.atomic
def access_request_grant(
    *, access_request: AccessRequest, account: Account | None = None, account_name: str = "", by, now: datetime, request=None
) -> Account:
    """Link an approved request to the account it granted (an existing one, or a new one)."""
    if access_request.status != RequestStatus.APPROVED:
        raise ValidationError("Only an approved request can be granted.")
    if account is None:
        if not account_name.strip():
            raise ValidationError({"account_name": "Choose the existing account or name the new one."})
        account = account_create(
            data={
                "system": access_request.system,
                "name": account_name.strip(),
                "person": access_request.requester,
                "privilege": access_request.privilege,
                "privileged": access_request.privileged,
            },
            by=by,
            now=now,
            request=request,
        )
    elif account.system_id != access_request.system_id or account.person_id != access_request.requester_id:
        raise ValidationError({"account": "The account must be the requester's, on the requested system."})
    account.access_request = access_request
    account.save(update_fields=["access_request", "updated_at"])
    accounts_refresh_flags(Account.objects.filter(pk=account.pk))
    account.refresh_from_db()
    record_change("granted", access_request, request=request, actor=by, changed_fields=["account"], message=f"account={account.pk}")
    return account

"""Deprovisioning tasks: remove (or reduce) an account within 24 hours (DPP 1.2).

Opened by a termination or a review's revoke/change decision; each is an obligation of kind
``access_reviews.deprovision`` owned by the system owner. Closing one records who confirmed the
account was disabled/removed and when. Imports verify: an account still enabled after its task
was closed re-opens the task and is flagged "revoked but still present".
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from access_reviews.flags import is_privileged_role
from access_reviews.models import Account, Campaign, ClosedVia, DeprovisionTask, TaskReason
from access_reviews.services.completion import campaign_try_complete
from access_reviews.services.flagging import accounts_refresh_flags, set_flags
from grc.audit.services import record_change, record_event
from grc.compliance.cadences import cadence_for
from grc.compliance.services import obligation_complete, obligation_open, obligation_waive

KIND = "access_reviews.deprovision"
OUTCOMES = {"disabled": "Disabled", "removed": "Removed", "privilege_changed": "Privilege changed"}
REASON_TITLES: dict[str, str] = {
    TaskReason.TERMINATION: "Remove access of a terminated person",
    TaskReason.REVOKE: "Remove access revoked in a review",
    TaskReason.CHANGE: "Change privilege as decided in a review",
}


def _open_obligation(task: DeprovisionTask) -> None:
    obligation_open(
        kind=KIND,
        subject=task,
        anchor_at=task.opened_at,
        owner=task.owner,
        title=f"{REASON_TITLES[task.reason]} ({task.account.system.name})",
        url=reverse("access_reviews:task_detail", args=[task.pk]),
    )


@transaction.atomic
def task_open(
    *,
    account: Account,
    reason: str,
    opened_at: datetime,
    by=None,
    person=None,
    campaign=None,
    new_privilege: str = "",
    request=None,
) -> DeprovisionTask:
    """Open the account's task (or return the one already open: one open task per account)."""
    existing = DeprovisionTask.objects.select_for_update().filter(account=account, closed_at__isnull=True).first()
    if existing is not None:
        return existing
    task = DeprovisionTask.objects.create(
        account=account,
        person=person or account.person,
        reason=reason,
        campaign=campaign,
        previous_privilege=account.privilege,
        new_privilege=new_privilege,
        owner=account.system.owner,
        opened_at=opened_at,
        due_at=cadence_for(KIND).due_after(opened_at),
        created_at=opened_at,
    )
    _open_obligation(task)
    record_change("created", task, request=request, actor=by, message=f"reason={reason}")
    return task


@transaction.atomic
def task_confirm(
    *, task: DeprovisionTask, outcome: str, when: datetime, by, now: datetime, note: str = "", via: str = ClosedVia.HAND, request=None
) -> DeprovisionTask:
    """Close a task: the account was disabled/removed (or its privilege changed) at ``when`` by ``by``."""
    if not task.is_open:
        raise ValidationError("This task is already closed.")
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": "Choose disabled, removed or privilege changed."})
    if outcome == "privilege_changed" and task.reason != TaskReason.CHANGE:
        raise ValidationError({"outcome": "This task removes access: the account must be disabled or removed."})
    if when > now:
        raise ValidationError({"when": "The time cannot be in the future."})
    if when < task.opened_at:
        raise ValidationError({"when": "The time cannot be before the task was opened."})
    task.closed_at, task.closed_by, task.closed_via, task.outcome, task.note = when, by, via, outcome, note
    task.save(update_fields=["closed_at", "closed_by", "closed_via", "outcome", "note"])
    account = Account.objects.select_related("person", "access_request").get(pk=task.account_id)
    if via == ClosedVia.HAND:  # an import has already written what it saw
        if outcome == "privilege_changed":
            account.privilege = task.new_privilege
            account.privileged = is_privileged_role(task.new_privilege)
        else:
            account.enabled = False
            if outcome == "removed":
                account.removed_at = when
    account.flag_revoked_present = False
    set_flags(account)
    account.save()
    obligation_complete(kind=KIND, subject=task, completed_at=when, completed_by=by)
    record_change("confirmed", task, request=request, actor=by, changed_fields=["closed_at", "outcome"], message=f"via={via}")
    campaign = task.campaign if task.campaign_id else None
    if campaign is not None:
        campaign_try_complete(campaign=campaign, now=now)
    # campaign_id=None is a valid exact lookup (IS NULL); the stubs refuse None
    for campaign_id in task.review_rows.exclude(campaign_id=task.campaign_id).values_list("campaign_id", flat=True).distinct():  # type: ignore[misc]
        campaign_try_complete(campaign=Campaign.objects.get(pk=campaign_id), now=now)
    return task


@transaction.atomic
def task_cancel(*, task: DeprovisionTask, by, now: datetime, reason: str, request=None) -> None:
    """Withdraw a task that no longer applies (a reviewer changed their decision before it was done)."""
    if not task.is_open:
        raise ValidationError("This task is already closed: the account was already deprovisioned.")
    task.closed_at, task.closed_by, task.closed_via, task.outcome = now, by, ClosedVia.HAND, "cancelled"
    task.save(update_fields=["closed_at", "closed_by", "closed_via", "outcome"])
    obligation_waive(kind=KIND, subject=task, when=now, reason=reason, by=by)
    record_change("cancelled", task, request=request, actor=by, changed_fields=["closed_at", "outcome"])


@transaction.atomic
def task_reopen(*, task: DeprovisionTask, now: datetime, by=None, system_actor: str = "") -> bool:
    """An import still shows the account: the task opens again, overdue from its original clock."""
    if task.is_open or DeprovisionTask.objects.filter(account_id=task.account_id, closed_at__isnull=True).exists():
        Account.objects.filter(pk=task.account_id).update(flag_revoked_present=True)
        return False
    task.closed_at = task.closed_by = None
    task.closed_via = task.outcome = ""
    task.reopened_at = now
    task.reopen_count += 1
    task.save(update_fields=["closed_at", "closed_by", "closed_via", "outcome", "reopened_at", "reopen_count"])
    _open_obligation(task)
    record_event(
        "access_reviews.deprovisiontask.reopened",
        actor=by,
        system_actor=system_actor,
        obj=task,
        outcome="failure",
        message="account still enabled in a later import",
    )
    return True


def verify_after_import(*, system_id: int, seen: dict[int, tuple[bool, str | None]], gone: set[int], by, now: datetime) -> dict[str, int]:
    """Check the system's tasks against an import.

    ``seen`` maps account id → (enabled, privilege or None when the file has no privilege column)
    for every account in the file; ``gone`` are the accounts the import removes. Closed tasks of an
    account still enabled (or still on its old privilege) re-open and flag the account; open tasks
    of an account now disabled or gone are closed as confirmed by the import, and closed ones verified.
    """
    counts = {"reopened": 0, "closed": 0, "verified": 0}
    tasks = DeprovisionTask.objects.filter(account__system_id=system_id, verified_at__isnull=True).exclude(outcome="cancelled")
    flagged: set[int] = set()
    for task in tasks.select_related("account__system", "campaign").order_by("account_id", "-pk"):
        account_id = task.account_id
        enabled, privilege = seen.get(account_id, (False, None))
        still_there = account_id not in gone and enabled
        if task.reason == TaskReason.CHANGE and still_there:
            done = privilege is None or privilege != task.previous_privilege
        else:
            done = not still_there
        if done and task.is_open:
            outcome = "privilege_changed" if task.reason == TaskReason.CHANGE else ("removed" if account_id in gone else "disabled")
            task_confirm(task=task, outcome=outcome, when=now, by=by, now=now, via=ClosedVia.IMPORT)
            DeprovisionTask.objects.filter(pk=task.pk).update(verified_at=now)
            counts["closed"] += 1
        elif done:
            DeprovisionTask.objects.filter(pk=task.pk).update(verified_at=now)
            counts["verified"] += 1
        elif not task.is_open:
            flagged.add(account_id)
            counts["reopened"] += int(task_reopen(task=task, now=now, by=by))
    if flagged:
        Account.objects.filter(pk__in=flagged).update(flag_revoked_present=True)
        accounts_refresh_flags(Account.objects.filter(pk__in=flagged))
    return counts

"""Quarterly access review campaigns (DPP 1.2 "review ... at least quarterly").

Start → snapshot every enabled account of every in-scope system into review rows, each assigned
to a reviewer (``rules.choose_reviewer``) → reviewers decide keep/revoke/change → each signs off
with step-up MFA → complete when every reviewer signed and every revocation is confirmed. The
completion time feeds the programme-wide ``access_reviews.quarterly_review`` obligation.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.urls import reverse

from access_reviews.emails import send_reviewer_assigned
from access_reviews.flags import FLAG_FIELDS
from access_reviews.models import (
    Account,
    Campaign,
    CampaignReviewer,
    CampaignStatus,
    Decision,
    Person,
    PersonStatus,
    ReviewRow,
    SignOff,
    System,
    TaskReason,
)
from access_reviews.rules import choose_reviewer, decision_errors, quarter_of
from access_reviews.services.completion import KIND, REVIEWER_KIND, campaign_try_complete, reviewer_obligation_close
from access_reviews.services.completion import campaign_blockers as campaign_blockers  # re-exported: the campaign page asks
from access_reviews.services.deprovision import task_cancel, task_open
from grc.accounts.models import Role, User
from grc.audit.services import record_change, record_event
from grc.compliance.cadences import cadence_for
from grc.compliance.services import obligation_open, open_obligation
from grc.queue import enqueue

REVIEWER_ROLES = (Role.SECURITY_LEAD, Role.MANAGER)
SNAPSHOT_BATCH = 1000
logger = logging.getLogger("access_reviews")


def changed_since_snapshot() -> Q:
    """Review rows whose account changed for the worse since the campaign started, judged on the
    registry as it is now: the person was terminated, the account was disabled or removed, or the
    account carries a flag the snapshot did not (the flag rules of ``access_reviews.flags``,
    stored on the account by ``services.flagging`` whenever what they read changes). Such a row
    needs an individual decision: bulk keep leaves it alone and the page shows a badge.

    Written as two ``EXISTS`` probes by primary key rather than joins: the review page counts the
    changed rows among a reviewer's pending ones, and a join made PostgreSQL hash the whole
    account registry (24,867 rows at factor 1) for ~270 of them; the probes touch only those rows.
    """
    newly_flagged = Q()
    for field in FLAG_FIELDS.values():
        newly_flagged |= Q(**{field: True}) & ~Q(**{field: OuterRef(field)})
    person_left = Person.objects.filter(pk=OuterRef("person_id"), status=PersonStatus.TERMINATED)
    account_worse = Account.objects.filter(pk=OuterRef("account_id")).filter(
        Q(person__status=PersonStatus.TERMINATED) | Q(enabled=False) | Q(removed_at__isnull=False) | newly_flagged
    )
    return Q(Exists(person_left)) | Q(Exists(account_worse))


# What ``changed_from_values`` reads, beside the row's own ``person__status`` and ``flag_*`` columns:
# the account as it is now (one LEFT JOIN each for the account and its person, by primary key).
CHANGED_FIELDS = ("account__enabled", "account__removed_at", "account__person__status", *(f"account__{f}" for f in FLAG_FIELDS.values()))


def changed_from_values(values: dict) -> bool:
    """``changed_since_snapshot`` for one row already loaded with ``CHANGED_FIELDS`` and its own
    ``person__status`` and ``flag_*`` values: the same rule read in Python, so the review page's 50
    rows need no ``EXISTS`` probes (tests/access_reviews/test_review_page.py checks both agree)."""
    if values["person__status"] == PersonStatus.TERMINATED or values["account__person__status"] == PersonStatus.TERMINATED:
        return True
    if values["account__enabled"] is False or values["account__removed_at"] is not None:
        return True
    return any(values[f"account__{field}"] is True and values[field] is not True for field in FLAG_FIELDS.values())


def campaign_due_at(campaign: Campaign, *, now: datetime) -> datetime:
    """When the reviewers' sign-offs are due: the quarterly review obligation's due time; when that
    has already passed, the reviewers get the kind's warning window (14 days) from now."""
    obligation = open_obligation(KIND, None)
    if obligation is not None and obligation.due_at > now:
        return obligation.due_at
    return now + cadence_for(KIND).warning


def reviewer_task_open(*, share: CampaignReviewer, due_at: datetime, anchor_at: datetime) -> None:
    """The reviewer's sign-off task on their dashboard (owner: the reviewer, due: the campaign's due
    time); opened at the start and re-opened by the provider's resync, from this one place."""
    obligation_open(
        kind=REVIEWER_KIND,
        subject=share,
        anchor_at=anchor_at,
        owner=share.reviewer,
        due_at=due_at,
        url=reverse("access_reviews:review_page", args=[share.campaign_id]),
        title=f"Review and sign off access review {share.campaign.period}",
    )


def reviewers_assign(*, campaign: Campaign, now: datetime) -> list[CampaignReviewer]:
    """One share per reviewer with their count; each opens the reviewer's sign-off task, and the
    emails go out from a Celery task once the campaign is committed (never in the request)."""
    counts = ReviewRow.objects.filter(campaign=campaign).values("reviewer_id").annotate(n=Count("pk")).order_by("reviewer_id")
    shares = CampaignReviewer.objects.bulk_create(
        [CampaignReviewer(campaign=campaign, reviewer_id=c["reviewer_id"], rows=c["n"]) for c in counts]
    )
    due = campaign_due_at(campaign, now=now)
    for share in CampaignReviewer.objects.filter(campaign=campaign).select_related("campaign", "reviewer"):
        reviewer_task_open(share=share, due_at=due, anchor_at=now)
    enqueue("access_reviews.tasks.notify_reviewers", campaign.pk, due.isoformat())
    return shares


def reviewers_notify(*, campaign_id: int, due_at: datetime, now: datetime) -> int:
    """Email each reviewer not yet told (one email each); a failed send is logged and left for the
    reminders, which follow the same task."""
    sent = 0
    for share in CampaignReviewer.objects.filter(campaign_id=campaign_id, notified_at__isnull=True).select_related("campaign", "reviewer"):
        try:
            delivered = send_reviewer_assigned(share=share, due_at=due_at)
        except Exception:
            logger.exception("could not email reviewer %s of campaign %s", share.reviewer_id, campaign_id)
            continue
        if delivered:
            CampaignReviewer.objects.filter(pk=share.pk).update(notified_at=now)
            sent += 1
    return sent


def active_leads() -> list[User]:
    return list(User.objects.filter(role=Role.SECURITY_LEAD, is_active=True).order_by("pk"))


def quarterly_obligation_ensure(*, now: datetime):
    """Keep the programme-wide quarterly review obligation open.

    Anchored at the last completed campaign, or (never reviewed) when the first system was
    registered: the first review is due three months after tracking began.
    """
    existing = open_obligation(KIND, None)
    if existing is not None:
        return existing
    last = Campaign.objects.filter(status=CampaignStatus.COMPLETE).order_by("-completed_at").first()
    anchor = last.completed_at if last else System.objects.aggregate(first=Min("created_at"))["first"]
    if anchor is None:
        return None
    leads = active_leads()
    return obligation_open(
        kind=KIND, subject=None, anchor_at=anchor, owner=leads[0] if leads else None, url=reverse("access_reviews:campaign_list")
    )


def _may_review(user_id: int | None, reviewers: dict[int, User]) -> int | None:
    return user_id if user_id in reviewers else None


@transaction.atomic
def campaign_start(
    *, period: str, period_start: date, period_end: date, effective_at: datetime, by, now: datetime, request=None
) -> Campaign:
    """Open a campaign for ``period`` and snapshot the accounts into review rows (bulk)."""
    if Campaign.objects.filter(period=period, status=CampaignStatus.OPEN).exists():
        raise ValidationError({"period": f"A campaign for {period} is already in progress."})
    if effective_at > now:
        raise ValidationError({"effective_at": "The evidence cannot describe a moment in the future."})
    accounts = Account.objects.filter(system__in_scope=True, removed_at__isnull=True, enabled=True).order_by("pk")
    if not accounts.exists():
        raise ValidationError("There are no enabled accounts on in-scope systems to review: import accounts first.")
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(
                period=period, period_start=period_start, period_end=period_end, effective_at=effective_at, started_by=by, started_at=now
            )
    except IntegrityError:
        raise ValidationError({"period": f"A campaign for {period} is already in progress."})
    reviewers = {u.pk: u for u in User.objects.filter(is_active=True, role__in=REVIEWER_ROLES)}
    lead_ids = [u.pk for u in active_leads()]
    if by is not None and by.pk in lead_ids:  # the lead who starts it is the first fallback
        lead_ids.remove(by.pk)
        lead_ids.insert(0, by.pk)
    others = sorted(pk for pk in reviewers if pk not in lead_ids)
    rows: list[ReviewRow] = []
    count = 0
    # values(): only the account name is decrypted (people's names are not needed to assign a reviewer)
    for account in accounts.values(*SNAPSHOT_FIELDS).iterator(chunk_size=SNAPSHOT_BATCH):
        reviewer_id = choose_reviewer(
            own_user_id=account["person__user_id"],
            is_service_account=account["is_service_account"],
            manager_user_id=_may_review(account["person__manager__user_id"], reviewers),
            system_owner_id=_may_review(account["system__owner_id"], reviewers),
            lead_ids=lead_ids,
            other_ids=others,
        )
        if reviewer_id is None:
            system_name = System.objects.get(pk=account["system_id"]).name
            raise ValidationError(
                f"Account {account['pk']} on {system_name} has nobody to review it but its own person: add a second security lead or a manager."
            )
        rows.append(_snapshot_row(campaign, account, reviewer_id))
        if len(rows) >= SNAPSHOT_BATCH:
            ReviewRow.objects.bulk_create(rows)
            count += len(rows)
            rows = []
    ReviewRow.objects.bulk_create(rows)
    count += len(rows)
    quarterly_obligation_ensure(now=now)
    reviewers_assign(campaign=campaign, now=now)
    record_event(
        "access_reviews.campaign.started",
        request=request,
        actor=by,
        system_actor="" if by else "task:start_due_campaign",
        obj=campaign,
        message=f"period={period} rows={count}",
        details={"rows": count},
    )
    return campaign


FLAG_NAMES = ("orphan", "shared", "no_mfa", "privileged", "no_request", "revoked_present")
COPIED = ("is_service_account", "privilege", "privileged", "mfa", "last_login_at", "flag_count", *(f"flag_{f}" for f in FLAG_NAMES))
SNAPSHOT_FIELDS = ("pk", "name", "system_id", "system__owner_id", "person_id", "person__user_id", "person__manager__user_id", *COPIED)


def _snapshot_row(campaign: Campaign, account: dict, reviewer_id: int) -> ReviewRow:
    return ReviewRow(
        campaign=campaign,
        account_id=account["pk"],
        system_id=account["system_id"],
        person_id=account["person_id"],
        reviewer_id=reviewer_id,
        account_name=account["name"],
        **{field: account[field] for field in COPIED},
    )


def campaign_start_if_due(*, now: datetime) -> Campaign | None:
    """Beat's entry: start this quarter's campaign when the quarterly obligation is due soon or overdue.

    Starting in the warning window (14 days before the due time) gives reviewers that time.
    Nothing happens while a campaign is open or when this quarter already has one.
    """
    obligation = quarterly_obligation_ensure(now=now)
    if obligation is None or now < obligation.due_at - cadence_for(KIND).warning:
        return None
    if Campaign.objects.filter(status=CampaignStatus.OPEN).exists():
        return None
    period, start, end = quarter_of(now.date())
    if Campaign.objects.filter(period=period).exists():
        return None
    try:
        return campaign_start(period=period, period_start=start, period_end=end, effective_at=now, by=None, now=now)
    except ValidationError:
        return None


def _check_can_decide(row: ReviewRow, by) -> None:
    if row.reviewer_id != by.pk:
        raise PermissionDenied("Only the assigned reviewer decides this row.")
    if not row.campaign.is_open:
        raise ValidationError("This campaign is complete.")
    if SignOff.objects.filter(campaign_id=row.campaign_id, reviewer=by).exists():
        raise ValidationError("You have signed off this campaign: your decisions are final.")


@transaction.atomic
def row_decide(*, row: ReviewRow, decision: str, comment: str, by, now: datetime, new_privilege: str = "", request=None) -> ReviewRow:
    """Record a reviewer's keep/revoke/change; revoke and change open a 24-hour deprovisioning task."""
    row = ReviewRow.objects.select_for_update(of=("self",)).select_related("campaign", "account__system", "task").get(pk=row.pk)
    _check_can_decide(row, by)
    errors = decision_errors(
        decision=decision, flagged=row.flag_count > 0, comment=comment, new_privilege=new_privilege, current_privilege=row.privilege
    )
    if errors:
        raise ValidationError(errors)
    same = row.decision == decision and (decision != Decision.CHANGE or row.new_privilege == new_privilege.strip())
    task = row.task if row.task_id else None
    if task is not None and not same and task.campaign_id == row.campaign_id and task.reason != TaskReason.TERMINATION:
        task_cancel(task=task, by=by, now=now, reason="the reviewer changed their decision", request=request)
        row.task = None
    row.decision = decision
    row.comment = comment.strip()
    row.new_privilege = new_privilege.strip() if decision == Decision.CHANGE else ""
    row.decided_at, row.decided_by = now, by
    if decision in (Decision.REVOKE, Decision.CHANGE) and row.task is None:
        row.task = task_open(
            account=row.account,
            reason=TaskReason.REVOKE if decision == Decision.REVOKE else TaskReason.CHANGE,
            opened_at=now,
            by=by,
            person=row.person,
            campaign=row.campaign,
            new_privilege=row.new_privilege,
            request=request,
        )
    row.save(update_fields=["decision", "comment", "new_privilege", "decided_at", "decided_by", "task"])
    record_change("decided", row, request=request, actor=by, changed_fields=["decision", "comment"], message=f"decision={decision}")
    return row


@transaction.atomic
def rows_bulk_keep(*, campaign: Campaign, reviewer, now: datetime, request=None) -> int:
    """Keep every undecided, unflagged row of this reviewer (flagged rows need a justification each).

    Flags are re-evaluated live: a row whose person was terminated, whose account was disabled or
    removed, or which gained a flag since the snapshot (``changed_since_snapshot``) is left undecided."""
    if not campaign.is_open:
        raise ValidationError("This campaign is complete.")
    if SignOff.objects.filter(campaign=campaign, reviewer=reviewer).exists():
        raise ValidationError("You have signed off this campaign: your decisions are final.")
    count = (
        ReviewRow.objects.filter(campaign=campaign, reviewer=reviewer, decision=Decision.PENDING, flag_count=0)
        .exclude(changed_since_snapshot())
        .update(decision=Decision.KEEP, decided_at=now, decided_by=reviewer)
    )
    record_event("access_reviews.campaign.bulk_kept", request=request, actor=reviewer, obj=campaign, message=f"rows={count}")
    return count


@transaction.atomic
def reviewer_sign_off(*, campaign: Campaign, reviewer, now: datetime, request=None) -> SignOff:
    """Sign all of a reviewer's rows (the view demands a fresh step-up code first)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not campaign.is_open:
        raise ValidationError("This campaign is complete.")
    rows = ReviewRow.objects.filter(campaign=campaign, reviewer=reviewer)
    total = rows.count()
    if total == 0:
        raise PermissionDenied("You have no rows in this campaign.")
    pending = rows.filter(decision=Decision.PENDING).count()
    if pending:
        raise ValidationError(f"{pending} of your {total} accounts are not decided yet: decide them all before signing off.")
    if SignOff.objects.filter(campaign=campaign, reviewer=reviewer).exists():
        raise ValidationError("You have already signed off this campaign.")
    sign_off = SignOff.objects.create(campaign=campaign, reviewer=reviewer, signed_at=now, rows=total)
    share = CampaignReviewer.objects.filter(campaign=campaign, reviewer=reviewer).select_related("reviewer").first()
    if share is not None:
        reviewer_obligation_close(share=share, now=now, signed=True)
    record_change("created", sign_off, request=request, actor=reviewer, message=f"campaign={campaign.pk} rows={total} step_up=yes")
    campaign_try_complete(campaign=campaign, now=now)
    return sign_off

"""Twelve past quarterly access reviews (complete, signed off) and the current one in progress.

Each campaign snapshots the accounts that existed, enabled, on in-scope systems at its effective
time, assigns reviewers with the app's own rule (``access_reviews.rules.choose_reviewer``) and
records decisions, sign-offs and the 24-hour tasks of revocations, as the services would.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.urls import reverse

from access_reviews.models import Account, Campaign, CampaignStatus, Decision, DeprovisionTask, ReviewRow, SignOff, TaskReason
from access_reviews.rules import choose_reviewer, period_bounds, quarter_of
from access_reviews.services.campaigns import COPIED
from access_reviews.services.deprovision import REASON_TITLES
from grc.accounts.models import Role
from grc.compliance.models import Obligation
from grc.scale.bulk import ScaleContext, insert, obligation

QUARTERLY = "access_reviews.quarterly_review"
DEPROVISION = "access_reviews.deprovision"
REVOKE_SHARE = 0.004
CHANGE_SHARE = 0.001


def _quarter_before(label: str) -> str:
    year, quarter = int(label[:4]), int(label[-1])
    return f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}"


def _midnight(day) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def periods(now: datetime, count: int) -> list[str]:
    """The ``count`` quarters before the current one, oldest first."""
    label = quarter_of(now.date())[0]
    past = []
    for _ in range(count):
        label = _quarter_before(label)
        past.append(label)
    return past[::-1]


class Reviewers:
    """Who may review (active leads and managers) and ``choose_reviewer`` for an account."""

    def __init__(self, ctx: ScaleContext):
        users = ctx.made["user_by_id"]
        self.allowed = {u.pk for u in users.values() if u.is_active and u.role in (Role.SECURITY_LEAD, Role.MANAGER)}
        self.lead_ids = [u.pk for u in ctx.made["leads"]]
        self.others = sorted(pk for pk in self.allowed if pk not in self.lead_ids)
        self.people = ctx.made["person_by_id"]

    def for_account(self, account: Account) -> int | None:
        person = self.people.get(account.person_id) if account.person_id else None
        manager = self.people.get(person.manager_id) if person and person.manager_id else None
        manager_user = manager.user_id if manager and manager.user_id in self.allowed else None
        owner = account.system.owner_id if account.system.owner_id in self.allowed else None
        return choose_reviewer(
            own_user_id=person.user_id if person else None,
            is_service_account=account.is_service_account,
            manager_user_id=manager_user,
            system_owner_id=owner,
            lead_ids=self.lead_ids,
            other_ids=self.others,
        )


def _present(account: Account, at: datetime, revoked: dict[int, datetime]) -> bool:
    if not account.system.in_scope or account.created_at > at:
        return False
    if account.removed_at is not None and account.removed_at <= at:
        return False
    if account.pk in revoked and revoked[account.pk] <= at:
        return False
    person = account.person if account.person_id else None
    if person is not None and person.terminated_at is not None:
        return person.terminated_at > at
    return account.enabled


def seed_campaigns(ctx: ScaleContext) -> None:
    rng, now = ctx.rng, ctx.now
    accounts: list[Account] = ctx.made["accounts"]
    reviewers = Reviewers(ctx)
    lead = ctx.made["leads"][0]
    bench_manager = ctx.made["bench_manager"].pk
    revoked: dict[int, datetime] = {}
    anchor = None
    quarterly: list[Obligation] = []
    rows_total = 0
    labels = periods(now, ctx.sizes.campaigns) + [quarter_of(now.date())[0]]
    for number, label in enumerate(labels):
        current = number == len(labels) - 1
        period, start, end = period_bounds(label)
        effective = min(_midnight(start) + timedelta(days=2), now - timedelta(days=2)) if current else _midnight(start) + timedelta(days=2)
        campaign = Campaign.objects.create(
            period=period, period_start=start, period_end=end, effective_at=effective, started_by=lead, started_at=effective
        )
        progress = defaultdict(lambda: rng.choice((0.0, 0.3, 0.6, 1.0, 1.0)))  # current campaign: each reviewer's share decided
        progress[bench_manager] = 0.35
        rows, tasks = [], []
        task_systems: list[str] = []  # the system name of each task, for its obligation's title
        for account in accounts:
            if not _present(account, effective, revoked):
                continue
            reviewer = reviewers.for_account(account)
            if reviewer is None:
                continue
            row = ReviewRow(
                campaign=campaign,
                account_id=account.pk,
                system_id=account.system_id,
                person_id=account.person_id,
                reviewer_id=reviewer,
                account_name=account.name,
                **{field: getattr(account, field) for field in COPIED},
            )
            decided = rng.random() < (progress[reviewer] if current else 1.0)
            if decided:
                row.decided_at = min(effective + timedelta(days=rng.uniform(0.2, 20)), now - timedelta(minutes=30))
                row.decided_by_id = reviewer
                roll = rng.random()
                busy = account.pk in ctx.made["open_task_accounts"]  # one open task per account
                if not busy and (roll < REVOKE_SHARE or (roll < REVOKE_SHARE + CHANGE_SHARE and account.privileged)):
                    change = roll >= REVOKE_SHARE
                    row.decision = Decision.CHANGE if change else Decision.REVOKE
                    row.new_privilege = "Read only" if change else ""
                    row.comment = "Narrower access is enough." if change else "No longer needed in this role."
                    row.task = _review_task(ctx, account, row, campaign, change, current)
                    tasks.append(row.task)
                    task_systems.append(account.system.name)
                    if not change and row.task.closed_at:
                        revoked[account.pk] = row.task.closed_at
                else:
                    row.decision = Decision.KEEP
                    row.comment = "Still needed for their role." if row.flag_count else ""
            rows.append(row)
        insert(DeprovisionTask, tasks)
        for row in rows:
            if row.task is not None:
                row.task_id = row.task.pk
        insert(ReviewRow, rows, batch_size=1000)
        insert(Obligation, [_task_obligation(task, system) for task, system in zip(tasks, task_systems, strict=True)])
        sign_offs = _sign_offs(rows, campaign, current, bench_manager, now)
        insert(SignOff, sign_offs)
        if not current:
            finished = [s.signed_at for s in sign_offs] + [t.closed_at for t in tasks if t.closed_at]
            campaign.status, campaign.completed_at = CampaignStatus.COMPLETE, max(finished, default=effective) + timedelta(hours=1)
            campaign.save(update_fields=["status", "completed_at"])
        first_anchor = anchor or _midnight(start) - timedelta(days=60)
        url = reverse("access_reviews:campaign_list")
        quarterly.append(
            obligation(
                QUARTERLY, "programme", QUARTERLY, anchor_at=first_anchor, owner_id=lead.pk, completed_at=campaign.completed_at, url=url
            )
        )
        anchor = campaign.completed_at
        rows_total += len(rows)
        ctx.count("deprovision_tasks", len(tasks))
        if current:
            ctx.made["open_campaign"] = campaign
    insert(Obligation, quarterly)
    gone = [a for a in accounts if a.pk in revoked]
    for account in gone:
        account.enabled = False
    Account.objects.bulk_update(gone, ["enabled"], batch_size=1000)
    ctx.count("campaigns", len(labels))
    ctx.count("review_rows", rows_total)


def _review_task(ctx: ScaleContext, account: Account, row: ReviewRow, campaign: Campaign, change: bool, current: bool) -> DeprovisionTask:
    decided_at = row.decided_at
    assert decided_at is not None  # only a decided row gets a task
    task = DeprovisionTask(
        account_id=account.pk,
        person_id=account.person_id,
        reason=TaskReason.CHANGE if change else TaskReason.REVOKE,
        campaign=campaign,
        previous_privilege=account.privilege,
        new_privilege=row.new_privilege,
        owner_id=account.system.owner_id,
        opened_at=decided_at,
        due_at=decided_at + timedelta(hours=24),
        created_at=decided_at,
    )
    closed = decided_at + timedelta(hours=ctx.rng.uniform(1, 22))
    # in the review in progress, the last day's revocations are still running (and a few are late)
    if not current or closed < ctx.now - timedelta(hours=30) and ctx.chance(0.97):
        task.closed_at, task.closed_by_id, task.closed_via = min(closed, ctx.now - timedelta(minutes=10)), account.system.owner_id, "hand"
        task.outcome = "privilege_changed" if change else "disabled"
    return task


def _task_obligation(task: DeprovisionTask, system_name: str) -> Obligation:
    return obligation(
        DEPROVISION,
        "access_reviews.deprovisiontask",
        task.pk,
        anchor_at=task.opened_at,
        owner_id=task.owner_id,
        completed_at=task.closed_at,
        completed_by_id=task.closed_by_id,
        title=f"{REASON_TITLES[task.reason]} ({system_name})",
        url=reverse("access_reviews:task_detail", args=[task.pk]),
    )


def _sign_offs(rows: list[ReviewRow], campaign: Campaign, current: bool, bench_manager: int, now: datetime) -> list[SignOff]:
    by_reviewer: dict[int, list[ReviewRow]] = defaultdict(list)
    for row in rows:
        by_reviewer[row.reviewer_id].append(row)
    sign_offs = []
    for reviewer, mine in by_reviewer.items():
        decided = [r.decided_at for r in mine if r.decided_at is not None]
        if len(decided) < len(mine) or (current and (reviewer == bench_manager or reviewer % 3 == 0)):
            continue
        signed = max(decided) + timedelta(hours=2)
        if current:
            signed = min(signed, now - timedelta(minutes=1))
        sign_offs.append(SignOff(campaign=campaign, reviewer_id=reviewer, signed_at=signed, rows=len(mine)))
    return sign_offs

"""What this app tells the obligation engine: a provider per kind (reminder recipients, resync)
and the live checks of DPP 1.1 (training), 1.2 (reviews, deprovisioning, orphan/shared
accounts) and 1.3 (privileged accounts without an approved request). Reasons carry counts and
ages, never names."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from django.db.models import Q
from django.urls import reverse

from access_reviews.models import Account, Campaign, CampaignReviewer, CampaignStatus, DeprovisionTask, Person
from access_reviews.scope import in_scope_systems
from access_reviews.services.campaigns import campaign_due_at, quarterly_obligation_ensure, reviewer_task_open
from access_reviews.services.completion import REVIEWER_KIND
from access_reviews.services.deprovision import _open_obligation
from access_reviews.services.training import training_sync_person
from grc.accounts.models import Role, User
from grc.compliance.cadences import effective_cadence
from grc.compliance.models import Obligation
from grc.compliance.registry import CheckResult, register_check, register_provider, register_scope
from grc.compliance.services import open_obligation
from grc.words import plural

DEPROVISION = "access_reviews.deprovision"
QUARTERLY = "access_reviews.quarterly_review"
TRAINING_INITIAL = "access_reviews.training_initial"
TRAINING_ANNUAL = "access_reviews.training_annual"
# The reviewer's task follows the campaign's due time (given per obligation) and the standard
# milestones of its line in grc/compliance/cadences.py.
REVIEWER_SIGNOFF = REVIEWER_KIND


def _leads():
    return list(User.objects.filter(role=Role.SECURITY_LEAD, is_active=True))


class DeprovisionProvider:
    """Reminders go to the system owner (the task's owner) and every active security lead."""

    def recipients(self, obligation):
        task = DeprovisionTask.objects.select_related("account__system__owner").filter(pk=obligation.subject_id).first()
        users = _leads()
        if task is not None:
            users.append(task.account.system.owner)
        return list({u.pk: u for u in users}.values())

    def resync(self, *, now: datetime) -> int:

        count = 0
        for task in DeprovisionTask.objects.filter(closed_at__isnull=True).select_related("account__system"):
            _open_obligation(task)
            count += 1
        return count


class QuarterlyReviewProvider:
    def recipients(self, obligation):
        return _leads()

    def resync(self, *, now: datetime) -> int:
        return int(quarterly_obligation_ensure(now=now) is not None)


class ReviewerSignOffProvider:
    """The reviewer (the owner) is reminded; at breach the security leads are told (the cadence escalates)."""

    def recipients(self, obligation):
        return []

    def resync(self, *, now: datetime) -> int:
        """Re-open the task of every reviewer of an open campaign who has not signed off."""
        count = 0
        for campaign in Campaign.objects.filter(status=CampaignStatus.OPEN):
            signed = set(campaign.sign_offs.values_list("reviewer_id", flat=True))
            due = campaign_due_at(campaign, now=now)
            for share in (
                CampaignReviewer.objects.filter(campaign=campaign).exclude(reviewer_id__in=signed).select_related("campaign", "reviewer")
            ):
                reviewer_task_open(share=share, due_at=due, anchor_at=campaign.started_at)
                count += 1
        return count


class TrainingProvider:
    """The person (owner) is reminded; their manager's portal user is told as well."""

    def recipients(self, obligation):
        person = Person.objects.select_related("manager__user").filter(pk=obligation.subject_id).first()
        manager = person.manager if person is not None and person.manager_id else None
        if manager is not None and manager.user_id:
            return [manager.user]
        return []

    def resync(self, *, now: datetime) -> int:

        count = 0
        for person in Person.objects.select_related("manager__user", "user"):
            training_sync_person(person=person, now=now)
            count += 1
        return count


def check_training(now: datetime) -> CheckResult:
    """1.1: everyone with system access has current training."""

    url = reverse("access_reviews:training_overview")
    people = Person.objects.filter(status="active", accounts__enabled=True, accounts__removed_at__isnull=True).distinct()
    total = people.count()
    if total == 0:
        return CheckResult("not_tracked", "no people with system access are registered yet", url)
    open_obligations = Obligation.objects.filter(kind__in=[TRAINING_INITIAL, TRAINING_ANNUAL], completed_at__isnull=True)
    overdue = open_obligations.filter(due_at__lte=now).count()
    untrained = open_obligations.filter(kind=TRAINING_INITIAL).count()
    first, refresher = effective_cadence(TRAINING_INITIAL).period, effective_cadence(TRAINING_ANNUAL).period
    reason = f"{total - untrained} of {total} people with system access have completed security training"
    if overdue:
        return CheckResult("not_met", f"{reason}; {plural(overdue, 'training')} overdue", url)
    if untrained:
        return CheckResult("at_risk", f"{reason}; {untrained} within their first {first}", url)
    return CheckResult("met", f"{reason}; refresher due every {refresher}, on time", url)


def check_last_review(now: datetime) -> CheckResult:
    """1.2: the list of people and services with access is reviewed at least quarterly."""

    url = reverse("access_reviews:campaign_list")
    cadence = effective_cadence(QUARTERLY)
    last = Campaign.objects.filter(status=CampaignStatus.COMPLETE).order_by("-completed_at").first()
    obligation = open_obligation(QUARTERLY, None)
    in_progress = Campaign.objects.filter(status=CampaignStatus.OPEN).exists()
    suffix = "; a review is in progress" if in_progress else ""
    if last is None:
        status = "not_met" if obligation is None or obligation.due_at <= now else "at_risk"
        return CheckResult(status, f"no access review completed yet; due every {cadence.period}{suffix}", url)
    completed_at = cast(datetime, last.completed_at)  # a complete campaign has its completion time
    days = (now - completed_at).days
    reason = f"last access review completed {days} days ago; due every {cadence.period}{suffix}"
    # the open obligation is the clock (re-dated when the period changes); without one, the period
    # in force from the last completed review
    due = obligation.due_at if obligation is not None else cadence.due_after(completed_at)
    if due <= now:
        return CheckResult("not_met", reason, url)
    if now >= due - cadence.warning:
        return CheckResult("at_risk", reason, url)
    return CheckResult("met", reason, url)


def check_deprovisioning(now: datetime) -> CheckResult:
    """1.2: access of terminated people (and revoked access) removed within 24 hours (or the tighter period in force)."""

    url = reverse("access_reviews:task_list")
    cadence = effective_cadence(DEPROVISION)
    within = str(cadence.period)
    open_tasks = DeprovisionTask.objects.filter(closed_at__isnull=True)
    # A task keeps the due time set when it opened; a tighter period in force since counts too
    # (the period is hours or days, never months: ``after(now) - now`` is its exact length).
    overdue = open_tasks.filter(Q(due_at__lte=now) | Q(opened_at__lte=now - (cadence.due_after(now) - now))).count()
    pending = open_tasks.count()
    if overdue:
        return CheckResult("not_met", f"{plural(overdue, 'deprovisioning task')} overdue ({within} after termination or revocation)", url)
    if pending:
        return CheckResult("at_risk", f"{plural(pending, 'deprovisioning task')} open, within {within}", url)
    return CheckResult("met", "no deprovisioning task is open", url)


def check_orphan_shared(now: datetime) -> CheckResult:
    """1.2: no generic, shared or orphaned accounts on systems with Information."""

    url = reverse("access_reviews:account_list") + "?flag=orphan"
    accounts = Account.objects.filter(enabled=True, removed_at__isnull=True, system__holds_amazon_information=True)
    if not accounts.exists():
        return CheckResult("not_tracked", "no accounts are registered yet", url)
    orphan = accounts.filter(flag_orphan=True).count()
    shared = accounts.filter(flag_shared=True).count()
    present = accounts.filter(Q(flag_revoked_present=True)).count()
    if orphan or shared or present:
        parts = [plural(orphan, "orphan account"), plural(shared, "shared or generic account")]
        if present:
            parts.append(plural(present, "revoked account") + " still present")
        return CheckResult("not_met", ", ".join(parts) + " enabled", url)
    return CheckResult("met", f"{plural(accounts.count(), 'enabled account')}, none orphaned, shared or generic", url)


def check_privileged_requests(now: datetime) -> CheckResult:
    """1.3: privileged access only on an approved, need-to-know request."""
    url = reverse("access_reviews:account_list") + "?flag=privileged"
    privileged = Account.objects.filter(enabled=True, removed_at__isnull=True, privileged=True)
    total = privileged.count()
    if total == 0:
        if not Account.objects.exists():
            return CheckResult("not_tracked", "no accounts are registered yet", url)
        return CheckResult("met", "no enabled privileged accounts", url)
    missing = privileged.filter(flag_no_request=True).count()
    if missing:
        return CheckResult("not_met", f"{missing} of {total} privileged accounts have no approved access request", url)
    return CheckResult("met", f"all {total} privileged accounts have an approved access request", url)


def register() -> None:
    register_provider(DEPROVISION, DeprovisionProvider())
    register_provider(QUARTERLY, QuarterlyReviewProvider())
    register_provider(REVIEWER_SIGNOFF, ReviewerSignOffProvider())
    register_provider(TRAINING_INITIAL, TrainingProvider())
    register_provider(TRAINING_ANNUAL, TrainingProvider())
    register_check("1.1", "access_reviews.training", check_training, title="Security training of everyone with system access")
    register_check("1.2", "access_reviews.last_review", check_last_review, title="Quarterly access review completed")
    register_check("1.2", "access_reviews.deprovisioning", check_deprovisioning, title="Access of leavers removed within 24 hours")
    register_check("1.2", "access_reviews.orphan_shared", check_orphan_shared, title="No orphan, shared or generic accounts")
    register_check(
        "1.3", "access_reviews.privileged_requests", check_privileged_requests, title="Privileged accounts backed by an approved request"
    )
    register_scope("access_reviews.systems", in_scope_systems)

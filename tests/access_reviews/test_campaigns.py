"""Quarterly campaigns: snapshot, assignment (never to self), decisions, sign-off, completion (DPP 1.2)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from access_reviews.models import Campaign, Decision, DeprovisionTask, ReviewRow
from access_reviews.services.campaigns import (
    campaign_start,
    campaign_start_if_due,
    reviewer_sign_off,
    row_decide,
    rows_bulk_keep,
)
from access_reviews.services.deprovision import task_confirm
from grc.compliance.models import Obligation
from grc.compliance.services import open_obligation
from grc.timefmt import add_months
from tests.access_reviews.conftest import NOW

KIND = "access_reviews.quarterly_review"


@pytest.fixture
def estate(registry, manager):
    """Order DB (owned by Tom) and AWS (owned by Priya), an out-of-scope wiki, and accounts of everyone."""
    order_db = registry.system("Order DB", owner=manager)
    aws = registry.system("AWS production")
    wiki = registry.system("Team wiki", in_scope=False)
    r = registry
    r.accounts = {
        "lee_db": r.account(order_db, "lee.wong", r.staff),
        "lee_aws": r.account(aws, "lee", r.staff),
        "tom_db": r.account(order_db, "tom.becker", r.manager),
        "priya_aws": r.account(aws, "priya", r.lead, privilege="admin", privileged=True),
        "bot": r.account(order_db, "etl-bot", r.manager, is_service_account=True, purpose="nightly ETL"),
        "disabled": r.account(aws, "old.lee", r.staff, enabled=False),
        "wiki": r.account(wiki, "lee", r.staff),
    }
    r.approve(r.accounts["lee_aws"])  # the one clean account: MFA on, approved request
    return r


def start(lead, period="2026-Q4", now=NOW):
    return campaign_start(period=period, period_start=date(2026, 10, 1), period_end=date(2026, 12, 31), effective_at=now, by=lead, now=now)


def test_it_snapshots_every_enabled_account_of_in_scope_systems(estate, lead):
    campaign = start(lead)
    names = set(campaign.rows.values_list("account_name", flat=True))
    assert names == {"lee.wong", "lee", "tom.becker", "priya", "etl-bot"}
    row = campaign.rows.get(account=estate.accounts["priya_aws"])
    assert (row.privilege, row.privileged, row.flag_privileged) == ("admin", True, True)


def test_the_snapshot_does_not_change_when_the_registry_does(estate, lead):
    campaign = start(lead)
    account = estate.accounts["lee_aws"]
    account.privilege = "owner"
    account.save()
    assert campaign.rows.get(account=account).privilege == "read"


def test_it_assigns_rows_to_the_managers_user_the_system_owner_and_never_to_self(estate, lead, manager, other_manager):
    campaign = start(lead)
    reviewer = {row.account_id: row.reviewer for row in campaign.rows.all()}
    a = estate.accounts
    assert reviewer[a["lee_db"].pk] == manager  # Lee's manager is Tom
    assert reviewer[a["tom_db"].pk] == lead  # Tom's manager is Priya
    assert reviewer[a["bot"].pk] == lead  # service account: system owner Tom owns it himself → the lead
    assert reviewer[a["priya_aws"].pk] != lead  # Priya has no manager, is the only lead …
    for row in campaign.rows.select_related("person"):
        assert row.person is None or row.person.user_id != row.reviewer_id


def test_it_allows_one_open_campaign_per_period(estate, lead):
    start(lead)
    with pytest.raises(ValidationError):
        start(lead)
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.create(period="2026-Q4", period_start=date(2026, 10, 1), period_end=date(2026, 12, 31), effective_at=NOW)


def test_it_keeps_the_effective_date_of_evidence_apart_from_entry_time(estate, lead):
    effective = NOW - timedelta(days=3)
    campaign = campaign_start(
        period="2026-Q4", period_start=date(2026, 10, 1), period_end=date(2026, 12, 31), effective_at=effective, by=lead, now=NOW
    )
    assert (campaign.effective_at, campaign.started_at) == (effective, NOW)


def test_a_reviewer_must_comment_to_revoke_and_to_keep_a_flagged_row(estate, lead, manager):
    campaign = start(lead)
    row = campaign.rows.filter(reviewer=manager, flag_count__gt=0).first()
    for decision in ("revoke", "keep"):
        with pytest.raises(ValidationError) as error:
            row_decide(row=row, decision=decision, comment="", by=manager, now=NOW)
        assert "comment" in error.value.message_dict
    row.refresh_from_db()
    assert row.decision == Decision.PENDING
    row = row_decide(row=row, decision="keep", comment="needed for order support", by=manager, now=NOW)
    assert (row.decision, row.comment, row.decided_by) == ("keep", "needed for order support", manager)


def test_only_the_assigned_reviewer_decides_a_row(estate, lead, manager, other_manager):
    campaign = start(lead)
    row = campaign.rows.get(account=estate.accounts["lee_db"])
    with pytest.raises(PermissionDenied):
        row_decide(row=row, decision="keep", comment="ok", by=other_manager, now=NOW)


def test_a_revocation_opens_a_24_hour_deprovisioning_task(estate, lead, manager):
    campaign = start(lead)
    row = campaign.rows.get(account=estate.accounts["lee_db"])
    row = row_decide(row=row, decision="revoke", comment="left the team", by=manager, now=NOW)
    task = row.task
    assert (task.reason, task.campaign, task.due_at) == ("revoke", campaign, NOW + timedelta(hours=24))
    assert open_obligation("access_reviews.deprovision", task).owner == task.account.system.owner


def test_a_privilege_change_opens_a_task_that_records_the_new_privilege(estate, lead, manager):
    campaign = start(lead)
    row = row_decide(
        row=campaign.rows.get(account=estate.accounts["lee_db"]),
        decision="change",
        comment="needs read only",
        new_privilege="viewer",
        by=manager,
        now=NOW,
    )
    assert (row.task.reason, row.task.previous_privilege, row.task.new_privilege) == ("change", "read", "viewer")


def test_changing_a_revocation_to_keep_withdraws_its_open_task(estate, lead, manager):
    campaign = start(lead)
    row = row_decide(row=campaign.rows.get(account=estate.accounts["lee_db"]), decision="revoke", comment="x", by=manager, now=NOW)
    task = row.task
    row = row_decide(row=row, decision="keep", comment="still needed after all", by=manager, now=NOW + timedelta(minutes=5))
    task.refresh_from_db()
    assert row.task is None and task.outcome == "cancelled"
    assert open_obligation("access_reviews.deprovision", task) is None


def test_bulk_keep_decides_only_unflagged_rows(estate, lead, manager):
    campaign = start(lead)
    count = rows_bulk_keep(campaign=campaign, reviewer=manager, now=NOW)
    rows = campaign.rows.filter(reviewer=manager)
    assert count == 1 and rows.get(decision=Decision.KEEP).account_name == "lee"
    assert rows.filter(flag_count__gt=0, decision=Decision.PENDING).count() == rows.count() - 1


def test_sign_off_needs_every_row_decided(estate, lead, manager):
    campaign = start(lead)
    with pytest.raises(ValidationError):
        reviewer_sign_off(campaign=campaign, reviewer=manager, now=NOW)


def decide_all(campaign, reviewer, now, decision="keep"):
    for row in campaign.rows.filter(reviewer=reviewer, decision=Decision.PENDING):
        row_decide(row=row, decision=decision, comment="reviewed", by=reviewer, now=now)


def test_the_campaign_completes_when_all_signed_and_every_revocation_is_confirmed(estate, lead, manager, other_manager):
    campaign = start(lead)
    later = NOW + timedelta(days=2)
    revoked = row_decide(
        row=campaign.rows.get(account=estate.accounts["lee_db"]), decision="revoke", comment="moved team", by=manager, now=later
    )
    for reviewer in {r.reviewer for r in campaign.rows.select_related("reviewer")}:
        decide_all(campaign, reviewer, later)
        reviewer_sign_off(campaign=campaign, reviewer=reviewer, now=later)
    campaign.refresh_from_db()
    assert campaign.is_open  # the revocation is not confirmed yet
    done = later + timedelta(hours=5)
    task_confirm(task=revoked.task, outcome="disabled", when=done, by=manager, now=done)
    campaign.refresh_from_db()
    assert not campaign.is_open and campaign.completed_at == done


def test_completion_feeds_the_quarterly_obligation_next_due_3_months_later(estate, lead):
    campaign = start(lead)
    first = open_obligation(KIND, None)
    assert first is not None
    done = NOW + timedelta(days=5)
    for reviewer in {r.reviewer for r in campaign.rows.select_related("reviewer")}:
        decide_all(campaign, reviewer, done)
        reviewer_sign_off(campaign=campaign, reviewer=reviewer, now=done)
    first.refresh_from_db()
    assert first.completed_at == done
    nxt = open_obligation(KIND, None)
    assert nxt.anchor_at == done and nxt.due_at == add_months(done, 3)


def test_signing_off_twice_or_deciding_after_sign_off_is_refused(estate, lead, manager):
    campaign = start(lead)
    decide_all(campaign, manager, NOW)
    reviewer_sign_off(campaign=campaign, reviewer=manager, now=NOW)
    with pytest.raises(ValidationError):
        reviewer_sign_off(campaign=campaign, reviewer=manager, now=NOW)
    with pytest.raises(ValidationError):
        row_decide(row=campaign.rows.filter(reviewer=manager).first(), decision="revoke", comment="x", by=manager, now=NOW)


def test_beat_starts_the_quarters_campaign_when_the_quarterly_obligation_comes_due(estate):
    obligation = open_obligation(KIND, None)
    assert obligation is not None  # opened when the first system was registered
    assert campaign_start_if_due(now=obligation.due_at - timedelta(days=30)) is None
    when = obligation.due_at - timedelta(days=10)
    campaign = campaign_start_if_due(now=when)
    assert campaign is not None and campaign.started_by is None
    assert campaign.period.endswith(f"Q{(when.month - 1) // 3 + 1}")
    assert campaign_start_if_due(now=when + timedelta(hours=1)) is None  # one open at a time
    assert ReviewRow.objects.filter(campaign=campaign).count() == 5


def test_the_beat_schedule_runs_the_campaign_starter():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "access_reviews.tasks.start_due_campaign" in tasks


def test_no_deprovisioning_task_is_left_behind_by_a_completed_campaign(estate, lead):
    campaign = start(lead)
    for reviewer in {r.reviewer for r in campaign.rows.select_related("reviewer")}:
        decide_all(campaign, reviewer, NOW)
        reviewer_sign_off(campaign=campaign, reviewer=reviewer, now=NOW)
    campaign.refresh_from_db()
    assert not campaign.is_open
    assert not DeprovisionTask.objects.filter(campaign=campaign, closed_at__isnull=True).exists()
    assert Obligation.objects.filter(kind=KIND, completed_at=NOW).count() == 1


def test_the_beat_task_starts_the_campaign_by_itself(estate):
    import time_machine

    from access_reviews.tasks import start_due_campaign

    due = open_obligation(KIND, None).due_at
    with time_machine.travel(due - timedelta(days=60), tick=False):
        assert start_due_campaign.delay().get() is None
    with time_machine.travel(due - timedelta(days=3), tick=False):
        campaign_id = start_due_campaign.delay().get()
    assert Campaign.objects.get(pk=campaign_id).rows.count() == 5

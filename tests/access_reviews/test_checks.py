"""Live DPP checks of clauses 1.1–1.3 and the campaign report's "revoked but still present"."""

from __future__ import annotations

from datetime import date, timedelta

from access_reviews.obligations import check_last_review, check_orphan_shared, check_privileged_requests
from access_reviews.reports import campaign_report
from access_reviews.services.campaigns import campaign_start, reviewer_sign_off, row_decide
from access_reviews.services.deprovision import task_confirm, task_reopen
from grc.compliance.registry import checks_for, provider_for
from tests.access_reviews.conftest import NOW


def test_the_app_registers_its_checks_and_providers():
    assert {"access_reviews.training"} <= {name for name, _ in checks_for("1.1")}
    assert {"access_reviews.last_review", "access_reviews.deprovisioning", "access_reviews.orphan_shared"} <= {
        name for name, _ in checks_for("1.2")
    }
    assert "access_reviews.privileged_requests" in {name for name, _ in checks_for("1.3")}
    for kind in (
        "access_reviews.deprovision",
        "access_reviews.quarterly_review",
        "access_reviews.training_initial",
        "access_reviews.training_annual",
    ):
        assert provider_for(kind) is not None


def test_nothing_registered_means_not_tracked(db):
    assert check_orphan_shared(NOW).status == "not_tracked"
    assert check_privileged_requests(NOW).status == "not_tracked"


def test_orphan_and_shared_accounts_fail_1_2_with_counts_only(registry):
    system = registry.system("AWS production")
    registry.account(system, "root", None)
    registry.account(system, "lee", registry.staff)
    result = check_orphan_shared(NOW)
    assert result.status == "not_met"
    assert result.reason == "1 orphan account, 1 shared or generic account enabled"


def test_privileged_accounts_need_an_approved_request_for_1_3(registry):
    system = registry.system("AWS production")
    account = registry.account(system, "lee", registry.staff, privilege="admin", privileged=True)
    assert check_privileged_requests(NOW).reason == "1 of 1 privileged accounts have no approved access request"
    registry.approve(account)
    assert check_privileged_requests(NOW).status == "met"


def test_the_last_review_check_follows_the_quarterly_obligation(registry, lead, manager):
    system = registry.system("Order DB")
    registry.account(system, "lee", registry.staff)
    assert check_last_review(NOW).status == "at_risk"  # never reviewed; first due 3 months after tracking began
    assert check_last_review(NOW + timedelta(days=100)).status == "not_met"
    campaign = campaign_start(
        period="2026-Q4", period_start=date(2026, 10, 1), period_end=date(2026, 12, 31), effective_at=NOW, by=lead, now=NOW
    )
    row = campaign.rows.get()
    row_decide(row=row, decision="keep", comment="needed", by=row.reviewer, now=NOW)
    reviewer_sign_off(campaign=campaign, reviewer=row.reviewer, now=NOW)
    result = check_last_review(NOW + timedelta(days=10))
    assert result.status == "met" and result.reason.startswith("last access review completed 10 days ago")
    assert check_last_review(NOW + timedelta(days=95)).status == "not_met"


def test_the_report_says_when_a_revoked_account_is_still_present(registry, lead, manager):
    system = registry.system("Order DB")
    registry.account(system, "lee", registry.staff)
    campaign = campaign_start(
        period="2026-Q4", period_start=date(2026, 10, 1), period_end=date(2026, 12, 31), effective_at=NOW, by=lead, now=NOW
    )
    row = row_decide(row=campaign.rows.get(), decision="revoke", comment="left the team", by=manager, now=NOW)
    task_confirm(task=row.task, outcome="disabled", when=NOW + timedelta(hours=2), by=lead, now=NOW + timedelta(hours=2))
    report = campaign_report(campaign)
    assert report["counts"]["revoked"] == 1 and report["still_present"] == 0
    assert report["revocations"][0]["state"] == "confirmed"
    row.task.refresh_from_db()
    task_reopen(task=row.task, now=NOW + timedelta(days=1))
    report = campaign_report(campaign)
    assert report["still_present"] == 1
    assert report["revocations"][0]["state"].startswith("reopened")

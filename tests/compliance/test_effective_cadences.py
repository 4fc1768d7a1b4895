"""The cadence in force is the only cadence (issue 20).

Once the security lead tightens a kind's period (``CadenceOverride``, grc/compliance/
cadence_overrides.py), every live check and every posture sentence names the tightened period:
none may still say the table's "every 180 days" or "due every 14 days".

Every kind with a fixed period is tightened by one unit (12 months → 11, 180 days → 179, 24 hours
→ 23, one month → 27 days), then:

* a table of (check, records, tightened words, table words) runs each check that states a period;
* every kind's posture finding is read through the catalogue's selector;
* every registered check of every clause runs on those records, and no reason may name a table
  period that an override replaced.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from access_reviews.obligations import check_deprovisioning, check_last_review, check_training
from assets.obligations import check_inventory, check_vulnerability_management
from grc.compliance import registry
from grc.compliance.cadence_overrides import cadence_override_set
from grc.compliance.cadences import CADENCES, Period, cadence_for, effective_cadence
from grc.compliance.posture import RequirementState
from grc.compliance.selectors import all_requirements, in_savepoint, requirement_statuses
from grc.oversight.log_reviews import check_log_review
from grc.policies.obligations import check_ir_plan
from grc.risks.obligations import check_risk_register
from tests.compliance.conftest import make_obligation

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
FIXED = sorted(kind for kind, cadence in CADENCES.items() if cadence.period is not None)


def tighter(period: Period) -> Period:
    """One unit tighter than ``period`` (a month can be 28 days: one month becomes 27 days)."""
    if period.months:
        return Period(months=period.months - 1) if period.months > 1 else Period(days=27)
    if period.days:
        return Period(days=period.days - 1)
    return Period(hours=period.hours - 1)


def table_words(kind: str) -> list[str]:
    """How a sentence would name the table's period of ``kind``."""
    period = cadence_for(kind).period
    return [f"every {period}", f"within {period}", f"first {period}"]


@pytest.fixture
def tightened(lead, time_machine):
    """Every kind with a fixed period tightened through the service (audited, open ones re-dated)."""
    time_machine.move_to(NOW, tick=False)
    for kind in FIXED:
        cadence_override_set(kind=kind, period=tighter(cadence_for(kind).period), reason="DPP revision: tighter", by=lead, now=NOW)
    return {kind: effective_cadence(kind).period for kind in FIXED}


# --- the records each check needs to say its period --------------------------------------------------
def log_review(lead, manager):
    from grc.oversight.log_reviews import log_review_record

    when = NOW - timedelta(days=1)
    log_review_record(by=lead, period_start=when - timedelta(days=10), period_end=when, note="alarms looked at", now=when)


def scans(lead, manager):
    from assets.services.vulns import pentest_record, scan_record

    counts = {"critical_count": 0, "high_count": 0, "medium_count": 0, "low_count": 0}
    scan_record(data={"tool": "Nessus", "scope": "prod", "performed_at": NOW - timedelta(days=5), **counts}, by=lead, now=NOW)
    pentest_record(
        data={"tester": "Northbeam", "scope": "API", "summary": "", "performed_at": NOW - timedelta(days=5), **counts}, by=lead, now=NOW
    )


def people(lead, manager, *, trained: bool):
    from access_reviews.services.registry import account_create, person_create, system_create
    from access_reviews.services.training import training_record_create

    system = system_create(
        data={"name": "Order DB", "description": "", "owner": lead, "holds_amazon_information": True, "in_scope": True},
        by=lead,
        now=NOW,
    )
    person = person_create(
        data={
            "person_id": "E2001",
            "first_name": "Lee",
            "last_name": "Wong",
            "email": "lee.wong.e2001@example.test",
            "department": "Engineering",
            "kind": "employee",
            "started_at": NOW - timedelta(days=2),
            "manager": None,
            "user": None,
        },
        by=lead,
        now=NOW,
    )
    account = account_create(data={"system": system, "name": "lee", "person": person, "mfa": "yes", "privilege": "read"}, by=lead, now=NOW)
    if trained:
        training_record_create(
            person=person, course="DPP basics", completed_on=(NOW - timedelta(days=1)).date(), by=lead, now=NOW, note="certificate seen"
        )
    return account


def trained_person(lead, manager):
    people(lead, manager, trained=True)


def untrained_person(lead, manager):
    people(lead, manager, trained=False)


def open_deprovision_task(lead, manager):
    from access_reviews.services.deprovision import task_open

    task_open(account=people(lead, manager, trained=True), reason="revoke", opened_at=NOW - timedelta(hours=2), by=lead)


def asset(lead, manager):
    from assets.services.inventory import asset_create
    from tests.assets.conftest import GOOD_STORE, good_fields

    data = {"tag": "T-0001", "name": "orders db", "kind": "data_store", "owner": lead, "holds_pii": True, **good_fields("data_store", NOW)}
    asset_create(data=data, store_data=dict(GOOD_STORE), by=lead, now=NOW)


def ir_plan(lead, manager):
    from grc.policies import services
    from grc.policies.catalogue import IR_PLAN, document_types_ensure
    from grc.policies.models import DocumentType
    from tests.policies.conftest import SECTIONS, TYPES

    document_types_ensure()
    plan = services.document_create(
        type=DocumentType.objects.get(code=IR_PLAN), title="IR plan", owner=lead, approver=manager, by=lead, now=NOW - timedelta(days=3)
    )
    version = plan.versions.get()
    services.version_update(version=version, sections=SECTIONS, lists=TYPES, change_summary="First", by=lead, now=NOW - timedelta(days=3))
    services.version_approve(version=version, by=manager, step_up_at=NOW - timedelta(days=2), now=NOW - timedelta(days=2))
    return plan


def risk(lead, manager):
    from grc.risks.services.register import risk_create
    from tests.risks.conftest import risk_data

    risk_create(data=risk_data(owner=lead), by=lead, now=NOW)


def nothing(lead, manager):
    pass


CASES = [
    # (what, the check, the records it reads, the tightened words, the kind whose table period must not appear)
    ("log review", check_log_review, log_review, "due every 13 days", "audit.log_review"),
    ("log review, none yet", check_log_review, nothing, "needs one every 13 days", "audit.log_review"),
    ("vulnerability scan", check_vulnerability_management, scans, "(every 179 days)", "assets.vulnerability_scan"),
    ("penetration test", check_vulnerability_management, scans, "(every 364 days)", "assets.penetration_test"),
    ("quarterly access review", check_last_review, nothing, "due every 2 months", "access_reviews.quarterly_review"),
    ("yearly training", check_training, trained_person, "refresher due every 11 months", "access_reviews.training_annual"),
    ("training on joining", check_training, untrained_person, "within their first 29 days", "access_reviews.training_initial"),
    ("deprovisioning", check_deprovisioning, open_deprovision_task, "within 23 hours", "access_reviews.deprovision"),
    ("inventory attestation", check_inventory, asset, "due every 2 months", "assets.inventory_attestation"),
    ("IR plan review", check_ir_plan, ir_plan, "due every 5 months", "policies.ir_plan_review"),
    ("IR plan, none yet", check_ir_plan, nothing, "reviewed every 5 months", "policies.ir_plan_review"),
    ("risk review", check_risk_register, risk, "due every 11 months", "risks.annual_review"),
    ("risk review, empty register", check_risk_register, nothing, "management every 11 months", "risks.annual_review"),
]


@pytest.mark.parametrize(("what", "check", "records", "words", "kind"), CASES, ids=[case[0] for case in CASES])
def test_each_check_names_the_tightened_period(what, check, records, words, kind, tightened, lead, manager):
    records(lead, manager)
    reason = check(NOW).reason
    assert words in reason, reason
    for table in table_words(kind):
        assert table not in reason, reason


def test_the_checks_judge_by_the_tightened_clock_too(tightened, lead, manager):
    """Not only the words: a review past the tightened period (but inside the table's) is overdue."""
    log_review(lead, manager)  # a day before NOW
    assert check_log_review(NOW + timedelta(days=5)).status == "met"
    assert check_log_review(NOW + timedelta(days=12, hours=1)).status == "not_met"  # 13 days + 1 h: inside 14, past 13

    ir_plan(lead, manager)  # approved two days before NOW: due five calendar months later (151 days), not six (182)
    assert check_ir_plan(NOW + timedelta(days=100)).status == "met"
    assert check_ir_plan(NOW + timedelta(days=160)).status == "not_met"


def test_every_posture_finding_reads_the_cadence_in_force(tightened, bare_registry):
    """One open obligation of every fixed-period kind: the catalogue's sentence names the tightened period."""
    for kind in FIXED:
        make_obligation(kind, anchor_at=NOW - timedelta(hours=1), due_at=NOW + timedelta(days=400))
    findings = {
        finding.name: finding.reason
        for row in requirement_statuses(NOW)
        for finding in row.status.findings
        if finding.source == "obligation"
    }
    for kind in FIXED:
        cadence = cadence_for(kind)
        reason = findings[cadence.title]
        expected = f"due every {tightened[kind]}" if cadence.recurring else f"due within {tightened[kind]}"
        assert expected in reason, reason
        for table in table_words(kind):
            assert table not in reason, reason


# Sentences in files outside this change that still name a table period: each is a debt, named
# with the file to change, so the walk below stays honest about everything else.
OUTSIDE_THIS_CHANGE = {
    "within 24 hours": "incidents/obligations.py: the Amazon notification check says 'within 24 hours of detection'",
}


def test_no_registered_check_names_a_table_period_that_an_override_replaced(tightened, lead, manager):
    for records in (log_review, scans, trained_person, asset, ir_plan, risk):
        records(lead, manager)
    forbidden = {words for kind in FIXED for words in table_words(kind)} - set(OUTSIDE_THIS_CHANGE)
    reasons = {}
    for requirement in all_requirements():
        for name, run in registry.checks_for(requirement.clause):
            result = in_savepoint(run)(NOW)
            reasons[f"{requirement.clause} {name}"] = result.reason
    assert len(reasons) >= 20  # every app registered its checks
    offending = {name: reason for name, reason in reasons.items() if any(words in reason for words in forbidden)}
    assert offending == {}


def test_a_kind_without_an_override_keeps_the_table_words(bare_registry):
    make_obligation("audit.log_review", anchor_at=NOW - timedelta(hours=1), due_at=NOW + timedelta(days=14))
    (row,) = [row for row in requirement_statuses(NOW) if row.requirement.clause == "2.6"]
    assert "due every 14 days" in row.status.reason and row.status.status == RequirementState.MET

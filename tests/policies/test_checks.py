"""The live DPP 1.6 check of the IR plan: approved, complete, reviewed on time, after major changes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from grc.compliance.registry import checks_for
from grc.policies import services
from grc.policies.models import ChangeCategory
from grc.policies.obligations import check_ir_plan
from tests.policies.conftest import NOW

pytestmark = pytest.mark.django_db


def test_it_is_registered_for_clause_1_6():
    assert "policies.ir_plan" in [name for name, _ in checks_for("1.6")]


def test_without_an_approved_plan_it_is_not_met(draft_plan):
    result = check_ir_plan(NOW)
    assert result.status == "not_met" and "no approved incident response plan" in result.reason
    assert result.url == draft_plan.get_absolute_url()


def test_a_plan_reviewed_on_time_is_met_with_the_age_in_words(approved_plan, manager):
    services.document_review_sign(
        document=approved_plan, reviewer=manager, outcome="no_change", note="", step_up_at=NOW, now=NOW + timedelta(days=10)
    )
    result = check_ir_plan(NOW + timedelta(days=40))
    assert result.status == "met"
    assert result.reason == "IR plan version 1 in force; last reviewed 30 days ago; due every 6 months"


def test_a_review_due_within_30_days_is_at_risk_and_an_overdue_one_not_met(approved_plan):
    assert check_ir_plan(approved_plan.review_due_at - timedelta(days=10)).status == "at_risk"
    late = check_ir_plan(approved_plan.review_due_at + timedelta(days=1))
    assert late.status == "not_met" and "not reviewed since" in late.reason


def test_an_overdue_major_change_review_is_not_met(approved_plan, lead):
    services.major_change_log(
        document=approved_plan, summary="x", category=ChangeCategory.SYSTEM, changed_at=NOW, systems="", by=lead, now=NOW
    )
    assert check_ir_plan(NOW + timedelta(days=5)).status == "met"
    assert check_ir_plan(NOW + timedelta(days=25)).status == "at_risk"
    result = check_ir_plan(NOW + timedelta(days=31))
    assert result.status == "not_met" and "1 major change awaiting review (1 overdue)" in result.reason


def test_a_plan_in_force_missing_a_required_section_is_not_met(approved_plan):
    version = approved_plan.current_version
    version.sections = {**version.sections, "escalation": ""}
    version.save()
    result = check_ir_plan(NOW)
    assert result.status == "not_met" and "escalation path to amazon" in result.reason

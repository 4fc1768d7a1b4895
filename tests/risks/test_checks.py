"""What the register tells the obligation engine: the live check of DPP 1.6 and the providers
(reminder recipients, resync from the records)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from grc.compliance.models import Obligation
from grc.compliance.registry import checks_for, provider_for
from grc.compliance.services import open_obligation
from grc.risks.obligations import CHECK_NAME, check_risk_register
from grc.risks.services import reviews, treatment
from tests.risks.conftest import NOW

pytestmark = pytest.mark.django_db


def test_the_check_and_the_providers_are_registered():
    assert CHECK_NAME in [name for name, _ in checks_for("1.6")]
    for kind in ("risks.annual_review", "risks.treatment_action", "risks.acceptance_revisit"):
        assert provider_for(kind) is not None


def test_an_empty_register_is_not_met():
    result = check_risk_register(NOW)
    assert result.status == "not_met" and "no risk assessment recorded" in result.reason


def test_a_treated_register_is_met_and_says_so_in_counts(make_risk, lead):
    risk = make_risk(treatment="mitigate")
    treatment.action_add(risk=risk, title="Vault", owner=lead, due_at=NOW + timedelta(days=9), by=lead, now=NOW)
    make_risk(residual_likelihood=1, residual_impact=1)
    result = check_risk_register(NOW)
    assert result.status == "met"
    assert (
        result.reason
        == "every risk above the appetite has a treatment plan; 2 open risks, 1 above the appetite score 12; not yet reviewed by senior management, due every 12 months"
    )


def test_an_untreated_risk_above_the_appetite_is_not_met_with_a_link_to_the_list(make_risk, settings):
    make_risk()
    result = check_risk_register(NOW)
    assert result.status == "not_met" and result.reason.startswith("1 risk above the appetite score 12 without a treatment plan")
    assert result.url == "/risks/?flag=no_plan"
    settings.RISK_APPETITE_SCORE = 15
    assert check_risk_register(NOW).status == "met"


def test_reminders_of_the_annual_review_go_to_its_approvers_and_the_leads(make_risk, lead, manager, other_manager):
    make_risk()
    reviews.review_start(approvers=[manager], by=lead, now=NOW)
    obligation = open_obligation("risks.annual_review", None)
    recipients = provider_for("risks.annual_review").recipients(obligation)
    assert set(recipients) == {manager, lead}


def test_reminders_of_an_action_also_go_to_the_risk_owner(make_risk, lead, manager, staff):
    risk = make_risk(owner=manager)
    action = treatment.action_add(risk=risk, title="Patch", owner=staff, due_at=NOW + timedelta(days=4), by=lead, now=NOW)
    obligation = open_obligation("risks.treatment_action", action)
    assert obligation.owner == staff
    assert provider_for("risks.treatment_action").recipients(obligation) == [manager]


def test_resync_re_opens_the_clocks_from_the_records(make_risk, lead, manager):
    risk = make_risk()
    action = treatment.action_add(risk=risk, title="Patch", owner=lead, due_at=NOW + timedelta(days=4), by=lead, now=NOW)
    acceptance = treatment.acceptance_request(risk=risk, rationale="r", expires_at=NOW + timedelta(days=60), by=lead, now=NOW)
    treatment.acceptance_decide(acceptance=acceptance, approve=True, note="", by=manager, step_up_at=NOW, now=NOW)
    Obligation.objects.filter(kind__startswith="risks.").delete()
    assert provider_for("risks.annual_review").resync(now=NOW) == 1
    assert provider_for("risks.treatment_action").resync(now=NOW) == 1
    assert provider_for("risks.acceptance_revisit").resync(now=NOW) == 1
    assert open_obligation("risks.annual_review", None).due_at == NOW.replace(year=2028)
    assert open_obligation("risks.treatment_action", action).due_at == NOW + timedelta(days=4)
    assert open_obligation("risks.acceptance_revisit", risk).due_at == NOW + timedelta(days=60)
    # running it again changes nothing
    provider_for("risks.treatment_action").resync(now=NOW)
    assert Obligation.objects.filter(kind="risks.treatment_action").count() == 1


def test_the_reminder_sweep_tells_the_action_owner_and_the_risk_owner_once(make_risk, lead, manager, staff, mailoutbox):
    from grc.compliance.reminders import send_one_reminder

    risk = make_risk(owner=manager)
    due = NOW + timedelta(days=20)
    action = treatment.action_add(risk=risk, title="Patch the bastion", owner=staff, due_at=due, by=lead, now=NOW)
    obligation = open_obligation("risks.treatment_action", action)
    at = due - timedelta(days=3) + timedelta(hours=1)
    assert send_one_reminder(obligation, at) is True
    assert send_one_reminder(obligation, at + timedelta(minutes=5)) is False  # exactly once
    assert sorted(address for mail in mailoutbox for address in mail.to) == sorted([staff.email, manager.email])
    assert any("Patch the bastion" in mail.subject or "Patch the bastion" in mail.body for mail in mailoutbox)

"""Risk acceptance: a rationale and an expiry, approved by a manager or security lead other than
the requester with a fresh one-time code; it is a treatment plan until it expires, and its expiry
is an obligation to revisit it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from grc.compliance.services import obligations_for, open_obligation
from grc.risks.models import AcceptanceStatus, RiskAcceptance, Treatment
from grc.risks.obligations import check_risk_register
from grc.risks.rules import Flag
from grc.risks.selectors import entry_for, register_queryset
from grc.risks.services import register, treatment
from tests.conftest import signed_in
from tests.risks.conftest import NOW, stepped_up

pytestmark = pytest.mark.django_db
EXPIRES = NOW + timedelta(days=90)


def flags(risk, now):
    return entry_for(register_queryset(now=now).get(pk=risk.pk), appetite=12, now=now).flags


def ask(risk, by, *, now=NOW, expires=EXPIRES):
    return treatment.acceptance_request(risk=risk, rationale="MFA and training keep it tolerable", expires_at=expires, by=by, now=now)


def approve(acceptance, by, *, now=NOW):
    return treatment.acceptance_decide(acceptance=acceptance, approve=True, note="", by=by, step_up_at=now, now=now)


def test_asking_sets_the_treatment_but_is_no_plan_until_approved(make_risk, lead):
    risk = make_risk()  # residual 15 > 12
    acceptance = ask(risk, lead)
    risk.refresh_from_db()
    assert risk.treatment == Treatment.ACCEPT and acceptance.status == AcceptanceStatus.PENDING
    assert flags(risk, NOW) == (Flag.NO_PLAN, Flag.ABOVE_APPETITE, Flag.ACCEPTANCE_PENDING)
    assert open_obligation("risks.acceptance_revisit", risk) is None


def test_a_rationale_and_an_expiry_within_12_months_are_required(make_risk, lead):
    risk = make_risk()
    with pytest.raises(ValidationError) as error:
        treatment.acceptance_request(risk=risk, rationale=" ", expires_at=NOW + timedelta(days=400), by=lead, now=NOW)
    assert set(error.value.error_dict) == {"rationale", "expires_at"}
    with pytest.raises(ValidationError):
        ask(risk, lead, expires=NOW - timedelta(days=1))
    ask(risk, lead)
    with pytest.raises(ValidationError, match="already awaiting approval"):
        ask(risk, lead)


def test_the_requester_cannot_approve_their_own_acceptance_nor_can_staff(make_risk, lead, manager, staff):
    risk = make_risk()
    acceptance = ask(risk, manager)
    for person in (manager, staff):
        with pytest.raises(ValidationError):
            approve(acceptance, person)
    acceptance.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.PENDING


def test_approval_records_the_step_up_opens_the_revisit_and_clears_the_flag(make_risk, lead, manager):
    risk = make_risk()
    acceptance = approve(ask(risk, lead), manager, now=NOW + timedelta(hours=2))
    assert acceptance.status == AcceptanceStatus.APPROVED and acceptance.decided_by == manager
    assert acceptance.step_up_at == NOW + timedelta(hours=2)
    obligation = open_obligation("risks.acceptance_revisit", risk)
    assert obligation.due_at == EXPIRES and obligation.owner == risk.owner and obligation.clause == "1.6"
    assert flags(risk, NOW + timedelta(days=1)) == (Flag.ABOVE_APPETITE,)


def test_an_acceptance_without_a_step_up_time_is_refused(make_risk, lead, manager):
    acceptance = ask(make_risk(), lead)
    with pytest.raises(ValidationError, match="one-time code"):
        treatment.acceptance_decide(acceptance=acceptance, approve=True, note="", by=manager, step_up_at=None, now=NOW)


def test_an_accepted_risk_is_flagged_again_when_the_acceptance_expires(make_risk, lead, manager, time_machine):
    risk = make_risk()
    approve(ask(risk, lead), manager)
    time_machine.move_to(EXPIRES - timedelta(days=10), tick=False)
    obligation = open_obligation("risks.acceptance_revisit", risk)
    assert obligation.status == "due_soon"
    assert check_risk_register(timezone.now()).status == "met"
    time_machine.move_to(EXPIRES + timedelta(hours=1), tick=False)
    now = timezone.now()
    assert obligation.status == "overdue"
    assert flags(risk, now) == (Flag.NO_PLAN, Flag.ABOVE_APPETITE, Flag.ACCEPTANCE_EXPIRED)
    result = check_risk_register(now)
    assert result.status == "not_met" and "without a treatment plan" in result.reason


def test_an_expired_acceptance_within_the_appetite_makes_the_clause_at_risk(make_risk, lead, manager, time_machine):
    risk = make_risk(residual_likelihood=2, residual_impact=4)  # 8, within the appetite
    approve(ask(risk, lead), manager)
    time_machine.move_to(EXPIRES + timedelta(days=1), tick=False)
    result = check_risk_register(timezone.now())
    assert result.status == "at_risk" and "1 risk acceptance expired" in result.reason
    assert result.url.endswith("?flag=acceptance_expired")


def test_approving_a_new_acceptance_is_the_revisit(make_risk, lead, manager):
    risk = make_risk()
    first = approve(ask(risk, lead), manager)
    later = EXPIRES + timedelta(days=3)
    second = approve(ask(risk, lead, now=later, expires=later + timedelta(days=180)), manager, now=later)
    first.refresh_from_db()
    assert first.status == AcceptanceStatus.WITHDRAWN and second.status == AcceptanceStatus.APPROVED
    revisits = list(obligations_for(risk, "risks.acceptance_revisit").order_by("id"))
    assert revisits[0].completed_at == later and revisits[0].status_at(later) == "met_late"
    assert revisits[1].is_open and revisits[1].due_at == later + timedelta(days=180)


def test_changing_the_treatment_withdraws_the_acceptance_and_stops_the_clock(make_risk, lead, manager):
    risk = make_risk()
    acceptance = approve(ask(risk, lead), manager)
    register.risk_update(risk=risk, data={"treatment": "mitigate"}, by=lead, now=NOW + timedelta(days=1))
    acceptance.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.WITHDRAWN
    assert open_obligation("risks.acceptance_revisit", risk) is None
    assert obligations_for(risk, "risks.acceptance_revisit").get().waived_reason


def test_rejecting_needs_a_note_in_the_form_and_leaves_no_plan(client, make_risk, lead, manager):
    risk = make_risk()
    acceptance = ask(risk, lead)
    url = reverse("risks:acceptance_decide", args=[acceptance.pk])
    stepped_up(signed_in(client, manager))
    response = client.post(url, {"decision": "reject", "note": ""})
    assert response.status_code == 200 and b"Say why the acceptance is rejected" in response.content
    response = client.post(url, {"decision": "reject", "note": "mitigate it instead"})
    assert response.status_code == 302
    acceptance.refresh_from_db()
    assert acceptance.status == AcceptanceStatus.REJECTED and acceptance.decision_note == "mitigate it instead"
    assert Flag.NO_PLAN in flags(risk, timezone.now())


def test_approving_in_the_browser_needs_a_fresh_one_time_code(client, make_risk, lead, manager):
    risk = make_risk(now=timezone.now())
    acceptance = treatment.acceptance_request(
        risk=risk, rationale="tolerable", expires_at=timezone.now() + timedelta(days=30), by=lead, now=timezone.now()
    )
    url = reverse("risks:acceptance_decide", args=[acceptance.pk])
    signed_in(client, manager)
    stepped_up(client, timezone.now() - timedelta(minutes=11))  # the sign-in code is too old
    response = client.post(url, {"decision": "approve"})
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:step_up"))
    assert RiskAcceptance.objects.get().status == AcceptanceStatus.PENDING
    stepped_up(client)
    response = client.post(url, {"decision": "approve"})
    assert response.status_code == 302 and response.url == risk.get_absolute_url()
    approved = RiskAcceptance.objects.get()
    assert approved.status == AcceptanceStatus.APPROVED and approved.decided_by == manager
    assert abs((approved.decided_at - approved.step_up_at).total_seconds()) < 60


def test_the_requester_is_refused_the_approval_page(client, make_risk, manager):
    acceptance = ask(make_risk(), manager)
    stepped_up(signed_in(client, manager))
    assert client.get(reverse("risks:acceptance_decide", args=[acceptance.pk])).status_code == 403


def test_asking_in_the_form_takes_a_date_and_refuses_one_past_12_months(client, make_risk, lead):
    from grc.timefmt import add_months

    risk = make_risk(now=timezone.now())
    url = reverse("risks:acceptance_request", args=[risk.pk])
    signed_in(client, lead)
    today = timezone.localdate()
    too_late = add_months(timezone.now(), 12).date() + timedelta(days=1)
    response = client.post(url, {"rationale": "tolerable", "expires_on": too_late.isoformat()})
    assert response.status_code == 200 and 'data-field-error="expires_on"' in response.content.decode()
    last_day = add_months(timezone.now(), 12).date()
    response = client.post(url, {"rationale": "tolerable", "expires_on": last_day.isoformat()})
    assert response.status_code == 302
    acceptance = RiskAcceptance.objects.get()
    assert timezone.localtime(acceptance.expires_at).date() == last_day and acceptance.requested_by == lead
    assert acceptance.status == AcceptanceStatus.PENDING and today < last_day

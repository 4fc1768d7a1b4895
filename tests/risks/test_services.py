"""Recording and editing risks: scores kept and checked, the score history, the link to the record
a risk was raised from, treatment actions as obligations, closing, and an audit trail without text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from grc.audit.models import AuditEvent
from grc.compliance.services import obligations_for, open_obligation
from grc.risks.models import ActionStatus, Risk, RiskStatus, ScoreChangeReason, SourceType
from grc.risks.services import register, treatment
from tests.risks.conftest import NOW, risk_data

pytestmark = pytest.mark.django_db


def test_recording_a_risk_stores_both_scores_and_the_first_history_row(make_risk, lead):
    risk = make_risk(inherent_likelihood=4, inherent_impact=5, residual_likelihood=3, residual_impact=4, clauses=["2.1", "1.4"])
    assert (risk.inherent_score, risk.residual_score) == (20, 12)
    assert risk.inherent_band == "critical" and risk.residual_band == "high"
    assert risk.reference == f"RSK-{risk.pk:04d}" and risk.status == RiskStatus.OPEN
    assert risk.clauses == ["1.4", "2.1"]  # catalogue order
    change = risk.score_changes.get()
    assert change.reason == ScoreChangeReason.RECORDED and change.changed_by == lead and change.changed_at == NOW
    assert (change.inherent_score, change.residual_score) == (20, 12)


def test_the_first_risk_starts_the_annual_review_clock(make_risk, lead):
    assert open_obligation("risks.annual_review", None) is None
    make_risk()
    obligation = open_obligation("risks.annual_review", None)
    assert obligation.clause == "1.6" and obligation.anchor_at == NOW
    assert obligation.due_at == NOW.replace(year=2028) and obligation.owner == lead
    make_risk(now=NOW + timedelta(days=40))
    assert open_obligation("risks.annual_review", None).pk == obligation.pk  # one clock, not one per risk


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"residual_likelihood": 5}, "residual_likelihood"),
        ({"residual_impact": 5, "inherent_impact": 4}, "residual_impact"),
        ({"inherent_likelihood": 6}, "inherent_likelihood"),
        ({"threat": "  "}, "threat"),
        ({"vulnerability": ""}, "vulnerability"),
        ({"title": ""}, "title"),
        ({"treatment": "ignore"}, "treatment"),
    ],
)
def test_a_risk_that_does_not_add_up_is_refused_with_the_field_named(make_risk, overrides, field):
    with pytest.raises(ValidationError) as error:
        make_risk(**overrides)
    assert field in error.value.error_dict
    assert not Risk.objects.exists()


def test_clauses_must_come_from_the_dpp_catalogue(make_risk):
    with pytest.raises(ValidationError, match="Not a DPP clause: 9.9"):
        make_risk(clauses=["1.4", "9.9"])


def test_the_owner_is_an_active_lead_or_manager(make_risk, staff, auditor, manager):
    for person in (staff, auditor):
        with pytest.raises(ValidationError) as error:
            make_risk(owner=person)
        assert "owner" in error.value.error_dict
    assert make_risk(owner=manager).owner == manager


def test_the_database_keeps_scores_equal_to_likelihood_times_impact(make_risk):
    risk = make_risk()
    with pytest.raises(IntegrityError), transaction.atomic():
        Risk.objects.filter(pk=risk.pk).update(residual_score=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Risk.objects.filter(pk=risk.pk).update(residual_likelihood=5, residual_score=25)  # above inherent 4


def test_editing_scores_adds_to_the_history_and_other_edits_do_not(make_risk, lead):
    risk = make_risk()
    register.risk_update(risk=risk, data={"title": "Leaked LWA secret"}, by=lead, now=NOW + timedelta(days=1))
    assert risk.score_changes.count() == 1
    register.risk_update(risk=risk, data={"residual_likelihood": 2}, by=lead, now=NOW + timedelta(days=2))
    risk.refresh_from_db()
    assert risk.residual_score == 10 and risk.title == "Leaked LWA secret"
    latest = risk.score_changes.first()
    assert latest.reason == ScoreChangeReason.EDITED and latest.residual_score == 10 and latest.changed_at == NOW + timedelta(days=2)
    assert list(risk.score_changes.values_list("residual_score", flat=True)) == [10, 15]


def test_the_audit_trail_names_fields_never_the_texts(make_risk, lead):
    risk = make_risk(threat="Mallory from Acme Corp <mallory@example.com>")
    register.risk_update(risk=risk, data={"vulnerability": "secret in ~/.aws of jane"}, by=lead, now=NOW)
    events = AuditEvent.objects.filter(object_type="risks.risk", object_id=str(risk.pk)).order_by("id")
    assert [event.action for event in events] == ["risks.risk.created", "risks.risk.updated"]
    assert "threat" in events[0].details["changed_fields"] and events[1].details["changed_fields"] == ["vulnerability"]
    dumped = " ".join(f"{e.message} {e.details}" for e in AuditEvent.objects.all())
    assert "Mallory" not in dumped and "jane" not in dumped and "Leaked" not in dumped


def test_free_texts_are_encrypted_at_rest(make_risk):
    from django.db import connection

    risk = make_risk(threat="An insider copying order exports")
    with connection.cursor() as cursor:
        cursor.execute("SELECT threat, vulnerability, title FROM risks_risk WHERE id = %s", [risk.pk])
        threat, vulnerability, title = cursor.fetchone()
    assert threat.startswith("fernet:") and vulnerability.startswith("fernet:")
    assert "insider" not in threat and title == "Leaked SP-API credentials"


def test_a_risk_raised_from_another_record_keeps_the_link(make_risk, lead):
    from assets.models import Asset

    asset = Asset.objects.create(tag="LT-0042", name="ThinkPad", kind="hardware", owner=lead)
    risk = make_risk(source_type=SourceType.ASSET_FLAG, source_id=asset.pk)
    assert (risk.source_type, risk.source_id) == ("asset_flag", asset.pk)
    with pytest.raises(ValidationError, match="no longer exists"):
        make_risk(source_type=SourceType.INCIDENT, source_id=999999)
    with pytest.raises(ValidationError):
        make_risk(source_type="spreadsheet", source_id=asset.pk)


def test_actions_are_obligations_owned_by_their_owner(make_risk, lead, manager):
    risk = make_risk(treatment="mitigate")
    due = NOW + timedelta(days=30)
    action = treatment.action_add(risk=risk, title="Move the secret into the vault", owner=manager, due_at=due, by=lead, now=NOW)
    obligation = open_obligation("risks.treatment_action", action)
    assert obligation.clause == "1.6" and obligation.due_at == due and obligation.owner == manager
    assert obligation.title == f"{risk.reference} treatment: Move the secret into the vault"
    assert obligation.url == risk.get_absolute_url()
    treatment.action_complete(action=action, note="done in vault v2", by=manager, now=due + timedelta(days=2))
    done = obligations_for(action, "risks.treatment_action").get()
    assert done.completed_at == due + timedelta(days=2) and done.status_at(due + timedelta(days=3)) == "met_late"
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.completed_by == manager


def test_an_action_must_be_due_in_the_future_and_cancelling_needs_a_reason(make_risk, lead):
    risk = make_risk()
    with pytest.raises(ValidationError) as error:
        treatment.action_add(risk=risk, title="x", owner=lead, due_at=NOW, by=lead, now=NOW)
    assert "due_at" in error.value.error_dict
    action = treatment.action_add(risk=risk, title="x", owner=lead, due_at=NOW + timedelta(days=1), by=lead, now=NOW)
    with pytest.raises(ValidationError):
        treatment.action_cancel(action=action, note=" ", by=lead, now=NOW)
    treatment.action_cancel(action=action, note="duplicate", by=lead, now=NOW)
    obligation = obligations_for(action, "risks.treatment_action").get()
    assert obligation.waived_reason == "action cancelled"


def test_closing_a_risk_cancels_its_open_actions_and_reopening_keeps_them_closed(make_risk, lead):
    risk = make_risk(treatment="mitigate")
    action = treatment.action_add(risk=risk, title="Patch", owner=lead, due_at=NOW + timedelta(days=5), by=lead, now=NOW)
    with pytest.raises(ValidationError):
        register.risk_close(risk=risk, reason="", by=lead, now=NOW)
    register.risk_close(risk=risk, reason="server retired", by=lead, now=NOW + timedelta(days=1))
    risk.refresh_from_db()
    action.refresh_from_db()
    assert risk.status == RiskStatus.CLOSED and risk.closure_reason == "server retired"
    assert action.status == ActionStatus.CANCELLED and open_obligation("risks.treatment_action", action) is None
    with pytest.raises(ValidationError, match="closed"):
        treatment.action_add(risk=risk, title="More", owner=lead, due_at=NOW + timedelta(days=9), by=lead, now=NOW)
    register.risk_reopen(risk=risk, by=lead, now=NOW + timedelta(days=2))
    risk.refresh_from_db()
    assert risk.is_open and risk.closed_at is None


def test_the_risk_data_helper_has_only_fields_the_service_knows():
    assert set(risk_data()) - set(register.FIELDS) == set()

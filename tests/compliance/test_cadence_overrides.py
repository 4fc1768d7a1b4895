"""Adjustable cadences: tighten-only against the DPP text, audited, and open obligations re-dated."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from grc.audit.models import AuditEvent
from grc.compliance.cadence_overrides import (
    POLICY_LIMITS,
    cadence_override_set,
    ceiling,
    largest_within,
    length_bounds,
    within,
)
from grc.compliance.cadences import CADENCES, Period, cadence_for, effective_cadence
from grc.compliance.models import CadenceChange, CadenceOverride, Obligation
from grc.compliance.services import obligation_complete, obligation_open
from grc.kit.readiness import cadence_change_history
from grc.timefmt import add_months
from tests.compliance.conftest import NOW, make_obligation
from tests.conftest import signed_in

POLICY_FILE = Path(__file__).resolve().parents[3] / "shared" / "dpp" / "amazon-data-protection-policy.txt"
DATA_FILE = Path(__file__).resolve().parents[2] / "grc" / "compliance" / "data" / "dpp_requirements.json"
SCAN = "assets.vulnerability_scan"


# --- the rules, without a database ---------------------------------------------------------------------
def test_every_policy_limit_quotes_the_dpp_word_for_word():
    texts = {item["clause"]: item["text"] for item in json.loads(DATA_FILE.read_text(encoding="utf-8"))["requirements"]}
    policy = POLICY_FILE.read_text(encoding="utf-8") if POLICY_FILE.exists() else None
    for kind, limit in POLICY_LIMITS.items():
        assert limit.quote in texts[limit.clause], kind
        if policy is not None:
            assert limit.quote in policy, kind
        assert cadence_for(kind).clause == limit.clause, kind


def test_the_cadence_table_is_never_looser_than_the_policy_text():
    for kind, limit in POLICY_LIMITS.items():
        assert within(cadence_for(kind).period, limit.period), kind
        assert ceiling(kind) == limit.period, kind


def test_ninety_days_is_not_within_a_quarter_but_eighty_nine_is():
    quarter = Period(months=3)
    assert length_bounds(quarter)[0] == timedelta(days=89)
    assert not within(Period(days=90), quarter)
    assert within(Period(days=89), quarter)
    assert within(Period(months=2), quarter) and not within(Period(months=4), quarter)
    assert largest_within(quarter, "days") == 89 and largest_within(quarter, "months") == 3
    assert largest_within(Period(days=180), "months") == 5  # six calendar months can be 184 days
    assert within(Period(hours=12), Period(hours=24)) and not within(Period(days=2), Period(hours=24))


# --- the service ------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_tightening_re_dates_open_obligations_and_is_audited(lead):
    anchor = NOW - timedelta(days=20)
    open_one = make_obligation(SCAN, anchor_at=anchor, due_at=anchor + timedelta(days=180))
    done = make_obligation(SCAN, anchor_at=anchor, due_at=anchor + timedelta(days=180), completed_at=anchor + timedelta(days=1))

    change = cadence_override_set(kind=SCAN, period=Period(days=30), reason="DPP revision asks for 30-day scans", by=lead, now=NOW)

    open_one.refresh_from_db()
    done.refresh_from_db()
    assert open_one.due_at == anchor + timedelta(days=30)
    assert done.due_at == anchor + timedelta(days=180)  # history is not rewritten
    assert effective_cadence(SCAN).period == Period(days=30)
    assert cadence_for(SCAN).period == Period(days=180)  # the table keeps the policy's period
    assert change.action == "tightened" and change.redated_count == 1
    assert change.redated == [[open_one.pk, (anchor + timedelta(days=180)).isoformat(), (anchor + timedelta(days=30)).isoformat()]]
    event = AuditEvent.objects.get(action="compliance.cadence.changed")
    assert event.actor_id == lead.pk and event.object_id == str(change.pk)
    assert event.details["new"] == {"months": 0, "days": 30, "hours": 0} and event.details["redated"] == 1
    assert "DPP revision" not in event.message  # the free-text reason stays out of the trail


@pytest.mark.django_db
def test_loosening_beyond_the_policy_is_refused_and_changes_nothing(lead):
    obligation = make_obligation("access_reviews.quarterly_review", anchor_at=NOW, due_at=NOW + timedelta(days=92))
    for period in (Period(days=181), Period(months=7)):
        with pytest.raises(ValidationError, match="looser than the policy allows"):
            cadence_override_set(kind=SCAN, period=period, reason="we are busy", by=lead, now=NOW)
    with pytest.raises(ValidationError, match="at most 89 days"):
        cadence_override_set(kind="access_reviews.quarterly_review", period=Period(days=90), reason="a round number", by=lead, now=NOW)
    assert not CadenceOverride.objects.exists() and not CadenceChange.objects.exists()
    obligation.refresh_from_db()
    assert obligation.due_at == NOW + timedelta(days=92)
    assert not AuditEvent.objects.filter(action="compliance.cadence.changed").exists()


@pytest.mark.django_db
def test_a_reason_is_required_and_periods_without_a_fixed_length_are_not_adjustable(lead):
    with pytest.raises(ValidationError):
        cadence_override_set(kind=SCAN, period=Period(days=30), reason="  ", by=lead, now=NOW)
    with pytest.raises(ValidationError, match="no fixed period"):
        cadence_override_set(kind="assets.finding_fix", period=Period(days=3), reason="faster fixes", by=lead, now=NOW)


@pytest.mark.django_db
def test_relaxing_within_the_policy_and_resetting_follow_the_rule_and_keep_the_history(lead):
    anchor = NOW - timedelta(days=5)
    obligation = make_obligation(SCAN, anchor_at=anchor, due_at=anchor + timedelta(days=180))
    cadence_override_set(kind=SCAN, period=Period(days=30), reason="revision 2026", by=lead, now=NOW)
    relaxed = cadence_override_set(kind=SCAN, period=Period(days=60), reason="assessor agreed 60", by=lead, now=NOW + timedelta(hours=1))
    obligation.refresh_from_db()
    assert relaxed.action == "relaxed" and obligation.due_at == anchor + timedelta(days=60)
    reset = cadence_override_set(kind=SCAN, period=Period(days=180), reason="back to the policy", by=lead, now=NOW + timedelta(hours=2))
    obligation.refresh_from_db()
    assert reset.action == "reset" and obligation.due_at == anchor + timedelta(days=180)
    assert not CadenceOverride.objects.exists()
    history = cadence_change_history()
    assert [row.action for row in history] == ["Reset to the policy period", "Relaxed (still within the policy)", "Tightened"]
    assert history[-1].old == "180 days" and history[-1].new == "30 days" and history[-1].policy == "180 days"
    assert history[-1].reason == "revision 2026" and history[-1].changed_by == "Priya Shah"
    assert cadence_change_history(since=NOW + timedelta(minutes=30), until=NOW + timedelta(minutes=90))[0].new == "60 days"


@pytest.mark.django_db
def test_new_obligations_follow_the_tighter_period_and_app_dates_are_capped(lead):
    cadence_override_set(kind="policies.ir_plan_review", period=Period(months=3), reason="Amazon asked for quarterly", by=lead, now=NOW)
    fresh = obligation_open(kind="policies.ir_plan_review", subject=None, anchor_at=NOW)
    assert fresh.due_at == datetime(2027, 6, 10, 9, 0, tzinfo=UTC)
    # an app that computes its own (looser) due time is capped by the tighter rule
    capped = obligation_open(kind="policies.ir_plan_review", subject=lead, anchor_at=NOW, due_at=NOW + timedelta(days=183))
    assert capped.due_at == datetime(2027, 6, 10, 9, 0, tzinfo=UTC)
    # a recurring kind opens its next one by the rule in force
    obligation_complete(kind="policies.ir_plan_review", subject=None, completed_at=NOW + timedelta(days=10))
    nxt = Obligation.objects.get(kind="policies.ir_plan_review", subject_type="programme", completed_at__isnull=True)
    assert nxt.due_at == add_months(NOW + timedelta(days=10), 3)


@pytest.mark.django_db
def test_an_app_date_tighter_than_the_new_rule_is_kept(lead):
    anchor = NOW
    tighter = make_obligation("policies.ir_plan_review", anchor_at=anchor, due_at=anchor + timedelta(days=20))
    cadence_override_set(kind="policies.ir_plan_review", period=Period(months=3), reason="quarterly", by=lead, now=NOW)
    tighter.refresh_from_db()
    assert tighter.due_at == anchor + timedelta(days=20)


# --- the pages ----------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_lead_tightens_a_period_on_the_page_and_sees_the_history(lead_client, lead):
    obligation = make_obligation(SCAN, anchor_at=NOW, due_at=NOW + timedelta(days=180))
    url = reverse("kit:cadence_edit", args=[SCAN])
    refused = lead_client.post(url, {"number": 200, "unit": "days", "reason": "too many scans"})
    assert refused.status_code == 200
    assert "looser than the policy allows" in refused.content.decode() and "at most 180 days" in refused.content.decode()
    response = lead_client.post(url, {"number": 1, "unit": "months", "reason": "DPP revision: monthly scans"})
    assert response.status_code == 302
    obligation.refresh_from_db()
    assert obligation.due_at == datetime(2027, 4, 10, 9, 0, tzinfo=UTC)
    page = lead_client.get(reverse("kit:cadences")).content.decode()
    assert "DPP revision: monthly scans" in page and "vulnerability scanning at least every 180 days" in page
    assert "every 1 month" in page


@pytest.mark.django_db
def test_only_the_security_lead_changes_cadences(manager, auditor):
    manager_client, auditor_client = signed_in(Client(), manager), signed_in(Client(), auditor)
    url = reverse("kit:cadence_edit", args=[SCAN])
    assert manager_client.post(url, {"number": 30, "unit": "days", "reason": "x" * 10}).status_code == 403
    assert auditor_client.get(url).status_code == 403
    assert auditor_client.get(reverse("kit:cadences")).status_code == 200
    assert not CadenceOverride.objects.exists()


@pytest.mark.django_db
def test_unknown_or_unadjustable_kinds_are_404(lead_client):
    assert lead_client.get(reverse("kit:cadence_edit", args=["nope.kind"])).status_code == 404
    assert lead_client.get(reverse("kit:cadence_edit", args=["assets.finding_fix"])).status_code == 404
    assert all(kind in CADENCES for kind in POLICY_LIMITS)

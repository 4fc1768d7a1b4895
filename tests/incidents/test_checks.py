"""The live DPP 1.6 check "Amazon notified within 24 hours of detection", with reasons in words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from grc.compliance.registry import checks_for
from incidents import notify
from incidents.models import AmazonInvolved
from incidents.obligations import check_amazon_notification
from tests.incidents.conftest import NOW

pytestmark = pytest.mark.django_db


def test_it_is_registered_for_clause_1_6():
    assert "incidents.amazon_notification" in [name for name, _ in checks_for("1.6")]


def test_with_no_incidents_nothing_waits_for_notification():
    result = check_amazon_notification(NOW)
    assert result.status == "met" and "no security incident recorded" in result.reason


def test_a_running_clock_is_met_until_its_last_12_hours(report):
    report(detected_at=NOW - timedelta(hours=2))
    assert check_amazon_notification(NOW).status == "met"
    result = check_amazon_notification(NOW + timedelta(hours=11))
    assert result.status == "at_risk" and "1 Amazon clock running, the next due in 11 h" in result.reason


def test_an_incident_not_notified_within_24_hours_is_not_met(report):
    report(detected_at=NOW - timedelta(hours=25))
    result = check_amazon_notification(NOW)
    assert result.status == "not_met"
    assert result.reason.startswith("1 incident not notified to Amazon within 24 hours of detection")
    assert result.url.endswith("?state=overdue")


def test_a_late_notification_is_at_risk_for_90_days(report, triage, lead):
    incident = triage(report(detected_at=NOW - timedelta(hours=30)))
    notify.notification_record(incident=incident, by=lead, sent_at=NOW, method="email", now=NOW)
    assert check_amazon_notification(NOW + timedelta(days=1)).status == "at_risk"
    assert check_amazon_notification(NOW + timedelta(days=91)).status == "met"


def test_incidents_not_involving_amazon_need_no_notification(report, triage):
    triage(report(detected_at=NOW - timedelta(hours=30)), amazon=AmazonInvolved.NO, reason="internal only")
    result = check_amazon_notification(NOW)
    assert result.status == "met" and "1 not involving Amazon Information" in result.reason

"""The quarterly inventory attestation (DPP 2.3): a signed record that completes the programme-wide
obligation; managers attest the assets they own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from assets.models import InventoryAttestation
from assets.rules import owners_attested_at
from assets.services.attestation import attestation_sign
from grc.audit.models import AuditEvent
from grc.compliance.models import Obligation
from grc.compliance.registry import checks_for
from grc.compliance.services import open_obligation
from tests.assets.conftest import NOW, with_step_up

pytestmark = pytest.mark.django_db
KIND = "assets.inventory_attestation"
SIGN = reverse("assets:attestation_sign")


def check_23(now):
    return dict(checks_for("2.3"))["Asset inventory current and attested"](now)


def test_the_lead_attests_the_whole_inventory_and_the_next_one_is_due_in_3_months(make_asset, lead, time_machine):
    time_machine.move_to(NOW, tick=False)
    make_asset("hardware", now=NOW - timedelta(days=100))
    make_asset("hardware", now=NOW - timedelta(days=100), encryption_algorithm="", encryption_key_bits=None)
    first = open_obligation(KIND, None)
    assert first.status_at(NOW) == "overdue"
    attestation = attestation_sign(user=lead, note="reviewed with owners", step_up_at=NOW - timedelta(minutes=2), now=NOW)
    assert (attestation.scope, attestation.asset_count, attestation.flagged_count) == ("inventory", 2, 1)
    assert len(attestation.inventory_digest) == 64
    assert Obligation.objects.get(pk=first.pk).completed_at == NOW
    following = open_obligation(KIND, None)
    assert following.anchor_at == NOW and following.due_at.date() == (NOW + timedelta(days=92)).date()  # 10 Mar → 10 Jun
    event = AuditEvent.objects.get(action="assets.inventory.attested")
    assert event.details["asset_count"] == 2 and "reviewed" not in event.message


def test_the_clock_runs_out_three_months_after_the_last_attestation(make_asset, lead, time_machine):
    time_machine.move_to(NOW, tick=False)
    make_asset("software", now=NOW)
    attestation_sign(user=lead, note="", step_up_at=NOW, now=NOW)
    assert check_23(NOW + timedelta(days=70)).status == "met"
    assert check_23(NOW + timedelta(days=85)).status == "at_risk"  # inside the 14-day warning
    time_machine.move_to(NOW + timedelta(days=93), tick=False)
    result = check_23(NOW + timedelta(days=93))
    assert result.status == "not_met"
    assert result.reason == "1 asset; inventory last attested 93 days ago; due every 3 months"
    assert open_obligation(KIND, None).status_at(NOW + timedelta(days=93)) == "overdue"


def test_owners_complete_the_obligation_once_every_owner_has_attested(make_asset, manager, other_manager, time_machine):
    time_machine.move_to(NOW, tick=False)
    make_asset("software", owner=manager, now=NOW - timedelta(days=80))
    make_asset("software", owner=other_manager, now=NOW - timedelta(days=80))
    first = open_obligation(KIND, None)
    mine = attestation_sign(user=manager, note="", step_up_at=NOW, now=NOW)
    assert (mine.scope, mine.asset_count) == ("owner", 1)
    assert open_obligation(KIND, None).pk == first.pk  # one owner is not enough
    attestation_sign(user=other_manager, note="", step_up_at=NOW, now=NOW + timedelta(hours=3))
    assert Obligation.objects.get(pk=first.pk).completed_at == NOW + timedelta(hours=3)


def test_owners_attested_at_needs_every_owner_after_the_start():
    start = NOW - timedelta(days=80)
    assert owners_attested_at({1: NOW, 2: NOW + timedelta(hours=1)}, start) == NOW + timedelta(hours=1)
    assert owners_attested_at({1: NOW, 2: None}, start) is None
    assert owners_attested_at({1: NOW, 2: start - timedelta(days=1)}, start) is None
    assert owners_attested_at({}, start) is None


def test_signing_needs_a_fresh_mfa_code(make_asset, lead_client):
    make_asset("software")
    response = lead_client.get(SIGN)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:step_up"))
    response = lead_client.post(SIGN, {"confirm": "on"})
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:step_up"))
    assert not InventoryAttestation.objects.exists()
    response = with_step_up(lead_client).post(SIGN, {"confirm": "on", "note": "all good"})
    assert response.status_code == 302 and response.url == reverse("assets:attestations")
    assert InventoryAttestation.objects.get().note == "all good"


def test_signing_without_the_confirmation_box_writes_nothing(make_asset, lead_client):
    make_asset("software")
    response = with_step_up(lead_client).post(SIGN, {"note": "x"})
    assert response.status_code == 200 and 'data-field-error="confirm"' in response.content.decode()
    assert not InventoryAttestation.objects.exists()


def test_a_manager_without_assets_auditors_and_staff_cannot_attest(make_asset, manager_client, client, auditor, staff):
    from tests.conftest import signed_in

    make_asset("software")
    assert with_step_up(manager_client).get(SIGN).status_code == 403
    assert with_step_up(signed_in(client, auditor)).get(SIGN).status_code == 403
    assert with_step_up(signed_in(client, staff)).get(SIGN).status_code == 403


def test_the_attestation_page_shows_the_history_and_the_countdown(make_asset, lead, auditor_client):
    make_asset("software")
    attestation_sign(user=lead, note="quarter closed", step_up_at=NOW, now=NOW)
    html = auditor_client.get(reverse("assets:attestations")).content.decode()
    assert "quarter closed" in html and 'data-testid="attestation-due"' in html
    assert "Attest the inventory" not in html

"""Deletion requests from Amazon (DPP 1.7): the 30/90-day rules as pure functions, the clocks with
time moved, legal-retention exceptions, and the signed certificate of destruction read back."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from assets.deletion_rules import RequestState, StoreState, ninety_day_met_at, outstanding, request_state, thirty_day_met_at
from assets.models import DestructionCertificate
from assets.services.deletion import (
    certificate_sign,
    deletion_action_perform,
    deletion_action_verify,
    deletion_request_create,
    deletion_store_add,
    retention_exception_add,
)
from grc.audit.models import AuditEvent
from grc.compliance.services import obligations_for, open_obligation
from tests.assets.conftest import NOW, client_for, with_step_up

pytestmark = pytest.mark.django_db
T = NOW


# --- the rules, without a database ------------------------------------------------------------
def test_nothing_is_met_while_a_store_has_neither_action_nor_exception():
    stores = [StoreState(1, "Orders", live=True, performed_at=T), StoreState(2, "Labels", live=True)]
    assert thirty_day_met_at(stores) is None and ninety_day_met_at(stores) is None
    assert request_state(stores) == RequestState.IN_PROGRESS
    assert outstanding(stores) == ["Orders: deletion of the live instance not verified", "Labels: sanitisation not recorded"]
    assert request_state([]) == RequestState.NO_STORES and thirty_day_met_at([]) is None


def test_the_30_day_part_is_met_by_actions_or_exceptions_at_the_latest_of_them():
    stores = [StoreState(1, "Orders", live=True, performed_at=T), StoreState(2, "Invoices", live=True, exception_at=T + timedelta(days=2))]
    assert thirty_day_met_at(stores) == T + timedelta(days=2)
    assert ninety_day_met_at(stores) is None  # the live orders copy is not verified yet
    assert request_state(stores) == RequestState.DELETED


def test_the_90_day_part_needs_every_live_store_verified_but_not_offline_ones():
    stores = [
        StoreState(1, "Orders", live=True, performed_at=T, verified_at=T + timedelta(days=3)),
        StoreState(2, "Tape vault", live=False, performed_at=T + timedelta(days=1)),
        StoreState(3, "Invoices", live=True, exception_at=T),
    ]
    assert ninety_day_met_at(stores) == T + timedelta(days=3)
    assert request_state(stores) == RequestState.COMPLETE
    assert request_state(stores, certified=True) == RequestState.CERTIFIED


# --- services and clocks -----------------------------------------------------------------------
@pytest.fixture
def stores(make_asset):
    orders = make_asset("data_store", name="Orders PostgreSQL", holds_pii=True, holds_amazon_information=True, now=NOW - timedelta(days=60))
    labels = make_asset("data_store", name="Labels bucket", holds_pii=True, store={"store_type": "bucket"}, now=NOW - timedelta(days=60))
    invoices = make_asset("data_store", name="Invoice archive", holds_pii=True, now=NOW - timedelta(days=60))
    return orders.data_store, labels.data_store, invoices.data_store


def notice(lead, stores, received_at=NOW - timedelta(days=10), now=NOW):
    data = {"reference": "AMZ-DEL-42", "received_at": received_at, "scope": "All data of seller A1B2C3", "responsible": lead}
    return deletion_request_create(data=data, stores=stores, by=lead, now=now)


def perform(deletion, store, lead, when, method="purge"):
    action = deletion.actions.get(data_store=store)
    return deletion_action_perform(
        action=action, method=method, description=f"{method} of the seller's rows", performed_by=lead, performed_at=when, by=lead, now=when
    )


def test_a_notice_starts_the_30_and_90_day_clocks_at_its_receipt(lead, stores, time_machine):
    time_machine.move_to(NOW, tick=False)
    deletion = notice(lead, stores[:2])
    thirty = open_obligation("assets.deletion_30d", deletion)
    ninety = open_obligation("assets.deletion_90d", deletion)
    assert thirty.due_at == NOW + timedelta(days=20) and ninety.due_at == NOW + timedelta(days=80)
    assert (thirty.clause, thirty.owner) == ("1.7", lead)
    assert thirty.status_at(NOW + timedelta(days=14)) == "due_soon"
    assert thirty.status_at(NOW + timedelta(days=21)) == "overdue"
    assert ninety.status_at(NOW + timedelta(days=21)) == "open"
    assert ninety.status_at(NOW + timedelta(days=81)) == "overdue"


def test_the_clocks_complete_when_the_rules_are_met(lead, stores, time_machine):
    orders, labels, invoices = stores
    time_machine.move_to(NOW, tick=False)
    deletion = notice(lead, [orders, labels])
    perform(deletion, orders, lead, NOW + timedelta(days=2))
    assert open_obligation("assets.deletion_30d", deletion) is not None
    perform(deletion, labels, lead, NOW + timedelta(days=5), method="clear")
    thirty = obligations_for(deletion).get(kind="assets.deletion_30d")
    assert thirty.completed_at == NOW + timedelta(days=5) and thirty.status_at(NOW + timedelta(days=40)) == "met"
    assert open_obligation("assets.deletion_90d", deletion) is not None
    for store, days in ((orders, 6), (labels, 7)):
        action = deletion.actions.get(data_store=store)
        deletion_action_verify(
            action=action, verified_at=NOW + timedelta(days=days), note="query returns 0 rows", by=lead, now=NOW + timedelta(days=days)
        )
    ninety = obligations_for(deletion).get(kind="assets.deletion_90d")
    assert ninety.completed_at == NOW + timedelta(days=7)


def test_a_legal_retention_exception_counts_for_its_store(lead, stores):
    orders, _labels, invoices = stores
    deletion = notice(lead, [orders])
    with pytest.raises(ValidationError) as error:
        retention_exception_add(
            deletion=deletion,
            data={"data_store": invoices, "basis": "tax", "description": "VAT", "ends_on": (NOW - timedelta(days=30)).date()},
            by=lead,
            now=NOW,
        )
    assert "ends_on" in error.value.message_dict
    retention_exception_add(
        deletion=deletion,
        data={
            "data_store": invoices,
            "basis": "tax",
            "description": "VAT invoices kept 6 years",
            "ends_on": (NOW + timedelta(days=2000)).date(),
        },
        by=lead,
        now=NOW,
    )
    assert deletion.actions.filter(data_store=invoices).exists()  # the store joins the request
    perform(deletion, orders, lead, NOW)
    assert obligations_for(deletion).get(kind="assets.deletion_30d").completed_at == NOW


def test_naming_another_store_reopens_a_met_clock(lead, stores):
    orders, labels, _invoices = stores
    deletion = notice(lead, [orders])
    perform(deletion, orders, lead, NOW)
    assert open_obligation("assets.deletion_30d", deletion) is None
    deletion_store_add(deletion=deletion, store=labels, by=lead, now=NOW)
    reopened = open_obligation("assets.deletion_30d", deletion)
    assert reopened is not None and reopened.due_at == NOW - timedelta(days=10) + timedelta(days=30)


def test_it_refuses_impossible_times(lead, stores):
    orders = stores[0]
    with pytest.raises(ValidationError):
        notice(lead, [orders], received_at=NOW + timedelta(hours=1))
    deletion = notice(lead, [orders])
    action = deletion.actions.get()
    with pytest.raises(ValidationError):
        deletion_action_verify(action=action, verified_at=NOW, note="checked", by=lead, now=NOW)  # nothing performed yet
    with pytest.raises(ValidationError):
        deletion_action_perform(action=action, method="shred", description="", performed_by=lead, performed_at=NOW, by=lead, now=NOW)
    perform(deletion, orders, lead, NOW)
    with pytest.raises(ValidationError):
        deletion_action_verify(action=action, verified_at=NOW - timedelta(hours=1), note="checked", by=lead, now=NOW)


def complete(lead, stores):
    orders, labels, invoices = stores
    deletion = notice(lead, [orders, labels])
    perform(deletion, orders, lead, NOW - timedelta(days=5), method="purge")
    perform(deletion, labels, lead, NOW - timedelta(days=4), method="destroy")
    for store in (orders, labels):
        action = deletion.actions.get(data_store=store)
        deletion_action_verify(action=action, verified_at=NOW - timedelta(days=3), note="restore test shows no rows", by=lead, now=NOW)
    retention_exception_add(
        deletion=deletion,
        data={
            "data_store": invoices,
            "basis": "tax",
            "description": "VAT invoices kept 6 years",
            "ends_on": (NOW + timedelta(days=2000)).date(),
        },
        by=lead,
        now=NOW,
    )
    return deletion


def test_the_certificate_lists_stores_methods_people_and_exceptions(lead, stores):
    deletion = complete(lead, stores)
    certificate = certificate_sign(deletion=deletion, by=lead, step_up_at=NOW - timedelta(minutes=1), now=NOW)
    data = certificate.file.read()
    assert hashlib.sha256(data).hexdigest() == certificate.sha256
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)
    compact = text.replace(" ", "")  # pypdf splits some kerned pairs ("T ax")
    for expected in (
        "Certificate of destruction",
        "AMZ-DEL-42",
        "Orders PostgreSQL",
        "Labels bucket",
        "Purge",
        "Destroy",
        "NIST SP 800-88",
        "Invoice archive",
        "Tax law",
        "Priya Shah",
    ):
        assert expected.replace(" ", "") in compact, expected
    assert "purge of the seller's rows" in text and "restore test shows no rows" in text
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    assert AuditEvent.objects.filter(action="assets.deletion.certified", object_id=str(deletion.pk)).exists()
    with pytest.raises(ValidationError):
        certificate_sign(deletion=deletion, by=lead, step_up_at=NOW, now=NOW)  # signed once


def test_only_a_complete_request_is_certified_and_only_by_the_responsible_person(lead, manager, stores):
    deletion = notice(lead, [stores[0]])
    with pytest.raises(ValidationError):
        certificate_sign(deletion=deletion, by=lead, step_up_at=NOW, now=NOW)
    with pytest.raises(PermissionDenied):
        certificate_sign(deletion=deletion, by=manager, step_up_at=NOW, now=NOW)
    assert not DestructionCertificate.objects.exists()


def test_signing_in_the_portal_needs_a_fresh_code_and_the_download_is_audited(lead, auditor, manager, stores):
    deletion = complete(lead, stores)
    sign_url = reverse("assets:certificate_sign", args=[deletion.pk])
    browser = client_for(lead)
    response = browser.post(sign_url, {"confirm": "on"})
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:step_up"))
    assert with_step_up(client_for(manager)).get(sign_url).status_code == 403  # not the responsible person
    response = with_step_up(browser).post(sign_url, {"confirm": "on"})
    assert response.status_code == 302 and response.url == deletion.get_absolute_url()
    certificate = DestructionCertificate.objects.get(request=deletion)
    assert certificate.step_up_at <= timezone.now()
    download = client_for(auditor).get(reverse("assets:certificate_download", args=[deletion.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="download", details__what="pdf").count() == 1
    with pytest.raises(ValidationError):
        perform(deletion, stores[0], lead, NOW)  # a certified record no longer changes


def test_the_request_page_shows_both_clocks_and_what_is_left(lead, lead_client, stores):
    deletion = notice(lead, stores[:2], received_at=timezone.now() - timedelta(days=10), now=timezone.now())
    html = lead_client.get(deletion.get_absolute_url()).content.decode()
    assert 'data-testid="clock-30"' in html and "due in 19 days" in html  # 20 days less the moments since
    assert "Orders PostgreSQL: sanitisation not recorded" in html
    listed = lead_client.get(reverse("assets:deletions")).content.decode()
    assert "AMZ-DEL-42" in listed and "in progress" in listed


def test_recording_a_notice_through_the_form(lead, lead_client, stores):
    when = timezone.localtime() - timedelta(days=1)
    response = lead_client.post(
        reverse("assets:deletion_create"),
        {
            "reference": "AMZ-7",
            "received_at": f"{when:%Y-%m-%dT%H:%M}",
            "scope": "seller X",
            "responsible": lead.pk,
            "stores": [stores[0].pk, stores[1].pk],
        },
    )
    assert response.status_code == 302
    deletion = lead.responsible_deletion_requests.get()
    assert deletion.actions.count() == 2 and open_obligation("assets.deletion_30d", deletion) is not None

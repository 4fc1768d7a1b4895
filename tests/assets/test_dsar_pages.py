"""Pages of data-subject requests: who gets in, who sees the requester, forms that record, extend
and answer, and a list whose query count does not grow with the register."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assets import dsar_urls
from assets.models import DataSubjectRequest
from assets.services.dsar import dsar_create
from grc.accounts.permissions import LEAD_OR_MANAGER, READERS, SECURITY_LEAD
from grc.compliance.services import open_obligation
from tests.assets.conftest import client_for
from tests.assets.test_dsar import REQUESTER

pytestmark = pytest.mark.django_db
MATRIX = {"register": READERS, "request": READERS, "new": SECURITY_LEAD, "change": LEAD_OR_MANAGER}
MATRIX |= {"extend": LEAD_OR_MANAGER, "answer": LEAD_OR_MANAGER}


@pytest.fixture
def store(make_asset):
    return make_asset("data_store", holds_pii=True).data_store


@pytest.fixture
def dsar(lead, store):
    now = timezone.now()
    data = {"received_at": now - timedelta(days=2), "channel": "email", "request_type": "access", "handler": lead, **REQUESTER}
    return dsar_create(data=data, stores=[store], by=lead, now=now)


def url(name: str, dsar=None) -> str:
    return reverse(f"dsar:{name}", args=[dsar.pk] if dsar is not None and name not in ("register", "new") else [])


def test_every_url_declares_the_roles_of_the_matrix():
    assert {p.name for p in dsar_urls.urlpatterns} == set(MATRIX)
    for pattern in dsar_urls.urlpatterns:
        assert pattern.callback.allowed_roles == tuple(str(role) for role in MATRIX[pattern.name]), pattern.name


def test_who_gets_into_which_page(dsar, lead, manager, auditor, staff):
    expected = {
        # name: lead, manager (not the handler), auditor, staff
        "register": (200, 200, 200, 403),
        "request": (200, 200, 200, 403),
        "new": (200, 403, 403, 403),
        "change": (200, 403, 403, 403),
        "extend": (200, 403, 403, 403),
        "answer": (200, 403, 403, 403),
    }
    for name, statuses in expected.items():
        for user, status in zip((lead, manager, auditor, staff), statuses, strict=True):
            assert client_for(user).get(url(name, dsar)).status_code == status, (name, user.role)
        anonymous = Client().get(url(name, dsar))
        assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("accounts:login"))


def test_only_the_lead_and_the_handler_see_the_requester(dsar, lead, manager, auditor):
    assert "Hannelore Quistgaard" in client_for(lead).get(url("request", dsar)).content.decode()
    for reader in (manager, auditor):
        page = client_for(reader).get(url("request", dsar)).content.decode()
        assert "Hannelore" not in page and 'data-testid="details-hidden"' in page
    DataSubjectRequest.objects.filter(pk=dsar.pk).update(handler=manager)
    handler_page = client_for(manager).get(url("request", dsar))
    assert "Hannelore Quistgaard" in handler_page.content.decode()
    assert client_for(manager).get(url("change", dsar)).status_code == 200


def test_the_lead_records_a_request_from_the_page(lead, store):
    when = timezone.localtime(timezone.now() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "received_at": when,
        "channel": "authorized_user",
        "request_type": "erase",
        "handler": lead.pk,
        "requester_name": "Ola Nordmann",
        "requester_contact": "ola@example.invalid",
        "identity_verified": "on",
        "verification_method": "authorized_user",
        "stores_searched": [store.pk],
    }
    response = client_for(lead).post(url("new"), data)
    dsar = DataSubjectRequest.objects.get()
    assert response.status_code == 302 and response.url == dsar.get_absolute_url()
    assert dsar.requester_name == "Ola Nordmann" and list(dsar.stores_searched.all()) == [store]
    assert open_obligation("policies.dsar_response", dsar) is not None and dsar.verified_at is not None
    page = client_for(lead).get(dsar.get_absolute_url()).content.decode()
    assert "Restricted (PII)" in page  # the store's classification level


def test_extending_and_answering_from_the_pages(dsar, lead):
    browser = client_for(lead)
    refused = browser.post(url("extend", dsar), {"reason": "", "confirm": "on"})
    assert refused.status_code == 200 and 'data-field-error="reason"' in refused.content.decode()
    assert browser.post(url("extend", dsar), {"reason": "Several stores", "confirm": "on"}).status_code == 302
    dsar.refresh_from_db()
    assert dsar.is_extended and dsar.due_at == dsar.original_due_at + timedelta(days=60)
    again = browser.get(url("extend", dsar)).content.decode()
    assert 'data-testid="refusal"' in again and "already been extended once" in again
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    unverified = browser.post(url("answer", dsar), {"response_sent_at": now, "outcome": "fulfilled"})
    assert unverified.status_code == 200 and "Verify the requester" in unverified.content.decode()
    assert browser.post(url("answer", dsar), {"response_sent_at": now, "outcome": "refused_identity", "note": ""}).status_code == 302
    dsar.refresh_from_db()
    assert dsar.outcome == "refused_identity" and open_obligation("policies.dsar_response", dsar) is None


@pytest.mark.parametrize("count", [10, 60])
def test_the_list_needs_the_same_queries_at_any_size(lead, store, count, django_assert_max_num_queries):
    now = timezone.now()
    for i in range(count):
        data = {"received_at": now - timedelta(days=i), "channel": "email", "request_type": "access", "handler": lead}
        dsar_create(data=data, stores=[store], by=lead, now=now)
    browser = client_for(lead)
    browser.get(url("register"))
    with django_assert_max_num_queries(10):
        response = browser.get(url("register") + "?state=open&sort=due")
    assert response.status_code == 200 and len(response.context["rows"]) == min(count, 25)


def test_an_empty_register_says_what_to_do(lead, auditor):
    assert "Record a request" in client_for(lead).get(url("register")).content.decode()
    assert "Record a request" not in client_for(auditor).get(url("register")).content.decode()

"""The pack's page while it is built (issue 21): polling stops once the pack is ready or failed,
a failed pack says why and offers Retry to the lead or the requester, and the 2-second poll does
not keep a session alive past the idle timeout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grc.audit.models import AuditEvent
from grc.evidence.models import EvidencePack, PackStatus
from grc.evidence.services.packs import pack_request
from tests.evidence.conftest import client_for

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
POLL = {"HTTP_HX_REQUEST": "true", "HTTP_X_PORTAL_POLL": "1"}
REASON = "The worker building it stopped 3 times before it finished. Retry it; if it stops again, tell the portal's administrator."


def a_pack(by, **fields) -> EvidencePack:
    today = timezone.localdate()
    pack = pack_request(period_start=today - timedelta(days=5), period_end=today, clauses=["3"], by=by, now=timezone.now(), queue=False)
    EvidencePack.objects.filter(pk=pack.pk).update(**fields)
    pack.refresh_from_db()
    return pack


def test_the_panel_polls_passively_while_building_and_stops_with_286_when_failed(lead):
    browser = client_for(lead)
    pack = a_pack(lead, status=PackStatus.BUILDING, progress=62, step="Rendering the PDF", attempts=2)
    url = reverse("evidence:pack_progress", args=[pack.pk])
    building = browser.get(url, **POLL)
    assert building.status_code == 200 and "HX-Refresh" not in building
    html = building.content.decode()
    assert 'hx-trigger="every 2s"' in html and """hx-headers='{"X-Portal-Poll": "1"}'""" in html
    EvidencePack.objects.filter(pk=pack.pk).update(status=PackStatus.FAILED, failure=REASON, step="Failed")
    failed = browser.get(url, **POLL)
    assert failed.status_code == 286 and failed["HX-Refresh"] == "true"  # htmx stops polling, the page reloads
    assert "hx-trigger" not in failed.content.decode()
    page = browser.get(pack.get_absolute_url()).content.decode()
    assert REASON.replace("'", "&#x27;") in page and 'data-testid="pack-retry"' in page
    assert "hx-trigger" not in page and "js/evidence.js" not in page


def test_retry_from_the_page_is_for_the_lead_or_the_requester(lead, auditor, grant, django_capture_on_commit_callbacks):
    grant(auditor)
    theirs = a_pack(auditor, status=PackStatus.FAILED, failure=REASON, attempts=3)
    leads = a_pack(lead, status=PackStatus.FAILED, failure=REASON, attempts=3)
    auditor_browser = client_for(auditor)
    page = auditor_browser.get(leads.get_absolute_url()).content.decode()
    assert 'data-testid="pack-retry"' not in page and "whoever asked for the pack can build it again" in page
    assert auditor_browser.post(leads.get_absolute_url(), {"action": "retry"}).status_code == 403
    assert EvidencePack.objects.get(pk=leads.pk).status == PackStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        response = auditor_browser.post(theirs.get_absolute_url(), {"action": "retry"})
    assert response.status_code == 302 and response["Location"] == theirs.get_absolute_url()
    rebuilt = EvidencePack.objects.get(pk=theirs.pk)
    assert (rebuilt.status, rebuilt.attempts, rebuilt.failure) == (PackStatus.READY, 1, "")
    event = AuditEvent.objects.get(action="evidence.pack.retried", object_id=str(theirs.pk))
    assert event.actor_id == auditor.pk
    again = client_for(lead).post(rebuilt.get_absolute_url(), {"action": "retry"}, follow=True)
    assert "Only a failed pack can be built again." in again.content.decode()
    assert AuditEvent.objects.filter(action="evidence.pack.retried").count() == 1


def expiry(client: Client) -> datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_polling_does_not_keep_the_session_alive(lead, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    with time_machine.travel(T0, tick=False) as clock:
        browser = client_for(lead)
        pack = a_pack(lead, status=PackStatus.BUILDING, progress=62, step="Rendering the PDF")
        url = reverse("evidence:pack_progress", args=[pack.pk])
        assert browser.get(pack.get_absolute_url()).status_code == 200  # the user's last action
        assert expiry(browser) == T0 + timedelta(minutes=30)
        for _ in range(14):  # 28 minutes of an open tab polling (one poll shown per 2 minutes)
            clock.shift(120)
            poll = browser.get(url, **POLL)
            assert poll.status_code == 200 and "sessionid" not in poll.cookies
        assert expiry(browser) == T0 + timedelta(minutes=30)
        clock.shift(3 * 60)  # 31 minutes after the last action
        ended = browser.get(url, **POLL)
        assert ended.status_code == 302 and ended["Location"].startswith(reverse(settings.LOGIN_URL))


def test_a_request_without_the_header_still_counts_as_activity(lead, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    with time_machine.travel(T0, tick=False) as clock:
        browser = client_for(lead)
        pack = a_pack(lead, status=PackStatus.BUILDING)
        url = reverse("evidence:pack_progress", args=[pack.pk])
        browser.get(url, HTTP_HX_REQUEST="true")
        clock.shift(20 * 60)
        assert "sessionid" in browser.get(url, HTTP_HX_REQUEST="true").cookies
        assert expiry(browser) == T0 + timedelta(minutes=50)
        clock.shift(20 * 60)  # 40 minutes after sign-in, 20 after the last request
        assert browser.get(url, HTTP_HX_REQUEST="true").status_code == 200


@pytest.mark.parametrize(
    ("fields", "stage", "step"),
    [
        ({}, "queued", "Waiting for a worker"),
        ({"status": PackStatus.BUILDING, "progress": 62, "step": "Rendering the PDF"}, "building", "Rendering the PDF"),
        # the row still says queued while the worker already reports: the page says building, twice
        ({"status": PackStatus.QUEUED, "progress": 62, "step": "Rendering the PDF"}, "building", "Rendering the PDF"),
    ],
)
def test_the_badge_and_the_panel_say_the_same_thing(lead, fields, stage, step):
    """Issue 23: the badge said "Queued" while the panel said "Rendering the PDF 62%"."""
    browser = client_for(lead)
    pack = a_pack(lead, **fields)
    page = browser.get(pack.get_absolute_url()).content.decode()
    badge = page.split('data-testid="pack-status"', 1)[1].split("</span></span>", 1)[0]
    panel = page.split('data-testid="pack-progress"', 1)[1].split("</progress>", 1)[0]
    assert f'data-stage="{stage}"' in badge and badge.endswith(f">{stage}")
    assert f'data-stage="{stage}"' in panel and f'data-testid="pack-step">{step}</span>' in panel
    polled = browser.get(reverse("evidence:pack_progress", args=[pack.pk]), **POLL).content.decode()
    oob = polled.split('id="pack-status"', 1)[1]
    assert 'hx-swap-oob="true"' in oob and f'data-stage="{stage}"' in oob and f">{stage}</span>" in oob


def test_a_ready_pack_s_badge_says_ready_and_polling_brings_the_new_badge(lead):
    browser = client_for(lead)
    pack = a_pack(lead, status=PackStatus.BUILDING, progress=99, step="Storing the pack")
    EvidencePack.objects.filter(pk=pack.pk).update(status=PackStatus.READY, progress=100, step="", pdf_sha256="0" * 64)
    polled = browser.get(reverse("evidence:pack_progress", args=[pack.pk]), **POLL)
    assert polled.status_code == 286
    assert 'data-stage="ready"' in polled.content.decode().split('id="pack-status"', 1)[1]

"""Degrade, don't fail: with Redis unreachable the API and every main page still answer (issue 21).

The cache and the API throttle are pointed at a real closed port (nothing listens on 127.0.0.1:1),
so every call to them fails the way a Redis outage does (``redis.ConnectionError``). The posture
cache is switched on as in production, so the dashboard really tries the cache.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grc import degraded
from grc.api.models import TokenKind
from grc.api.scopes import scopes_for_role
from grc.api.services import token_create
from grc.compliance.services import open_obligation
from grc.models import OutboxMessage
from incidents.models import Incident
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"
REDIS_DOWN = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED_PORT_REDIS}}
LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cache-down-tests"}}
BANNER = "Background services degraded"
CACHE_TEXT = "The shared cache (Redis) is not answering"
BROKER_TEXT = "The task broker (Redis) refused queued background tasks"
MAIN_PAGES = [
    "compliance:dashboard",
    "incidents:index",
    "access_reviews:index",
    "assets:index",
    "controls:index",
    "evidence:index",
    "kit:index",
]


@pytest.fixture(autouse=True)
def fresh_state():
    """The degraded state is per process: leave none behind for the next test in this worker (a
    skipped posture cache would change what tests/scale measures)."""
    degraded.reset()
    from grc.api.throttling import FALLBACK_CACHE

    FALLBACK_CACHE.clear()
    yield
    degraded.reset()
    FALLBACK_CACHE.clear()


@pytest.fixture
def redis_down(settings):
    settings.CACHES = REDIS_DOWN  # the default cache, which DRF's throttle and the posture cache use
    settings.API_THROTTLE_CACHE = "default"
    settings.COMPLIANCE_POSTURE_CACHE_SECONDS = 120  # as in production: the dashboard reads the cache
    return settings


@pytest.fixture
def lead_key(lead):
    now = timezone.now()
    _token, key = token_create(
        user=lead,
        by=lead,
        name="SIEM",
        kind=TokenKind.PERSONAL,
        scopes=scopes_for_role(lead.role),
        expires_at=now + timedelta(days=30),
        now=now,
        request=None,
    )
    return key


def api_get(key: str, path: str):
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {key}")


def api_post(key: str, path: str, body: dict):
    return Client().post(path, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")


def report_incident(key: str, title: str = "Impossible travel alert"):
    detected = timezone.now() - timedelta(hours=1)
    return api_post(key, "/api/v1/incidents/", {"title": title, "description": "SIEM rule 42 fired", "detected_at": detected.isoformat()})


def test_the_closed_port_really_fails_like_a_redis_outage(redis_down):
    """The control for the tests below: without grc.degraded this cache raises."""
    import redis
    from django.core.cache import cache

    with pytest.raises(redis.ConnectionError):
        cache.get("anything")


def test_with_redis_down_the_api_and_every_main_page_answer_and_the_lead_sees_the_banner(redis_down, client, lead, lead_key, staff, caplog):
    caplog.set_level(logging.WARNING, logger="grc.degraded")
    listed = api_get(lead_key, "/api/v1/incidents/")
    assert listed.status_code == 200, listed.content

    created = report_incident(lead_key)
    assert created.status_code == 201, created.content
    incident = Incident.objects.get(pk=created.json()["id"])
    assert open_obligation("incidents.amazon_notification", incident).due_at == incident.detected_at + timedelta(hours=24)

    signed_in(client, lead)
    for name in MAIN_PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        page = response.content.decode()
        assert BANNER in page and CACHE_TEXT in page, name

    assert degraded.failure_counts()[degraded.CACHE] >= 1
    warnings = [record for record in caplog.records if record.name == "grc.degraded"]
    assert warnings, "a cache failure is logged"
    for record in warnings:
        text = record.getMessage()
        assert "ConnectionError" in text
        assert lead_key not in text and lead.username not in text and "127.0.0.1" not in text  # no key, no PII, no address

    staff_page = signed_in(Client(), staff).get(reverse("compliance:dashboard"))
    assert staff_page.status_code == 200 and BANNER not in staff_page.content.decode()  # the banner is the lead's


def test_the_dashboard_computes_its_posture_when_the_cache_is_down(redis_down, lead_client):
    response = lead_client.get(reverse("compliance:dashboard"))
    assert response.status_code == 200
    assert response.context["data"].requirements, "the posture was computed, not left empty"
    assert degraded.failure_counts() == {degraded.CACHE: 1}


def test_the_rate_limit_still_holds_per_process_while_the_cache_is_down(redis_down, lead_key):
    """Fail open, within bounds: the limit moves into this process's memory; it is not lifted."""
    redis_down.API_RATE_LIMIT = "3/minute"
    answers = [api_get(lead_key, "/api/v1/incidents/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert report_incident(lead_key).status_code == 429  # the same token, the same local count


def test_a_failed_cache_is_skipped_for_a_while_then_tried_again(redis_down, lead_key, monkeypatch):
    """While Redis is down no request waits on it: one failure per interval, not one per request."""
    clock = [1000.0]
    monkeypatch.setattr(degraded, "_clock", lambda: clock[0])
    for _ in range(3):
        assert api_get(lead_key, "/api/v1/incidents/").status_code == 200
    assert degraded.failure_counts() == {degraded.CACHE: 1}

    clock[0] += degraded.RETRY_AFTER_SECONDS
    assert api_get(lead_key, "/api/v1/incidents/").status_code == 200
    assert degraded.failure_counts() == {degraded.CACHE: 2}  # tried again, still down

    redis_down.CACHES = LOCAL_CACHE  # Redis is back
    clock[0] += degraded.RETRY_AFTER_SECONDS
    assert api_get(lead_key, "/api/v1/incidents/").status_code == 200
    assert degraded.failure_counts() == {degraded.CACHE: 2}
    from django.core.cache import cache

    assert any(key.startswith(":1:throttle_api_token_") for key in cache._cache)  # counted in the shared cache again

    clock[0] += degraded.RECENT_SECONDS
    assert degraded.degraded_services() == []  # the banner clears once failures stop


def test_without_any_failure_the_lead_sees_no_banner(lead_client):
    page = lead_client.get(reverse("compliance:dashboard")).content.decode()
    assert BANNER not in page


def test_tasks_the_broker_refused_show_the_broker_banner_to_the_lead_only(lead, staff):
    OutboxMessage.objects.create(task="grc.compliance.tasks.sweep_reminders", attempts=1, last_error="OperationalError")
    lead_page = signed_in(Client(), lead).get(reverse("compliance:dashboard")).content.decode()
    assert BANNER in lead_page and BROKER_TEXT in lead_page and CACHE_TEXT not in lead_page
    staff_page = signed_in(Client(), staff).get(reverse("compliance:dashboard")).content.decode()
    assert BANNER not in staff_page

    OutboxMessage.objects.update(sent_at=timezone.now(), last_error="")  # the relay published it
    degraded.reset()  # forget the remembered answer (it is re-read every BROKER_CHECK_SECONDS)
    assert BANNER not in signed_in(Client(), lead).get(reverse("compliance:dashboard")).content.decode()


class CachedShape:
    """A value a page caches; the test renames it as a later release might."""

    def __init__(self, total: int):
        self.total = total


def test_an_entry_pickled_by_an_older_release_is_a_miss_and_is_dropped(settings, caplog):
    """A deploy that renames a cached class must not turn the pages that cache it into errors:
    the stale entry reads as a miss (the page computes), it is deleted, and the cache is not
    reported as down."""
    settings.CACHES = LOCAL_CACHE
    degraded.cache_set("stale-shape", CachedShape(3), 60, where="test")
    assert degraded.cache_get("stale-shape", where="test").total == 3  # it unpickles while the class exists
    renamed = globals().pop("CachedShape")
    try:
        with caplog.at_level(logging.WARNING, logger="grc.degraded"):
            assert degraded.cache_get("stale-shape", "computed", where="test") == "computed"
        assert "stale cache entry dropped" in caplog.text
    finally:
        globals()["CachedShape"] = renamed
    assert degraded.cache_get("stale-shape", "gone", where="test") == "gone"  # deleted, not only skipped
    assert degraded.available(degraded.CACHE)  # a stale entry is not an outage

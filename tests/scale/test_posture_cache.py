"""The dashboard's DPP posture (every app's live checks) is cached briefly and dropped by any audited change."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grc.audit.selectors import latest_change_id
from grc.audit.services import record_event
from grc.compliance import registry
from grc.compliance.registry import CheckResult

URL = reverse("compliance:dashboard")


@pytest.fixture
def switch(settings):
    """A live check on DPP 1.8 whose answer the test flips, and the cache switched on as in production."""
    settings.COMPLIANCE_POSTURE_CACHE_SECONDS = 120
    cache.clear()
    saved = {clause: list(entries) for clause, entries in registry._checks.items()}
    state = {"status": "met", "runs": 0}

    def check(now):
        state["runs"] += 1
        return CheckResult(state["status"], f"switch is {state['status']}")

    registry.register_check("1.8", "tests.switch", check)
    yield state
    registry._checks.clear()
    registry._checks.update(saved)
    cache.clear()


def shows_the_breach(client) -> bool:
    """The dashboard lists requirements that are not met with their reasons."""
    return "switch is not_met" in client.get(URL).content.decode()


def test_a_second_load_reuses_the_checks_and_runs_few_queries(lead_client, switch):
    lead_client.get(URL)
    assert switch["runs"] == 1
    with CaptureQueriesContext(connection) as warm:
        assert lead_client.get(URL).status_code == 200
    assert switch["runs"] == 1
    assert len(warm) <= 15


def test_an_audited_change_drops_the_cached_posture_at_once(lead_client, lead, switch):
    lead_client.get(URL)
    switch["status"] = "not_met"
    assert not shows_the_breach(lead_client)  # still the cached answer (for at most 2 minutes)
    record_event("tests.thing.updated", actor=lead, object_type="tests.thing", object_id="1", changed_fields=["status"])
    assert shows_the_breach(lead_client)
    assert switch["runs"] == 2


def test_views_sign_ins_and_downloads_do_not_drop_it(lead_client, lead, switch):
    lead_client.get(URL)
    before = latest_change_id()
    record_event("tests.thing.viewed", actor=lead, object_type="tests.thing", object_id="1")
    record_event("accounts.login", actor=lead, obj=lead, message="password accepted")
    record_event("download", actor=lead, message="csv download", details={"what": "csv", "count": 3})
    assert latest_change_id() == before
    lead_client.get(URL)
    assert switch["runs"] == 1


def test_latest_change_id_is_the_newest_change(lead):
    change = record_event("tests.thing.created", actor=lead, object_type="tests.thing", object_id="7")
    record_event("tests.thing.viewed", actor=lead, object_type="tests.thing", object_id="7")
    assert latest_change_id() == change.pk


def test_without_a_cache_time_the_checks_run_on_every_load(lead_client, switch, settings):
    settings.COMPLIANCE_POSTURE_CACHE_SECONDS = 0
    lead_client.get(URL)
    lead_client.get(URL)
    assert switch["runs"] == 2

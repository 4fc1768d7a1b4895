"""Retention (DPP 2.6: logs kept at least 90 days): the purge removes a prefix of the chain through
the audited path, leaves an anchor, and the chain still verifies afterwards."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from grc.audit.chain import PURGED_ACTION, chain_verify
from grc.audit.models import AuditAnchor, AuditEvent
from grc.audit.retention import events_purge, purge_expired, retention_cutoff
from grc.audit.tasks import purge_expired_events
from tests.audit.conftest import NOW, events, tamper
from tests.core.test_settings import run_manage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def books_kept_no_longer(settings):
    """These tests are about DPP 2.6 alone: the agreement ended long ago, so books and records (DPP 3)
    no longer hold the trail back (tests/audit/test_books_retention.py covers that window)."""
    settings.AGREEMENT_ENDED_ON = "2020-01-01"


def write_history():
    """Events 400, 200 and 60 days ago and today (the clock moved for each)."""
    made = {}
    for days in (400, 200, 60, 0):
        with time_machine.travel(NOW - timedelta(days=days), tick=False):
            made[days] = events(3, action=f"tests.day{days}.changed")
    return made


def test_it_purges_what_retention_no_longer_keeps_and_the_chain_still_verifies(settings):
    settings.AUDIT_RETENTION_DAYS = 300
    made = write_history()
    with time_machine.travel(NOW, tick=False):
        purged = purge_expired(now=NOW)
    assert purged == 3
    assert not AuditEvent.objects.filter(action="tests.day400.changed").exists()
    assert AuditEvent.objects.filter(action="tests.day200.changed").count() == 3
    anchor = AuditAnchor.objects.get()
    assert (anchor.purged_count, anchor.last_purged_id, anchor.last_hash) == (3, made[400][-1].pk, made[400][-1].hash)
    assert anchor.purged_before == NOW - timedelta(days=300)
    purge_event = AuditEvent.objects.get(action=PURGED_ACTION)
    assert purge_event.object_id == str(anchor.pk) and purge_event.details["count"] == 3 and purge_event.channel == "task"
    report = chain_verify()
    assert report.ok and report.anchor_id == anchor.pk and report.count == 10  # 9 kept + the purge event


def test_a_second_purge_moves_the_anchor_and_the_chain_still_verifies(settings):
    settings.AUDIT_RETENTION_DAYS = 365
    write_history()
    assert purge_expired(now=NOW) == 3
    later = NOW + timedelta(days=200)
    assert purge_expired(now=later) == 3  # the 200-day-old events; the 60-day-old ones and the first purge's event stay
    assert AuditAnchor.objects.count() == 2
    assert purge_expired(now=NOW + timedelta(days=400)) == 3 + 3 + 1  # then the rest up to the first purge event; the second stays
    assert chain_verify().ok


def test_it_never_purges_events_younger_than_90_days():
    write_history()
    with pytest.raises(ValueError, match="at least 90 days"):
        events_purge(before=NOW - timedelta(days=30), now=NOW)
    assert retention_cutoff(now=NOW, days=10) == NOW - timedelta(days=90)
    assert purge_expired(now=NOW, days=30) == 6  # the 400- and 200-day-old ones only: 90 days is the floor
    assert AuditEvent.objects.filter(action="tests.day60.changed").count() == 3


def test_nothing_to_purge_writes_nothing(settings):
    with time_machine.travel(NOW, tick=False):
        events(2)
    assert purge_expired(now=NOW) == 0
    assert not AuditAnchor.objects.exists()
    assert not AuditEvent.objects.filter(action=PURGED_ACTION).exists()


def test_a_forged_anchor_without_its_purge_event_is_refused():
    made = events(3)
    tamper("DELETE FROM {table} WHERE id <= %s", [made[0].pk])
    AuditAnchor.objects.create(purged_before=NOW, purged_count=1, last_purged_id=made[0].pk, last_hash=made[0].hash)
    report = chain_verify()
    assert not report.ok and report.problem == "anchor"


def test_anchors_are_append_only():
    write_history()
    anchor = events_purge(before=NOW - timedelta(days=300), now=NOW)
    anchor.purged_count = 1
    with pytest.raises(PermissionError):
        anchor.save()
    with pytest.raises(PermissionError):
        anchor.delete()
    with pytest.raises(PermissionError):
        AuditAnchor.objects.all().delete()


def test_the_daily_task_purges_then_records_a_verification(settings):
    settings.AUDIT_RETENTION_DAYS = 180
    write_history()
    with time_machine.travel(NOW, tick=False):
        assert purge_expired_events.delay().get() == 6
    verification = AuditEvent.objects.filter(action="audit.chain.verified").get()
    assert verification.outcome == "success" and verification.details["anchor_id"] == AuditAnchor.objects.get().pk


def test_the_setting_refuses_less_than_90_days():
    result = run_manage(
        "check", env_changes={"DJANGO_ENV": "test", "AUDIT_RETENTION_DAYS": "30", "DATABASE_URL": "sqlite:////tmp/unused.sqlite3"}
    )
    assert result.returncode != 0
    assert "AUDIT_RETENTION_DAYS must be at least 90" in result.stderr

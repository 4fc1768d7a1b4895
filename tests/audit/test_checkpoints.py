"""Checkpoints to a witness outside the database: the tail of the trail is tamper-evident too.

A hash chain whose newest events were removed is still a whole chain; these tests show that the
chain alone says "intact" and that the comparison with the latest checkpoint does not. Runs on
SQLite and on PostgreSQL (tampering goes past the trigger the documented way, conftest.tamper).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command

from grc.audit.chain import VERIFIED_ACTION, chain_verify, last_verification
from grc.audit.checkpoints import audit_checkpoint_write
from grc.audit.models import AuditEvent, chain_hash
from grc.audit.retention import events_purge
from grc.audit.tasks import write_checkpoint
from grc.audit.witness import Checkpoint, FileWitness
from tests.audit.conftest import NOW, events, tamper

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


@pytest.fixture
def witness(settings, tmp_path) -> FileWitness:
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "witness")
    return FileWitness(settings.AUDIT_CHECKPOINT_DIR)


def run(command: str, *args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_a_checkpoint_appends_the_head_as_a_json_line(witness):
    made = events(3)
    first = audit_checkpoint_write(now=NOW)
    events(2)
    second = audit_checkpoint_write(now=NOW + HOUR)
    lines = (witness.directory / "checkpoints-2027-03.jsonl").read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2]
    recorded = json.loads(lines[0])
    assert recorded["head_id"] == made[-1].pk and recorded["head_hash"] == made[-1].hash
    assert recorded["count"] == 3 and recorded["verified"] is True and recorded["at"] == NOW.isoformat()
    assert Checkpoint.from_json(lines[0]) == first
    assert witness.latest() == second and second.count == 5
    assert not AuditEvent.objects.filter(action=VERIFIED_ACTION).exists()  # an intact hour adds nothing to the trail


def test_deleting_the_newest_events_is_detected_against_the_checkpoint(witness, settings):
    made = events(5)
    audit_checkpoint_write(now=NOW)
    tamper("DELETE FROM {table} WHERE id >= %s", [made[3].pk])
    report = chain_verify(now=NOW + HOUR)
    assert (report.ok, report.problem, report.broken_at) == (False, "truncated", made[-1].pk)
    assert f"the table ends at #{made[2].pk}" in report.reason
    code, _, err = run("verify_audit_log", "--no-record")
    assert code == 1 and "newest events were removed" in err
    settings.AUDIT_CHECKPOINT_DIR = ""
    assert chain_verify(now=NOW + HOUR).ok  # the chain alone cannot tell: what is left is whole


def test_an_empty_table_is_detected_while_checkpoints_exist(witness, settings):
    events(3)
    audit_checkpoint_write(now=NOW)
    tamper("DELETE FROM {table}", [])
    report = chain_verify(now=NOW + HOUR)
    assert (report.ok, report.problem) == (False, "truncated")
    assert "the audit table is empty but checkpoint #1" in report.reason and "recorded 3 events" in report.reason
    assert run("verify_audit_log", "--no-record", "--full")[0] == 1
    settings.AUDIT_CHECKPOINT_DIR = ""
    assert chain_verify(now=NOW + HOUR).ok


def test_a_chain_rewritten_with_recomputed_hashes_is_detected_at_the_checkpointed_id(witness, settings):
    """Whoever can write every row can recompute every hash; the witness still has the old head."""
    made = events(4)
    audit_checkpoint_write(now=NOW)
    prev = made[0].prev_hash
    for event in AuditEvent.objects.order_by("id"):
        event.message = "rewritten" if event.pk == made[1].pk else event.message
        digest = chain_hash(prev, event.canonical())
        tamper("UPDATE {table} SET message = %s, prev_hash = %s, hash = %s WHERE id = %s", [event.message, prev, digest, event.pk])
        prev = digest
    report = chain_verify(now=NOW + HOUR, full=True)
    assert (report.ok, report.problem, report.broken_at) == (False, "checkpoint", made[-1].pk)
    settings.AUDIT_CHECKPOINT_DIR = ""
    assert chain_verify(now=NOW + HOUR).ok


def test_incremental_verification_hashes_only_the_events_after_the_checkpoint(witness, django_assert_num_queries):
    old = events(10)
    checkpoint = audit_checkpoint_write(now=NOW)
    new = events(4)
    # the latest anchor, the checkpointed event by id, the checkpointed event's row, one batch, the empty batch
    with django_assert_num_queries(5):
        report = chain_verify(now=NOW + HOUR)
    assert report.ok and report.mode == "incremental" and report.start_checkpoint_seq == checkpoint.seq
    assert (report.start_after_id, report.count, report.hashed) == (old[-1].pk, 4, 5)  # the checkpointed event is re-hashed
    assert (report.head_id, report.head_hash) == (new[-1].pk, new[-1].hash)
    full = chain_verify(now=NOW + HOUR, full=True)
    assert full.ok and full.mode == "full" and (full.count, full.hashed) == (14, 14)


def test_an_old_alteration_is_found_by_full_verification_only(witness):
    """What incremental verification trades away: a row before the checkpoint altered without
    touching any hash. --full (and the daily retention task) finds it."""
    made = events(5)
    audit_checkpoint_write(now=NOW)
    events(1)
    tamper("UPDATE {table} SET message = %s WHERE id = %s", ["nothing happened here", made[1].pk])
    code, out, _ = run("verify_audit_log", "--no-record")
    assert code == 0 and "OK: 1 events verified since checkpoint #1" in out and "matches checkpoint #1" in out
    code, _, err = run("verify_audit_log", "--no-record", "--full")
    assert code == 1 and f"BROKEN at event #{made[1].pk} (altered)" in err


def test_a_re_hashed_checkpoint_event_is_refused_as_a_starting_point(witness):
    made = events(3)
    audit_checkpoint_write(now=NOW)
    tamper("UPDATE {table} SET message = %s WHERE id = %s", ["changed", made[-1].pk])
    report = chain_verify(now=NOW + HOUR)
    assert (report.ok, report.problem, report.broken_at, report.hashed) == (False, "altered", made[-1].pk, 0)


def test_a_failed_check_is_written_unverified_and_never_moves_the_baseline(witness):
    made = events(5)
    audit_checkpoint_write(now=NOW)
    tamper("DELETE FROM {table} WHERE id >= %s", [made[3].pk])
    with time_machine.travel(NOW + HOUR, tick=False):
        code, _, err = run("audit_checkpoint")
    assert code == 1 and "UNVERIFIED" in err
    latest = witness.latest()
    assert (latest.seq, latest.verified, latest.head_id) == (2, False, made[2].pk)  # the witness keeps what the table had
    assert witness.latest(verified_only=True).seq == 1
    assert last_verification().outcome == "failure"  # the dashboard's 2.6 check and the log review see it
    report = chain_verify(now=NOW + 2 * HOUR)  # the latest checkpoint matches the table; the verified one does not
    assert (report.ok, report.problem, report.broken_at) == (False, "removed", made[-1].pk)  # events were appended since


@pytest.fixture
def books_kept_no_longer(settings):
    settings.AGREEMENT_ENDED_ON = "2020-01-01"
    settings.AUDIT_RETENTION_DAYS = 300


def test_a_purge_of_events_a_checkpoint_saw_long_ago_passes(witness, books_kept_no_longer):
    with time_machine.travel(NOW - timedelta(days=400), tick=False):
        events(3)
        audit_checkpoint_write(now=NOW - timedelta(days=400))
    with time_machine.travel(NOW, tick=False):
        events(2)
    events_purge(before=NOW - timedelta(days=300), now=NOW)
    report = chain_verify(now=NOW)
    assert report.ok and report.mode == "full" and report.count == 3  # 2 kept + the purge event, from the anchor


def test_a_purge_of_events_a_checkpoint_saw_recently_is_detected(witness, books_kept_no_longer):
    """An app role that writes an anchor itself may delete up to it; the witness knows the events were young."""
    with time_machine.travel(NOW, tick=False):
        made = events(4)
    audit_checkpoint_write(now=NOW)
    events_purge(before=NOW + timedelta(days=1), now=NOW + timedelta(days=200))  # a lying clock
    report = chain_verify(now=NOW + HOUR)
    assert (report.ok, report.problem, report.broken_at) == (False, "purged", made[-1].pk)
    assert "before it was 90 days old" in report.reason


def test_the_audit_checkpoint_command_exit_codes(witness, settings):
    made = events(2)
    code, out, _ = run("audit_checkpoint")
    assert code == 0 and f"head #{made[-1].pk} {made[-1].hash}" in out
    code, out, _ = run("audit_checkpoint", "--json")
    assert code == 0 and json.loads(out)["seq"] == 2
    settings.AUDIT_CHECKPOINT_DIR = ""
    code, _, err = run("audit_checkpoint")
    assert code == 2 and "AUDIT_CHECKPOINT_DIR is empty" in err


def test_the_hourly_task_writes_a_checkpoint(witness, settings):
    made = events(2)
    assert django_settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"] == {"task": "grc.audit.tasks.write_checkpoint", "schedule": 3600.0}
    assert write_checkpoint.delay().get() == made[-1].pk
    assert witness.latest().head_id == made[-1].pk
    settings.AUDIT_CHECKPOINT_DIR = ""
    assert write_checkpoint.delay().get() is None


def test_the_evidence_pack_shows_the_latest_checkpoint_and_verifies_incrementally(witness):
    from grc.evidence.collect import PackContext, Period
    from grc.evidence.sections.audit_trail import chain

    made = events(3)
    checkpoint = audit_checkpoint_write(now=NOW)
    events(2)
    evidence = chain(PackContext(period=Period(date(2027, 1, 1), date(2027, 3, 31)), now=NOW + HOUR, clauses=["2.6"]))
    facts = dict(evidence.facts)
    assert facts["Latest checkpoint"] == "#1 at 2027-03-10 09:00 UTC"
    assert facts["Checkpoint head"] == f"event #{made[-1].pk}"
    assert facts["Checkpoint head hash (SHA-256)"] == checkpoint.head_hash
    assert facts["Events checked"] == "2 (after checkpoint #1)"


def test_a_forged_purge_of_recent_events_below_the_latest_checkpoint_is_detected(witness, books_kept_no_longer, settings):
    """The latest checkpoint's head is still there; an earlier checkpoint saw what the purge removed."""
    with time_machine.travel(NOW - timedelta(days=30), tick=False):
        month_old = events(3)
    audit_checkpoint_write(now=NOW - timedelta(days=30))
    with time_machine.travel(NOW, tick=False):
        events(3)
    audit_checkpoint_write(now=NOW)
    anchor = events_purge(before=NOW - timedelta(days=1), now=NOW + timedelta(days=200))  # a lying clock
    assert anchor.last_purged_id == month_old[-1].pk
    report = chain_verify(now=NOW + HOUR)
    assert (report.ok, report.problem) == (False, "purged")
    assert f"saw event #{month_old[-1].pk}" in report.reason
    settings.AUDIT_CHECKPOINT_DIR = ""
    assert chain_verify(now=NOW + HOUR).ok


def test_a_backdated_event_does_not_make_recent_events_purgeable(witness, books_kept_no_longer):
    """An event that claims to be 400 days old, written after a 10-day-old checkpoint, is 10 days old at most."""
    from grc.audit.chain import PURGED_ACTION
    from grc.audit.models import AuditAnchor
    from grc.audit.services import record_event

    with time_machine.travel(NOW - timedelta(days=10), tick=False):
        events(2)
    audit_checkpoint_write(now=NOW - timedelta(days=10))
    backdated = record_event("tests.thing.changed", system_actor="tests", occurred_at=NOW - timedelta(days=400))
    audit_checkpoint_write(now=NOW)
    anchor = AuditAnchor.objects.create(purged_before=NOW, purged_count=3, last_purged_id=backdated.pk, last_hash=backdated.hash)
    tamper("DELETE FROM {table} WHERE id <= %s", [backdated.pk])
    record_event(PURGED_ACTION, system_actor="task:purge_expired_events", obj=anchor)
    report = chain_verify(now=NOW + HOUR)
    assert (report.ok, report.problem) == (False, "purged")
    assert f"event #{backdated.pk} was written after checkpoint #1" in report.reason

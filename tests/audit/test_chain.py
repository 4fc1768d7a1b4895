"""The hash chain: altered, removed and inserted rows are detected and named (DPP 2.6 tampering).

Runs on SQLite and on PostgreSQL (``DATABASE_URL=postgres://…``); on PostgreSQL the tampering
goes past the append-only trigger the one documented way (tests.audit.conftest.tamper).
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from grc.audit.chain import VERIFIED_ACTION, chain_verify, last_verification
from grc.audit.models import GENESIS_HASH, AuditEvent, canonical_content, chain_hash
from grc.audit.services import record_event
from tests.audit.conftest import TABLE, bump_id_sequence, events, tamper

pytestmark = pytest.mark.django_db


def run_verify(*args) -> tuple[int, str, str]:
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit_log", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_each_event_chains_to_the_one_before():
    first, second, third = events(3)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert third.hash == chain_hash(second.hash, third.canonical())


def test_an_intact_chain_verifies_and_the_command_prints_count_and_head():
    made = events(7)
    code, out, _ = run_verify("--no-record")
    assert code == 0
    assert "OK: 7 events verified" in out
    assert f"head: #{made[-1].pk} {made[-1].hash}" in out


def test_the_command_reports_json_and_records_the_result_in_the_trail():
    made = events(4)
    code, out, _ = run_verify("--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["count"] == 4 and report["head_hash"] == made[-1].hash
    recorded = last_verification()
    assert recorded.action == VERIFIED_ACTION and recorded.outcome == "success" and recorded.channel == "command"
    assert recorded.details["count"] == 4 and recorded.details["head_hash"] == made[-1].hash
    assert run_verify("--no-record")[1].startswith("OK: 5 events")  # the recorded result is part of the chain too


def test_an_altered_message_is_detected_and_named(django_db_blocker):
    made = events(5)
    tamper("UPDATE {table} SET message = %s WHERE id = %s", ["nothing happened here", made[2].pk])
    report = chain_verify()
    assert not report.ok and report.broken_at == made[2].pk and report.problem == "altered"
    assert report.count == 2
    code, _, err = run_verify("--no-record")
    assert code == 1
    assert f"BROKEN at event #{made[2].pk} (altered)" in err


@pytest.mark.parametrize(
    "column, value",
    [("outcome", "success"), ("actor_id", 999), ("occurred_at", "2020-01-01 00:00:00"), ("details", '{"changed_fields": []}')],
)
def test_any_altered_hashed_column_is_detected(column, value):
    made = events(3, outcome="failure", details={"changed_fields": ["name"]})
    tamper(f"UPDATE {{table}} SET {column} = %s WHERE id = %s", [value, made[1].pk])
    report = chain_verify()
    assert (report.ok, report.broken_at, report.problem) == (False, made[1].pk, "altered")


def test_a_row_altered_with_its_hash_recomputed_breaks_the_next_link():
    made = events(4)
    row = AuditEvent.objects.get(pk=made[1].pk)
    row.message = "rewritten"
    forged = chain_hash(row.prev_hash, row.canonical())
    tamper("UPDATE {table} SET message = %s, hash = %s WHERE id = %s", ["rewritten", forged, made[1].pk])
    report = chain_verify()
    assert not report.ok and report.broken_at == made[2].pk and report.problem == "removed"


def test_a_removed_row_is_detected_at_the_event_after_it():
    made = events(5)
    tamper("DELETE FROM {table} WHERE id = %s", [made[2].pk])
    report = chain_verify()
    assert not report.ok and report.broken_at == made[3].pk and report.problem == "removed"
    assert f"#{made[1].pk}" in report.reason


def test_removing_the_first_event_is_detected():
    made = events(3)
    tamper("DELETE FROM {table} WHERE id = %s", [made[0].pk])
    report = chain_verify()
    assert (report.ok, report.broken_at, report.problem) == (False, made[1].pk, "removed")


def test_a_forged_row_inserted_between_two_real_ones_is_named():
    """The forger even chains it correctly to the event before; the event after still points past it."""
    first = events(1)[0]
    bump_id_sequence(5)
    second = events(1)[0]
    forged_id = first.pk + 1
    assert forged_id < second.pk
    values = {
        "occurred_at": first.occurred_at,
        "actor_id": None,
        "actor_name": "tests",
        "action": "accounts.login",
        "object_type": "",
        "object_id": "",
        "outcome": "success",
        "source_ip": None,
        "channel": "web",
        "message": "",
        "details": {},
    }
    forged_hash = chain_hash(first.hash, canonical_content(**values))
    tamper(
        "INSERT INTO {table} (id, occurred_at, actor_id, actor_name, action, object_type, object_id, outcome, source_ip, channel, message, details, prev_hash, hash)"
        " VALUES (%s, %s, NULL, 'tests', 'accounts.login', '', '', 'success', NULL, 'web', '', '{}', %s, %s)",
        [forged_id, first.occurred_at, first.hash, forged_hash],
    )
    report = chain_verify()
    assert (report.ok, report.broken_at, report.problem) == (False, forged_id, "inserted")
    code, _, err = run_verify("--no-record")
    assert code == 1 and f"event #{forged_id}" in err


def test_a_failed_verification_is_recorded_as_a_failure():
    made = events(3)
    tamper("UPDATE {table} SET action = %s WHERE id = %s", ["tests.other", made[0].pk])
    code, out, _ = run_verify("--json")
    assert code == 1 and json.loads(out)["broken_at"] == made[0].pk
    recorded = last_verification()
    assert recorded.outcome == "failure" and recorded.details["broken_at"] == made[0].pk


def test_verification_reads_in_batches_across_batch_boundaries():
    events(23)
    code, out, _ = run_verify("--no-record", "--batch-size", "5")
    assert code == 0 and "OK: 23 events" in out


def test_the_application_refuses_to_update_or_delete_events():
    event = events(1)[0]
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(message="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        event.delete()
    event.message = "changed"
    with pytest.raises(PermissionError):
        event.save()


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only (SQLite: the application refuses)"
)
@pytest.mark.parametrize("sql", ["UPDATE {table} SET message = 'x' WHERE id = %s", "DELETE FROM {table} WHERE id = %s"])
def test_postgresql_rejects_raw_updates_and_deletes(sql):
    event = events(1)[0]
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql.replace("{table}", TABLE), [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, message=event.message).exists()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only")
def test_the_unlock_ends_with_its_transaction():
    event = events(1)[0]
    tamper("UPDATE {table} SET message = message WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {TABLE} SET message = 'y' WHERE id = %s", [event.pk])


@pytest.mark.parametrize(
    "address, stored", [("2001:DB8:0:0:0:0:0:1", "2001:db8::1"), ("::ffff:192.0.2.1", "::ffff:192.0.2.1"), ("not-an-ip", None)]
)
def test_addresses_are_stored_as_the_database_returns_them_so_hashes_still_match(address, stored, rf):
    request = rf.get("/", REMOTE_ADDR=address)
    event = record_event("tests.thing.viewed", request=request)
    assert AuditEvent.objects.get(pk=event.pk).source_ip == stored
    assert chain_verify().ok

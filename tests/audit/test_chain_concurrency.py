"""Concurrent writers on PostgreSQL: appends from separate connections never fork the chain.

Each thread has its own database connection (Django connections are per thread), so the writers
race in the database for real; the advisory lock in ``record_event`` serialises read-head-then-
append. A fork would show as two events with the same ``prev_hash`` and a chain that does not
verify. SQLite serialises writers in one file and the test database is in memory, so this runs on
PostgreSQL only.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.db.models import Count

from grc.audit.chain import chain_verify
from grc.audit.models import AuditEvent
from grc.audit.services import record_event

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (DATABASE_URL=postgres://...)"),
]

WRITERS = 4
EACH = 40


def run_together(count: int, work) -> None:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def runner(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            work(index)
        except BaseException as error:  # surfaced in the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def test_concurrent_writers_do_not_fork_the_chain():
    def write(index: int) -> None:
        for n in range(EACH):
            record_event("tests.thing.changed", system_actor=f"writer-{index}", object_type="tests.thing", object_id=str(n))

    run_together(WRITERS, write)
    assert AuditEvent.objects.count() == WRITERS * EACH
    forks = AuditEvent.objects.values("prev_hash").annotate(n=Count("id")).filter(n__gt=1)
    assert not forks.exists()
    report = chain_verify()
    assert report.ok and report.count == WRITERS * EACH
    writers = set(AuditEvent.objects.values_list("actor_name", flat=True))
    assert writers == {f"writer-{i}" for i in range(WRITERS)}  # they really ran side by side


def test_concurrent_failed_sign_ins_raise_one_alarm(settings, staff):
    """The rules run on each event from every writer; the unique constraint keeps one alarm."""
    from grc.audit.models import Alarm

    settings.AUDIT_ALARM_THRESHOLDS = {"FAILED_LOGINS_PER_USER": 3}

    def fail(index: int) -> None:
        for _ in range(5):
            record_event("accounts.login_failed", outcome="failure", object_type="accounts.user", object_id=staff.pk)

    run_together(WRITERS, fail)
    assert Alarm.objects.filter(rule="failed_logins_user").count() == 1
    assert chain_verify().ok

"""Two sweeps at the same moment on PostgreSQL: every reminder is sent exactly once.

Each thread has its own database connection (Django connections are per thread), so the two
claims race in the database for real; the unique (obligation, milestone) key decides.
SQLite serialises writers in one file and the test database is in memory, so this runs on
PostgreSQL only.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection, connections

from grc.compliance.models import Reminder
from grc.compliance.reminders import send_one_reminder, sweep
from tests.compliance.conftest import make_obligation

DUE = datetime(2027, 3, 20, 12, 0, tzinfo=UTC)
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent claims need PostgreSQL (DATABASE_URL=postgres://...)"),
]


@pytest.fixture(autouse=True)
def only_owner_reminders(clean_registry, settings):
    clean_registry._providers.clear()
    settings.REMINDER_DIGEST_HOUR = 24


def run_together(count: int, work) -> list:
    """Start ``count`` threads that call ``work()`` at the same instant; return their results."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def runner(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work()
        except BaseException as error:  # surfaced in the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_two_workers_claiming_the_same_reminder_send_it_once(manager):
    for _ in range(5):  # several rounds, so a lucky ordering cannot hide a race
        obligation = make_obligation(due_at=DUE, owner=manager)
        before = len(mail.outbox)
        results = run_together(2, lambda obligation=obligation: send_one_reminder(obligation, DUE - timedelta(days=3)))
        assert sorted(results) == [False, True]
        assert Reminder.objects.filter(obligation=obligation).count() == 1
        assert len(mail.outbox) - before == 1


def test_two_whole_sweeps_at_once_send_every_reminder_exactly_once(manager, lead):
    obligations = [make_obligation(due_at=DUE + timedelta(minutes=i), owner=manager) for i in range(30)]
    reports = run_together(2, lambda: sweep(now=DUE - timedelta(days=3)))
    assert sum(report.sent_count for report in reports) == 30
    assert Reminder.objects.filter(status="sent").count() == 30
    assert len(mail.outbox) == 30
    assert {o.pk for o in obligations} == set(Reminder.objects.values_list("obligation_id", flat=True))

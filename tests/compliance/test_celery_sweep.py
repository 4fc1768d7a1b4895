"""The beat task on a real Celery worker over Redis: it runs the sweep against the shared database.

The worker is a separate process, so it must reach the test database: PostgreSQL (a file
SQLite database would also do; the default in-memory test database cannot be shared).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from grc.compliance.models import Reminder
from tests.compliance.conftest import make_obligation
from tests.workers import celery_client, celery_worker, real_worker_marks

REDIS_URL = "redis://127.0.0.1:6379/11"  # this suite's own Redis database
TASK = "grc.compliance.tasks.sweep_reminders"  # the name CELERY_BEAT_SCHEDULE uses

pytestmark = real_worker_marks()


@pytest.fixture
def sweep_worker(tmp_path):
    """A real ``celery worker`` on Redis that uses the test database and writes emails to files."""
    mail_dir = tmp_path / "mail"
    env = {"EMAIL_URL": f"filemail:///{mail_dir}", "REMINDER_SWEEP_SECONDS": "300"}
    with celery_worker(tmp_path, name="compliance", redis_url=REDIS_URL, env=env) as (process, log):
        yield process, mail_dir, log


@pytest.fixture
def redis_client():
    with celery_client(REDIS_URL, "compliance-test-client") as client:
        yield client


def test_the_beat_task_sends_due_reminders_through_a_real_worker(redis_client, sweep_worker, manager):
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["reminder-sweep"]["task"] == TASK
    process, mail_dir, log = sweep_worker
    obligation = make_obligation(
        "assets.finding_fix", due_at=timezone.now() + timedelta(hours=2), owner=manager, title="Patch the VPN gateway"
    )
    result = redis_client.send_task(TASK)
    try:
        sent = result.get(timeout=90)
    except Exception:
        pytest.fail("the worker did not answer:\n" + log.read_text()[-4000:])
    assert sent >= 1, log.read_text()[-3000:]
    reminder = Reminder.objects.get(obligation=obligation)
    assert (reminder.milestone, reminder.status) == ("-1d", "sent")
    assert manager.pk in reminder.delivered_to
    deadline = time.monotonic() + 10
    while not any(mail_dir.glob("*.log")) and time.monotonic() < deadline:
        time.sleep(0.2)
    emails = "".join(path.read_text() for path in mail_dir.glob("*.log"))
    assert "Patch the VPN gateway" in emails and manager.email in emails
    assert redis_client.send_task(TASK).get(timeout=60) == 0  # the worker's second sweep sends nothing new
    assert Reminder.objects.filter(obligation=obligation).count() == 1
    assert process.poll() is None

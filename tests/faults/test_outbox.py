"""The transactional outbox (grc/queue.py): a task is queued exactly when its change commits, a
broker outage keeps it waiting instead of failing the caller, and no row is published twice.

The broker is a real Redis server of our own (stopped = "Redis is down"); the portal's Celery app
is switched from eager to that broker for these tests.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import redis
from django.db import transaction
from django.utils import timezone

from grc.audit.models import AuditEvent
from grc.celery import app
from grc.models import OutboxMessage
from grc.queue import FAILED, SENT, SKIPPED, backoff, enqueue, publish, relay
from tests.faults.conftest import free_port

pytestmark = pytest.mark.django_db
VERIFY = "grc.audit.tasks.verify_chain"


@pytest.fixture
def broker(redis_server):
    """The Celery app publishing to our own Redis (not eager); restored afterwards."""
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "broker_write_url")}
    app.conf.update(task_always_eager=False, broker_url=redis_server.url, broker_write_url=redis_server.url)
    yield redis_server
    app.conf.update(saved)


def queued(server) -> int:
    return redis.Redis.from_url(server.url).llen("celery")


def test_a_task_queued_in_a_transaction_that_rolls_back_is_never_queued(django_capture_on_commit_callbacks):
    class Abort(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Abort), transaction.atomic():
        enqueue(VERIFY)
        raise Abort
    assert callbacks == [] and not OutboxMessage.objects.exists()


def test_eager_mode_runs_the_task_when_the_change_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = enqueue("grc.audit.tasks.verify_chain", 7)
    assert not AuditEvent.objects.filter(action="audit.chain.verified").exists()  # not before the commit
    for callback in callbacks:
        callback()
    assert AuditEvent.objects.filter(action="audit.chain.verified", actor_name="task:verify_chain:user-7").count() == 1
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1


def test_arguments_must_be_json_values():
    with pytest.raises(TypeError):
        enqueue(VERIFY, object())
    with pytest.raises(TypeError):
        enqueue(None)
    assert not OutboxMessage.objects.exists()


def test_with_the_broker_down_the_caller_goes_on_and_the_relay_publishes_once_it_is_back(broker):
    broker.stop()
    message = enqueue(VERIFY, 1)
    started = time.monotonic()
    assert publish(message.pk, first=True) == FAILED
    assert time.monotonic() - started < 3, "publishing must fail fast while the broker is down"
    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 1 and message.last_error == "OperationalError"
    assert message.available_at >= timezone.now() + backoff(1) - timedelta(seconds=5)

    assert relay() == 0  # still backing off: nothing tried
    later = timezone.now() + backoff(1) + timedelta(seconds=1)
    assert relay(now=later) == 0  # tried, the broker is still down
    message.refresh_from_db()
    assert message.attempts == 2 and message.sent_at is None

    broker.start()
    assert relay(now=later + backoff(2)) == 1
    assert queued(broker) == 1
    assert relay(now=later + timedelta(hours=1)) == 0  # published once, never again
    assert queued(broker) == 1
    message.refresh_from_db()
    assert message.sent_at is not None


def test_the_commit_hook_and_the_relay_never_both_publish_a_row(broker):
    message = enqueue(VERIFY, 2)
    assert relay() == 1  # the relay got there first (the hook had not run yet)
    assert publish(message.pk, first=True) == SKIPPED
    other = enqueue(VERIFY, 3)
    assert publish(other.pk, first=True) == SENT
    assert relay(now=timezone.now() + timedelta(hours=1)) == 0
    assert queued(broker) == 2


def test_a_publisher_that_died_after_claiming_leaves_the_row_to_the_relay_after_its_lease(broker):
    message = enqueue(VERIFY, 4)
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=1, available_at=timezone.now() + timedelta(minutes=5))  # claimed, then died
    assert relay() == 0
    assert relay(now=timezone.now() + timedelta(minutes=6)) == 1
    assert queued(broker) == 1


def test_sent_rows_are_deleted_after_a_week(broker):
    message = enqueue(VERIFY, 5)
    assert publish(message.pk, first=True) == SENT
    relay(now=timezone.now() + timedelta(days=6))
    assert OutboxMessage.objects.filter(pk=message.pk).exists()
    relay(now=timezone.now() + timedelta(days=8))
    assert not OutboxMessage.objects.filter(pk=message.pk).exists()


def test_a_broker_that_does_not_exist_fails_fast_too():
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "broker_write_url")}
    url = f"redis://127.0.0.1:{free_port()}/0"
    app.conf.update(task_always_eager=False, broker_url=url, broker_write_url=url)
    try:
        message = enqueue(VERIFY, 6)
        started = time.monotonic()
        assert publish(message.pk, first=True) == FAILED
        assert time.monotonic() - started < 3
    finally:
        app.conf.update(saved)

"""Queueing Celery tasks through a transactional outbox, so a broker outage loses no work.

    from grc.queue import enqueue

    enqueue(check_import, job.pk)  # inside the service's transaction

``enqueue`` writes an ``OutboxMessage`` row in the caller's transaction: the task exists exactly
when the change that needs it commits (a rolled-back change queues nothing, and a task never runs
before its data is visible — STYLE: "queuing a task before its transaction commits" is the
anti-pattern). After the commit, an ``on_commit`` hook publishes the row at once. If the broker
(Redis) is down, that publish fails fast, the request still succeeds, and the row waits:
``relay()`` — the beat task ``grc.queue.relay_outbox`` every ``OUTBOX_RELAY_SECONDS`` — publishes
every waiting row once the broker is back, oldest first, with backoff after failures.

Each publish first *claims* the row with a conditional ``update()`` (row count 1 = this process
won, STYLE habit 3), so the on-commit hook and the relay never publish the same row twice at the
same time. Delivery is still *at least once* (a process can die after publishing and before
marking the row sent; a worker can die mid-task and ``acks_late`` redelivers it): every task
queued here must be idempotent — take ids, and check the record's state before acting (the
import jobs' status, the reminders' unique claims, the alarms' ``notified_at``).

Under ``CELERY_TASK_ALWAYS_EAGER`` (the test default) publishing *is* running the task, so its
exceptions propagate as they would from ``.delay()``; with a real broker nothing raised by the
broker reaches the caller.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from grc.models import OutboxMessage

if TYPE_CHECKING:
    from celery import Task
    from kombu import Connection

logger = logging.getLogger("grc.queue")

LEASE = timedelta(minutes=5)  # a claimed row whose publisher died is published again after this
BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_CAP = timedelta(minutes=5)
RELAY_BATCH = 500
PUBLISH_CONNECT_TIMEOUT = 2  # seconds; a broker that does not answer by then counts as down
KEEP_SENT = timedelta(days=7)  # sent rows are kept a week (what was queued when), then deleted

SENT, SKIPPED, FAILED = "sent", "skipped", "failed"


def backoff(attempts: int) -> timedelta:
    """Wait after failed publish number ``attempts``: 10 s, 20 s, 40 s … capped at 5 min."""
    factor: int = 2 ** max(attempts - 1, 0)
    return min(BACKOFF_BASE * factor, BACKOFF_CAP)


def task_name(task: Task | str) -> str:
    name: str | None = task if isinstance(task, str) else getattr(task, "name", None)
    if not name:
        raise TypeError(f"enqueue needs a Celery task or a task name, not {task!r}")
    return name


def enqueue(task: Task | str, *args: Any, **kwargs: Any) -> OutboxMessage:
    """Queue ``task(*args, **kwargs)`` to run after the current transaction commits.

    Arguments must be JSON values (ids, flags, short strings; never PII). Returns the outbox row.
    """
    json.dumps([args, kwargs])  # TypeError now, in the caller, rather than in the relay later
    message = OutboxMessage.objects.create(task=task_name(task), args=list(args), kwargs=kwargs)
    message_id = message.pk
    transaction.on_commit(lambda: publish(message_id, first=True))
    return message


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def broker_connection() -> Connection:
    """A connection that fails at once when the broker is down (no reconnect loop, short connect
    timeout): the request goes on and the row is left to the relay."""
    options = {"max_retries": 0}
    if str(current_app.conf.broker_url or "").startswith(("redis://", "rediss://")):
        options["socket_connect_timeout"] = PUBLISH_CONNECT_TIMEOUT
    connection: Connection = current_app.connection_for_write(transport_options=options)
    return connection


def _task(name: str) -> Task:
    tasks = current_app.tasks
    if name not in tasks:  # queued by name: let Celery import every app's tasks module (as a worker does)
        current_app.loader.import_default_modules()
    return tasks[name]


def _send(message: OutboxMessage, connection: Connection | None = None) -> None:
    task = _task(message.task)
    options = {"task_id": f"outbox-{message.pk}", "ignore_result": True, "retry": False}
    if connection is None and not _eager():
        with broker_connection() as connection:
            task.apply_async(args=message.args, kwargs=message.kwargs, connection=connection, **options)
        return
    task.apply_async(args=message.args, kwargs=message.kwargs, connection=connection, **options)


def publish(message_id: int, *, now: datetime | None = None, first: bool = False, connection: Connection | None = None) -> str:
    """Publish one outbox row if this call wins its claim: ``sent``, ``skipped`` or ``failed``.

    ``first`` is the on-commit hook: it may take the row only if nobody tried it yet (whatever the
    clock says); the relay takes rows whose ``available_at`` has come.
    """
    now = now or timezone.now()
    claim = {"attempts": 0} if first else {"available_at__lte": now}
    won = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True, **claim).update(
        available_at=now + LEASE, attempts=F("attempts") + 1
    )
    if not won:
        return SKIPPED
    message = OutboxMessage.objects.get(pk=message_id)
    if _eager():  # running the task here: its own errors are the caller's, like .delay()
        OutboxMessage.objects.filter(pk=message_id).update(sent_at=now, last_error="")
        _send(message)
        return SENT
    try:
        _send(message, connection)
    except Exception as error:  # broker down or refusing: the row waits for the relay
        OutboxMessage.objects.filter(pk=message_id).update(
            available_at=now + backoff(message.attempts), last_error=type(error).__name__[:100]
        )
        logger.warning("could not publish outbox message %s (%s); the relay will retry", message_id, type(error).__name__)
        return FAILED
    OutboxMessage.objects.filter(pk=message_id).update(sent_at=now, last_error="")
    return SENT


def relay(*, now: datetime | None = None, limit: int = RELAY_BATCH) -> int:
    """Publish the rows that are due, oldest first; stop at the first failure (the broker is
    still down). Deletes rows sent more than ``KEEP_SENT`` ago. Returns how many were published."""
    now = now or timezone.now()
    due = OutboxMessage.objects.filter(sent_at__isnull=True, available_at__lte=now).order_by("available_at", "id")
    sent = 0
    message_ids = list(due.values_list("id", flat=True)[:limit])
    if message_ids:
        with broker_connection() as connection:
            for message_id in message_ids:
                outcome = publish(message_id, now=now, connection=None if _eager() else connection)
                if outcome == FAILED:
                    break
                sent += outcome == SENT
    OutboxMessage.objects.filter(sent_at__lt=now - KEEP_SENT).delete()
    return sent


def pending_count() -> int:
    return OutboxMessage.objects.filter(sent_at__isnull=True).count()

"""Celery entry points of the control register: the AWS connector's daily run and "Run now".

Thin (STYLE): ``aws_collect`` takes an id, loads and calls the service; the daily beat task only
queues one run per enabled connection through the outbox (``grc.queue.enqueue``).
"""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from grc.controls.aws.service import collection_run
from grc.controls.models import AwsConnection
from grc.queue import enqueue


@shared_task(name="grc.controls.tasks.aws_collect")
def aws_collect(connection_id: int) -> bool:
    """Run one connection's checks now; False when it is gone or disabled (a stale queue entry)."""
    connection = AwsConnection.objects.filter(pk=connection_id, enabled=True).first()
    if connection is None:
        return False
    collection_run(connection=connection, now=timezone.now())
    return True


@shared_task(name="grc.controls.tasks.aws_collect_all")
def aws_collect_all() -> int:
    """Daily: queue one run per enabled connection; returns how many were queued."""
    ids = list(AwsConnection.objects.filter(enabled=True).order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        for connection_id in ids:
            enqueue(aws_collect, connection_id)
    return len(ids)

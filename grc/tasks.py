"""Celery entry points of the project package: the outbox relay (grc.queue)."""

from __future__ import annotations

from celery import shared_task

from grc.queue import relay


@shared_task(name="grc.queue.relay_outbox")
def relay_outbox() -> int:
    """Beat, every ``OUTBOX_RELAY_SECONDS``: publish the queued tasks the broker missed; returns how many."""
    return relay()

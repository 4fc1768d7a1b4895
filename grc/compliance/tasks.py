"""Celery entry points of the obligation engine; each only loops over one-item services."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from grc.compliance.reminders import sweep
from grc.compliance.services import obligations_resync


@shared_task(name="grc.compliance.tasks.sweep_reminders")
def sweep_reminders() -> int:
    """Send the milestone reminders, retries and digests that are due; returns how many were sent.

    Scheduled every ``REMINDER_SWEEP_SECONDS`` by beat. Two of these running at once are safe:
    each reminder is claimed by a unique row before it is sent (grc.compliance.reminders).
    """
    return sweep(now=timezone.now()).sent_count


@shared_task(name="grc.compliance.tasks.resync_obligations")
def resync_obligations() -> int:
    """Let every provider re-date its open obligations from its records (daily housekeeping)."""
    return sum(count for count in obligations_resync(now=timezone.now()).values() if count > 0)

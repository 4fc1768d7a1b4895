"""Celery entry points of the audit trail: alarm rules and retention."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="grc.audit.tasks.evaluate_alarms")
def evaluate_alarms() -> int:
    """Evaluate the alarm rules (built by the audit issue); returns how many alarms were raised."""
    return 0


@shared_task(name="grc.audit.tasks.purge_expired_events")
def purge_expired_events() -> int:
    """Purge events past retention through the audited path (built by the audit issue)."""
    return 0

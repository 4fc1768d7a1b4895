"""Celery entry points of the obligation engine; each only loops over one-item services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="grc.compliance.tasks.sweep_reminders")
def sweep_reminders() -> int:
    """Send the reminders that are due (built by the reminders issue); returns how many were sent."""
    return 0

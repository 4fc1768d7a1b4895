"""Celery entry point of the API: closing sync sessions that expired (their pages hold account
names and emails, so they are deleted as soon as the session can no longer be committed)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from grc.api.sync_sessions import sessions_sweep


@shared_task(name="grc.api.tasks.sweep_sync_sessions")
def sweep_sync_sessions() -> int:
    """Every few minutes: expire the open sessions past their time; returns how many."""
    return sessions_sweep(timezone.now())

"""Celery entry points of the assets app: thin, they only loop over one-item services (STYLE habit 4)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from assets.services.dsar import dsar_purge_expired


@shared_task(name="assets.tasks.purge_dsar_details")
def purge_dsar_details() -> int:
    """Beat (daily): remove the identifying details of data-subject requests answered more than
    ``DSAR_RETENTION_DAYS`` ago, leaving their PII-free record; returns how many were purged."""
    return dsar_purge_expired(now=timezone.now())

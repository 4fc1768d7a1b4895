"""Celery entry points of the evidence app: thin, take ids, call one service (STYLE habit 4)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="grc.evidence.tasks.build_pack")
def build_pack(pack_id: int) -> str:
    """Build one queued evidence pack (queued after the request's transaction commits)."""
    from grc.evidence.services.packs import pack_build

    return pack_build(pack_id=pack_id, now=timezone.now()).status


@shared_task(name="grc.evidence.tasks.end_expired_grants")
def end_expired_grants() -> int:
    """Hourly: record the end of each auditor grant that ran out and move the auditor's access
    window to their next grant (access itself already stops at the grant's end)."""
    from grc.evidence.services.grants import grants_end_expired

    return grants_end_expired(now=timezone.now())

"""Celery entry points of the evidence app: thin, take ids, call one service (STYLE habit 4)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from grc.evidence.services.grants import grants_end_expired
from grc.evidence.services.packs import pack_build, pack_lease_wait, packs_sweep


@shared_task(bind=True, name="grc.evidence.tasks.build_pack", max_retries=None)
def build_pack(self, pack_id: int) -> str:
    """Build one evidence pack (queued after the request's transaction commits).

    ``acks_late`` and ``reject_on_worker_lost`` hand the message to another worker when this one
    dies; that redelivered task finds the pack still "building" under the dead worker's lease, so
    it comes back when the lease runs out and builds it then, rather than giving up at once.
    """
    pack = pack_build(pack_id=pack_id, now=timezone.now())
    wait = pack_lease_wait(pack_id, timezone.now())
    if wait is not None and not self.request.is_eager:
        raise self.retry(countdown=wait)
    return pack.status


@shared_task(name="grc.evidence.tasks.sweep_pack_leases")
def sweep_pack_leases() -> dict[str, int]:
    """Beat, every minute: queue again the packs whose worker stopped renewing its lease, or fail
    them with the reason once their attempts are used up."""
    return packs_sweep(timezone.now())


@shared_task(name="grc.evidence.tasks.end_expired_grants")
def end_expired_grants() -> int:
    """Hourly: record the end of each auditor grant that ran out and move the auditor's access
    window to their next grant (access itself already stops at the grant's end)."""
    return grants_end_expired(now=timezone.now())

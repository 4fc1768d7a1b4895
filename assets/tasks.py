"""Celery entry points of the assets app: thin, they only loop over one-item services (STYLE habit 4)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from assets.services.dsar import dsar_purge_expired
from assets.services.scan_import_jobs import scan_import_run, scan_imports_sweep


@shared_task(name="assets.tasks.purge_dsar_details")
def purge_dsar_details() -> int:
    """Beat (daily): remove the identifying details of data-subject requests answered more than
    ``DSAR_RETENTION_DAYS`` ago, leaving their PII-free record; returns how many were purged."""
    return dsar_purge_expired(now=timezone.now())


@shared_task(name="assets.tasks.import_scan_report")
def import_scan_report(job_id: int) -> str:
    """Queued by the import page: read the job's scanner report and write its scan and findings;
    returns the job's status (done, failed, or running when another worker holds it)."""
    return scan_import_run(job_id=job_id, now=timezone.now()).status


@shared_task(name="assets.tasks.sweep_scan_import_leases")
def sweep_scan_import_leases() -> dict[str, int]:
    """Beat, every minute: queue again the scan imports whose worker stopped before its lease ran
    out, or fail them with the reason once their attempts are used up."""
    return scan_imports_sweep(timezone.now())

"""Celery entry points: thin, take ids, call one service (STYLE habit 4)."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from access_reviews.imports.jobs import imports_sweep, job_apply, job_check
from access_reviews.services.campaigns import campaign_start_if_due, reviewers_notify


@shared_task(name="access_reviews.tasks.check_import")
def check_import(job_id: int) -> str:
    return job_check(job_id=job_id, now=timezone.now()).status


@shared_task(name="access_reviews.tasks.apply_import")
def apply_import(job_id: int) -> str:
    return job_apply(job_id=job_id, now=timezone.now()).status


@shared_task(name="access_reviews.tasks.notify_reviewers")
def notify_reviewers(campaign_id: int, due_at: str) -> int:
    """After a campaign starts: one email per reviewer (count, due date, link); returns how many went."""
    return reviewers_notify(campaign_id=campaign_id, due_at=datetime.fromisoformat(due_at), now=timezone.now())


@shared_task(name="access_reviews.tasks.start_due_campaign")
def start_due_campaign() -> int | None:
    """Beat: start this quarter's review when the quarterly obligation comes due; returns the campaign id."""
    campaign = campaign_start_if_due(now=timezone.now())
    return campaign.pk if campaign else None


@shared_task(name="access_reviews.tasks.sweep_import_leases")
def sweep_import_leases() -> dict[str, int]:
    """Beat, every minute: queue again the imports whose worker stopped before its lease ran out,
    or fail them with the reason once their attempts are used up."""
    return imports_sweep(timezone.now())

"""Celery entry points of the assessment kit."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from grc.kit.questionnaire.export import submission_pdf_build


# The name is the one the task had in the obligation engine: outbox rows queued before the move still run.
@shared_task(name="grc.compliance.tasks.build_submission_pdf")
def build_submission_pdf(submission_id: int) -> bool:
    """Render a questionnaire submission's PDF (assessment kit); queued after the snapshot commits."""
    return submission_pdf_build(submission_id=submission_id, now=timezone.now())

"""When a quarterly review campaign is complete: every reviewer signed off and every revocation
is confirmed (DPP 1.2).

Below the campaigns and the deprovisioning tasks, which both end by trying to complete the
campaign: a reviewer's sign-off (``campaigns``) and the confirmation of a task (``deprovision``).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from access_reviews.models import Campaign, CampaignStatus
from grc.audit.services import record_event
from grc.compliance.services import obligation_complete

KIND = "access_reviews.quarterly_review"


def campaign_blockers(campaign: Campaign) -> dict[str, int]:
    """What still stands between a campaign and completion: unsigned reviewers, open revocations."""
    reviewers = set(campaign.rows.values_list("reviewer_id", flat=True).distinct())
    signed = set(campaign.sign_offs.values_list("reviewer_id", flat=True))
    open_tasks = campaign.rows.filter(task__isnull=False, task__closed_at__isnull=True).values("task_id").distinct().count()
    return {"unsigned_reviewers": len(reviewers - signed), "open_tasks": open_tasks}


@transaction.atomic
def campaign_try_complete(*, campaign: Campaign, now: datetime) -> bool:
    """Complete the campaign when all reviewers signed and every revocation is confirmed."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not campaign.is_open:
        return False
    blockers = campaign_blockers(campaign)
    if any(blockers.values()):
        return False
    campaign.status, campaign.completed_at = CampaignStatus.COMPLETE, now
    campaign.save(update_fields=["status", "completed_at"])
    obligation_complete(kind=KIND, subject=None, completed_at=now)
    record_event("access_reviews.campaign.completed", system_actor="access_reviews", obj=campaign, message=f"period={campaign.period}")
    return True

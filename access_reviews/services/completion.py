"""When a quarterly review campaign is complete: every reviewer signed off and every revocation
is confirmed (DPP 1.2).

Below the campaigns and the deprovisioning tasks, which both end by trying to complete the
campaign: a reviewer's sign-off (``campaigns``) and the confirmation of a task (``deprovision``).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from access_reviews.models import Campaign, CampaignReviewer, CampaignStatus
from grc.audit.services import record_event
from grc.compliance.services import obligation_complete, obligation_waive

KIND = "access_reviews.quarterly_review"
# One per reviewer and campaign (subject: their ``CampaignReviewer`` share): the task on their dashboard.
REVIEWER_KIND = "access_reviews.reviewer_signoff"


def reviewer_obligation_close(*, share: CampaignReviewer, now: datetime, signed: bool) -> None:
    """Close a reviewer's sign-off task: done when they signed, waived when the campaign closed first."""
    if signed:
        obligation_complete(kind=REVIEWER_KIND, subject=share, completed_at=now, completed_by=share.reviewer, open_next=False)
    else:
        obligation_waive(kind=REVIEWER_KIND, subject=share, when=now, reason="the access review closed")


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
    signed = set(campaign.sign_offs.values_list("reviewer_id", flat=True))
    for share in CampaignReviewer.objects.filter(campaign=campaign).select_related("reviewer"):
        reviewer_obligation_close(share=share, now=now, signed=share.reviewer_id in signed)
    record_event("access_reviews.campaign.completed", system_actor="access_reviews", obj=campaign, message=f"period={campaign.period}")
    return True

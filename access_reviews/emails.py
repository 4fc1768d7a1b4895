"""The access-review app's emails: one function per email, each with a subject/text/HTML template trio.

No PII beyond what the recipient may see: a reviewer is told how many accounts wait for them, the
due date and the link to their own review page — never the names of the accounts or people.
"""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse

from access_reviews.models import CampaignReviewer
from grc.mail import absolute_url, send_templated
from grc.words import plural


def send_reviewer_assigned(*, share: CampaignReviewer, due_at: datetime) -> int:
    """Tell one reviewer that a campaign waits for them: their count, the due date, their page."""
    reviewer = share.reviewer
    return send_templated(
        to=[reviewer.email],
        template="access_reviews/email/reviewer_assigned",
        context={
            "reviewer": reviewer,
            "campaign": share.campaign,
            "count_text": plural(share.rows, "account"),
            "due_at": due_at,
            "link": absolute_url(reverse("access_reviews:review_page", args=[share.campaign_id])),
        },
    )

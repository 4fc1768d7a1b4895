"""The access-reviews home: campaigns in progress, my reviews, terminations with clocks, registry links."""

from __future__ import annotations

from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone

from access_reviews.access import accounts_visible_to, reads_everything, tasks_visible_to
from access_reviews.models import Campaign, CampaignStatus, Decision, Person, ReviewRow, SignOff
from access_reviews.selectors import people_visible_to
from grc.accounts.models import Role
from grc.accounts.permissions import EVERYONE, role_required


@role_required(*EVERYONE)
def index(request):
    user = request.user
    now = timezone.now()
    context = {"now": now, "person": Person.objects.filter(user=user).first(), "is_staff_role": user.role == Role.STAFF}
    if user.role != Role.STAFF:
        my_rows = (
            ReviewRow.objects.filter(reviewer=user, campaign__status=CampaignStatus.OPEN)
            .values("campaign_id", "campaign__period")
            .annotate(total=Count("pk"), pending=Count("pk", filter=Q(decision=Decision.PENDING)))
            .order_by("campaign__period")
        )
        signed = set(SignOff.objects.filter(reviewer=user).values_list("campaign_id", flat=True))
        context.update(
            {
                "my_reviews": [{**r, "signed": r["campaign_id"] in signed} for r in my_rows],
                "campaigns": Campaign.objects.filter(status=CampaignStatus.OPEN).annotate(
                    total=Count("rows"), decided=Count("rows", filter=~Q(rows__decision=Decision.PENDING))
                ),
                "campaign_links": reads_everything(user),
                "open_tasks": tasks_visible_to(user)
                .filter(closed_at__isnull=True)
                .select_related("account__system", "person", "owner")
                .order_by("due_at")[:10],
                "counts": {
                    "people": people_visible_to(user).filter(status="active").count(),
                    "accounts": accounts_visible_to(user).filter(removed_at__isnull=True).count(),
                    "flagged": accounts_visible_to(user).filter(removed_at__isnull=True, enabled=True, flag_count__gt=0).count(),
                },
                "is_lead": user.role == Role.SECURITY_LEAD,
            }
        )
    return render(request, "access_reviews/index.html", context)

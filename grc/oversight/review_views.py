"""The bi-weekly log review pages (DPP 2.6): the record of reviews, and the lead's attestation form."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from grc.accounts.permissions import LEAD_OR_AUDITOR, SECURITY_LEAD, role_required
from grc.audit.chain import last_verification
from grc.audit.forms import LogReviewForm
from grc.audit.models import LogReview
from grc.audit.selectors import open_alarms
from grc.compliance.services import open_obligation
from grc.oversight.log_reviews import KIND, log_review_record, review_every
from grc.oversight.views import tabs_context
from grc.tables import table_page


@role_required(*LEAD_OR_AUDITOR)
@require_GET
def reviews(request):
    table = table_page(
        request,
        LogReview.objects.select_related("reviewed_by"),
        sorts={"reviewed": "reviewed_at", "period": "period_end"},
        default_sort="-reviewed",
    )
    context = {
        "table": table,
        "obligation": open_obligation(KIND, None),
        "now": timezone.now(),
        **tabs_context("reviews"),
    }
    return render(request, "audit/reviews.html", context)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def review_create(request):
    now = timezone.now()
    last = LogReview.objects.order_by("-reviewed_at").first()
    every = review_every(now)
    start = last.period_end if last else now - every
    form = LogReviewForm(request.POST or None, initial={"period_start": timezone.localtime(start), "period_end": timezone.localtime(now)})
    if request.method == "POST" and form.is_valid():
        try:
            log_review_record(
                by=request.user,
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
                note=form.cleaned_data["note"],
                now=now,
                request=request,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Log review recorded. The next one is due in {every.days} days.")
            return redirect("audit:reviews")
    context = {
        "form": form,
        "last": last,
        "alarms": open_alarms(limit=10),
        "verification": last_verification(),
        "since_last": (now - last.reviewed_at) if last else None,
        "overdue": bool(last and now - last.reviewed_at > every),
        "now": now,
        "window": every,
        **tabs_context("reviews"),
    }
    return render(request, "audit/review_form.html", context, status=400 if form.errors else 200)

"""Quarterly review campaigns: start, the reviewer's page, decisions, bulk keep, sign-off, report."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from access_reviews.access import get_campaign_for, get_review_row_for, reads_everything
from access_reviews.filters import ReviewRowFilter
from access_reviews.forms import CampaignStartForm, DecisionForm
from access_reviews.models import Campaign, Decision, ReviewRow, SignOff
from access_reviews.reports import campaign_report
from access_reviews.services import campaigns as service
from access_reviews.views.common import add_errors
from grc.accounts.permissions import LEAD_OR_AUDITOR, LEAD_OR_MANAGER, READERS, SECURITY_LEAD, deny, role_required
from grc.accounts.stepup import step_up_required
from grc.audit.services import record_view
from grc.tables import table_page
from grc.widgets import use_fast_widgets

REVIEW_PAGE_SIZE = 50


@role_required(*READERS)
def campaign_list(request):
    campaigns = Campaign.objects.select_related("started_by").annotate(
        total=Count("rows"), decided=Count("rows", filter=~Q(rows__decision=Decision.PENDING))
    )
    if not reads_everything(request.user):
        campaigns = campaigns.filter(rows__reviewer=request.user).distinct()
    table = table_page(request, campaigns, sorts={"period": "period_start", "status": "status"}, default_sort="-period")
    return render(request, "access_reviews/campaign_list.html", {"table": table, "can_start": request.user.role == "security_lead"})


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def campaign_start(request):
    form = CampaignStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        period, start, end = form.cleaned_data["period"]
        try:
            campaign = service.campaign_start(
                period=period,
                period_start=start,
                period_end=end,
                effective_at=form.cleaned_data["effective_at"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Access review {period} started: every account is assigned to a reviewer.")
            return redirect("access_reviews:campaign_detail", pk=campaign.pk)
    return render(request, "access_reviews/campaign_start.html", {"form": form})


@role_required(*READERS)
def campaign_detail(request, pk: int):
    campaign = get_campaign_for(request.user, pk)
    if not reads_everything(request.user):
        return redirect("access_reviews:review_page", pk=campaign.pk)
    record_view(request, campaign)
    reviewers = (
        campaign.rows.values("reviewer_id", "reviewer__first_name", "reviewer__last_name", "reviewer__username")
        .annotate(
            total=Count("pk"), pending=Count("pk", filter=Q(decision=Decision.PENDING)), flagged=Count("pk", filter=Q(flag_count__gt=0))
        )
        .order_by("reviewer__last_name", "reviewer_id")
    )
    signed = {s.reviewer_id: s.signed_at for s in campaign.sign_offs.all()}
    rows = [{**r, "decided": r["total"] - r["pending"], "signed_at": signed.get(r["reviewer_id"])} for r in reviewers]
    totals = campaign.rows.aggregate(total=Count("pk"), pending=Count("pk", filter=Q(decision=Decision.PENDING)))
    totals["decided"] = totals["total"] - totals["pending"]
    context = {
        "campaign": campaign,
        "reviewers": rows,
        "totals": totals,
        "blockers": service.campaign_blockers(campaign),
        "my_rows": campaign.rows.filter(reviewer=request.user).exists(),
        "tasks": campaign.rows.filter(task__isnull=False)
        .select_related("task__account__system")
        .order_by("task__closed_at", "task__due_at"),
        "now": timezone.now(),
    }
    return render(request, "access_reviews/campaign_detail.html", context)


def _review_context(request, campaign: Campaign, bound: dict[int, DecisionForm] | None = None) -> dict:
    """Everything the reviewer's page shows, in a fixed number of queries whatever the row count."""
    rows = (
        ReviewRow.objects.filter(campaign=campaign, reviewer=request.user)
        .select_related("system", "person", "task")
        .defer("system__description", "system__column_mapping", "person__email", "task__note")  # encrypted or unused: not decrypted per row
    )
    stats = rows.aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(decision=Decision.PENDING)),
        flagged_pending=Count("pk", filter=Q(decision=Decision.PENDING, flag_count__gt=0)),
        unflagged_pending=Count("pk", filter=Q(decision=Decision.PENDING, flag_count=0)),
    )
    stats["decided"] = stats["total"] - stats["pending"]
    stats["percent"] = round(100 * stats["decided"] / stats["total"]) if stats["total"] else 100
    table = table_page(
        request,
        rows,
        sorts={
            "flags": ("-flag_count", "system__name"),
            "system": "system__name",
            "privilege": "privilege",
            "last_login": "last_login_at",
            "decision": "decision",
        },
        default_sort="flags",
        filterset_class=ReviewRowFilter,
        page_size=REVIEW_PAGE_SIZE,
    )
    bound = bound or {}
    use_fast_widgets(table.filterset.form)  # 50 rows x 3 fields: rendered in Python, same HTML (grc.widgets)
    items = [(row, use_fast_widgets(bound.get(row.pk) or _decision_form(row))) for row in table.rows]
    signed = SignOff.objects.filter(campaign=campaign, reviewer=request.user).first()
    return {
        "campaign": campaign,
        "table": table,
        "items": items,
        "stats": stats,
        "signed": signed,
        "can_decide": campaign.is_open and signed is None,
        "back": reverse("access_reviews:review_page", args=[campaign.pk]) + (f"?{request.GET.urlencode()}" if request.GET else ""),
    }


def _decision_form(row: ReviewRow) -> DecisionForm:
    initial = {"decision": row.decision if row.is_decided else "", "new_privilege": row.new_privilege, "comment": row.comment}
    return DecisionForm(initial=initial, prefix=f"r{row.pk}")


@role_required(*LEAD_OR_MANAGER)
def review_page(request, pk: int):
    """The reviewer's own rows: flagged first, filters, keep/revoke/change per row, bulk keep, progress."""
    campaign = get_campaign_for(request.user, pk)
    context = _review_context(request, campaign)
    if context["stats"]["total"] == 0:
        return redirect("access_reviews:campaign_detail", pk=campaign.pk)
    return render(request, "access_reviews/review_page.html", context)


def _safe_back(request, fallback: str) -> str:
    target = request.POST.get("back", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@role_required(*LEAD_OR_MANAGER)
@require_POST
def row_decide(request, pk: int):
    """Decide one row; with htmx the table and progress bar are redrawn in place."""
    row, can_decide = get_review_row_for(request.user, pk)
    if not can_decide:
        raise deny(request, "not the reviewer of this row")
    form = DecisionForm(request.POST, prefix=f"r{row.pk}")
    if form.is_valid():
        try:
            row = service.row_decide(
                row=row,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
                new_privilege=form.cleaned_data["new_privilege"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            form = _decision_form(row)
    if request.htmx or form.errors:
        # htmx swaps #review-area out of the whole page (hx-select); without JS the page shows the errors.
        context = _review_context(request, row.campaign, bound={row.pk: form} if form.errors else None)
        return render(request, "access_reviews/review_page.html", context)
    return redirect(_safe_back(request, reverse("access_reviews:review_page", args=[row.campaign_id])))


@role_required(*LEAD_OR_MANAGER)
@require_POST
def bulk_keep(request, pk: int):
    campaign = get_campaign_for(request.user, pk)
    try:
        count = service.rows_bulk_keep(campaign=campaign, reviewer=request.user, now=timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Kept {count} unflagged account(s). Flagged accounts still need a decision each.")
    return redirect(_safe_back(request, reverse("access_reviews:review_page", args=[campaign.pk])))


@role_required(*LEAD_OR_MANAGER)
@step_up_required
@require_http_methods(["GET", "POST"])
def sign_off(request, pk: int):
    """Sign all your rows; needs a step-up code from the last 10 minutes (grc.accounts.stepup)."""
    campaign = get_campaign_for(request.user, pk)
    context = _review_context(request, campaign)
    if context["stats"]["total"] == 0:
        raise deny(request, "no rows to sign")
    if request.method == "POST":
        try:
            service.reviewer_sign_off(campaign=campaign, reviewer=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Signed off. Thank you: your review is recorded with the time of your signature.")
            return redirect("access_reviews:review_page", pk=campaign.pk)
    return render(request, "access_reviews/sign_off.html", context)


@role_required(*LEAD_OR_AUDITOR)
def report(request, pk: int):
    campaign = get_campaign_for(request.user, pk)
    record_view(request, campaign, message="report")
    return render(request, "access_reviews/campaign_report.html", {"campaign": campaign, "report": campaign_report(campaign)})

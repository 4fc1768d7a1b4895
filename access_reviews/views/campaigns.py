"""Quarterly review campaigns: start, the reviewer's page, decisions, bulk keep, sign-off, report."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from access_reviews.access import get_campaign_for, get_review_row_for, reads_everything
from access_reviews.filters import ReviewRowFilter
from access_reviews.forms import CampaignStartForm, DecisionForm, SignOffForm
from access_reviews.models import Campaign, Decision, ReviewRow, SignOff
from access_reviews.reports import campaign_report
from access_reviews.services import campaigns as service
from access_reviews.views.common import add_errors
from access_reviews.views.review_rows import Related, ShownRow, decision_cell, review_row
from grc.accounts import mfa
from grc.accounts.lockout import cool_off, failure_limit
from grc.accounts.permissions import LEAD_OR_AUDITOR, LEAD_OR_MANAGER, READERS, SECURITY_LEAD, deny, role_required
from grc.audit.services import record_view
from grc.tables import table_page
from grc.widgets import use_fast_widgets
from grc.words import plural

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
            told = plural(campaign.reviewers.count(), "reviewer")
            messages.success(
                request, f"Access review {period} started: every account is assigned to a reviewer; {told} emailed, each with a task."
            )
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


ROW_SORTS: dict[str, str | tuple[str, ...]] = {
    "flags": ("-flag_count", "system__name"),
    "system": "system__name",
    "privilege": "privilege",
    "last_login": "last_login_at",
    "decision": "decision",
}


def _review_stats(rows, changed: Q) -> dict:
    """The reviewer's progress in one grouped query: a count per decision, with the flagged ones and
    the unflagged pending ones changed since the snapshot. Three aggregates over at most four groups
    rather than eight filtered counts: resolving each ``filter=Q(...)`` cost more than the SQL."""
    by_decision = {
        group["decision"]: group
        for group in rows.values("decision")
        .annotate(
            n=Count("pk"),
            flagged=Count("pk", filter=Q(flag_count__gt=0)),
            changed=Count("pk", filter=Q(decision=Decision.PENDING, flag_count=0) & changed),
        )
        .order_by()
    }
    pending = by_decision.get(Decision.PENDING, {"n": 0, "flagged": 0, "changed": 0})
    stats = {
        "total": sum(group["n"] for group in by_decision.values()),
        "pending": pending["n"],
        "kept": by_decision.get(Decision.KEEP, {}).get("n", 0),
        "revoked": by_decision.get(Decision.REVOKE, {}).get("n", 0),
        "changed_privilege": by_decision.get(Decision.CHANGE, {}).get("n", 0),
        "flagged_pending": pending["flagged"],
        "changed_pending": pending["changed"],
    }
    # bulk keep leaves the changed ones to the reviewer
    stats["unflagged_pending"] = pending["n"] - pending["flagged"] - pending["changed"]
    stats["decided"] = stats["total"] - stats["pending"]
    stats["percent"] = round(100 * stats["decided"] / stats["total"]) if stats["total"] else 100
    return stats


def signing_statement(campaign: Campaign, stats: dict) -> str:
    """What a reviewer's signature covers, in words: "Sign off the 2027-Q1 access review: 11 accounts, 9 kept, 2 revoked"."""
    parts = [plural(stats["total"], "account"), f"{stats['kept']} kept", f"{stats['revoked']} revoked"]
    if stats["changed_privilege"]:
        parts.append(f"{stats['changed_privilege']} with a privilege change")
    if stats["pending"]:
        parts.append(f"{stats['pending']} not decided")
    return f"Sign off the {campaign.period} access review: " + ", ".join(parts)


def _controls(row: ReviewRow | ShownRow, form: DecisionForm | None) -> dict:
    """The values and errors of a row's decision controls, written as plain HTML by the template
    (no widget rendering per row); a form bound with errors gives back what was typed."""
    if form is not None and form.is_bound:
        data = {name: form.data.get(form.add_prefix(name), "") for name in ("decision", "new_privilege", "comment")}
        errors = [(name, error) for name, field_errors in form.errors.items() for error in field_errors]
        return {**data, "errors": errors}
    return {
        "decision": row.decision if row.is_decided else "",
        "new_privilege": row.new_privilege,
        "comment": row.comment,
        "errors": [],
    }


def _review_context(request, campaign: Campaign, bound: dict[int, DecisionForm] | None = None) -> dict:
    """Everything the reviewer's page shows, in a fixed number of queries whatever the row count.

    The page's 50 rows are chosen first (ids only, ordered and sliced in SQL), then loaded with
    their system, person and task by ``pk IN (that subquery)``: the joins touch 50 rows, not every
    person and deprovisioning task. Only the shown encrypted values are decrypted (account name,
    the person's names, the comment).
    """
    mine = ReviewRow.objects.filter(campaign=campaign, reviewer=request.user)
    changed = service.changed_since_snapshot()
    stats = _review_stats(mine, changed)
    table = table_page(
        request, mine.only("pk"), sorts=ROW_SORTS, default_sort="flags", filterset_class=ReviewRowFilter, page_size=REVIEW_PAGE_SIZE
    )
    use_fast_widgets(table.filterset.form)
    page_ids = cast(QuerySet, table.rows).values("pk")
    ordering = cast(QuerySet, table.rows).query.order_by
    rows = _shown_rows(ReviewRow.objects.filter(pk__in=page_ids).order_by(*ordering))
    bound = bound or {}
    signed = SignOff.objects.filter(campaign=campaign, reviewer=request.user).first()
    can_decide = campaign.is_open and signed is None
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    decide_prefix = reverse("access_reviews:row_decide", args=[0])[: -len("0/decide/")]
    back = reverse("access_reviews:review_page", args=[campaign.pk]) + query
    token = get_token(request)
    items = []  # (row, the row's HTML)
    for row in rows:
        form = None
        if can_decide:
            action = f"{decide_prefix}{row.pk}/decide/{query}"
            form = decision_cell(row=row, controls=_controls(row, bound.get(row.pk)), action=action, csrf_token=token, back=back)
        items.append((row, review_row(row=row, form=form, request=request)))
    return {
        "campaign": campaign,
        "table": table,
        "items": items,
        "stats": stats,
        "signed": signed,
        "can_decide": can_decide,
        "statement": signing_statement(campaign, stats),
        "sign_off_form": SignOffForm(inline=True) if can_decide and stats["pending"] == 0 else None,
        "back": back,
    }


# What the page shows of a row (and of its system, person and task): nothing else is loaded or decrypted.
ROW_FIELDS = (
    "id",
    "campaign_id",
    "account_id",
    "reviewer_id",
    "system_id",
    "person_id",
    "task_id",
    "account_name",
    "is_service_account",
    "privilege",
    "mfa",
    "last_login_at",
    "decision",
    "new_privilege",
    "comment",
    "flag_count",
    *(f"flag_{flag}" for flag in service.FLAG_NAMES),
    "system__id",
    "system__name",
    "system__asset_id",
    "person__id",
    "person__first_name",
    "person__last_name",
    "person__status",
    "task__id",
    "task__due_at",
    "task__closed_at",
)


ROW_COLUMNS = (*ROW_FIELDS, *service.CHANGED_FIELDS)
RELATED = ("system", "person", "task")


def _shown_rows(rows: QuerySet) -> list[ShownRow]:
    """The page's rows read as plain values (``ROW_FIELDS``, decrypted by the fields' converters),
    each a ``ShownRow`` with its system, person and task, and ``changed`` worked out from the
    account columns loaded alongside (``service.changed_from_values``) instead of two ``EXISTS``
    probes a row."""
    shown = []
    for values in rows.values_list(*ROW_COLUMNS):
        data = dict(zip(ROW_COLUMNS, values, strict=True))
        own = {name: value for name, value in data.items() if "__" not in name}
        for relation in RELATED:
            prefix = f"{relation}__"
            fields = {name.removeprefix(prefix): value for name, value in data.items() if name.startswith(prefix)}
            own[relation] = Related(**fields) if fields["id"] is not None else None
        own["changed"] = service.changed_from_values(data)
        shown.append(ShownRow(own))
    return shown


@role_required(*LEAD_OR_MANAGER)
def review_page(request, pk: int):
    """The reviewer's own rows: flagged first, filters, keep/revoke/change per row, bulk keep, progress, sign-off."""
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
        messages.success(
            request,
            f"{plural(count, 'account')} kept. Flagged accounts and accounts changed since the review started need a decision each.",
        )
    return redirect(_safe_back(request, reverse("access_reviews:review_page", args=[campaign.pk])))


def _locked(request, *, sign_out: bool):
    """The username is locked (django-axes): the same page as the step-up page shows."""
    if sign_out:
        auth_logout(request)
    return render(request, "accounts/locked.html", {"failure_limit": failure_limit(), "cooloff_timedelta": cool_off()}, status=429)


@role_required(*LEAD_OR_MANAGER)
@require_http_methods(["GET", "POST"])
def sign_off(request, pk: int):
    """Sign all your rows with a one-time code typed on this form (one step: the code is the step-up
    that signs). The page and the review page say what is signed (``signing_statement``)."""
    campaign = get_campaign_for(request.user, pk)
    context = _review_context(request, campaign)
    if context["stats"]["total"] == 0:
        raise deny(request, "no rows to sign")
    form = SignOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = mfa.step_up_with_code(request, request.user, form.cleaned_data["code"], where="access review sign-off")
        if outcome == "locked":
            return _locked(request, sign_out=True)
        if outcome == "wrong":
            form.add_error("code", "That code is not valid.")
        else:
            try:
                service.reviewer_sign_off(campaign=campaign, reviewer=request.user, now=timezone.now(), request=request)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                signed = context["statement"].removeprefix("Sign off the ")
                messages.success(request, f"Signed off the {signed}. Your signature is recorded with its time.")
                return redirect("access_reviews:review_page", pk=campaign.pk)
    context["sign_off_form"] = form
    return render(request, "access_reviews/sign_off.html", context)


@role_required(*LEAD_OR_AUDITOR)
def report(request, pk: int):
    campaign = get_campaign_for(request.user, pk)
    record_view(request, campaign, message="report")
    return render(request, "access_reviews/campaign_report.html", {"campaign": campaign, "report": campaign_report(campaign)})

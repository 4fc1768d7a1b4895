"""The annual senior-management review: list, start, the review page (confirm or re-score each
risk) and the signature with step-up MFA."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from grc.accounts.permissions import LEAD_OR_MANAGER, READERS, SECURITY_LEAD, deny, role_required
from grc.accounts.stepup import step_up_required
from grc.audit.services import record_view
from grc.compliance.services import open_obligation
from grc.risks.access import get_review_for, get_review_item_for
from grc.risks.forms import ItemDecisionForm, ReviewSignForm, ReviewStartForm
from grc.risks.kinds import ANNUAL_REVIEW
from grc.risks.models import ReviewDecision, ReviewStatus, RiskReview, RiskStatus
from grc.risks.selectors import open_risks
from grc.risks.services import reviews as service
from grc.risks.services.register import LEVEL_FIELDS
from grc.risks.views.common import add_errors, error_text, step_up_time
from grc.tables import table_page

ITEM_SORTS: dict[str, str | tuple[str, ...]] = {
    "ref": "risk_id",
    "title": "risk__title",
    "residual": "risk__residual_score",
    "decision": "decision",
}
REVIEW_PAGE_SIZE = 50


@role_required(*READERS)
def review_list(request):
    reviews = RiskReview.objects.select_related("started_by").annotate(
        total=Count("items", distinct=True),
        pending=Count("items", filter=Q(items__decision=ReviewDecision.PENDING), distinct=True),
        signed=Count("signatures", distinct=True),
        approver_count=Count("approvers", distinct=True),
    )
    table = table_page(request, reviews, sorts={"started": "started_at", "completed": "completed_at"}, default_sort="-started")
    context = {
        "table": table,
        "obligation": open_obligation(ANNUAL_REVIEW, None),
        "open_review": RiskReview.objects.filter(status=ReviewStatus.OPEN).first(),
        "open_risks": open_risks().count(),
        "can_start": request.user.is_security_lead,
        "now": timezone.now(),
    }
    return render(request, "risks/review_list.html", context)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def review_start(request):
    open_review = RiskReview.objects.filter(status=ReviewStatus.OPEN).first()
    if open_review is not None:
        messages.info(request, "A review is already in progress.")
        return redirect(open_review)
    form = ReviewStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = service.review_start(
                approvers=form.cleaned_data["approvers"],
                title=form.cleaned_data["title"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{review.title} started with {review.items.count()} open risks for the approvers.")
            return redirect(review)
    return render(request, "risks/review_start.html", {"form": form, "open_risks": open_risks().count()})


@role_required(*READERS)
def review_detail(request, pk: int):
    review, access = get_review_for(request.user, pk)
    record_view(request, review)
    items = review.items.select_related("risk", "decided_by")
    table = table_page(request, items, sorts=ITEM_SORTS, default_sort="-residual", page_size=REVIEW_PAGE_SIZE)
    totals = review.items.aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(decision=ReviewDecision.PENDING)),
        confirmed=Count("pk", filter=Q(decision=ReviewDecision.CONFIRMED)),
        rescored=Count("pk", filter=Q(decision=ReviewDecision.RESCORED)),
    )
    signatures = list(review.signatures.select_related("signer"))
    signed_ids = {s.signer_id for s in signatures}
    if access.can_decide and not signatures:
        for item in table.rows:
            levels = {name: getattr(item, f"new_{name}") or getattr(item, name) for name in LEVEL_FIELDS}
            item.form = ItemDecisionForm(auto_id=f"id_item{item.pk}_%s", initial={**levels, "comment": item.comment})
    approvers = list(review.approvers.order_by("first_name", "last_name"))
    context = {
        "review": review,
        "access": access,
        "table": table,
        "totals": totals,
        "percent": round(100 * (totals["total"] - totals["pending"]) / totals["total"]) if totals["total"] else 100,
        "signatures": signatures,
        "approvers": [(user, user.pk in signed_ids) for user in approvers],
        "has_signed": request.user.pk in signed_ids,
        "locked": bool(signatures),
        "closed_since": {item.pk for item in table.rows if item.risk.status == RiskStatus.CLOSED},
    }
    return render(request, "risks/review_detail.html", context)


@role_required(*LEAD_OR_MANAGER)
@require_POST
def item_decide(request, pk: int):
    item, access = get_review_item_for(request.user, pk)
    if not access.can_decide:
        raise deny(request, "not an approver of this review")
    form = ItemDecisionForm(request.POST)
    back = reverse("risks:review", args=[item.review_id])
    page = request.POST.get("page", "")
    if page.isdigit():
        back += f"?page={page}"
    if not form.is_valid():
        messages.error(request, f"{item.risk.reference}: choose to confirm or re-score the risk.")
        return redirect(f"{back}#item-{item.pk}")
    try:
        service.item_decide(
            item=item,
            decision=form.cleaned_data["decision"],
            levels=form.levels,
            comment=form.cleaned_data["comment"],
            by=request.user,
            now=timezone.now(),
            request=request,
        )
    except ValidationError as error:
        messages.error(request, f"{item.risk.reference}: {error_text(error)}")
    else:
        verb = "confirmed" if form.cleaned_data["decision"] == ReviewDecision.CONFIRMED else "re-scored"
        messages.success(request, f"{item.risk.reference} {verb}.")
    return redirect(f"{back}#item-{item.pk}")


@role_required(*LEAD_OR_MANAGER)
@step_up_required
@require_http_methods(["GET", "POST"])
def review_sign(request, pk: int):
    review, access = get_review_for(request.user, pk)
    if not access.can_sign:
        raise deny(request, "not an approver of this review")
    pending = service.review_pending(review)
    form = ReviewSignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service.review_sign(
                review=review,
                signer=request.user,
                note=form.cleaned_data["note"],
                step_up_at=step_up_time(request),
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            review.refresh_from_db()
            if review.is_open:
                messages.success(request, "Review signed. It completes when every approver has signed.")
            else:
                messages.success(request, "Review signed and complete. The next annual review is due in 12 months.")
            return redirect(review)
    return render(request, "risks/review_sign.html", {"form": form, "review": review, "pending": pending})

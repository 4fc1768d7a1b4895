"""The register: the list with its two heat maps, the CSV export, recording, a risk's page with
its history, editing, closing and reopening. Views are thin: ``access`` decides, services write."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from grc.accounts.permissions import LEAD_OR_MANAGER, READERS, deny, role_required
from grc.audit.services import record_download, record_view
from grc.compliance.models import Obligation
from grc.compliance.services import subject_key
from grc.csvio import csv_response
from grc.risks import rules
from grc.risks.access import get_risk_for
from grc.risks.filters import RiskFilter, cell_filters
from grc.risks.forms import ActionForm, CloseForm, RiskForm
from grc.risks.models import AcceptanceStatus, RiskStatus, TreatmentAction
from grc.risks.selectors import entry_for, flag_q, heatmap_grids, open_risks, register_queryset
from grc.risks.services import register as service
from grc.risks.sources import parse_source, prefill, source_label, source_object, source_url
from grc.risks.views.common import add_errors, error_text
from grc.tables import table_page

SORTS: dict[str, str | tuple[str, ...]] = {
    "ref": "pk",
    "title": "title",
    "inherent": ("inherent_score", "inherent_likelihood"),
    "residual": ("residual_score", "residual_likelihood"),
    "owner": ("owner__first_name", "owner__last_name"),
    "treatment": "treatment",
    "due": "next_action_due",
    "reviewed": "last_reviewed_at",
    "identified": "identified_at",
}
RISK_FIELDS = (*service.FIELDS, "affected_assets", "affected_systems")


def _listed(request, now):
    """The register's rows for this request: open risks unless the status filter says otherwise,
    narrowed to a heat-map cell when one was clicked."""
    queryset = register_queryset(now=now)
    if request.GET.get("status") not in ("closed", "all"):
        queryset = queryset.filter(status=RiskStatus.OPEN)
    return cell_filters(queryset, request.GET)


def _summary(now, appetite: int) -> dict[str, int]:
    """Open, above appetite, without a plan and with an expired acceptance, in one aggregate query."""
    return register_queryset(now=now).aggregate(
        open=Count("pk", filter=Q(status=RiskStatus.OPEN)),
        above=Count("pk", filter=flag_q(rules.Flag.ABOVE_APPETITE, appetite=appetite, now=now)),
        no_plan=Count("pk", filter=flag_q(rules.Flag.NO_PLAN, appetite=appetite, now=now)),
        expired=Count("pk", filter=flag_q(rules.Flag.ACCEPTANCE_EXPIRED, appetite=appetite, now=now)),
    )


@role_required(*READERS)
def index(request):
    now = timezone.now()
    appetite = rules.appetite_from_settings()
    queryset, cells = _listed(request, now)
    table = table_page(request, queryset, sorts=SORTS, default_sort="-residual", filterset_class=RiskFilter)
    entries = [entry_for(risk, appetite=appetite, now=now) for risk in table.rows]
    inherent, residual = heatmap_grids(open_risks())
    url = reverse("risks:index")
    context = {
        "table": table,
        "entries": entries,
        "appetite": appetite,
        "summary": _summary(now, appetite),
        "inherent_counts": inherent,
        "residual_counts": residual,
        "inherent_link": f"{url}?inherent={{likelihood}}-{{impact}}",
        "residual_link": f"{url}?residual={{likelihood}}-{{impact}}",
        "cells": cells,
        "filtered": table.is_filtered or bool(cells) or request.GET.get("status") in ("closed", "all"),
        "can_create": request.user.has_role(*LEAD_OR_MANAGER),
        "now": now,
    }
    return render(request, "risks/index.html", context)


EXPORT_HEADER = [
    "Reference",
    "Title",
    "Status",
    "Owner",
    "Threat",
    "Vulnerability",
    "Existing controls",
    "Inherent likelihood",
    "Inherent impact",
    "Inherent score",
    "Inherent band",
    "Residual likelihood",
    "Residual impact",
    "Residual score",
    "Residual band",
    "Above appetite",
    "Treatment",
    "Treatment plan",
    "Plan state",
    "Open actions",
    "Overdue actions",
    "Accepted until",
    "DPP clauses",
    "Raised from",
    "Flags",
    "Identified",
    "Last reviewed",
]


def _date(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d") if value else ""


@role_required(*READERS)
def export(request):
    """The filtered register as CSV (formula-neutralised by ``csv_response``); audited."""
    now = timezone.now()
    appetite = rules.appetite_from_settings()
    queryset, _cells = _listed(request, now)
    filterset = RiskFilter(request.GET or None, queryset=queryset, request=request)
    if filterset.is_bound and filterset.is_valid():
        queryset = filterset.qs
    risks = list(queryset.order_by("-residual_score", "-inherent_score", "pk"))
    rows = []
    for risk in risks:
        entry = entry_for(risk, appetite=appetite, now=now)
        rows.append(
            [
                entry.reference,
                entry.title,
                risk.get_status_display(),
                entry.owner,
                risk.threat,
                risk.vulnerability,
                risk.existing_controls,
                rules.LIKELIHOOD[entry.inherent_likelihood],
                rules.IMPACT[entry.inherent_impact],
                entry.inherent_score,
                entry.inherent_band,
                rules.LIKELIHOOD[entry.residual_likelihood],
                rules.IMPACT[entry.residual_impact],
                entry.residual_score,
                entry.residual_band,
                "yes" if entry.is_open and rules.above_appetite(entry.residual_score, appetite) else "no",
                entry.treatment_label,
                risk.treatment_plan,
                entry.plan,
                entry.actions_open,
                entry.actions_overdue,
                _date(entry.acceptance_expires_at),
                " ".join(entry.clauses),
                entry.source,
                "; ".join(entry.flag_labels),
                _date(entry.identified_at),
                _date(entry.last_reviewed_at),
            ]
        )
    record_download(request, what="csv", count=len(rows), object_type="risks.risk", object_id="export")
    return csv_response(f"risk-register-{now:%Y%m%d}.csv", EXPORT_HEADER, rows)


def _risk_data(form) -> dict:
    return {name: form.cleaned_data[name] for name in RISK_FIELDS if name in form.cleaned_data}


@role_required(*LEAD_OR_MANAGER)
@require_http_methods(["GET", "POST"])
def create(request):
    """Record a risk; ``?source=incident:12`` (or access_finding / asset_flag / vulnerability) keeps the link."""
    raw_source = request.POST.get("source") if request.method == "POST" else request.GET.get("source")
    source = parse_source(raw_source)
    source_obj = source_object(*source) if source else None
    initial = {"owner": request.user}
    if raw_source and source_obj is None:
        messages.warning(request, "The record to raise the risk from was not found: the risk is recorded without a link.")
        source = None
    elif source_obj is not None and source is not None:  # a record was found: the source was given
        initial.update(prefill(source[0], source_obj))
    form = RiskForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            risk = service.risk_create(
                data=_risk_data(form),
                source_type=source[0] if source else "",
                source_id=source[1] if source else None,
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            now, appetite = timezone.now(), rules.appetite_from_settings()
            if entry_for(register_queryset(now=now).get(pk=risk.pk), appetite=appetite, now=now).needs_plan:
                messages.warning(
                    request,
                    f"{risk.reference} recorded. Its residual score is above the appetite ({appetite}): "
                    "give it a treatment plan — actions, or an approved acceptance.",
                )
            else:
                messages.success(request, f"{risk.reference} recorded.")
            return redirect(risk)
    context = {
        "form": form,
        "source": source_label(source[0], source[1], source_obj) if source else "",
        "source_url": source_url(*source) if source else "",
    }
    return render(request, "risks/form.html", context)


@role_required(*READERS)
def detail(request, pk: int):
    risk, access = get_risk_for(request.user, pk)
    record_view(request, risk)
    now = timezone.now()
    entry = entry_for(register_queryset(now=now).get(pk=risk.pk), appetite=rules.appetite_from_settings(), now=now)
    actions = list(risk.actions.select_related("owner", "completed_by"))
    about_risk = Q(subject_type=subject_key(risk)[0], subject_id=str(risk.pk))
    about_actions = Q(subject_type=TreatmentAction._meta.label_lower, subject_id__in=[str(action.pk) for action in actions])
    obligations = Obligation.objects.filter(about_risk | about_actions, completed_at__isnull=True)
    source_obj = source_object(risk.source_type, risk.source_id) if risk.source_type else None
    acceptances = list(risk.acceptances.select_related("requested_by", "decided_by"))
    context = {
        "risk": risk,
        "entry": entry,
        "access": access,
        "now": now,
        "appetite": rules.appetite_from_settings(),
        "actions": actions,
        "acceptances": acceptances,
        "pending": next((a for a in acceptances if a.status == AcceptanceStatus.PENDING), None),
        "history": list(risk.score_changes.select_related("changed_by", "review")),
        "review_items": list(risk.review_items.select_related("review", "decided_by").order_by("-review__started_at")),
        "obligations": list(obligations.order_by("due_at")),
        "assets": list(risk.affected_assets.all()),
        "systems": list(risk.affected_systems.all()),
        "clauses": [(clause, dict(service.clause_catalogue()).get(clause, "")) for clause in risk.clauses],
        "source": source_label(risk.source_type, risk.source_id, source_obj),
        "source_url": source_url(risk.source_type, risk.source_id),
        "source_missing": bool(risk.source_type) and source_obj is None,
        "action_form": ActionForm(initial={"owner": risk.owner}) if access.can_edit and risk.is_open else None,
    }
    return render(request, "risks/detail.html", context)


@role_required(*LEAD_OR_MANAGER)
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    risk, access = get_risk_for(request.user, pk)
    if not access.can_edit:
        raise deny(request, "not the risk's owner")
    form = RiskForm(request.POST or None, instance=risk)
    if request.method == "POST" and form.is_valid():
        try:
            service.risk_update(risk=risk, data=_risk_data(form), by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{risk.reference} saved.")
            return redirect("risks:detail", pk=risk.pk)
    return render(request, "risks/form.html", {"form": form, "risk": risk})


@role_required(*LEAD_OR_MANAGER)
@require_http_methods(["GET", "POST"])
def close(request, pk: int):
    risk, access = get_risk_for(request.user, pk)
    if not access.can_edit:
        raise deny(request, "not the risk's owner")
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service.risk_close(risk=risk, reason=form.cleaned_data["reason"], by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{risk.reference} closed. Its open actions were cancelled.")
            return redirect("risks:detail", pk=risk.pk)
    return render(request, "risks/close.html", {"form": form, "risk": risk})


@role_required(*LEAD_OR_MANAGER)
@require_POST
def reopen(request, pk: int):
    risk, access = get_risk_for(request.user, pk)
    if not access.can_edit:
        raise deny(request, "not the risk's owner")
    try:
        service.risk_reopen(risk=risk, by=request.user, now=timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"{risk.reference} reopened.")
    return redirect("risks:detail", pk=risk.pk)

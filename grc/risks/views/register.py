"""The register: the list with its two heat maps, the CSV export, recording, a risk's page with
its history, editing, closing and reopening. Views are thin: ``access`` decides, services write."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from grc import degraded
from grc.accounts.permissions import LEAD_OR_MANAGER, READERS, deny, role_required
from grc.audit.selectors import latest_change_id
from grc.audit.services import record_download, record_view
from grc.compliance.models import Obligation
from grc.compliance.services import subject_key
from grc.csvio import csv_response
from grc.risks import rules
from grc.risks.access import get_risk_for
from grc.risks.filters import RiskFilter, cell_filters
from grc.risks.forms import ActionForm, CloseForm, RiskForm
from grc.risks.models import AcceptanceStatus, RiskStatus, TreatmentAction
from grc.risks.selectors import (
    RegisterEntry,
    entry_for,
    heatmap_grids,
    open_risks,
    register_queryset,
    register_summary,
    register_summary_valid_until,
)
from grc.risks.services import register as service
from grc.risks.sources import parse_source, prefill, source_label, source_object, source_url
from grc.risks.templatetags.risks_ui import flag_badges, heatmap, score_badge
from grc.risks.views.common import add_errors, error_text
from grc.tables import table_page
from grc.templatetags.ui import countdown, local
from grc.widgets import cached_plain_choices, choices_cache_seconds, full_name, pk_url, use_fast_widgets
from grc.widgets import conditional_escape as escape

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
# encrypted texts the register's rows never show: not read, so not decrypted (five per row)
LIST_DEFERRED = ("description", "threat", "vulnerability", "existing_controls", "treatment_plan")


def _listed(request, now):
    """The register's rows for this request: open risks unless the status filter says otherwise,
    narrowed to a heat-map cell when one was clicked."""
    queryset = register_queryset(now=now)
    if request.GET.get("status") not in ("closed", "all"):
        queryset = queryset.filter(status=RiskStatus.OPEN)
    return cell_filters(queryset, request.GET)


def _owner_filter_choices(form, version) -> None:
    """The owner filter lists senior management (135 users at scale): options from one values
    query, every widget rendered in Python (grc.widgets); the labels of ``str(user)``."""
    use_fast_widgets(form)
    field = form.fields["owner"]

    def rows():
        return [
            (pk, full_name(first, last, username))
            for pk, first, last, username in field.queryset.values_list("pk", "first_name", "last_name", "username")
        ]

    # kept until the next audited change (grc.widgets.cached_plain_choices)
    cached_plain_choices(field, rows, version=version, where="risk_owner_choices")


# a score's pill and a set of flags' badges depend on nothing else: written once per process, not per row
_score_badge = lru_cache(maxsize=64)(score_badge)
_flag_badges = lru_cache(maxsize=256)(flag_badges)


def _row_html(entry: RegisterEntry, now) -> str:
    if entry.needs_plan:
        row_class = ' class="risk-untreated"'
    elif not entry.is_open:
        row_class = ' class="text-body-secondary"'
    else:
        row_class = ""
    about = f"DPP {', '.join(escape(clause) for clause in entry.clauses)}" if entry.clauses else ""
    if entry.source:
        about += f"{' · ' if entry.clauses else ''}from {escape(entry.source)}"
    if not entry.is_open:
        about += f" · closed {escape(local(entry.closed_at, '%d %b %Y'))}"
    plan = f'<div class="text-body-secondary">{escape(entry.plan)}</div>' if entry.treatment else ""
    due = countdown(entry.next_action_due, None, now) if entry.next_action_due else '<span class="text-body-secondary">—</span>'
    url, reference = escape(entry.url), escape(entry.reference)
    return (
        f'\n    <tr data-risk="{reference}"{row_class}>\n'
        f'      <td class="font-monospace text-nowrap"><a href="{url}">{reference}</a></td>\n'
        f'      <td><a href="{url}">{escape(entry.title)}</a>\n'
        f'        <div class="small text-body-secondary">{about}</div></td>\n'
        f'      <td class="small">{escape(entry.owner)}</td>\n'
        f'      <td data-score="{escape(entry.inherent_score)}">{_score_badge(entry.inherent_score)}</td>\n'
        f'      <td data-score="{escape(entry.residual_score)}">{_score_badge(entry.residual_score)}</td>\n'
        f'      <td class="small">{escape(entry.treatment_label)}{plan}</td>\n'
        f'      <td class="small text-nowrap">{due}</td>\n'
        f"      <td>{_flag_badges(tuple(entry.flags))}</td>\n"
        "    </tr>\n  "
    )


INHERENT_TITLE, RESIDUAL_TITLE = "Inherent risk (before controls)", "Residual risk (with existing controls)"


def _heatmaps(version, appetite: int, cells: dict, inherent_link: str, residual_link: str) -> dict[str, str]:
    """The two heat maps' SVGs (the ``{% heatmap %}`` tag), kept in the cache until the next audited
    change, per appetite and selected cell: the open risks' counts and their SVGs on every load."""
    seconds = choices_cache_seconds()
    shape = hashlib.sha256(f"{appetite}|{sorted(cells.items())!r}|{inherent_link}|{residual_link}".encode()).hexdigest()
    key = f"risks:heatmaps:{version() if seconds > 0 else 0}:{shape}"
    heatmaps = degraded.cache_get(key, where="risk_heatmap") if seconds > 0 else None
    if not isinstance(heatmaps, dict):
        inherent, residual = heatmap_grids(open_risks())
        heatmaps = {
            "inherent": str(heatmap(inherent, INHERENT_TITLE, inherent_link, appetite, cells.get("inherent"))),
            "residual": str(heatmap(residual, RESIDUAL_TITLE, residual_link, appetite, cells.get("residual"))),
        }
        if seconds > 0:
            degraded.cache_set(key, heatmaps, seconds, where="risk_heatmap")
    # the tag's own escaped SVG
    return {name: mark_safe(svg) for name, svg in heatmaps.items()}  # noqa: S308  # nosec B308 B703


def _summary(version, now, appetite: int) -> dict[str, int]:
    """The summary cards' counts (``register_summary``), kept in the cache until the next audited
    change or until the earliest approved acceptance expires, whichever comes first: the counts
    read ``now`` only through acceptances' expiry (tests/risks/test_register_summary.py)."""
    seconds = choices_cache_seconds()
    if seconds <= 0:
        return register_summary(now=now, appetite=appetite)
    key = f"risks:summary:{version()}:{appetite}"
    cached = degraded.cache_get(key, where="risk_summary")
    if isinstance(cached, dict) and (cached["until"] is None or now < cached["until"]):
        return cached["summary"]
    summary = register_summary(now=now, appetite=appetite)
    degraded.cache_set(key, {"summary": summary, "until": register_summary_valid_until(now=now)}, seconds, where="risk_summary")
    return summary


def register_rows_html(entries: list[RegisterEntry], now) -> str:
    """The register's table rows, written in Python with the page's own badge tags: the same HTML
    as the ``{% for entry in entries %}`` loop the template had (tests/risks/test_register_summary.py
    keeps that loop and compares), without some 1,500 template nodes per page."""
    # every value is escaped above; the badges are the tags' own safe HTML
    return mark_safe("".join(_row_html(entry, now) for entry in entries))  # noqa: S308  # nosec B308 B703


@role_required(*READERS)
def index(request):
    now = timezone.now()
    appetite = rules.appetite_from_settings()
    queryset, cells = _listed(request, now)
    table = table_page(request, queryset.defer(*LIST_DEFERRED), sorts=SORTS, default_sort="-residual", filterset_class=RiskFilter)
    url_of = pk_url("risks:detail")
    entries = [entry_for(risk, appetite=appetite, now=now, url=url_of(risk.pk)) for risk in table.rows]
    version = lru_cache(maxsize=1)(latest_change_id)  # one query for both caches below, and only if they are on
    _owner_filter_choices(table.filterset.form, version)
    url = reverse("risks:index")
    inherent_link, residual_link = f"{url}?inherent={{likelihood}}-{{impact}}", f"{url}?residual={{likelihood}}-{{impact}}"
    heatmaps = _heatmaps(version, appetite, cells, inherent_link, residual_link)
    context = {
        "table": table,
        "entries": entries,
        "rows_html": register_rows_html(entries, now),
        "appetite": appetite,
        "summary": _summary(version, now, appetite),
        "heatmaps": heatmaps,
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

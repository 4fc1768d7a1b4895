"""Data-subject requests (DPP 2.2): the register with each deadline, recording a request, the
identity check and the stores searched, the one extension, and the response.

The requester's identifying details are shown only to the security lead and the request's handler
(``assets.dsar_access``); auditors and other managers read the PII-free record. Views stay thin:
services write the record, the obligation and the audit event.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from assets.dsar_access import get_dsar_for
from assets.dsar_rules import STATE_LABELS, dsar_state, extension_days, extension_refusal, purge_due, response_days, retention_days
from assets.forms.dsar import DsarFilter, DsarForm, ExtendForm, RespondForm
from assets.models import DataSubjectRequest
from assets.services import dsar as services
from assets.views.common import add_errors
from grc.accounts.permissions import LEAD_OR_MANAGER, READERS, SECURITY_LEAD, deny, role_required
from grc.audit.services import record_view
from grc.classification import level_for
from grc.tables import table_page

FIELDS = DsarForm.Meta.fields


def _with_state(rows, now) -> list[DataSubjectRequest]:
    rows = list(rows)
    for row in rows:
        row.state = dsar_state(due_at=row.due_at, response_sent_at=row.response_sent_at, now=now)
        row.state_label = STATE_LABELS[row.state]
    return rows


@role_required(*READERS)
def dsar_list(request):
    now = timezone.now()
    queryset = DataSubjectRequest.objects.select_related("handler").annotate(store_count=Count("stores_searched"))
    table = table_page(
        request,
        queryset,
        sorts={"received": "received_at", "due": "due_at", "reference": "reference", "type": "request_type"},
        default_sort="-received",
        filterset_class=DsarFilter,
    )
    context = {
        "table": table,
        "rows": _with_state(table.rows, now),
        "now": now,
        "can_create": request.user.is_security_lead,
        "response_days": response_days(),
        "retention_days": retention_days(),
    }
    return render(request, "assets/dsar_list.html", context)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def dsar_create(request):
    form = DsarForm(request.POST or None, initial={"handler": request.user.pk})
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in FIELDS}
        try:
            dsar = services.dsar_create(
                data=data, stores=form.cleaned_data["stores_searched"], by=request.user, now=timezone.now(), request=request
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Request {dsar.reference} recorded: the response is due in {response_days()} days.")
            return redirect(dsar)
    return render(request, "assets/dsar_form.html", {"form": form, "dsar": None, "response_days": response_days()})


@role_required(*READERS)
def dsar_detail(request, pk: int):
    dsar, access = get_dsar_for(request.user, pk)
    record_view(request, dsar)
    now = timezone.now()
    stores = [
        (store, level_for(holds_pii=store.asset.holds_pii, holds_amazon_information=store.asset.holds_amazon_information))
        for store in dsar.stores_searched.select_related("asset").order_by("asset__name")
    ]
    state = dsar_state(due_at=dsar.due_at, response_sent_at=dsar.response_sent_at, now=now)
    context = {
        "dsar": dsar,
        "access": access,
        "now": now,
        "stores": stores,
        "state": state,
        "state_label": STATE_LABELS[state],
        "extension_refusal": extension_refusal(
            extended_at=dsar.extended_at, response_sent_at=dsar.response_sent_at, original_due_at=dsar.original_due_at, now=now
        ),
        "purge_due_at": purge_due(dsar.response_sent_at, retention_days()),
        "retention_days": retention_days(),
    }
    return render(request, "assets/dsar_detail.html", context)


@role_required(*LEAD_OR_MANAGER)
@require_http_methods(["GET", "POST"])
def dsar_edit(request, pk: int):
    dsar, access = get_dsar_for(request.user, pk)
    if not access.can_edit:
        raise deny(request, "not the handler")
    if dsar.is_purged:
        messages.info(request, "The identifying details of this request were purged: its record no longer changes.")
        return redirect(dsar)
    form = DsarForm(request.POST or None, instance=DataSubjectRequest.objects.get(pk=dsar.pk))
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in FIELDS}
        try:
            changed = services.dsar_update(
                dsar=dsar, data=data, stores=form.cleaned_data["stores_searched"], by=request.user, now=timezone.now(), request=request
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Changes saved." if changed else "Nothing changed.")
            return redirect(dsar)
    return render(request, "assets/dsar_form.html", {"form": form, "dsar": dsar, "response_days": response_days()})


@role_required(*LEAD_OR_MANAGER)
@require_http_methods(["GET", "POST"])
def dsar_extend(request, pk: int):
    dsar, access = get_dsar_for(request.user, pk)
    if not access.can_edit:
        raise deny(request, "not the handler")
    form = ExtendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dsar = services.dsar_extend(dsar=dsar, reason=form.cleaned_data["reason"], by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Deadline extended once, to {timezone.localtime(dsar.due_at):%d %b %Y %H:%M}.")
            return redirect(dsar)
    now = timezone.now()
    refusal = extension_refusal(
        extended_at=dsar.extended_at, response_sent_at=dsar.response_sent_at, original_due_at=dsar.original_due_at, now=now
    )
    context = {"form": form, "dsar": dsar, "action": "extend", "refusal": refusal, "extension_days": extension_days()}
    return render(request, "assets/dsar_action.html", context)


@role_required(*LEAD_OR_MANAGER)
@require_http_methods(["GET", "POST"])
def dsar_respond(request, pk: int):
    dsar, access = get_dsar_for(request.user, pk)
    if not access.can_edit:
        raise deny(request, "not the handler")
    form = RespondForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dsar = services.dsar_respond(
                dsar=dsar,
                response_sent_at=data["response_sent_at"],
                outcome=data["outcome"],
                note=data["note"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            in_time = "in time" if dsar.answered_in_time else "after the deadline"
            messages.success(request, f"Response recorded ({in_time}). The requester's details are purged after {retention_days()} days.")
            return redirect(dsar)
    refusal = "" if dsar.is_open else "The response to this request is already recorded."
    return render(request, "assets/dsar_action.html", {"form": form, "dsar": dsar, "action": "respond", "refusal": refusal})

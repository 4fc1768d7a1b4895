"""Deletion requests from Amazon (DPP 1.7): the list with both clocks, recording the notice,
per-store sanitisation and verification, legal-retention exceptions, and the certificate."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from assets.access import get_deletion_for, is_lead
from assets.deletion_rules import STATE_LABELS, RequestState, outstanding
from assets.files import file_response
from assets.forms.deletion import AddStoreForm, DeletionRequestForm, ExceptionForm, PerformForm, SignForm, VerifyForm
from assets.models import DeletionAction, DestructionCertificate
from assets.selectors import annotate_deletion_state, deletion_requests_with_state
from assets.services import deletion as services
from assets.services.programme import DELETION_30D, DELETION_90D
from assets.views.common import add_errors, step_up_time
from grc.accounts.permissions import LEAD_OR_MANAGER, READERS, SECURITY_LEAD, deny, role_required
from grc.accounts.stepup import step_up_required
from grc.audit.services import record_download, record_view
from grc.compliance.services import obligations_for
from grc.tables import table_page

if TYPE_CHECKING:
    from assets.models import RetentionException
    from assets.selectors import DeletionRequestWithState

    class DeletionListRow(DeletionRequestWithState):
        """A row of the list: the selector's state plus what ``deletion_list`` attaches."""

        clocks: dict
        state_label: str

    class DeletionActionRow(DeletionAction):
        """An action on the detail page, with its store's legal-retention exception (if any)."""

        exception: RetentionException | None


def _clocks(deletion) -> dict:
    """The latest obligation of each clock (open or completed) for countdowns."""
    latest = {}
    for obligation in obligations_for(deletion).filter(kind__in=[DELETION_30D, DELETION_90D]).order_by("created_at"):
        latest[obligation.kind] = obligation
    return {"thirty": latest.get(DELETION_30D), "ninety": latest.get(DELETION_90D)}


@role_required(*READERS)
def deletion_list(request):
    table = table_page(
        request, deletion_requests_with_state(), sorts={"received": "received_at", "reference": "reference"}, default_sort="-received"
    )
    rows = cast("list[DeletionListRow]", annotate_deletion_state(table.rows))
    now = timezone.now()
    for row in rows:
        row.clocks = _clocks(row)
        row.state_label = STATE_LABELS[row.state]
    return render(request, "assets/deletion_list.html", {"table": table, "rows": rows, "can_edit": is_lead(request.user), "now": now})


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def deletion_create(request):
    form = DeletionRequestForm(request.POST or None, initial={"responsible": request.user.pk})
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            deletion = services.deletion_request_create(
                data=data, stores=form.cleaned_data["stores"], by=request.user, now=timezone.now(), request=request
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Deletion request recorded: the 30- and 90-day clocks run from the notice.")
            return redirect(deletion.get_absolute_url())
    return render(request, "assets/deletion_form.html", {"form": form, "deletion": None})


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def deletion_edit(request, pk: int):
    deletion, _can_edit, _may_sign = get_deletion_for(request.user, pk)
    form = DeletionRequestForm(request.POST or None, instance=deletion, editing=True)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.deletion_request_update(deletion=deletion, data=data, by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Changes saved.")
            return redirect(deletion.get_absolute_url())
    return render(request, "assets/deletion_form.html", {"form": form, "deletion": deletion})


@role_required(*READERS)
def deletion_detail(request, pk: int):
    deletion, can_edit, may_sign = get_deletion_for(request.user, pk)
    record_view(request, deletion)
    item = annotate_deletion_state(deletion_requests_with_state().filter(pk=deletion.pk))[0]
    certified = item.state == RequestState.CERTIFIED
    exceptions = {exception.data_store_id: exception for exception in item.exceptions.all()}
    actions = cast("list[DeletionActionRow]", list(item.actions.all()))
    for action in actions:
        action.exception = exceptions.get(action.data_store_id)
    context = {
        "deletion": item,
        "actions": actions,
        "exceptions": list(exceptions.values()),
        "state_label": STATE_LABELS[item.state],
        "outstanding": outstanding(item.store_states),
        "clocks": _clocks(deletion),
        "can_edit": can_edit and not certified,
        "may_sign": may_sign and item.state == RequestState.COMPLETE,
        "is_responsible": may_sign,
        "certificate": item.certificate if certified else None,
        "add_store_form": AddStoreForm(exclude=[a.data_store_id for a in actions]),
        "exception_form": ExceptionForm(),
        "now": timezone.now(),
    }
    return render(request, "assets/deletion_detail.html", context)


@role_required(*SECURITY_LEAD)
@require_POST
def deletion_add_store(request, pk: int):
    deletion, _can_edit, _may_sign = get_deletion_for(request.user, pk)
    form = AddStoreForm(request.POST, exclude=deletion.actions.values_list("data_store_id", flat=True))
    if form.is_valid():
        try:
            services.deletion_store_add(
                deletion=deletion, store=form.cleaned_data["store"], by=request.user, now=timezone.now(), request=request
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Store added to the request.")
    else:
        messages.error(request, "Choose a data store that is not part of the request yet.")
    return redirect(deletion.get_absolute_url())


def _action_for(deletion, action_pk: int) -> DeletionAction:
    return get_object_or_404(DeletionAction.objects.select_related("data_store__asset", "request"), pk=action_pk, request=deletion)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def action_perform(request, pk: int, action_pk: int):
    deletion, _can_edit, _may_sign = get_deletion_for(request.user, pk)
    action = _action_for(deletion, action_pk)
    initial = {
        "method": action.method,
        "description": action.description,
        "performed_by": action.performed_by_id or request.user.pk,
        "performed_at": timezone.localtime(action.performed_at)
        if action.performed_at
        else timezone.localtime().replace(second=0, microsecond=0),
    }
    form = PerformForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.deletion_action_perform(action=action, **form.cleaned_data, by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Sanitisation of {action.data_store.asset.name} recorded.")
            return redirect(deletion.get_absolute_url())
    title = f"Sanitisation of {action.data_store.asset.name}"
    return render(request, "assets/deletion_step.html", {"form": form, "deletion": deletion, "action": action, "title": title})


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def action_verify(request, pk: int, action_pk: int):
    deletion, _can_edit, _may_sign = get_deletion_for(request.user, pk)
    action = _action_for(deletion, action_pk)
    form = VerifyForm(request.POST or None, initial={"verified_at": timezone.localtime().replace(second=0, microsecond=0)})
    if request.method == "POST" and form.is_valid():
        try:
            services.deletion_action_verify(
                action=action,
                verified_at=form.cleaned_data["verified_at"],
                note=form.cleaned_data["note"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Deletion from {action.data_store.asset.name} verified.")
            return redirect(deletion.get_absolute_url())
    title = f"Verify the deletion from {action.data_store.asset.name}"
    return render(request, "assets/deletion_step.html", {"form": form, "deletion": deletion, "action": action, "title": title})


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def exception_create(request, pk: int):
    deletion, _can_edit, _may_sign = get_deletion_for(request.user, pk)
    form = ExceptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.retention_exception_add(deletion=deletion, data=data, by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Legal-retention exception recorded.")
            return redirect(deletion.get_absolute_url())
    title = "Legal-retention exception"
    return render(request, "assets/deletion_step.html", {"form": form, "deletion": deletion, "action": None, "title": title})


@role_required(*LEAD_OR_MANAGER)
@require_http_methods(["GET", "POST"])
def certificate_sign(request, pk: int):
    """The responsible person signs the certificate of destruction; anyone else gets 403 before
    being asked for a code."""
    deletion, _can_edit, may_sign = get_deletion_for(request.user, pk)
    if not may_sign:
        raise deny(request, "not the responsible person")
    return _certificate_sign(request, deletion)


@step_up_required
def _certificate_sign(request, deletion):
    form = SignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.certificate_sign(
                deletion=deletion,
                by=request.user,
                step_up_at=cast(datetime, step_up_time(request)),  # step_up_required: a fresh code was given
                now=timezone.now(),
                request=request,
            )
        except PermissionDenied:
            raise deny(request, "not the responsible person")
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Certificate of destruction signed. Download it and send it to Amazon.")
            return redirect(deletion.get_absolute_url())
    item = annotate_deletion_state(deletion_requests_with_state().filter(pk=deletion.pk))[0]
    context = {
        "form": form,
        "deletion": item,
        "actions": list(item.actions.all()),
        "exceptions": list(item.exceptions.all()),
        "ready": item.state == RequestState.COMPLETE,
        "certified": item.state == RequestState.CERTIFIED,
    }
    return render(request, "assets/certificate_sign.html", context)


@role_required(*READERS)
def certificate_download(request, pk: int):
    deletion, _can_edit, _may_sign = get_deletion_for(request.user, pk)
    certificate = get_object_or_404(DestructionCertificate, request=deletion)
    record_download(request, certificate, what="pdf")
    return file_response(certificate.file, f"certificate-of-destruction-{deletion.pk}.pdf", content_type="application/pdf")

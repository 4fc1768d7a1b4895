"""Evidence pages: add an item, its page with the whole chain of custody, hand-overs, the hash
check and the one permission-checked, audited download of the stored file."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from grc.accounts.permissions import EVERYONE, WORKFORCE, deny, role_required
from grc.audit.services import record_download, record_view
from incidents import custody
from incidents.access import get_evidence_for, get_incident_for
from incidents.forms import CustodyForm, EvidenceForm
from incidents.views.common import add_errors


@role_required(*WORKFORCE)
@require_http_methods(["GET", "POST"])
def evidence_create(request, pk: int):
    incident, access = get_incident_for(request.user, pk)
    if not access.can_edit:
        raise deny(request, "not the incident's lead or owner")
    form = EvidenceForm(request.POST or None, request.FILES or None, initial={"collected_by": request.user})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = custody.evidence_add(
                incident=incident,
                by=request.user,
                label=data["label"],
                description=data["description"],
                upload=data["upload"],
                collected_by=data["collected_by"],
                collected_at=data["collected_at"],
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            if item.is_file:
                messages.success(
                    request, f"Evidence stored with SHA-256 {item.sha256[:16]}…; its chain of custody starts with the collection."
                )
            else:
                messages.success(request, "Physical evidence recorded; record each hand-over in its chain of custody.")
            return redirect(item)
    return render(request, "incidents/evidence_form.html", {"form": form, "incident": incident})


@role_required(*EVERYONE)
def evidence_detail(request, pk: int):
    item, access = get_evidence_for(request.user, pk)
    record_view(request, item)
    form = CustodyForm() if access.can_handle_evidence else None
    context = {
        "item": item,
        "incident": item.incident,
        "access": access,
        "entries": list(item.custody.select_related("recorded_by")),
        "form": form,
    }
    return render(request, "incidents/evidence_detail.html", context)


@role_required(*WORKFORCE)
@require_POST
def custody_create(request, pk: int):
    item, access = get_evidence_for(request.user, pk)
    if not access.can_handle_evidence:
        raise deny(request, "custody entries by the lead or owner")
    form = CustodyForm(request.POST)
    if form.is_valid():
        try:
            custody.custody_append(evidence=item, by=request.user, now=timezone.now(), request=request, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Custody entry added to the chain.")
            return redirect(item)
    context = {
        "item": item,
        "incident": item.incident,
        "access": access,
        "entries": list(item.custody.select_related("recorded_by")),
        "form": form,
    }
    return render(request, "incidents/evidence_detail.html", context)


@role_required(*WORKFORCE)
@require_POST
def evidence_verify(request, pk: int):
    item, access = get_evidence_for(request.user, pk)
    if not access.can_handle_evidence:
        raise deny(request, "hash checks by the lead or owner")
    try:
        match = custody.evidence_verify(evidence=item, by=request.user, now=timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if match:
            messages.success(request, "The stored file still has the SHA-256 taken on upload: it is unaltered.")
        else:
            messages.error(
                request, "The stored file does NOT match the SHA-256 taken on upload: it was altered or is missing. Investigate."
            )
    return redirect(item)


@role_required(*EVERYONE)
def evidence_download(request, pk: int):
    """The only way to a stored file: permission-checked, audited, and an entry in the custody chain."""
    item, access = get_evidence_for(request.user, pk)
    if not access.can_download:
        raise deny(request, "no evidence download")
    if not item.is_file:
        raise Http404("A physical item has no file")
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404("The stored file is missing")
    record_download(request, item, what="evidence_file")
    custody.evidence_accessed(evidence=item, by=request.user, purpose="downloaded from the portal", now=timezone.now())
    response = FileResponse(handle, as_attachment=True, filename=item.original_name or "evidence", content_type="application/octet-stream")
    response["Cache-Control"] = "no-store"
    return response

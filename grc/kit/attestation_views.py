"""Pages of the kit's attestations: the statements and their state, signing (security lead, fresh
one-time code), one attestation with its history, its evidence (audited download), withdrawal."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from grc.accounts.permissions import READERS, SECURITY_LEAD, role_required
from grc.accounts.stepup import step_up_required, step_up_time
from grc.audit.services import record_download
from grc.files import file_response
from grc.forms import add_errors
from grc.kit.attestations import STATEMENTS, attestation_sign, attestation_state, attestation_withdraw, current_attestations
from grc.kit.forms import AttestationForm, WithdrawForm
from grc.kit.models import Attestation


@role_required(*READERS)
def attestations(request):
    now = timezone.now()
    current = current_attestations()
    rows = [
        {"statement": s, "attestation": current.get(s.key), "state": attestation_state(current.get(s.key), now)}
        for s in STATEMENTS.values()
    ]
    return render(request, "kit/attestations.html", {"rows": rows, "now": now, "tab": "attestations"})


@role_required(*SECURITY_LEAD)
@step_up_required
def attestation_sign_view(request, key: str):
    statement = STATEMENTS.get(key)
    if statement is None:
        raise Http404("no such statement")
    form = AttestationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            attestation = attestation_sign(
                statement=key,
                owner=data["owner"],
                evidence_url=data["evidence_url"],
                upload=data["evidence"],
                expires_on=data["expires_on"],
                by=request.user,
                step_up_at=step_up_time(request),
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Attestation signed. The answers that rely on it now cite it.")
            return redirect(attestation)
    return render(request, "kit/attestation_form.html", {"form": form, "statement": statement, "tab": "attestations"})


@role_required(*READERS)
def attestation_detail(request, pk: int):
    attestation = get_object_or_404(Attestation.objects.select_related("owner", "signed_by", "withdrawn_by"), pk=pk)
    statement = STATEMENTS.get(attestation.statement)
    history = Attestation.objects.filter(statement=attestation.statement).select_related("signed_by").order_by("-signed_at", "-pk")[:50]
    context = {
        "attestation": attestation,
        "statement": statement,
        "state": attestation_state(attestation, timezone.now()),
        "history": history,
        "withdraw_form": WithdrawForm(),
        "tab": "attestations",
    }
    return render(request, "kit/attestation_detail.html", context)


@role_required(*READERS)
def attestation_evidence(request, pk: int):
    attestation = get_object_or_404(Attestation, pk=pk)
    if not attestation.evidence:
        raise Http404("this attestation links to its evidence")
    record_download(request, attestation, what="attestation_evidence")
    return file_response(attestation.evidence, attestation.evidence_name or "evidence")


@require_POST
@role_required(*SECURITY_LEAD)
def attestation_withdraw_view(request, pk: int):
    attestation = get_object_or_404(Attestation, pk=pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the statement no longer holds.")
        return redirect(attestation)
    try:
        attestation_withdraw(
            attestation=attestation, by=request.user, reason=form.cleaned_data["reason"], now=timezone.now(), request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Attestation withdrawn: the answers that relied on it show a gap.")
    return redirect(attestation)

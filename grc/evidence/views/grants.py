"""Auditor access: the security lead grants and revokes time-boxed, scoped, read-only access."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from grc.accounts.permissions import SECURITY_LEAD, role_required
from grc.evidence.forms import GrantForm
from grc.evidence.models import AuditorGrant
from grc.evidence.services import grants as services
from grc.evidence.views.common import add_errors
from grc.tables import table_page


@role_required(*SECURITY_LEAD)
def grant_list(request):
    table = table_page(
        request,
        AuditorGrant.objects.select_related("auditor", "granted_by", "revoked_by", "audit"),
        sorts={"starts": "starts_at", "ends": "ends_at", "granted": "granted_at"},
        default_sort="-starts",
    )
    return render(request, "evidence/grant_list.html", {"table": table, "now": timezone.now(), "evidence_tab": "grants"})


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def grant_create(request):
    today = timezone.localdate()
    form = GrantForm(request.POST or None, initial={"starts_on": today})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.grant_create(
                auditor=data["auditor"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                clauses=data["clauses"],
                purpose=data["purpose"],
                audit=data["audit"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Auditor access granted. It ends by itself after the last day.")
            return redirect("evidence:grant_list")
    return render(
        request,
        "evidence/form_page.html",
        {
            "form": form,
            "title": "Give an auditor access",
            "intro": "Read-only access to the packs, the DPP status and the read-only lists, for whole days and the clauses you choose. "
            "Every page the auditor opens and every download is recorded in the audit trail.",
            "submit": "Grant access",
            "cancel_url": "evidence:grant_list",
            "evidence_tab": "grants",
        },
    )


@role_required(*SECURITY_LEAD)
@require_POST
def grant_revoke(request, pk: int):
    grant = get_object_or_404(AuditorGrant, pk=pk)
    if services.grant_revoke(grant=grant, by=request.user, now=timezone.now(), request=request):
        messages.success(request, "Access revoked: the auditor is signed out at their next request.")
    else:
        messages.info(request, "This access had already ended.")
    return redirect("evidence:grant_list")

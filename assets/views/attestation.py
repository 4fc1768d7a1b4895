"""The quarterly inventory attestation (DPP 2.3): the history, and signing with step-up MFA."""

from __future__ import annotations

from datetime import datetime
from functools import wraps
from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from assets.forms.inventory import AttestationForm
from assets.models import InventoryAttestation
from assets.services.attestation import attestation_assets, attestation_scope_for, attestation_sign
from assets.services.programme import ATTESTATION
from assets.views.common import add_errors, step_up_time
from grc.accounts.permissions import LEAD_OR_MANAGER, READERS, deny, role_required
from grc.accounts.stepup import step_up_required
from grc.compliance.services import open_obligation
from grc.tables import table_page


@role_required(*READERS)
def attestation_list(request):
    table = table_page(
        request,
        InventoryAttestation.objects.select_related("attested_by"),
        sorts={"attested": "attested_at", "count": "asset_count"},
        default_sort="-attested",
    )
    context = {
        "table": table,
        "obligation": open_obligation(ATTESTATION, None),
        "scope": attestation_scope_for(request.user) if request.user.role in LEAD_OR_MANAGER else None,
        "now": timezone.now(),
    }
    return render(request, "assets/attestation_list.html", context)


def _needs_scope(view):
    """A manager who owns no assets has nothing to attest: 403 before asking for a code."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if attestation_scope_for(request.user) is None:
            raise deny(request, "owns no assets")
        return view(request, *args, **kwargs)

    return wrapper


@role_required(*LEAD_OR_MANAGER)
@_needs_scope
@step_up_required
@require_http_methods(["GET", "POST"])
def attestation_sign_view(request):
    """The lead attests the whole inventory; a manager the assets they own."""
    scope = cast(str, attestation_scope_for(request.user))  # _needs_scope refused users without one
    assets = attestation_assets(request.user, scope)
    form = AttestationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            attestation_sign(
                user=request.user,
                note=form.cleaned_data["note"],
                step_up_at=cast(datetime, step_up_time(request)),  # step_up_required: a fresh code was given
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Inventory attested. Thank you — the next attestation is due in 3 months.")
            return redirect("assets:attestations")
    counts = assets.aggregate(total=Count("pk"), flagged=Count("pk", filter=Q(flag_count__gt=0)))
    flagged = assets.filter(flag_count__gt=0).select_related("owner").order_by("tag")[:50]
    context = {"form": form, "scope": scope, "counts": counts, "flagged": flagged}
    return render(request, "assets/attestation_sign.html", context)

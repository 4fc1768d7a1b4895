"""Staff pages of the policy library: what I still have to acknowledge, acknowledging a version,
and downloading a version's file (audited, always as an attachment)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from grc.accounts.permissions import EVERYONE, WORKFORCE, role_required
from grc.audit.services import record_download
from grc.policies.access import get_version_for
from grc.policies.acknowledgements import acknowledgement_record, pending_for
from grc.policies.files import file_response
from grc.policies.models import Acknowledgement


@role_required(*WORKFORCE)
def my_acknowledgements(request):
    now = timezone.now()
    done = (
        Acknowledgement.objects.filter(user=request.user, acknowledged_at__isnull=False)
        .select_related("version__document__type")
        .order_by("-acknowledged_at")[:20]
    )
    return render(request, "policies/my_acknowledgements.html", {"pending": pending_for(request.user, now), "done": done, "now": now})


@role_required(*WORKFORCE)
@require_POST
def acknowledge(request, pk: int):
    version, _access = get_version_for(request.user, pk)
    if request.POST.get("confirm") != "on":
        messages.error(request, "Tick the box to confirm you have read the policy.")
        return redirect(version)
    try:
        acknowledgement_record(version=version, user=request.user, now=timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(version)
    messages.success(request, f"Thank you: your acknowledgement of {version.document.title} v{version.number} is recorded.")
    if request.POST.get("next") == "mine":
        return redirect("policy_library:my_acknowledgements")
    return redirect(version.document)


@role_required(*EVERYONE)
def version_file(request, pk: int):
    version, _access = get_version_for(request.user, pk)
    if not version.file:
        raise Http404("This version has no file")
    record_download(request, version, what="policy_file")
    return file_response(version.file, version.file_name or f"{version.document.type.code}-v{version.number}")

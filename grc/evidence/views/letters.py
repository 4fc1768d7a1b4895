"""The certification letter (DPP 3 "certify in writing"): produced from the current DPP status,
signed by a security lead with a fresh step-up code, listed and downloaded (audited)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from grc.accounts.permissions import LEAD_OR_AUDITOR, SECURITY_LEAD, deny, role_required
from grc.accounts.stepup import step_up_required
from grc.audit.services import record_download
from grc.evidence.access import auditor_grant_required
from grc.evidence.files import file_response
from grc.evidence.forms import LetterForm
from grc.evidence.models import CertificationLetter
from grc.evidence.services import letters as services
from grc.evidence.views.common import add_errors, step_up_time
from grc.pdf_signing import SigningNotConfigured
from grc.tables import table_page


@role_required(*LEAD_OR_AUDITOR)
@auditor_grant_required
def letter_list(request):
    table = table_page(
        request, CertificationLetter.objects.select_related("signed_by"), sorts={"signed": "signed_at"}, default_sort="-signed"
    )
    return render(request, "evidence/letter_list.html", {"table": table, "evidence_tab": "letters"})


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
@step_up_required
def letter_sign(request):
    form = LetterForm(request.POST or None)
    now = timezone.now()
    if request.method == "POST" and form.is_valid():
        step_up_at = step_up_time(request)
        assert step_up_at is not None  # step_up_required: the step-up is fresh
        try:
            letter = services.letter_sign(data=form.cleaned_data, by=request.user, step_up_at=step_up_at, now=now, request=request)
        except PermissionDenied:
            raise deny(request, "not a security lead")
        except ValidationError as error:
            add_errors(form, error)
        except SigningNotConfigured as error:  # production without PDF_SIGNING_KEY/CERT: no unsigned letter
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Letter {letter.reference} signed. Download it and send it to Amazon.")
            return redirect("evidence:letter_list")
    statement = services.letter_statement(now)
    return render(request, "evidence/letter_sign.html", {"form": form, "statement": statement, "now": now, "evidence_tab": "letters"})


@role_required(*LEAD_OR_AUDITOR)
@auditor_grant_required
@require_GET
def letter_download(request, pk: int):
    letter = get_object_or_404(CertificationLetter, pk=pk)
    record_download(request, letter, what="certification_letter")
    return file_response(letter.file, f"certification-letter-{letter.reference}.pdf", content_type="application/pdf")

"""Confidentiality agreements (DPP 2.2): who processes PII and whether their agreement is in
force, recording an agreement on a person, and the signed document (audited download)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from access_reviews.access import get_person_for, reads_everything
from access_reviews.confidentiality import current_agreements, people_with_pii_access, people_without_agreement, pii_systems
from access_reviews.models import ConfidentialityAgreement
from access_reviews.services.confidentiality import agreement_record
from access_reviews.views.common import add_errors
from grc.accounts.permissions import LEAD_OR_AUDITOR, READERS, SECURITY_LEAD, role_required
from grc.audit.services import record_download
from grc.forms import DateInput, StyledForm
from grc.tables import table_page


class AgreementForm(StyledForm):
    signed_on = forms.DateField(label="Signed on", widget=DateInput())
    valid_until = forms.DateField(
        label="Valid until", widget=DateInput(), required=False, help_text="For a fixed-term contract: its last day. Empty: no end."
    )
    reference = forms.CharField(
        label="Where the clause is",
        max_length=200,
        required=False,
        help_text="e.g. Employment contract 2025, clause 12. Needed when no document is attached.",
    )
    document = forms.FileField(label="Signed document", required=False, help_text="PDF, image, DOCX or ODT.")


@role_required(*READERS)
def overview(request):
    """People with PII access, those without an agreement in force first."""
    today = timezone.now().date()
    flagged = set(people_without_agreement(today).values_list("pk", flat=True))
    people = people_with_pii_access().annotate(has_agreement=Exists(current_agreements(today).filter(person=OuterRef("pk"))))
    table = table_page(
        request,
        people,
        sorts={"agreement": ("has_agreement", "person_id"), "person_id": "person_id", "department": "department"},
        default_sort="agreement",
    )
    rows = list(table.rows)
    current: dict[int, ConfidentialityAgreement] = {}
    for agreement in current_agreements(today).filter(person__in=rows).order_by("person_id", "-signed_on"):
        current.setdefault(agreement.person_id, agreement)
    for person in rows:
        person.flagged = person.pk in flagged
        person.agreement = current.get(person.pk)
    context = {
        "table": table,
        "rows": rows,
        "flagged_count": len(flagged),
        "tracked": pii_systems().exists(),
        "can_edit": request.user.is_security_lead,
    }
    return render(request, "access_reviews/confidentiality_overview.html", context)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def agreement_create(request, person_pk: int):
    person, _can_edit = get_person_for(request.user, person_pk)
    form = AgreementForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agreement_record(
                person=person,
                signed_on=data["signed_on"],
                valid_until=data["valid_until"],
                reference=data["reference"],
                document=data["document"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Confidentiality agreement recorded.")
            return redirect("access_reviews:person_detail", pk=person.pk)
    return render(request, "access_reviews/confidentiality_form.html", {"form": form, "person": person})


@role_required(*LEAD_OR_AUDITOR)
def agreement_document(request, pk: int):
    if not reads_everything(request.user):
        raise Http404("Not found")
    agreement = get_object_or_404(ConfidentialityAgreement, pk=pk)
    if not agreement.document:
        raise Http404("No document")
    record_download(request, agreement, what="confidentiality_agreement")
    response = FileResponse(
        agreement.document.open("rb"), as_attachment=True, filename=agreement.document_name, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response

"""CSV import pages: upload → preview (adds, changes, errors by line) → apply or cancel."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from assets.access import get_import_for
from assets.forms.inventory import ApplyForm, UploadForm
from assets.imports import COLUMNS, REQUIRED_COLUMNS, import_apply, import_cancel, import_upload
from assets.models import ImportStatus
from grc.accounts.permissions import SECURITY_LEAD, role_required
from grc.csvio import CsvFileError, csv_response

TEMPLATE_EXAMPLES = [
    {
        "tag": "LT-0101",
        "name": "MacBook Pro 14 (Finance)",
        "kind": "hardware",
        "owner": "",
        "location": "London office",
        "hardware_type": "laptop",
        "ownership": "company",
        "encryption_algorithm": "aes",
        "encryption_key_bits": "256",
        "encryption_detail": "FileVault",
        "anti_malware_present": "yes",
        "anti_malware_updated": "yes",
        "baseline_reference": "CIS macOS 14 L1",
        "baseline_verified_at": "2026-10-01",
        "holds_amazon_information": "yes",
        "holds_pii": "no",
    },
    {
        "tag": "DS-0007",
        "name": "Orders PostgreSQL",
        "kind": "data_store",
        "owner": "",
        "environment": "production",
        "location": "AWS eu-west-1",
        "encryption_algorithm": "aes",
        "encryption_key_bits": "256",
        "holds_amazon_information": "yes",
        "holds_pii": "yes",
        "store_type": "database",
        "attribution": "tagged",
        "pii_retention_days": "30",
        "keys_service_only": "yes",
    },
]


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def import_upload_view(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_upload(filename=upload.name, data=upload.read(), by=request.user, now=timezone.now(), request=request)
        except CsvFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect("assets:import_detail", pk=job.pk)
    return render(request, "assets/import_upload.html", {"form": form, "columns": COLUMNS, "required": REQUIRED_COLUMNS})


@role_required(*SECURITY_LEAD)
def import_template(request):
    """The columns of an import, with two example rows (owner: fill in a username)."""
    rows = [[example.get(column, "") for column in COLUMNS] for example in TEMPLATE_EXAMPLES]
    for row in rows:
        row[COLUMNS.index("owner")] = request.user.username
    return csv_response("assets-template.csv", COLUMNS, rows)


@role_required(*SECURITY_LEAD)
def import_detail(request, pk: int):
    job = get_import_for(request.user, pk)
    errors = Paginator(job.errors, 50).get_page(request.GET.get("page"))
    context = {"job": job, "errors_page": errors, "form": ApplyForm(), "is_preview": job.status == ImportStatus.PREVIEW}
    return render(request, "assets/import_detail.html", context)


@role_required(*SECURITY_LEAD)
@require_POST
def import_apply_view(request, pk: int):
    job = get_import_for(request.user, pk)
    form = ApplyForm(request.POST)
    form.is_valid()
    try:
        job = import_apply(
            job=job, import_good_rows=form.cleaned_data.get("import_good_rows", False), by=request.user, now=timezone.now(), request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("assets:import_detail", pk=job.pk)
    summary = job.summary
    messages.success(request, f"Import applied: {summary.get('adds', 0)} assets added, {summary.get('changes', 0)} changed.")
    return redirect("assets:index")


@role_required(*SECURITY_LEAD)
@require_POST
def import_cancel_view(request, pk: int):
    job = get_import_for(request.user, pk)
    try:
        import_cancel(job=job, by=request.user, now=timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("assets:import_detail", pk=job.pk)
    messages.info(request, "Import cancelled; nothing was written and the uploaded file was discarded.")
    return redirect("assets:index")

"""CSV import pages: upload → map columns (accounts, saved per system) → preview → apply."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from access_reviews.access import get_import_for
from access_reviews.forms import ApplyForm, MappingForm, UploadForm
from access_reviews.imports import people as people_import
from access_reviews.imports.accounts import FIELDS
from access_reviews.imports.jobs import (
    job_cancel,
    job_preview,
    job_request_apply,
    job_set_mapping,
    job_set_preset,
    job_upload,
    unmapped_columns,
)
from access_reviews.imports.presets import PRESETS, preset_for
from access_reviews.models import ImportKind, ImportStatus, System
from grc.accounts.permissions import SECURITY_LEAD, role_required
from grc.csvio import CsvFileError, csv_response


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def import_upload(request, system_pk: int | None = None):
    """Upload accounts of one system (``system_pk``) or the people file (no system)."""
    system = get_object_or_404(System, pk=system_pk) if system_pk else None
    form = UploadForm(request.POST or None, request.FILES or None, accounts=system is not None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = job_upload(
                kind=ImportKind.ACCOUNTS if system else ImportKind.PEOPLE,
                system=system,
                filename=upload.name,
                data=upload.read(),
                by=request.user,
                now=timezone.now(),
                request=request,
                preset=form.cleaned_data.get("preset", ""),
            )
        except CsvFileError as error:
            form.add_error("file", str(error))
        else:
            if job.status == ImportStatus.MAPPING:
                return redirect("access_reviews:import_mapping", pk=job.pk)
            return redirect("access_reviews:import_detail", pk=job.pk)
    context = {
        "form": form,
        "system": system,
        "fields": FIELDS,
        "people_columns": people_import.COLUMNS,
        "saved_mapping": system.column_mapping if system else {},
        "saved_preset": preset_for(system.import_preset) if system else None,
        "presets": PRESETS.values(),
    }
    return render(request, "access_reviews/import_upload.html", context)


@role_required(*SECURITY_LEAD)
def people_template(request):
    """An empty people file with the expected header."""
    example = ["E1001", "First", "Last", "first.last@example.com", "E1000", "Engineering", "employee", "active", "2025-01-06", ""]
    return csv_response("people-template.csv", people_import.COLUMNS, [example])


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def import_mapping(request, pk: int):
    """Say which column holds each field: of an accounts export (saved on the system) or of a
    people export (kept with the job; the next file with the same header reuses it)."""
    job = get_import_for(request.user, pk)
    people = job.kind == ImportKind.PEOPLE
    form = MappingForm(
        request.POST or None, header=job.header, initial_mapping=job.mapping, field_table=people_import.FIELDS if people else FIELDS
    )
    if request.method == "POST" and form.is_valid():
        try:
            job_set_mapping(job=job, mapping=form.mapping(), by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            if people:
                messages.info(request, "Columns matched; the next people file with the same columns uses this mapping directly.")
            else:
                messages.info(request, "Column mapping saved for this system; the next import of it uses it directly.")
            return redirect("access_reviews:import_detail", pk=job.pk)
    return render(request, "access_reviews/import_mapping.html", {"job": job, "form": form, "people": people})


@role_required(*SECURITY_LEAD)
def import_detail(request, pk: int):
    """Checking… / preview with errors by line and adds, changes, removes / the result."""
    job = get_import_for(request.user, pk)
    errors = Paginator(job.errors, 50).get_page(request.GET.get("page"))
    context = {
        "job": job,
        "preview": job_preview(job) if job.status in (ImportStatus.PREVIEW, ImportStatus.APPLIED) else None,
        "errors_page": errors,
        "form": ApplyForm(),
        "working": job.status in (ImportStatus.CHECKING, ImportStatus.APPLYING),
        "preset": preset_for(job.preset),
        # a saved mapping used directly ignores new columns of the export: say so
        "unmapped": unmapped_columns(job) if job.mapping_from == "saved" and job.status == ImportStatus.PREVIEW else [],
    }
    return render(request, "access_reviews/import_detail.html", context)


@role_required(*SECURITY_LEAD)
@require_POST
def import_preset(request, pk: int):
    """The mapping page's "Where does this file come from?": read the file as another source."""
    job = get_import_for(request.user, pk)
    try:
        job_set_preset(job=job, preset=request.POST.get("preset", ""), by=request.user, now=timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("access_reviews:import_detail", pk=job.pk)
    return redirect("access_reviews:import_mapping", pk=job.pk)


@role_required(*SECURITY_LEAD)
@require_POST
def import_apply(request, pk: int):
    job = get_import_for(request.user, pk)
    form = ApplyForm(request.POST)
    form.is_valid()
    try:
        job_request_apply(
            job=job,
            import_good_rows=form.cleaned_data.get("import_good_rows", False),
            confirm_downgrades=form.cleaned_data.get("confirm_downgrades", False),
            by=request.user,
            now=timezone.now(),
            request=request,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("access_reviews:import_detail", pk=job.pk)


@role_required(*SECURITY_LEAD)
@require_POST
def import_cancel(request, pk: int):
    job = get_import_for(request.user, pk)
    try:
        job_cancel(job=job, by=request.user, now=timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("access_reviews:import_detail", pk=job.pk)
    messages.info(request, "Import cancelled; nothing was written and the uploaded file was discarded.")
    return redirect("access_reviews:system_detail", pk=job.system_id) if job.system_id else redirect("access_reviews:person_list")

"""Evidence packs: list, request (built in Celery), progress polling, audited downloads, and the
verify page that says whether an uploaded PDF is a pack the portal issued and whether its signature
is intact (``grc.pdf_signing``)."""

from __future__ import annotations

import io
import zipfile

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from grc.accounts.permissions import LEAD_OR_AUDITOR, role_required
from grc.audit.services import record_view
from grc.evidence.access import auditor_grant_required, get_pack_for, grant_of, visible_packs
from grc.evidence.files import file_response
from grc.evidence.forms import PackForm, VerifyForm
from grc.evidence.models import PackStatus
from grc.evidence.services import packs as services
from grc.evidence.views.common import add_errors
from grc.pdf_signing import SigningNotConfigured, pdf_signature_report, signing_material
from grc.tables import table_page

MANIFEST_ROWS = 50
MAX_PDF_IN_ZIP = 200 * 1024 * 1024  # a pack's PDF is far smaller; a larger member is not read into memory
HTMX_STOP_POLLING = 286  # htmx ends an "every 2s" trigger on this status


@role_required(*LEAD_OR_AUDITOR)
@auditor_grant_required
def pack_list(request):
    table = table_page(
        request,
        visible_packs(request),
        sorts={"requested": "requested_at", "period": ("period_start", "period_end"), "status": "status"},
        default_sort="-requested",
    )
    grant = grant_of(request)
    form = PackForm(today=timezone.localdate(), scope=grant.clauses if grant else None)
    return render(request, "evidence/pack_list.html", {"table": table, "form": form, "evidence_tab": "packs"})


@role_required(*LEAD_OR_AUDITOR)
@auditor_grant_required
@require_http_methods(["GET", "POST"])
def pack_create(request):
    grant = grant_of(request)
    form = PackForm(request.POST or None, today=timezone.localdate(), scope=grant.clauses if grant else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pack = services.pack_request(
                period_start=data["period_start"],
                period_end=data["period_end"],
                clauses=data["clauses"],
                include_zip=data["include_zip"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "The pack is being built. This page shows its progress; you can leave it and come back.")
            return redirect(pack.get_absolute_url())
    return render(request, "evidence/pack_form.html", {"form": form, "evidence_tab": "packs"})


def _manifest_rows(pack) -> list[dict]:
    return list(pack.manifest.get("attachments", []))[:MANIFEST_ROWS]


@role_required(*LEAD_OR_AUDITOR)
@auditor_grant_required
@require_http_methods(["GET", "POST"])
def pack_detail(request, pk: int):
    """The pack's page; a POST builds a failed pack again (the Retry button)."""
    pack = get_pack_for(request, pk)
    if request.method == "POST":
        return _retry(request, pack)
    record_view(request, pack)
    attachments = pack.manifest.get("attachments", [])
    context = {
        "pack": pack,
        "attachments": _manifest_rows(pack),
        "attachment_count": len(attachments),
        "files": sum(1 for item in attachments if item.get("kind") == "file"),
        "mismatched": [item for item in attachments if item.get("matches_record") is False or item.get("missing")],
        "errors": pack.manifest.get("errors", []),
        "unavailable": pack.manifest.get("unavailable", []),
        "may_retry": pack.may_retry(request.user),
        "evidence_tab": "packs",
    }
    return render(request, "evidence/pack_detail.html", context)


def _retry(request, pack):
    try:
        services.pack_retry(pack=pack, by=request.user, now=timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The pack is being built again from the start.")
    return redirect(pack.get_absolute_url())


@role_required(*LEAD_OR_AUDITOR)
@auditor_grant_required
@require_GET
def pack_progress(request, pk: int):
    """The progress panel, polled by the page (htmx) every two seconds while the pack is built;
    once it is ready or failed the answer is 286 (htmx stops polling) and the page reloads itself
    to offer the downloads or the reason and the Retry button. The poll carries ``X-Portal-Poll``,
    so it does not count as activity for the idle timeout (``IdleSessionMiddleware``)."""
    pack = get_pack_for(request, pk)
    # ``polled``: the answer also carries the header's badge (htmx out-of-band), so both stay one state
    context = {"pack": pack, "may_retry": pack.may_retry(request.user), "polled": True}
    response = render(request, "evidence/_pack_progress.html", context)
    if not pack.is_working and request.htmx:
        response.status_code = HTMX_STOP_POLLING
        response["HX-Refresh"] = "true"
    return response


@role_required(*LEAD_OR_AUDITOR)
@auditor_grant_required
@require_GET
def pack_download(request, pk: int, what: str):
    pack = get_pack_for(request, pk)
    if pack.status != PackStatus.READY:
        raise Http404("The pack is not ready.")
    if what == "pdf":
        field, name, content_type = pack.pdf, f"{pack.download_name}.pdf", "application/pdf"
    elif what == "zip" and pack.zip:
        field, name, content_type = pack.zip, f"{pack.download_name}.zip", "application/zip"
    else:
        raise Http404("No such file.")
    services.pack_download_recorded(request, pack, what)
    return file_response(field, name, content_type=content_type)


def _pdf_of_upload(upload) -> bytes:
    """The PDF to check the signature of: the upload itself, or the pack's PDF inside an uploaded
    pack ZIP (``NAME/NAME.pdf``), so that a ZIP an auditor received is checked as far as it can be."""
    upload.seek(0)
    data = upload.read()
    if not data.startswith(b"PK"):
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                folder, _, name = info.filename.partition("/")
                if name == f"{folder}.pdf" and info.file_size <= MAX_PDF_IN_ZIP:
                    return archive.read(info)
    except (zipfile.BadZipFile, OSError, ValueError):
        pass  # a damaged ZIP has no PDF to check: the hash comparison already said it is not ours
    return data


def signing_certificate_fingerprint() -> str:
    """The SHA-256 of this portal's signing certificate, shown so an auditor can compare it with
    the certificate inside a PDF without the portal."""
    try:
        return signing_material().fingerprint
    except SigningNotConfigured:
        return ""


@role_required(*LEAD_OR_AUDITOR)
@auditor_grant_required
@require_http_methods(["GET", "POST"])
def verify(request):
    form = VerifyForm(request.POST or None, request.FILES or None)
    match = signature = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        match = services.pack_verify(upload=upload, by=request.user, now=timezone.now(), request=request)
        signature = pdf_signature_report(_pdf_of_upload(upload))
    context = {
        "form": form,
        "match": match,
        "signature": signature,
        "certificate_sha256": signing_certificate_fingerprint(),
        "evidence_tab": "verify",
    }
    return render(request, "evidence/verify.html", context)

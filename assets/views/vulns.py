"""Vulnerability management pages (DPP 2.7): the overview with the 180/365-day clocks, scans,
penetration tests, release code scans, findings, and the audited report downloads."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from assets.access import get_finding_for, get_pentest_for, get_release_for, get_scan_for, is_lead
from assets.files import file_response
from assets.filters import FindingFilter
from assets.forms.vulns import (
    FindingForm,
    FindingResolveForm,
    PentestForm,
    ReleaseForm,
    ReleaseResultForm,
    ReportUploadForm,
    ScanForm,
    ScanImportForm,
    TargetAssignForm,
    active_assets,
)
from assets.models import (
    Finding,
    FindingStatus,
    PenetrationTest,
    ReleaseScan,
    ScanImportJob,
    ScanImportStatus,
    ScanResult,
    VulnerabilityScan,
)
from assets.scanners import FORMATS
from assets.services import scan_import as importer
from assets.services import scan_import_jobs as import_jobs
from assets.services import vulns
from assets.services.programme import PENTEST, SCAN
from assets.views.common import add_errors
from grc.accounts.permissions import READERS, SECURITY_LEAD, deny, role_required
from grc.audit.services import record_download, record_view
from grc.compliance.services import open_obligation
from grc.tables import table_page

REPORT_MODELS: dict[str, type[VulnerabilityScan] | type[PenetrationTest] | type[ReleaseScan]] = {
    "scan": VulnerabilityScan,
    "pentest": PenetrationTest,
    "release": ReleaseScan,
}


@role_required(*READERS)
def overview(request):
    now = timezone.now()
    findings = Finding.objects.aggregate(
        open=Count("pk", filter=Q(status=FindingStatus.OPEN)),
        overdue=Count("pk", filter=Q(status=FindingStatus.OPEN, due_at__lte=now)),
        critical=Count("pk", filter=Q(status=FindingStatus.OPEN, severity="critical")),
        high=Count("pk", filter=Q(status=FindingStatus.OPEN, severity="high")),
    )
    context = {
        "scan_obligation": open_obligation(SCAN, None),
        "pentest_obligation": open_obligation(PENTEST, None),
        "scans": VulnerabilityScan.objects.order_by("-performed_at")[:5],
        "pentests": PenetrationTest.objects.order_by("-performed_at")[:5],
        "releases": ReleaseScan.objects.select_related("owner").order_by("-release_date")[:8],
        "open_findings": Finding.objects.filter(status=FindingStatus.OPEN).select_related("owner", "asset").order_by("due_at")[:10],
        "finding_counts": findings,
        "can_edit": is_lead(request.user),
        "now": now,
    }
    return render(request, "assets/vulns_overview.html", context)


def _record_form(request, form_class, title: str, service, template: str = "assets/record_form.html", **extra):
    form = form_class(
        request.POST or None, request.FILES or None, initial={"performed_at": timezone.localtime().replace(second=0, microsecond=0)}
    )
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields if name != "assets"}
        try:
            record = service(
                data=data,
                assets=form.cleaned_data.get("assets") or [],
                report=form.cleaned_data.get("report_file"),
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{title} recorded.")
            return redirect(record.get_absolute_url())
    return render(request, template, {"form": form, "title": title, "multipart": True, **extra})


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def scan_create(request):
    return _record_form(request, ScanForm, "Vulnerability scan", vulns.scan_record)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def pentest_create(request):
    return _record_form(request, PentestForm, "Penetration test", vulns.pentest_record)


def _with_findings(record, kind: str, can_edit: bool, request):
    record_view(request, record)
    return {
        "record": record,
        "kind": kind,
        "can_edit": can_edit,
        "findings": record.findings.select_related("owner", "asset").order_by("status", "due_at"),
        "assets_in_scope": record.assets.order_by("tag") if hasattr(record, "assets") and kind != "release" else [],
        "report_form": ReportUploadForm(),
        "now": timezone.now(),
    }


def _scan_context(scan: VulnerabilityScan, can_edit: bool, request) -> dict:
    """A scan's page: the findings it raised, reported again, or closed as fixed by absence."""
    context = _with_findings(scan, "scan", can_edit, request)
    context["findings"] = (
        Finding.objects.filter(Q(scan=scan) | Q(last_seen_scan=scan) | Q(fixed_by_scan=scan))
        .select_related("owner", "asset")
        .order_by("status", "due_at", "pk")
    )
    context["assignable_assets"] = active_assets() if can_edit and scan.unmatched_targets else []
    return {**context, "title": "Vulnerability scan"}


@role_required(*READERS)
def scan_detail(request, pk: int):
    scan, can_edit = get_scan_for(request.user, pk)
    return render(request, "assets/scan_detail.html", _scan_context(scan, can_edit, request))


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def scan_import(request):
    """Upload a scanner's report (issue 24): the page checks the file's size and format, the
    import itself runs in Celery (``assets.services.scan_import_jobs``) and the job page follows it."""
    form = ScanImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = import_jobs.scan_import_request(
            upload=form.cleaned_data["file"],
            format=form.cleaned_data["format"],
            scope=form.cleaned_data["scope"],
            full_scope=form.cleaned_data["full_scope"],
            assets=list(form.cleaned_data["assets"] or []),
            by=request.user,
            now=timezone.now(),
            request=request,
        )
        return redirect(job.get_absolute_url())
    how = [(label, how_to) for label, _module, how_to in FORMATS.values()]
    status = 400 if request.method == "POST" else 200
    return render(request, "assets/scan_import.html", {"form": form, "how_to_export": how}, status=status)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET"])
def scan_import_job(request, pk: int):
    """An import in Celery: "Importing …" (the page refreshes itself), then the scan with what the
    import did, or the parser's message and the word that nothing was written."""
    job = get_object_or_404(ScanImportJob.objects.select_related("scan", "created_by"), pk=pk)
    if job.status == ScanImportStatus.DONE and job.scan is not None:
        (messages.info if job.summary.get("already_imported") else messages.success)(request, import_jobs.summary_words(job.summary))
        return redirect(job.scan.get_absolute_url())
    return render(request, "assets/scan_import_job.html", {"job": job, "working": job.working})


@role_required(*SECURITY_LEAD)
@require_POST
def scan_target_assign(request, pk: int):
    """The lead says which asset an unmatched target of an imported scan is."""
    scan, _can_edit = get_scan_for(request.user, pk)
    form = TargetAssignForm(request.POST)
    if form.is_valid():
        try:
            count = importer.scan_target_assign(
                scan=scan,
                target=form.cleaned_data["target"],
                asset=form.cleaned_data["asset"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{count} finding(s) now on {form.cleaned_data['asset'].tag}.")
    else:
        messages.error(request, "Choose the asset for this target.")
    return redirect(scan.get_absolute_url())


@role_required(*READERS)
def pentest_detail(request, pk: int):
    test, can_edit = get_pentest_for(request.user, pk)
    return render(request, "assets/scan_detail.html", {**_with_findings(test, "pentest", can_edit, request), "title": "Penetration test"})


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def release_create(request):
    form = ReleaseForm(request.POST or None, request.FILES or None, initial={"owner": request.user.pk, "result": ScanResult.PENDING})
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            release = vulns.release_create(
                data=data, report=form.cleaned_data.get("report_file"), by=request.user, now=timezone.now(), request=request
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Release {release} recorded.")
            return redirect(release.get_absolute_url())
    return render(request, "assets/record_form.html", {"form": form, "title": "Release code scan", "multipart": True})


@role_required(*READERS)
def release_detail(request, pk: int):
    release, can_edit = get_release_for(request.user, pk)
    context = _with_findings(release, "release", can_edit, request)
    context["result_form"] = ReleaseResultForm(
        instance=release, initial={"scanned_at": timezone.localtime().replace(second=0, microsecond=0)}
    )
    return render(request, "assets/release_detail.html", context)


@role_required(*SECURITY_LEAD)
@require_POST
def release_result(request, pk: int):
    release, _can_edit = get_release_for(request.user, pk)
    form = ReleaseResultForm(request.POST, request.FILES, instance=ReleaseScan.objects.get(pk=release.pk))
    if form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            vulns.release_record_result(
                release=release,
                data=data,
                report=form.cleaned_data.get("report_file"),
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Scan result recorded.")
            return redirect(release.get_absolute_url())
    context = _with_findings(release, "release", True, request)
    context["result_form"] = form
    return render(request, "assets/release_detail.html", context, status=400)


@role_required(*SECURITY_LEAD)
@require_POST
def report_upload(request, kind: str, pk: int):
    model = REPORT_MODELS.get(kind)
    if model is None:
        raise Http404("No such record")
    # one of the three report models (mypy joins the union of classes to their abstract base)
    record = cast("VulnerabilityScan | PenetrationTest | ReleaseScan", get_object_or_404(model, pk=pk))
    form = ReportUploadForm(request.POST, request.FILES)
    if form.is_valid():
        vulns.attach_record_report(
            record=record, report=form.cleaned_data["report_file"], by=request.user, now=timezone.now(), request=request
        )
        messages.success(request, "Report stored with its SHA-256.")
    else:
        messages.error(request, " ".join(str(e) for e in form.errors.get("report_file", ["Choose a report file."])))
    return redirect(record.get_absolute_url())


@role_required(*READERS)
def report_download(request, kind: str, pk: int):
    """A scan, test or release-scan report: only through this view, and audited."""
    model = REPORT_MODELS.get(kind)
    if model is None:
        raise Http404("No such report")
    record = get_object_or_404(model, pk=pk)
    if not record.report:
        raise Http404("No report stored")
    record_download(request, record, what="report")
    return file_response(record.report, record.report_name or f"{kind}-report-{record.pk}")


# --- findings --------------------------------------------------------------------------------
@role_required(*READERS)
def finding_list(request):
    table = table_page(
        request,
        Finding.objects.select_related("owner", "asset", "scan", "pentest", "release_scan"),
        sorts={"due": "due_at", "severity": ("severity", "due_at"), "title": "title", "status": ("status", "due_at"), "found": "found_at"},
        default_sort="due",
        filterset_class=FindingFilter,
    )
    return render(request, "assets/finding_list.html", {"table": table, "can_edit": is_lead(request.user), "now": timezone.now()})


def _source_from(request) -> dict:
    """The scan, test or release a new finding comes from (``?scan=3``)."""
    for param, field, model in (
        ("scan", "scan", VulnerabilityScan),
        ("pentest", "pentest", PenetrationTest),
        ("release", "release_scan", ReleaseScan),
    ):
        value = request.GET.get(param) or request.POST.get(param)
        if value and value.isdigit():
            return {field: get_object_or_404(model, pk=int(value))}
    return {}


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def finding_create(request):
    source = _source_from(request)
    initial = {"owner": request.user.pk, "found_at": timezone.localtime().replace(second=0, microsecond=0)}
    form = FindingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {**{name: form.cleaned_data[name] for name in form.Meta.fields}, **source}
        try:
            finding = vulns.finding_create(data=data, by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Finding recorded; due {finding.due_at:%d %b %Y}.")
            return redirect(next(iter(source.values())).get_absolute_url() if source else finding.get_absolute_url())
    source_record = next(iter(source.values()), None)
    return render(request, "assets/record_form.html", {"form": form, "title": "Finding", "source": source_record, "multipart": False})


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def finding_edit(request, pk: int):
    """Change an open finding; a new severity or discovery time re-dates it."""
    finding, can_resolve = get_finding_for(request.user, pk)
    if not can_resolve:
        raise deny(request, "finding resolved")
    form = FindingForm(request.POST or None, instance=finding)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            changed = vulns.finding_update(finding=finding, data=data, by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Changes saved." if changed else "Nothing changed.")
            return redirect(finding.get_absolute_url())
    return render(
        request, "assets/record_form.html", {"form": form, "title": f"Edit finding: {finding.title}", "source": finding, "multipart": False}
    )


@role_required(*READERS)
def finding_detail(request, pk: int):
    finding, can_resolve = get_finding_for(request.user, pk)
    record_view(request, finding)
    context = {"finding": finding, "can_resolve": can_resolve, "form": FindingResolveForm(), "now": timezone.now()}
    return render(request, "assets/finding_detail.html", context)


@role_required(*SECURITY_LEAD)
@require_POST
def finding_resolve(request, pk: int):
    finding, can_resolve = get_finding_for(request.user, pk)
    form = FindingResolveForm(request.POST)
    if form.is_valid():
        try:
            vulns.finding_resolve(
                finding=finding,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Finding resolved.")
            return redirect(finding.get_absolute_url())
    context = {"finding": finding, "can_resolve": can_resolve, "form": form, "now": timezone.now()}
    return render(request, "assets/finding_detail.html", context, status=400)

"""Audits and findings (DPP 3): record audits, findings with agreed dates, remediation evidence,
the auditor's written approval, and close the audit (step-up MFA)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grc.accounts.permissions import EVERYONE, READERS, SECURITY_LEAD, WORKFORCE, deny, role_required
from grc.accounts.stepup import step_up_required
from grc.audit.services import record_download, record_view
from grc.evidence.access import auditor_grant_required, get_audit_for, get_finding_for, visible_audits
from grc.evidence.files import file_response
from grc.evidence.forms import ApprovalForm, AuditForm, EvidenceForm, FindingForm, RemediateForm, ReopenForm
from grc.evidence.models import AuditApproval, FindingStatus, RemediationEvidence
from grc.evidence.services import audits as services
from grc.evidence.views.common import add_errors
from grc.tables import table_page


@role_required(*READERS)
@auditor_grant_required
def audit_list(request):
    audits = visible_audits(request).annotate(
        n_findings=Count("findings", distinct=True),
        n_open=Count("findings", filter=Q(findings__status=FindingStatus.OPEN), distinct=True),
    )
    table = table_page(request, audits, sorts={"starts": "starts_on", "title": "title", "status": "status"}, default_sort="-starts")
    context = {"table": table, "can_edit": request.user.is_security_lead, "evidence_tab": "audits"}
    return render(request, "evidence/audit_list.html", context)


def _form_page(request, form, *, title: str, intro: str, submit: str, cancel_url: str, cancel_args=(), multipart: bool = False):
    context = {
        "form": form,
        "title": title,
        "intro": intro,
        "submit": submit,
        "cancel_url": cancel_url,
        "cancel_args": cancel_args,
        "multipart": multipart,
        "evidence_tab": "audits",
    }
    return render(request, "evidence/form_page.html", context)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def audit_create(request):
    form = AuditForm(request.POST or None, initial={"starts_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            audit = services.audit_create(data=form.cleaned_data, by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Audit recorded. Add its findings as the auditor reports them.")
            return redirect(audit.get_absolute_url())
    intro = "An audit or assessment by Amazon, a firm Amazon selected, or your own (DPP 3)."
    return _form_page(request, form, title="Record an audit", intro=intro, submit="Save", cancel_url="evidence:audit_list")


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def audit_edit(request, pk: int):
    audit, _can_edit = get_audit_for(request, pk)
    if audit.is_closed:
        raise deny(request, "audit closed")
    form = AuditForm(request.POST or None, instance=audit, initial={"clauses": audit.clauses})
    if request.method == "POST" and form.is_valid():
        try:
            services.audit_update(audit=audit, data=form.cleaned_data, by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Changes saved.")
            return redirect(audit.get_absolute_url())
    return _form_page(
        request, form, title=f"Edit {audit.title}", intro="", submit="Save", cancel_url="evidence:audit_detail", cancel_args=(audit.pk,)
    )


@role_required(*READERS)
@auditor_grant_required
def audit_detail(request, pk: int):
    audit, can_edit = get_audit_for(request, pk)
    record_view(request, audit)
    findings = list(audit.findings.select_related("owner").annotate(n_evidence=Count("evidence")).order_by("number"))
    approvals = list(audit.approvals.select_related("recorded_by"))
    context = {
        "audit": audit,
        "findings": findings,
        "approvals": approvals,
        "can_edit": can_edit and not audit.is_closed,
        "problems": services.closure_problems(audit) if not audit.is_closed else [],
        "all_remediated": all(not finding.is_open for finding in findings),
        "now": timezone.now(),
        "evidence_tab": "audits",
    }
    return render(request, "evidence/audit_detail.html", context)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def finding_create(request, pk: int):
    audit, _can_edit = get_audit_for(request, pk)
    if audit.is_closed:
        raise deny(request, "audit closed")
    form = FindingForm(request.POST or None, initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            finding = services.finding_create(audit=audit, data=form.cleaned_data, by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Finding {finding.reference} recorded: its owner has until the agreed date to remediate it.")
            return redirect(audit.get_absolute_url())
    intro = "A deficiency the auditor reported, the remediation action, its owner and the due date agreed with the auditor."
    return _form_page(
        request,
        form,
        title=f"Add a finding to {audit.title}",
        intro=intro,
        submit="Add the finding",
        cancel_url="evidence:audit_detail",
        cancel_args=(audit.pk,),
    )


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def finding_edit(request, pk: int):
    finding, can_work = get_finding_for(request, pk)
    if not can_work or not finding.is_open:
        raise deny(request, "finding not editable")
    form = FindingForm(request.POST or None, instance=finding)
    if request.method == "POST" and form.is_valid():
        try:
            services.finding_update(finding=finding, data=form.cleaned_data, by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Changes saved.")
            return redirect(finding.get_absolute_url())
    return _form_page(
        request,
        form,
        title=f"Edit {finding.reference}",
        intro="",
        submit="Save",
        cancel_url="evidence:finding_detail",
        cancel_args=(finding.pk,),
    )


@role_required(*EVERYONE)
@auditor_grant_required
def finding_detail(request, pk: int):
    finding, can_work = get_finding_for(request, pk)
    record_view(request, finding)
    context = {
        "finding": finding,
        "evidence": list(finding.evidence.select_related("uploaded_by")),
        "can_work": can_work and finding.is_open,
        "can_reopen": request.user.is_security_lead and finding.status == FindingStatus.REMEDIATED and not finding.audit.is_closed,
        "evidence_form": EvidenceForm(),
        "remediate_form": RemediateForm(),
        "reopen_form": ReopenForm(),
        "now": timezone.now(),
        "evidence_tab": "audits",
    }
    return render(request, "evidence/finding_detail.html", context)


@role_required(*WORKFORCE)
@require_POST
def evidence_upload(request, pk: int):
    finding, can_work = get_finding_for(request, pk)
    if not can_work:
        raise deny(request, "not the finding's owner")
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.evidence_add(
                finding=finding,
                upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except PermissionDenied:
            raise deny(request, "not the finding's owner")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Evidence attached.")
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(finding.get_absolute_url())


@role_required(*WORKFORCE)
@require_POST
def finding_remediate(request, pk: int):
    finding, can_work = get_finding_for(request, pk)
    if not can_work:
        raise deny(request, "not the finding's owner")
    form = RemediateForm(request.POST)
    if form.is_valid():
        try:
            services.finding_remediate(
                finding=finding, note=form.cleaned_data["note"], by=request.user, now=timezone.now(), request=request
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Marked remediated. The security lead submits the evidence to the auditor for approval.")
    else:
        messages.error(request, "Say what was done.")
    return redirect(finding.get_absolute_url())


@role_required(*SECURITY_LEAD)
@require_POST
def finding_reopen(request, pk: int):
    finding, _can_work = get_finding_for(request, pk)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.finding_reopen(
                finding=finding,
                due_on=form.cleaned_data["due_on"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Finding reopened with the new agreed date.")
    else:
        messages.error(request, "Give the new agreed date and why the evidence was not accepted.")
    return redirect(finding.get_absolute_url())


@role_required(*EVERYONE)
@auditor_grant_required
@require_GET
def evidence_download(request, pk: int):
    item = get_object_or_404(RemediationEvidence.objects.select_related("finding"), pk=pk)
    get_finding_for(request, item.finding_id)
    record_download(request, item, what="remediation_evidence")
    return file_response(item.file, item.original_name)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def approval_create(request, pk: int):
    audit, _can_edit = get_audit_for(request, pk)
    if audit.is_closed:
        raise deny(request, "audit closed")
    form = ApprovalForm(request.POST or None, request.FILES or None, initial={"approver_organisation": audit.auditor_organisation})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.approval_record(audit=audit, data=data, upload=data["document"], by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "The auditor's written approval is recorded. You can close the audit.")
            return redirect(audit.get_absolute_url())
    intro = "DPP 3: obtain written approval on the submitted remediation evidence before the audit is closed. Attach it as received."
    return _form_page(
        request,
        form,
        title=f"Record the auditor's approval: {audit.title}",
        intro=intro,
        submit="Record the approval",
        cancel_url="evidence:audit_detail",
        cancel_args=(audit.pk,),
        multipart=True,
    )


@role_required(*READERS)
@auditor_grant_required
@require_GET
def approval_download(request, pk: int):
    approval = get_object_or_404(AuditApproval, pk=pk)
    get_audit_for(request, approval.audit_id)
    record_download(request, approval, what="audit_approval")
    return file_response(approval.document, approval.original_name)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def audit_close(request, pk: int):
    audit, _can_edit = get_audit_for(request, pk)
    return _audit_close(request, audit)


@step_up_required
def _audit_close(request, audit):
    if request.method == "POST":
        try:
            services.audit_close(audit=audit, by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            for problem in error.messages:
                messages.error(request, problem)
        else:
            messages.success(request, "Audit closed.")
        return redirect(audit.get_absolute_url())
    context = {"audit": audit, "problems": services.closure_problems(audit), "evidence_tab": "audits"}
    return render(request, "evidence/audit_close.html", context)

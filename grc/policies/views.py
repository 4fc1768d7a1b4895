"""Pages of the policy library: index, document, versions, approval, signed reviews, major changes.

Views stay thin: access helpers say who may do what, services do the writes and the audit.
Approving a version and signing a review need a fresh one-time code (step-up MFA).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from grc.accounts import mfa
from grc.accounts.models import Role
from grc.accounts.permissions import EVERYONE, LEAD_OR_MANAGER, SECURITY_LEAD, deny, role_required
from grc.accounts.stepup import step_up_required, step_up_time
from grc.accounts.views import locked_context
from grc.audit.services import record_view
from grc.compliance.cadences import cadence_for
from grc.compliance.services import obligations_for
from grc.forms import add_errors
from grc.policies import services
from grc.policies.access import get_document_for, get_version_for
from grc.policies.acknowledgements import WORKFORCE_ROLES, pending_for
from grc.policies.catalogue import document_types_ensure
from grc.policies.forms import ApproveForm, DocumentForm, MajorChangeForm, ReviewForm, VersionForm
from grc.policies.models import Acknowledgement, Document, DocumentType, MajorChange, VersionStatus
from grc.policies.rules import acknowledgement_counts, format_number, review_state
from grc.policies.selectors import library


def _acknowledgement_counts(version_ids: list[int], now) -> dict[int, dict[str, int]]:
    """Per version: asked / done / outstanding / overdue (one query)."""
    rows: dict[int, list] = {}
    for version_id, *states in Acknowledgement.objects.filter(version_id__in=version_ids).values_list(
        "version_id", "acknowledged_at", "waived_at", "due_at"
    ):
        rows.setdefault(version_id, []).append(tuple(states))
    return {version_id: acknowledgement_counts(states, now) for version_id, states in rows.items()}


@role_required(*EVERYONE)
def index(request):
    now = timezone.now()
    documents = list(library())
    counts = _acknowledgement_counts([d.current_version_id for d in documents if d.current_version_id], now)
    for document in documents:
        warning = cadence_for(document.type.review_kind).warning
        shown = cast(Any, document)  # the two template-only attributes are not model fields
        shown.review_state = review_state(due_at=document.review_due_at, warning=warning, now=now)
        shown.ack_counts = counts.get(document.current_version_id) if document.current_version_id else None
    missing_types = list(DocumentType.objects.filter(document__isnull=True))
    context = {
        "documents": documents,
        "now": now,
        "types_without_document": len(missing_types),
        "missing_types": missing_types,
        "can_edit": request.user.is_security_lead,
        "to_acknowledge": pending_for(request.user, now),
    }
    return render(request, "policies/index.html", context)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def document_create(request):
    document_types_ensure()  # the built-in types exist even on a database made without migrations' data
    initial = {"owner": request.user, "approver": request.user}
    chosen = DocumentType.objects.filter(code=request.GET.get("type", ""), document__isnull=True).first()
    if chosen is not None:
        initial.update({"type": chosen.pk, "title": chosen.name})
    form = DocumentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = services.document_create(
                type=data["type"],
                title=data["title"],
                owner=data["owner"],
                approver=data["approver"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Document created with a first draft: write its sections, then ask the approver to approve it.")
            return redirect("policies:version_edit", document.versions.get().pk)
    return render(request, "policies/document_form.html", {"form": form})


@role_required(*EVERYONE)
def document_detail(request, pk: int):
    document, access = get_document_for(request.user, pk)
    record_view(request, document)
    now = timezone.now()
    versions = list(document.versions.select_related("approved_by", "created_by"))
    draft = next((v for v in versions if v.status == VersionStatus.DRAFT), None)
    context = {
        "document": document,
        "access": access,
        "now": now,
        "versions": versions,
        "draft": draft,
        "draft_missing": services.version_missing_parts(draft) if draft else [],
        "reviews": list(document.reviews.select_related("reviewer", "version")[:50]),
        "changes": list(document.major_changes.select_related("logged_by", "review")[:50]),
        "obligations": list(obligations_for(document).filter(completed_at__isnull=True)),
        "review_state": review_state(due_at=document.review_due_at, warning=cadence_for(document.type.review_kind).warning, now=now),
        "ack_counts": _acknowledgement_counts([document.current_version_id], now).get(document.current_version_id)
        if document.current_version_id
        else None,
        "values": _values(document.type, document.current_version) if document.current_version else [],
    }
    return render(request, "policies/document_detail.html", context)


def _values(type_, version) -> list[tuple[dict, str]]:
    """(field definition, the version's value in words) for each numeric field of the type."""
    return [(entry, format_number(version.values.get(entry["key"]))) for entry in type_.fields]


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def document_edit(request, pk: int):
    document, access = get_document_for(request.user, pk)
    form = DocumentForm(request.POST or None, instance=Document.objects.get(pk=document.pk))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.document_update(
            document=document,
            title=data["title"],
            owner=data["owner"],
            approver=data["approver"],
            by=request.user,
            now=timezone.now(),
            request=request,
        )
        messages.success(request, "Document saved.")
        return redirect(document)
    return render(request, "policies/document_form.html", {"form": form, "document": document})


@role_required(*SECURITY_LEAD)
@require_POST
def version_create(request, pk: int):
    document, access = get_document_for(request.user, pk)
    draft = services.version_draft_create(document=document, by=request.user, now=timezone.now(), request=request)
    return redirect("policies:version_edit", draft.pk)


@role_required(*EVERYONE)
def version_detail(request, pk: int):
    version, access = get_version_for(request.user, pk)
    record_view(request, version)
    type_ = version.document.type
    sections = [(s, version.sections.get(s["key"], "")) for s in type_.sections]
    lists = [(e, version.lists.get(e["key"], [])) for e in type_.lists]
    now = timezone.now()
    in_force = version.pk == version.document.current_version_id
    context = {
        "version": version,
        "document": version.document,
        "access": access,
        "sections": sections,
        "lists": lists,
        "values": _values(type_, version),
        "missing": services.version_missing_parts(version) if version.is_draft else [],
        "now": now,
        "in_force": in_force,
        **_acknowledgement_context(request.user, version, in_force, now),
    }
    return render(request, "policies/version_detail.html", context)


def _acknowledgement_context(user, version, in_force: bool, now) -> dict:
    """The acknowledgement panel: the reader's own state, and for those who read everything the
    counts and the people still to acknowledge."""
    if not version.requires_acknowledgement or version.is_draft:
        return {}
    mine = Acknowledgement.objects.filter(version=version, user=user).first()
    context: dict[str, Any] = {
        "my_ack": mine,
        "may_acknowledge": in_force and user.role in WORKFORCE_ROLES and (mine is None or mine.acknowledged_at is None),
    }
    if user.role != Role.STAFF:
        rows = list(version.acknowledgements.select_related("user").order_by("acknowledged_at", "due_at", "user__last_name"))
        context["ack_counts"] = acknowledgement_counts([(a.acknowledged_at, a.waived_at, a.due_at) for a in rows], now)
        context["ack_outstanding"] = [a for a in rows if a.is_outstanding][:100]
    return context


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def version_edit(request, pk: int):
    version, access = get_version_for(request.user, pk)
    if not version.is_draft:
        raise deny(request, "approved versions are not edited")
    form = VersionForm(request.POST or None, request.FILES or None, version=version)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.version_update(
                version=version,
                sections=form.section_values,
                lists=form.list_values,
                change_summary=form.cleaned_data["change_summary"],
                by=request.user,
                now=timezone.now(),
                request=request,
                values=form.field_values,
                requires_acknowledgement=form.cleaned_data["requires_acknowledgement"],
                upload=form.cleaned_data.get("file"),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            missing = services.version_missing_parts(version)
            if missing:
                messages.warning(request, f"Draft saved. Before it can be approved, fill in: {', '.join(missing)}.")
            else:
                messages.success(request, "Draft saved. Every required section is filled in: the approver can approve it.")
            return redirect(version)
    return render(request, "policies/version_form.html", {"form": form, "version": version, "document": version.document})


@role_required(*LEAD_OR_MANAGER)
@step_up_required
@require_http_methods(["GET", "POST"])
def version_approve(request, pk: int):
    version, access = get_version_for(request.user, pk)
    if not access.can_sign:
        raise deny(request, "not the approver")
    form = ApproveForm(request.POST or None)
    missing = services.version_missing_parts(version) if version.is_draft else []
    if request.method == "POST" and form.is_valid():
        try:
            services.version_approve(
                version=version, by=request.user, step_up_at=step_up_time(request), now=timezone.now(), request=request
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            asked = " Every active member of staff is asked to acknowledge it." if version.requires_acknowledgement else ""
            messages.success(request, f"Version {version.number} approved: it is now the version in force.{asked}")
            return redirect(version.document)
    return render(request, "policies/approve.html", {"form": form, "version": version, "document": version.document, "missing": missing})


@role_required(*LEAD_OR_MANAGER)
@require_http_methods(["GET", "POST"])
def review_sign(request, pk: int):
    """Sign a periodic review. The one-time code is a field of the form (one step): it is checked
    by the step-up's own rules (``mfa.step_up_with_code``); a wrong code saves nothing."""
    document, access = get_document_for(request.user, pk)
    if not access.can_sign:
        raise deny(request, "not the approver")
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        checked = mfa.step_up_with_code(request, request.user, form.cleaned_data["code"], where="policy review")
        if checked == "locked":
            auth_logout(request)
            return render(request, "accounts/locked.html", locked_context(), status=429)
        if checked != "accepted":
            form.add_error("code", "That code is not valid.")
            return _review_form(request, form, document)
        step_up_at = step_up_time(request)
        assert step_up_at is not None  # step_up_with_code marked it just now
        try:
            review = services.document_review_sign(
                document=document,
                reviewer=request.user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                step_up_at=step_up_at,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            if review.outcome == "new_version":
                messages.success(request, "Review signed. A new draft was started from the version in force for the changes.")
            else:
                messages.success(request, f"Review signed. The next review is due in {document.type.review_period_months} months.")
            return redirect(document)
    return _review_form(request, form, document)


def _review_form(request, form: ReviewForm, document: Document):
    open_changes = document.major_changes.filter(review__isnull=True).select_related("logged_by")
    return render(request, "policies/review_form.html", {"form": form, "document": document, "open_changes": open_changes})


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def major_change_create(request):
    initial = {}
    if request.GET.get("document"):
        initial["document"] = request.GET["document"]
    form = MajorChangeForm(request.POST or None, initial=initial)
    documents = cast(forms.ModelChoiceField, form.fields["document"]).queryset  # set by the form: never None
    if documents is None or not documents.exists():
        messages.info(request, "Create the incident response plan first: major changes open reviews of it.")
        return redirect("policies:index")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = services.major_change_log(
                document=data["document"],
                summary=data["summary"],
                category=data["category"],
                changed_at=data["changed_at"],
                systems=data["systems"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                f"Major change logged. A review of the {change.document.type.name.lower()} is due by {timezone.localtime(change.review_due_at):%d %b %Y}.",
            )
            return redirect(change.document)
    return render(request, "policies/major_change_form.html", {"form": form, "days": services.major_change_review_days()})


@role_required(*EVERYONE)
def major_change_list(request):
    changes = MajorChange.objects.select_related("document__type", "logged_by", "review").order_by("-changed_at", "-id")[:200]
    return render(request, "policies/major_changes.html", {"changes": changes, "now": timezone.now()})

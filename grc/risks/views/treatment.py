"""Treatment plans: actions (add, complete, cancel) and acceptances (ask, decide with step-up MFA)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from grc.accounts.permissions import LEAD_OR_MANAGER, deny, role_required
from grc.accounts.stepup import step_up_required
from grc.risks import rules
from grc.risks.access import get_acceptance_for, get_action_for, get_risk_for
from grc.risks.forms import AcceptanceDecisionForm, AcceptanceRequestForm, ActionCloseForm, ActionForm
from grc.risks.models import AcceptanceStatus
from grc.risks.services import treatment as service
from grc.risks.views.common import add_errors, error_text, step_up_time


@role_required(*LEAD_OR_MANAGER)
@require_http_methods(["GET", "POST"])
def action_create(request, pk: int):
    risk, access = get_risk_for(request.user, pk)
    if not access.can_edit:
        raise deny(request, "not the risk's owner")
    form = ActionForm(request.POST or None, initial={"owner": risk.owner})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            service.action_add(
                risk=risk,
                title=data["title"],
                owner=data["owner"],
                due_at=data["due_at"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Action added to the treatment plan. Its owner is reminded before it is due.")
            return redirect("risks:detail", pk=risk.pk)
    return render(request, "risks/action_form.html", {"form": form, "risk": risk})


def _close_action(request, pk: int, *, cancel: bool):
    action, may = get_action_for(request.user, pk)
    if not may:
        raise deny(request, "not the action's owner")
    form = ActionCloseForm(request.POST)
    form.is_valid()
    note = form.cleaned_data.get("note", "")
    try:
        if cancel:
            service.action_cancel(action=action, note=note, by=request.user, now=timezone.now(), request=request)
        else:
            service.action_complete(action=action, note=note, by=request.user, now=timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, "Action cancelled." if cancel else "Action marked as done.")
    return redirect("risks:detail", pk=action.risk_id)


@role_required(*LEAD_OR_MANAGER)
@require_POST
def action_complete(request, pk: int):
    return _close_action(request, pk, cancel=False)


@role_required(*LEAD_OR_MANAGER)
@require_POST
def action_cancel(request, pk: int):
    return _close_action(request, pk, cancel=True)


@role_required(*LEAD_OR_MANAGER)
@require_http_methods(["GET", "POST"])
def acceptance_request(request, pk: int):
    risk, access = get_risk_for(request.user, pk)
    if not access.can_edit:
        raise deny(request, "not the risk's owner")
    form = AcceptanceRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service.acceptance_request(
                risk=risk,
                rationale=form.cleaned_data["rationale"],
                expires_at=form.cleaned_data["expires_on"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "expires_at" in error.error_dict:
                error.error_dict["expires_on"] = error.error_dict.pop("expires_at")
            add_errors(form, error)
        else:
            messages.success(request, "Acceptance requested: a manager or security lead other than you approves it with a one-time code.")
            return redirect("risks:detail", pk=risk.pk)
    return render(request, "risks/acceptance_form.html", {"form": form, "risk": risk, "max_months": rules.MAX_ACCEPTANCE_MONTHS})


@role_required(*LEAD_OR_MANAGER)
@step_up_required
@require_http_methods(["GET", "POST"])
def acceptance_decide(request, pk: int):
    acceptance, may = get_acceptance_for(request.user, pk)
    if not may:
        raise deny(request, "the requester cannot approve their own acceptance")
    if acceptance.status != AcceptanceStatus.PENDING:
        messages.info(request, "This acceptance has already been decided.")
        return redirect("risks:detail", pk=acceptance.risk_id)
    form = AcceptanceDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            service.acceptance_decide(
                acceptance=acceptance,
                approve=approve,
                note=form.cleaned_data["note"],
                by=request.user,
                step_up_at=step_up_time(request),
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            if approve:
                messages.success(
                    request,
                    f"Acceptance approved until {timezone.localtime(acceptance.expires_at):%d %b %Y}; "
                    "the owner is reminded to revisit it before then.",
                )
            else:
                messages.success(request, "Acceptance rejected: the risk needs another treatment.")
            return redirect("risks:detail", pk=acceptance.risk_id)
    return render(request, "risks/acceptance_decide.html", {"form": form, "acceptance": acceptance, "risk": acceptance.risk})

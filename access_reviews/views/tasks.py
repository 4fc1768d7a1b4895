"""Deprovisioning tasks (24 h) and access requests."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from access_reviews.access import get_request_for, get_task_for, is_lead, requests_visible_to, tasks_visible_to
from access_reviews.filters import TaskFilter
from access_reviews.forms import AccessRequestForm, GrantForm, RequestDecisionForm, TaskConfirmForm
from access_reviews.selectors import people_visible_to
from access_reviews.services.deprovision import task_confirm
from access_reviews.services.requests import access_request_create, access_request_decide, access_request_grant
from access_reviews.views.common import add_errors
from grc.accounts.permissions import LEAD_OR_MANAGER, READERS, deny, role_required
from grc.audit.services import record_view
from grc.tables import table_page


@role_required(*READERS)
def task_list(request):
    queryset = tasks_visible_to(request.user).select_related("account__system", "person", "owner", "closed_by")
    if "state" not in request.GET:
        queryset = queryset.filter(closed_at__isnull=True)
    table = table_page(
        request,
        queryset,
        sorts={"due": "due_at", "opened": "opened_at", "closed": ("closed_at",), "reason": "reason"},
        default_sort="due",
        filterset_class=TaskFilter,
    )
    return render(
        request, "access_reviews/task_list.html", {"table": table, "now": timezone.now(), "open_only": "state" not in request.GET}
    )


@role_required(*READERS)
@require_http_methods(["GET", "POST"])
def task_detail(request, pk: int):
    """The 24-hour clock of one account's removal; its owner (or the lead) confirms it is done."""
    task, can_close = get_task_for(request.user, pk)
    form = TaskConfirmForm(request.POST or None, reason=task.reason)
    if request.method == "POST":
        if not can_close:
            raise deny(request, "not the owner of this task")
        if form.is_valid():
            try:
                task_confirm(
                    task=task,
                    outcome=form.cleaned_data["outcome"],
                    when=form.cleaned_data["when"],
                    note=form.cleaned_data["note"],
                    by=request.user,
                    now=timezone.now(),
                    request=request,
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, "Confirmed: the account's access is recorded as removed.")
                return redirect("access_reviews:task_detail", pk=task.pk)
    else:
        record_view(request, task)
    return render(request, "access_reviews/task_detail.html", {"task": task, "can_close": can_close, "form": form, "now": timezone.now()})


@role_required(*READERS)
def request_list(request):
    queryset = requests_visible_to(request.user).select_related("requester", "system", "approver")
    table = table_page(
        request, queryset, sorts={"created": "created_at", "status": "status", "system": "system__name"}, default_sort="-created"
    )
    mine = requests_visible_to(request.user).filter(approver=request.user, status="pending").count()
    return render(
        request, "access_reviews/request_list.html", {"table": table, "to_decide": mine, "can_create": request.user.role != "auditor"}
    )


@role_required(*LEAD_OR_MANAGER)
@require_http_methods(["GET", "POST"])
def request_create(request):
    people = people_visible_to(request.user).filter(status="active")
    form = AccessRequestForm(request.POST or None, people=people.order_by("person_id"))
    if request.method == "POST" and form.is_valid():
        try:
            access_request = access_request_create(**form.cleaned_data, by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Access request recorded; the approver decides it in the portal.")
            return redirect("access_reviews:request_detail", pk=access_request.pk)
    return render(
        request,
        "access_reviews/form_page.html",
        {
            "form": form,
            "title": "Request access",
            "back_url": reverse("access_reviews:request_list"),
            "intro": "Formal access registration (DPP 1.2): who, which system, which privilege and why (need-to-know, DPP 1.3).",
        },
    )


@role_required(*READERS)
def request_detail(request, pk: int):
    access_request, can_decide, can_grant = get_request_for(request.user, pk)
    record_view(request, access_request)
    context = {
        "access_request": access_request,
        "can_decide": can_decide,
        "can_grant": can_grant,
        "decision_form": RequestDecisionForm(),
        "grant_form": GrantForm(access_request=access_request) if can_grant else None,
        "accounts": access_request.accounts.select_related("system"),
    }
    return render(request, "access_reviews/request_detail.html", context)


@role_required(*LEAD_OR_MANAGER)
@require_POST
def request_decide(request, pk: int):
    access_request, can_decide, _ = get_request_for(request.user, pk)
    if not can_decide:
        raise deny(request, "not the approver of this request")
    form = RequestDecisionForm(request.POST)
    if form.is_valid():
        try:
            access_request_decide(
                access_request=access_request,
                approve=form.cleaned_data["approve"],
                note=form.cleaned_data["note"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Request {access_request.get_status_display().lower()}.")
            return redirect("access_reviews:request_detail", pk=access_request.pk)
    context = {"access_request": access_request, "can_decide": True, "can_grant": False, "decision_form": form, "accounts": []}
    return render(request, "access_reviews/request_detail.html", context)


@role_required(*LEAD_OR_MANAGER)
@require_POST
def request_grant(request, pk: int):
    access_request, _, can_grant = get_request_for(request.user, pk)
    if not can_grant:
        raise deny(request, "may not grant this request")
    form = GrantForm(request.POST, access_request=access_request)
    if form.is_valid():
        try:
            account = access_request_grant(
                access_request=access_request,
                account=form.cleaned_data["account"],
                account_name=form.cleaned_data["account_name"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Granted: the account is linked to this approved request.")
            return (
                redirect("access_reviews:account_detail", pk=account.pk)
                if is_lead(request.user)
                else redirect("access_reviews:request_detail", pk=access_request.pk)
            )
    context = {
        "access_request": access_request,
        "can_decide": False,
        "can_grant": True,
        "decision_form": None,
        "grant_form": form,
        "accounts": [],
    }
    return render(request, "access_reviews/request_detail.html", context)

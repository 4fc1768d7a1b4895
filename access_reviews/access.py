"""Object-level access, one helper per object type (STYLE habit 6).

Each returns the object for users who may see it and raises Http404 for everyone else, so an
outsider cannot even learn that an id exists. Role checks (who may use a page at all) stay in
``role_required`` on the views; what a role may *do* to an object is returned alongside.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from access_reviews.models import AccessRequest, Account, Campaign, DeprovisionTask, ImportJob, Person, ReviewRow, TrainingRecord
from access_reviews.selectors import people_visible_to
from grc.accounts.models import Role


def is_lead(user) -> bool:
    return user.role == Role.SECURITY_LEAD


def reads_everything(user) -> bool:
    return user.role in (Role.SECURITY_LEAD, Role.AUDITOR)


def accounts_visible_to(user) -> QuerySet:
    """The lead and auditors read every account; a manager their reports' accounts, their own,
    and those on systems they own; staff none."""
    queryset = Account.objects.all()
    if reads_everything(user):
        return queryset
    if user.role == Role.MANAGER:
        return queryset.filter(Q(person__manager__user=user) | Q(person__user=user) | Q(system__owner=user))
    return queryset.none()


def tasks_visible_to(user) -> QuerySet:
    queryset = DeprovisionTask.objects.all()
    if reads_everything(user):
        return queryset
    if user.role == Role.MANAGER:
        return queryset.filter(Q(owner=user) | Q(person__manager__user=user))
    return queryset.none()


def requests_visible_to(user) -> QuerySet:
    queryset = AccessRequest.objects.all()
    if reads_everything(user):
        return queryset
    if user.role == Role.MANAGER:
        return queryset.filter(Q(approver=user) | Q(requester__manager__user=user) | Q(created_by=user))
    return queryset.none()


def get_person_for(user, pk: int) -> tuple[Person, bool]:
    """(person, can_edit): only the lead edits."""
    person = get_object_or_404(people_visible_to(user).select_related("manager", "user", "manager__user"), pk=pk)
    return person, is_lead(user)


def get_account_for(user, pk: int) -> tuple[Account, bool]:
    account = get_object_or_404(accounts_visible_to(user).select_related("system__owner", "person", "access_request"), pk=pk)
    return account, is_lead(user)


def get_task_for(user, pk: int) -> tuple[DeprovisionTask, bool]:
    """(task, can_close): the system owner and the lead confirm a task."""
    task = get_object_or_404(tasks_visible_to(user).select_related("account__system", "person", "owner", "closed_by"), pk=pk)
    return task, task.is_open and (is_lead(user) or task.owner_id == user.pk)


def get_request_for(user, pk: int) -> tuple[AccessRequest, bool, bool]:
    """(request, can_decide, can_grant): the named approver decides; the lead or system owner grants."""
    access_request = get_object_or_404(
        requests_visible_to(user).select_related("requester__manager", "system", "approver", "decided_by"), pk=pk
    )
    can_decide = access_request.status == "pending" and access_request.approver_id == user.pk
    can_grant = access_request.status == "approved" and (is_lead(user) or access_request.system.owner_id == user.pk)
    return access_request, can_decide, can_grant


def get_campaign_for(user, pk: int) -> Campaign:
    """Leads and auditors see every campaign; a manager only campaigns with rows to review."""
    campaign = get_object_or_404(Campaign.objects.select_related("started_by"), pk=pk)
    if not reads_everything(user) and not campaign.rows.filter(reviewer=user).exists():
        raise Http404("No such campaign")
    return campaign


def get_review_row_for(user, pk: int) -> tuple[ReviewRow, bool]:
    """(row, can_decide): a manager sees and decides only their own rows (404 otherwise); the lead
    and auditors read every row; only the assigned reviewer decides, while the campaign is open."""
    row = get_object_or_404(ReviewRow.objects.select_related("campaign", "system", "person", "account", "reviewer"), pk=pk)
    if row.reviewer_id != user.pk and not reads_everything(user):
        raise Http404("No such review row")
    return row, row.reviewer_id == user.pk and row.campaign.is_open


def get_import_for(user, pk: int) -> ImportJob:
    if not is_lead(user):
        raise Http404("No such import")
    return get_object_or_404(ImportJob.objects.select_related("system", "created_by"), pk=pk)


def get_training_record_for(user, pk: int) -> TrainingRecord:
    record = get_object_or_404(TrainingRecord.objects.select_related("person"), pk=pk)
    if not people_visible_to(user).filter(pk=record.person_id).exists():
        raise Http404("No such training record")
    return record

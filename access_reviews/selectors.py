"""Reads other apps (and this app's pages) may use: no writes here.

* ``person_names()`` — decrypted first and last names of registry people, for other apps' PII
  checks (e.g. incidents refusing names in fields meant to be PII-free).
* ``campaign_report(campaign)`` — the campaign report's data, rendered as a page here and as a
  PDF by the evidence packs.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from access_reviews.models import AccessRequest, Account, Campaign, DeprovisionTask, Mfa, Person, System, TaskReason, TrainingRecord
from access_reviews.reports import campaign_report
from grc.accounts.models import Role

__all__ = [
    "access_request_decisions",
    "amazon_account_counts",
    "campaign_report",
    "campaigns_in_period",
    "people_and_request_counts",
    "people_visible_to",
    "people_with_access_at",
    "person_name_pairs",
    "person_names",
    "present_account_flags",
    "present_accounts_per_system",
    "privileged_requests_decided",
    "systems_in_scope_count",
    "systems_with_account_counts",
    "termination_tasks_in_period",
    "trained_person_ids",
    "training_records_completed",
]


def person_names() -> set[str]:
    """Every first and last name in the registry (decrypted), non-empty, as stored."""
    return {part for pair in person_name_pairs() for part in pair if part}


def people_visible_to(user):
    """People a user may read: the lead and auditors everyone, a manager their reports (and themselves)."""

    queryset = Person.objects.all()
    if user.role in (Role.SECURITY_LEAD, Role.AUDITOR):
        return queryset
    if user.role == Role.MANAGER:
        return queryset.filter(Q(manager__user=user) | Q(user=user))
    return queryset.filter(user=user)


# --- reads of the evidence pack and the Amazon questionnaire (grc.evidence, grc.kit) -------------
# Periods are half-open ``[start_at, end_at)`` of aware datetimes; querysets may be narrowed or
# ordered further by the reader. Free texts and names are not read here unless said so.


def training_records_completed(start, end) -> QuerySet[TrainingRecord]:
    """Training completed on the days ``start`` to ``end`` (both included), with the person."""
    return TrainingRecord.objects.filter(completed_on__gte=start, completed_on__lte=end).select_related("person")


def trained_person_ids(start, end):
    """Ids (pk) of the people with a training completed on the days ``start`` to ``end`` (both included)."""
    return TrainingRecord.objects.filter(completed_on__gte=start, completed_on__lte=end).values_list("person_id", flat=True)


def people_with_access_at(moment) -> QuerySet[Person]:
    """People started by ``moment`` (or with no start date) and not terminated before it."""
    return Person.objects.filter(Q(started_at__isnull=True) | Q(started_at__lt=moment)).filter(
        Q(terminated_at__isnull=True) | Q(terminated_at__gte=moment)
    )


def _overlapping(start_field: str, end_field: str, start_at, end_at) -> Q:
    return Q(**{f"{start_field}__lt": end_at}) & (Q(**{f"{end_field}__isnull": True}) | Q(**{f"{end_field}__gte": start_at}))


def campaigns_in_period(start, end, start_at, end_at) -> QuerySet[Campaign]:
    """Campaigns whose review period covers a day of ``start``..``end`` or that ran during ``[start_at, end_at)``."""
    covers = Q(period_start__lte=end, period_end__gte=start)
    return (
        Campaign.objects.filter(covers | _overlapping("started_at", "completed_at", start_at, end_at))
        .select_related("started_by")
        .order_by("period_start", "pk")
    )


def termination_tasks_in_period(start_at, end_at) -> QuerySet[DeprovisionTask]:
    """Deprovisioning tasks opened by terminations and open at some time in ``[start_at, end_at)``."""
    return (
        DeprovisionTask.objects.filter(reason=TaskReason.TERMINATION)
        .filter(_overlapping("opened_at", "closed_at", start_at, end_at))
        .select_related("person", "account__system", "closed_by")
        .order_by("opened_at", "pk")
    )


def access_request_decisions(start_at, end_at) -> dict[str, int]:
    """Requests decided in the period: ``approved``, ``rejected``, ``privileged`` (approved) counts."""
    decided = AccessRequest.objects.filter(decided_at__gte=start_at, decided_at__lt=end_at)
    return decided.aggregate(
        approved=Count("pk", filter=Q(status="approved")),
        rejected=Count("pk", filter=Q(status="rejected")),
        privileged=Count("pk", filter=Q(status="approved", privileged=True)),
    )


def present_account_flags() -> dict[str, int]:
    """Accounts present now: ``total`` and the count of each stored flag."""
    present = Account.objects.filter(removed_at__isnull=True)
    return present.aggregate(
        total=Count("pk"),
        orphan=Count("pk", filter=Q(flag_orphan=True)),
        shared=Count("pk", filter=Q(flag_shared=True)),
        no_mfa=Count("pk", filter=Q(flag_no_mfa=True)),
        no_request=Count("pk", filter=Q(flag_no_request=True)),
        revoked_present=Count("pk", filter=Q(flag_revoked_present=True)),
    )


def systems_in_scope_count() -> int:
    return System.objects.filter(in_scope=True).count()


def present_accounts_per_system():
    """Per system name (ordered): ``n_total``, ``n_privileged``, ``n_service``, ``n_no_request`` (privileged)."""
    return (
        Account.objects.filter(removed_at__isnull=True)
        .values("system__name")
        .annotate(
            n_total=Count("pk"),
            n_privileged=Count("pk", filter=Q(privileged=True)),
            n_service=Count("pk", filter=Q(is_service_account=True)),
            n_no_request=Count("pk", filter=Q(privileged=True, flag_no_request=True)),
        )
        .order_by("system__name")
    )


def privileged_requests_decided(start_at, end_at) -> QuerySet[AccessRequest]:
    """Privileged access requests decided in the period, with system, decider and requester."""
    return AccessRequest.objects.filter(decided_at__gte=start_at, decided_at__lt=end_at, privileged=True).select_related(
        "system", "decided_by", "requester"
    )


def amazon_account_counts() -> dict[str, int]:
    """Enabled accounts present on systems holding Amazon Information, counted by MFA and flags (one query)."""
    present = Account.objects.filter(removed_at__isnull=True, enabled=True, system__holds_amazon_information=True)
    return present.aggregate(
        total=Count("id"),
        mfa_yes=Count("id", filter=Q(mfa=Mfa.YES)),
        mfa_no=Count("id", filter=Q(mfa=Mfa.NO)),
        mfa_unknown=Count("id", filter=Q(mfa=Mfa.UNKNOWN)),
        shared=Count("id", filter=Q(flag_shared=True)),
        orphan=Count("id", filter=Q(flag_orphan=True)),
        privileged=Count("id", filter=Q(privileged=True)),
        no_request=Count("id", filter=Q(flag_no_request=True)),
        service=Count("id", filter=Q(is_service_account=True)),
        systems=Count("system", distinct=True),
    )


def people_and_request_counts(since) -> dict[str, int]:
    """``active`` people, and access requests made (``requests_year``) and approved (``approved_year``) since ``since``."""
    counts = Person.objects.aggregate(active=Count("id", filter=Q(status="active")))
    counts.update(
        AccessRequest.objects.aggregate(
            requests_year=Count("id", filter=Q(created_at__gte=since)),
            approved_year=Count("id", filter=Q(status="approved", decided_at__gte=since)),
        )
    )
    return counts


def person_name_pairs() -> list[tuple[str, str]]:
    """(first name, last name) of every registry person, decrypted: for PII guards only."""
    return list(Person.objects.values_list("first_name", "last_name").iterator(chunk_size=2000))


# --- the REST API (grc.api): list and detail querysets ---------------------------------------------
def systems_with_account_counts() -> QuerySet[System]:
    """Every system with its owner and asset, annotated with the accounts present (``account_count``)
    and the flagged ones among them (``flagged_count``)."""
    present = Q(accounts__removed_at__isnull=True)
    return System.objects.select_related("owner", "asset").annotate(
        account_count=Count("accounts", filter=present),
        flagged_count=Count("accounts", filter=present & Q(accounts__flag_count__gt=0)),
    )

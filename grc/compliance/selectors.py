"""Reads of the obligation engine: who sees which obligations, the catalogue, the dashboard.

Each selector runs a fixed number of queries whatever the number of obligations (the dashboard
test pins it): aggregates are computed in SQL, lists are limited and ``select_related``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.urls import reverse

from grc import degraded
from grc.accounts.models import Role, User
from grc.audit.selectors import latest_change_id, open_alarms
from grc.compliance.cadences import CADENCES, Cadence, effective_cadences
from grc.compliance.models import Obligation, Requirement, completed_q, waived_q
from grc.compliance.posture import (
    RECENT_LATE_WINDOW,
    Finding,
    KindSummary,
    RequirementState,
    RequirementStatus,
    kind_finding,
    posture_counts,
    requirement_status,
    run_check,
)
from grc.compliance.registry import CheckResult, checks_for, evaluation
from grc.compliance.requirements import load_requirements
from grc.compliance.status import Status

INCIDENT_KIND = "incidents.amazon_notification"
UPCOMING_WINDOW = timedelta(days=14)
DASHBOARD_ROWS = 25
PANEL_ROWS = 10
FULL_VIEW_ROLES = (Role.SECURITY_LEAD, Role.MANAGER, Role.AUDITOR)  # read every obligation; staff read their own


# --- who sees what ---------------------------------------------------------------------------
def visibility_q(user: User) -> Q:
    """The one rule for obligations (pages, calendar, feed): the security lead, managers and
    auditors read all of them (read-only lists, like every READERS page); staff see their own."""
    if user.role in FULL_VIEW_ROLES:
        return Q()
    return Q(owner=user)


def visible_obligations(user: User) -> QuerySet[Obligation]:
    return Obligation.objects.filter(visibility_q(user)).select_related("owner", "completed_by")


def status_q(status: str, now: datetime) -> Q:
    """The SQL form of ``status.obligation_status`` (the due-soon window differs per kind)."""
    is_open = Q(completed_at__isnull=True)
    by_warning: dict[timedelta, list[str]] = defaultdict(list)
    for cadence in CADENCES.values():
        by_warning[cadence.warning].append(cadence.kind)
    due_soon = Q(pk__in=[])
    for warning, kinds in by_warning.items():
        due_soon |= Q(kind__in=sorted(kinds), due_at__lte=now + warning)
    if status == Status.OVERDUE:
        return is_open & Q(due_at__lte=now)
    if status == Status.DUE_SOON:
        return is_open & Q(due_at__gt=now) & due_soon
    if status == Status.OPEN:
        return is_open & Q(due_at__gt=now) & ~due_soon
    if status == Status.MET:
        return completed_q() & Q(completed_at__lte=F("due_at"))
    if status == Status.MET_LATE:
        return completed_q() & Q(completed_at__gt=F("due_at"))
    if status == Status.WAIVED:
        return waived_q()
    raise ValueError(f"unknown obligation status {status!r}")


class ClauseUrls:
    """``reverse("compliance:requirement", args=[clause])`` with one ``reverse()`` per page, not one per
    row: a clause of plain characters (every DPP clause: ``1.6``, ``3``) needs no quoting, so it is put
    into the pattern resolved once (with this request's script prefix); anything else goes through
    ``reverse()``."""

    PLACEHOLDER = "0CLAUSE0"
    PLAIN = frozenset("0123456789.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_")

    def __init__(self) -> None:
        self.pattern = ""

    def __call__(self, clause: str) -> str:
        if not clause or not set(clause) <= self.PLAIN:
            return reverse("compliance:requirement", args=[clause])
        if not self.pattern:
            self.pattern = reverse("compliance:requirement", args=[self.PLACEHOLDER])
        return self.pattern.replace(self.PLACEHOLDER, clause)


def with_status(obligations: Iterable[Obligation], now: datetime, *, urls: ClauseUrls | None = None) -> list[Obligation]:
    """Attach ``current_status`` (computed by the pure function), ``clock_percent`` (how much
    of the time from anchor to due has passed, 0-100) and ``clause_url`` for templates."""
    rows = list(obligations)
    urls = urls or ClauseUrls()  # one reverse() per page, not per row or clause (the dashboard shows 45 rows)
    for obligation in rows:
        shown = cast(Any, obligation)  # the template-only attributes are not model fields
        shown.current_status = obligation.status_at(now) if obligation.kind in CADENCES else None
        shown.clock_percent = clock_percent(obligation.anchor_at, obligation.due_at, now)
        shown.clause_url = urls(obligation.clause)
    return rows


def clock_percent(anchor_at: datetime, due_at: datetime, now: datetime) -> int:
    whole = (due_at - anchor_at).total_seconds()
    if whole <= 0:
        return 100
    return max(0, min(100, round((now - anchor_at).total_seconds() * 100 / whole)))


# --- the DPP catalogue ------------------------------------------------------------------------
@dataclass
class RequirementRow:
    requirement: Requirement
    status: RequirementStatus


def kind_summaries(now: datetime, *, clause: str | None = None) -> dict[str, list[KindSummary]]:
    """One aggregate query: per clause, what each obligation kind's records say.

    Completions and waivers are counted apart: ``last_completed_at``, ``completed_count`` and the
    late counts read real completions only (``completed_q``); waivers are ``waived_count``.
    """
    rows = Obligation.objects.all()
    if clause is not None:
        rows = rows.filter(clause=clause)
    is_open = Q(completed_at__isnull=True)
    done, waived, late = completed_q(), waived_q(), Q(completed_at__gt=F("due_at"))
    aggregated = (
        rows.values("clause", "kind")
        .annotate(
            open_count=Count("id", filter=is_open),
            overdue_count=Count("id", filter=is_open & Q(due_at__lte=now)),
            next_due_at=Min("due_at", filter=is_open),
            last_completed_at=Max("completed_at", filter=done),
            completed_count=Count("id", filter=done),
            late_recently=Count("id", filter=done & late & Q(completed_at__gte=now - RECENT_LATE_WINDOW)),
            late_count=Count("id", filter=done & late),
            waived_count=Count("id", filter=waived),
            last_waived_at=Max("completed_at", filter=waived),
        )
        .order_by()
    )
    summaries: dict[str, list[KindSummary]] = defaultdict(list)
    for row in aggregated:
        summaries[row.pop("clause")].append(KindSummary(**row))
    return summaries


def calendar_url_for_kind(kind: str) -> str:
    return f"{reverse('compliance:calendar_list')}?kind={kind}"


def in_savepoint(check: Callable[[datetime], CheckResult]) -> Callable[[datetime], CheckResult]:
    """Run a check inside a savepoint: if its query fails (a table missing, a bad lookup) the
    error is rolled back to the savepoint, so the page's own queries still work on PostgreSQL."""

    def guarded(now: datetime) -> CheckResult:
        with transaction.atomic():
            return check(now)

    return guarded


def clause_status(
    clause: str, summaries: list[KindSummary], now: datetime, cadences: dict[str, Cadence] | None = None
) -> RequirementStatus:
    """The clause's live checks and obligation kinds combined. ``cadences`` are the ones in force
    (``effective_cadences()``, read once per page by the callers), so every sentence names the
    period the security lead set, not the table's."""
    if cadences is None:
        cadences = effective_cadences()
    findings: list[Finding] = [run_check(name, in_savepoint(check), now) for name, check in checks_for(clause)]
    for summary in sorted(summaries, key=lambda s: s.kind):
        cadence = cadences.get(summary.kind)
        if cadence is None:  # a kind removed from the table: its old rows no longer count
            continue
        finding = kind_finding(summary, cadence, now, url=calendar_url_for_kind(summary.kind))
        if finding is not None:
            findings.append(finding)
    return requirement_status(findings)


def all_requirements() -> list[Requirement]:
    """Every clause, in order. Reference data must never be empty: if the table was emptied (a
    test database flush, a manual delete) it is reloaded from the repo file, once."""
    requirements = list(Requirement.objects.all())
    if not requirements:
        load_requirements(Requirement)
        requirements = list(Requirement.objects.all())
    return requirements


def requirement_statuses(now: datetime) -> list[RequirementRow]:
    """Every clause with its computed status: three queries (obligations, requirements, cadences in
    force) plus whatever the live checks need, each shared fact loaded once (``evaluation``)."""
    summaries = kind_summaries(now)
    cadences = effective_cadences()
    with evaluation():
        return [
            RequirementRow(requirement, clause_status(requirement.clause, summaries.get(requirement.clause, []), now, cadences))
            for requirement in all_requirements()
        ]


POSTURE_CACHE_KEY = "compliance:posture:{marker}"


def requirement_statuses_cached(now: datetime) -> list[RequirementRow]:
    """``requirement_statuses`` for the dashboard (opened many times a day): the live checks of every app
    run some 80 queries, so their result is cached for ``COMPLIANCE_POSTURE_CACHE_SECONDS`` (2 minutes)
    and dropped at once by any audited change (the key holds ``latest_change_id()``). Deadlines
    that pass without a change show within that time. 0 seconds (the tests' default) turns it off.
    """
    seconds = getattr(settings, "COMPLIANCE_POSTURE_CACHE_SECONDS", 0)
    if seconds <= 0:
        return requirement_statuses(now)
    key = POSTURE_CACHE_KEY.format(marker=latest_change_id())
    # The cache only saves time: with Redis down the posture is computed (grc.degraded), never a 500.
    rows: list[RequirementRow] | None = degraded.cache_get(key, where="posture_cache")
    if rows is None:
        rows = requirement_statuses(now)
        degraded.cache_set(key, rows, seconds, where="posture_cache")
    return rows


def requirement_row(clause: str, now: datetime) -> RequirementRow | None:
    requirement = Requirement.objects.filter(clause=clause).first()
    if requirement is None:
        requirement = next((r for r in all_requirements() if r.clause == clause), None)
    if requirement is None:
        return None
    summaries = kind_summaries(now, clause=clause).get(clause, [])
    with evaluation():
        return RequirementRow(requirement, clause_status(clause, summaries, now, effective_cadences()))


# --- the dashboard ---------------------------------------------------------------------------
@dataclass
class Dashboard:
    now: datetime
    requirements: list[RequirementRow]
    posture: dict[str, int]
    upcoming: list[Obligation]
    incidents: list[Obligation]
    my_tasks: list[Obligation]
    alarms: list[Any] | None
    counts: dict[str, int] = field(default_factory=dict)
    urls: ClauseUrls = field(default_factory=ClauseUrls)  # the clause pages' links, one reverse() a page

    @property
    def attention(self) -> list[RequirementRow]:
        """Requirements that are not met or at risk, worst first."""
        order = {RequirementState.NOT_MET: 0, RequirementState.AT_RISK: 1}
        rows = [row for row in self.requirements if row.status.status in order]
        return sorted(rows, key=lambda row: (order[row.status.status], row.requirement.position))

    @property
    def tracked_count(self) -> int:
        return len(self.requirements) - self.posture.get(RequirementState.NOT_TRACKED, 0)


def recent_alarms(user: User, limit: int = PANEL_ROWS) -> list[Any] | None:
    """Open alarms of the audit trail for those who read it (lead, auditor); None for others."""
    if user.role not in (Role.SECURITY_LEAD, Role.AUDITOR):
        return None
    return list(open_alarms(limit=limit))


# What the dashboard's lists read of an obligation (the row, its status and clock) and of its owner.
DASHBOARD_FIELDS = ("kind", "clause", "title", "owner_id", "anchor_at", "due_at", "completed_at", "waived_reason", "url")
OWNER_FIELDS = ("owner__username", "owner__first_name", "owner__last_name")


def dashboard(user: User, now: datetime) -> Dashboard:
    requirements = requirement_statuses_cached(now)
    visible = visibility_q(user)
    is_open = Q(completed_at__isnull=True)
    horizon = now + UPCOMING_WINDOW
    counts = Obligation.objects.filter(is_open).aggregate(
        overdue=Count("id", filter=visible & Q(due_at__lte=now)),
        due_soon=Count("id", filter=visible & Q(due_at__gt=now, due_at__lte=horizon)),
        mine=Count("id", filter=Q(owner=user)),
        mine_overdue=Count("id", filter=Q(owner=user, due_at__lte=now)),
        incidents=Count("id", filter=visible & Q(kind=INCIDENT_KIND)),
    )
    # Only the columns the lists show (issue 23: building 45 full rows and their owners was a fifth of
    # the page); the owner (three columns) is joined only for the one list that names it.
    base = Obligation.objects.filter(is_open).only(*DASHBOARD_FIELDS).order_by("due_at", "id")
    upcoming = base.select_related("owner").only(*DASHBOARD_FIELDS, *OWNER_FIELDS).filter(visible, due_at__lte=horizon)[:DASHBOARD_ROWS]
    incidents: list[Obligation] = []
    if user.role in FULL_VIEW_ROLES:
        incidents = list(base.filter(visible, kind=INCIDENT_KIND)[:PANEL_ROWS])
    my_tasks = base.filter(owner=user)[:PANEL_ROWS] if user.role != Role.AUDITOR else []
    urls = ClauseUrls()
    return Dashboard(
        now=now,
        requirements=requirements,
        posture=posture_counts(row.status for row in requirements),
        upcoming=with_status(upcoming, now, urls=urls),
        incidents=with_status(incidents, now, urls=urls),
        my_tasks=with_status(my_tasks, now, urls=urls),
        alarms=recent_alarms(user),
        counts=counts,
        urls=urls,
    )

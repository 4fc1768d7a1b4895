"""Reads of the control register: the facts every check, page and pack section shares.

``register_facts(now)`` loads the in-scope subjects (from the scope registry of the engine, so
the register imports no domain app), every recorded entry (one query) and the portal's computed
entries, with each entry's re-attestation date from the area's cadence in force. The pages, the
evidence pack and the Amazon answers read this one object, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse

from grc.compliance.cadences import Period, effective_cadences
from grc.compliance.registry import CheckResult, ScopeSubject, in_scope_subjects, shared
from grc.controls.areas import AREAS, CLAUSE_AREAS
from grc.controls.aws.checks import CHECKS
from grc.controls.models import AwsCollection, AwsConnection, ControlEntry
from grc.controls.portal import portal_account_facts, portal_entries
from grc.controls.rules import (
    AwsFacts,
    AwsResult,
    Entry,
    Verdict,
    account_mfa_result,
    aws_clause_result,
    clause_verdicts,
    combine,
    review_due_at,
)

LOG_REVIEW_KIND = "audit.log_review"
AWS_CLAUSES = frozenset(check.clause for check in CHECKS)  # what a connected AWS account is judged on
AWS_ONLY_CLAUSES = tuple(sorted(AWS_CLAUSES - set(CLAUSE_AREAS)))  # no register area: judged by the AWS checks alone


def period_days(period: Period | None, default: int = 14) -> int:
    if period is None:
        return default
    return period.months * 30 + period.days + period.hours // 24


@dataclass
class RegisterFacts:
    now: datetime
    subjects: list[ScopeSubject]
    entries: dict[tuple[str, str], Entry]
    rows: dict[tuple[str, str], ControlEntry]
    review_days: int  # the log review period in force (DPP 2.6: two weeks, or tighter)
    aws: dict[str, AwsFacts] = field(default_factory=dict)  # subject key -> its enabled AWS connection

    def verdicts(self, clause: str) -> list[Verdict]:
        return clause_verdicts(clause, self.subjects, self.entries, self.now, review_days=self.review_days, aws=self.aws)

    def aws_result(self, clause: str) -> CheckResult:
        return aws_clause_result(clause, self.subjects, self.aws, self.now, url=register_url())

    def result(self, clause: str) -> CheckResult:
        area = AREAS[CLAUSE_AREAS[clause]]
        what = "account lockout" if clause == "1.2" else area.words
        return combine(self.verdicts(clause), what=what, url=register_url(area.key))

    def account_mfa(self) -> CheckResult:
        return account_mfa_result(self.subjects, self.entries, url=register_url("identity"))


def register_url(area: str = "") -> str:
    return reverse("controls:index") + (f"?area={area}" if area else "")


def entries_queryset() -> QuerySet[ControlEntry]:
    return ControlEntry.objects.select_related("system", "data_store", "owner")


def register_facts(now: datetime) -> RegisterFacts:
    cadences = effective_cadences()
    subjects = in_scope_subjects(now)
    rows: dict[tuple[str, str], ControlEntry] = {}
    entries: dict[tuple[str, str], Entry] = {}
    for row in entries_queryset():
        area = AREAS[row.area]
        key = (row.subject_key, row.area)
        rows[key] = row
        period = cadences[area.obligation_kind].period
        assert period is not None  # every area's kind has a fixed period (overrides cannot remove it)
        entries[key] = Entry(
            row.area,
            dict(row.values),
            row.as_of,
            review_due_at=review_due_at(row.as_of, period),
            url=row.get_absolute_url(),
        )
    review_days = period_days(cadences[LOG_REVIEW_KIND].period)
    for index, subject in enumerate(subjects):
        if subject.is_portal:
            subjects[index] = replace(subject, facts={**subject.facts, **portal_account_facts(now)})
            entries.update(portal_entries(subject.key, now, review_days=review_days, url=subject.url))
    return RegisterFacts(now, subjects, entries, rows, review_days, aws_facts())


def latest_collection(connection: AwsConnection) -> AwsCollection | None:
    return connection.collections.order_by("-collected_at", "-pk").first()


def aws_facts() -> dict[str, AwsFacts]:
    """Each enabled AWS connection's latest collection, keyed like the register's subjects (two queries)."""
    latest = AwsCollection.objects.filter(connection=OuterRef("pk")).order_by("-collected_at", "-pk").values("pk")[:1]
    connections = list(AwsConnection.objects.filter(enabled=True).annotate(latest_id=Subquery(latest)))
    collections = AwsCollection.objects.in_bulk([c.latest_id for c in connections if c.latest_id])
    facts = {}
    for connection in connections:
        collection = collections.get(connection.latest_id)
        if collection is None:
            facts[f"system:{connection.system_id}"] = AwsFacts(AWS_CLAUSES, None)
            continue
        results = tuple(AwsResult(r["check_id"], r["clause"], r["passed"], r["reason"], r.get("region")) for r in collection.results)
        clauses = frozenset(r.clause for r in results) or AWS_CLAUSES
        facts[f"system:{connection.system_id}"] = AwsFacts(clauses, collection.collected_at, results)
    return facts


def shared_register_facts(now: datetime) -> RegisterFacts:
    """``register_facts`` loaded once per evaluation of the checks (grc.compliance.registry.evaluation):
    the seven clause checks, and a pack's status lines and sections, judge the same object."""
    return shared(("controls.register_facts", now), lambda: register_facts(now))

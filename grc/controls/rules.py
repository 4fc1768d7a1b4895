"""Judge the company's in-scope systems from their control records: pure functions over plain data.

``clause_result(clause, subjects, entries, now, ...)`` is what the live checks of 1.1, 1.2, 1.4,
2, 2.3, 2.5 and 2.6 return. Each in-scope subject (system or PII data store) is judged on its
own record for the clause's area:

* no record → "not yet recorded" for that subject (the clause cannot be met);
* a record past its re-attestation date → not met ("attestation expired");
* otherwise the area's rules below, each problem ``not_met`` or ``at_risk``.

A system with an AWS connection is also held back by its latest collection (``aws_problems``):
each check that fails or could not run, and a collection older than 48 hours; passing checks
never make a clause met on their own (the entries still decide).

Reasons name systems by their registry name (data stores by inventory tag) and give counts and
settings, never people. The portal is one subject among the others: when it is the only one,
the result is "not yet recorded", never met.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from grc.compliance.cadences import Period
from grc.compliance.registry import CheckResult, ScopeSubject
from grc.controls.areas import AREAS, CLAUSE_AREAS
from grc.words import listed, plural

NOT_MET, AT_RISK = "not_met", "at_risk"
LOG_RETENTION_MINIMUM_DAYS = 90  # DPP 2.6
PASSWORD_MIN_LENGTH = 12  # DPP 1.4
PASSWORD_MAX_AGE_DAYS = 365  # DPP 1.4
LOCKOUT_MAXIMUM = 10  # more failures than this before a lock is no lockout worth the name
FIREWALL_REVIEW_DAYS = 365
DELEGATION_HOPS = 3
AWS_STALE_AFTER = timedelta(hours=48)  # a daily collection missed twice: its results say nothing about today


@dataclass(frozen=True)
class Entry:
    """One recorded (or, for the portal, computed) control entry."""

    area: str
    values: dict[str, Any]
    as_of: date
    review_due_at: datetime | None = None  # None: computed live (the portal's settings), never stale
    computed: bool = False
    url: str = ""


@dataclass(frozen=True)
class Problem:
    status: str  # NOT_MET | AT_RISK
    text: str


@dataclass
class Verdict:
    """One subject's standing on one clause."""

    subject: ScopeSubject
    missing: str = ""  # why it counts as not yet recorded
    problems: list[Problem] = field(default_factory=list)
    entry: Entry | None = None

    @property
    def status(self) -> str:
        if any(p.status == NOT_MET for p in self.problems):
            return NOT_MET
        if any(p.status == AT_RISK for p in self.problems):
            return AT_RISK
        return "not_tracked" if self.missing else "met"


@dataclass(frozen=True)
class AwsResult:
    """One check of the latest AWS collection of a system (``grc.controls.aws``), as plain data."""

    check_id: str
    clause: str
    passed: bool | None  # None: could not run (a denied action, or the role could not be assumed)
    reason: str
    region: str | None = None


@dataclass(frozen=True)
class AwsFacts:
    """A system's AWS connection: which clauses its checks cover and its latest collection (if any)."""

    clauses: frozenset[str]
    collected_at: datetime | None
    results: tuple[AwsResult, ...] = ()


def aws_problems(clause: str, facts: AwsFacts | None, now: datetime) -> list[Problem]:
    """What a system's AWS checks say against ``clause``: they only ever hold it back.

    A failing check, or one that could not run, is not met with the check's own one-line reason;
    a collection older than ``AWS_STALE_AFTER`` (or none yet) holds back every clause it covers.
    Passing checks add nothing: whether the clause is met is still the register's entries' call.
    """
    if facts is None or clause not in facts.clauses:
        return []
    problems = []
    if facts.collected_at is None:
        problems.append(Problem(NOT_MET, "AWS checks not collected yet"))
    elif now - facts.collected_at > AWS_STALE_AFTER:
        problems.append(Problem(NOT_MET, f"AWS checks not collected since {facts.collected_at:%Y-%m-%d %H:%M} UTC"))
    seen: set[str] = set()
    for result in facts.results:
        if result.clause != clause or result.passed is True:
            continue
        text = f"AWS check {result.check_id}: {result.reason}" + (f" ({result.region})" if result.region else "")
        if text not in seen:
            seen.add(text)
            problems.append(Problem(NOT_MET, text))
    return problems


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _days_since(day_iso: str | None, now: datetime) -> int | None:
    if not day_iso:
        return None
    return (now.date() - date.fromisoformat(day_iso)).days


# --- the rules of each area --------------------------------------------------------------------
def identity_problems(v: dict[str, Any], now: datetime, *, clause: str, **_context) -> list[Problem]:
    if clause == "1.2":
        threshold = v.get("lockout_threshold")
        if not threshold:
            return [Problem(NOT_MET, "accounts never lock after failed sign-ins")]
        if threshold > LOCKOUT_MAXIMUM:
            return [Problem(NOT_MET, f"accounts lock only after {threshold} failed sign-ins (at most {LOCKOUT_MAXIMUM})")]
        return []
    problems = []
    mfa = v.get("mfa_enforced")
    if mfa != "yes":
        problems.append(Problem(NOT_MET, "MFA is enforced for only part of the users" if mfa == "partial" else "MFA is not enforced"))
    length = v.get("password_min_length") or 0
    if length < PASSWORD_MIN_LENGTH:
        problems.append(Problem(NOT_MET, f"passwords need only {length} characters ({PASSWORD_MIN_LENGTH} required)"))
    classes = v.get("password_character_classes") or 0
    if classes < 4:
        problems.append(Problem(NOT_MET, f"passwords need {classes} of the 4 character classes"))
    if not v.get("password_no_name"):
        problems.append(Problem(NOT_MET, "passwords may contain the user's name"))
    if (v.get("password_min_age_days") or 0) < 1:
        problems.append(Problem(NOT_MET, "no 1-day minimum password age"))
    max_age = v.get("password_max_age_days") or 0
    if max_age == 0:
        problems.append(Problem(NOT_MET, "passwords never expire"))
    elif max_age > PASSWORD_MAX_AGE_DAYS:
        problems.append(Problem(NOT_MET, f"passwords expire after {max_age} days (at most {PASSWORD_MAX_AGE_DAYS})"))
    return problems


def logging_problems(v: dict[str, Any], now: datetime, *, review_days: int, **_context) -> list[Problem]:
    problems = []
    logged = set(v.get("events_logged") or [])
    missing = [label for key, label in (("sign_ins", "sign-ins"), ("data_access", "data access")) if key not in logged]
    if missing:
        problems.append(Problem(NOT_MET, f"{listed(missing)} not logged"))
    if v.get("destination") == "none":
        problems.append(Problem(NOT_MET, "logs are not shipped to a SIEM or log store"))
    retention = v.get("retention_days") or 0
    if retention < LOG_RETENTION_MINIMUM_DAYS:
        problems.append(Problem(NOT_MET, f"logs kept {retention} days ({LOG_RETENTION_MINIMUM_DAYS} required)"))
    if v.get("pii_excluded") is False:
        problems.append(Problem(NOT_MET, "logs contain PII"))
    if v.get("tamper_protected") is False:
        problems.append(Problem(NOT_MET, "logs are not protected against tampering"))
    if not v.get("alarms"):
        problems.append(Problem(NOT_MET, "no alarm on suspicious activity"))
    review = v.get("review")
    if review == "siem_alerting" and v.get("destination") != "siem":
        problems.append(Problem(NOT_MET, "SIEM alerting is recorded but logs do not go to a SIEM"))
    elif review == "manual":
        every = v.get("review_every_days")
        since = _days_since(v.get("last_reviewed_on"), now)
        if not every or every > review_days:
            problems.append(Problem(NOT_MET, f"logs are reviewed every {every or '?'} days (every {review_days} days required)"))
        elif since is None or since > review_days:
            when = "no log review is recorded" if since is None else f"the last log review was {since} days ago"
            problems.append(Problem(NOT_MET, f"no SIEM and {when} (every {review_days} days required)"))
    elif review != "siem_alerting":
        problems.append(Problem(NOT_MET, f"logs are not reviewed (SIEM alerting or a review every {review_days} days required)"))
    if not v.get("canary_records"):
        problems.append(Problem(AT_RISK, "no canary records to detect extraction"))
    return problems


def network_problems(v: dict[str, Any], now: datetime, **_context) -> list[Problem]:
    problems = []
    if not v.get("firewall"):
        problems.append(Problem(NOT_MET, "no firewall or network ACL denies unauthorised addresses"))
    else:
        since = _days_since(v.get("firewall_reviewed_on"), now)
        if since is None or since > FIREWALL_REVIEW_DAYS:
            problems.append(Problem(AT_RISK, "firewall rules not reviewed in the last 12 months"))
    if v.get("segmented") == "no":
        problems.append(Problem(NOT_MET, "PII stores are not segmented"))
    if v.get("public_access") == "open":
        problems.append(Problem(NOT_MET, "publicly reachable by anyone, not only approved users"))
    return problems


DLP_CHANNELS = (
    ("email", "email"),
    ("removable_media", "removable media"),
    ("cloud_sharing", "cloud sharing"),
    ("public_links", "public links"),
)


def dlp_problems(v: dict[str, Any], now: datetime, **_context) -> list[Problem]:
    problems = []
    uncovered = [label for key, label in DLP_CHANNELS if v.get(key) == "none"]
    if uncovered:
        problems.append(Problem(NOT_MET, f"no data-loss control on {listed(uncovered)}"))
    if v.get("alerting") == "none":
        problems.append(Problem(NOT_MET, "nobody is alerted of unauthorised data movement"))
    return problems


def secrets_problems(v: dict[str, Any], now: datetime, **_context) -> list[Problem]:
    problems = []
    if v.get("credentials_store") == "code":
        problems.append(Problem(NOT_MET, "credentials are kept in the code"))
    if v.get("environments_separated") is False:
        problems.append(Problem(NOT_MET, "production and test are not separated"))
    if v.get("production_pii_in_tests"):
        problems.append(Problem(NOT_MET, "production PII is used in tests"))
    if v.get("secret_scanning") is False:
        problems.append(Problem(AT_RISK, "no secret scanning in the release scan"))
    return problems


def purpose_problems(v: dict[str, Any], now: datetime, **_context) -> list[Problem]:
    if "other" in (v.get("purposes") or []):
        return [Problem(NOT_MET, "PII used for a purpose other than tax and merchant-fulfilled shipping (a finding)")]
    return []


AREA_RULES: dict[str, Callable[..., list[Problem]]] = {  # (values, now, *, clause, review_days) -> problems
    "identity": identity_problems,
    "logging": logging_problems,
    "network": network_problems,
    "dlp": dlp_problems,
    "secrets": secrets_problems,
    "purpose": purpose_problems,
}


# --- per subject, per clause --------------------------------------------------------------------
def effective_identity(subject: ScopeSubject, entries: dict[tuple[str, str], Entry], by_name: dict[str, ScopeSubject]):
    """(entry, via) — the identity entry that applies, following "delegated to" up to a few hops."""
    entry = entries.get((subject.key, "identity"))
    via: list[str] = []
    for _hop in range(DELEGATION_HOPS):
        if entry is None or not entry.values.get("delegated_to"):
            return entry, via
        target = by_name.get(entry.values["delegated_to"].lower())
        via.append(entry.values["delegated_to"])
        entry = entries.get((target.key, "identity")) if target is not None else None
    return None, via


def account_mfa_problems(subject: ScopeSubject, mfa_enforced: bool) -> list[Problem]:
    """What else a system's accounts say about MFA (accounts recorded *without* MFA are the check's headline)."""
    facts = subject.facts
    problems = []
    unknown = facts.get("accounts_mfa_unknown", 0)
    not_enrolled = facts.get("accounts_not_enrolled", 0)
    if unknown and not mfa_enforced:
        problems.append(Problem(NOT_MET, f"{plural(unknown, 'enabled account')} with MFA not recorded"))
    if not_enrolled:
        problems.append(Problem(AT_RISK, f"{plural(not_enrolled, 'account')} not yet enrolled in MFA (they reach only enrolment)"))
    return problems


def subject_verdict(
    clause: str,
    subject: ScopeSubject,
    entries: dict[tuple[str, str], Entry],
    now: datetime,
    *,
    by_name: dict[str, ScopeSubject],
    review_days: int,
    aws: Mapping[str, AwsFacts] | None = None,
) -> Verdict:
    area = CLAUSE_AREAS[clause]
    held_back = aws_problems(clause, (aws or {}).get(subject.key), now)
    if area == "identity":
        entry, via = effective_identity(subject, entries, by_name)
        if entry is None:
            missing = f"delegates sign-in to {via[-1]}, which has no identity settings recorded" if via else "no identity settings recorded"
            return Verdict(subject, missing=missing, problems=held_back)
    else:
        entry = entries.get((subject.key, area))
        if entry is None:
            return Verdict(subject, missing=f"no {AREAS[area].words} recorded", problems=held_back)
    verdict = Verdict(subject, entry=entry, problems=held_back)
    if entry.review_due_at is not None and entry.review_due_at <= now:
        verdict.problems.append(Problem(NOT_MET, f"attestation expired on {entry.review_due_at:%Y-%m-%d} (as of {entry.as_of:%Y-%m-%d})"))
    verdict.problems += AREA_RULES[area](entry.values, now, clause=clause, review_days=review_days)
    return verdict


def subjects_for(clause: str, subjects: Iterable[ScopeSubject]) -> list[ScopeSubject]:
    if AREAS[CLAUSE_AREAS[clause]].subject == "data_store":
        return [s for s in subjects if s.kind == "data_store" and s.holds_pii]
    return [s for s in subjects if s.kind == "system"]


def clause_verdicts(
    clause: str,
    subjects: list[ScopeSubject],
    entries: dict[tuple[str, str], Entry],
    now: datetime,
    *,
    review_days: int = 14,
    aws: Mapping[str, AwsFacts] | None = None,
) -> list[Verdict]:
    by_name = {s.name.lower(): s for s in subjects if s.kind == "system"}
    return [
        subject_verdict(clause, subject, entries, now, by_name=by_name, review_days=review_days, aws=aws)
        for subject in subjects_for(clause, subjects)
    ]


def aws_clause_result(clause: str, subjects: list[ScopeSubject], aws: Mapping[str, AwsFacts], now: datetime, url: str = "") -> CheckResult:
    """A clause only the AWS checks judge in the register (1.5, 2.4, 2.7): not met when a connected
    system's checks fail, could not run or are stale; otherwise "not tracked" — passing AWS checks
    never make a clause met on their own (the clause's other findings decide)."""
    systems = [s for s in subjects if s.kind == "system" and clause in getattr(aws.get(s.key), "clauses", ())]
    if not systems:
        return CheckResult("not_tracked", "AWS checks: no connected AWS account covers this clause", url)
    parts = []
    for subject in systems:
        problems = aws_problems(clause, aws[subject.key], now)
        if problems:
            parts.append(f"{subject.name}: {'; '.join(p.text for p in problems)}")
    if parts:
        return CheckResult(NOT_MET, "; ".join(parts), url)
    names = listed([s.name for s in systems], limit=None)
    return CheckResult("not_tracked", f"AWS checks pass on {names} (they never make a clause met on their own)", url)


def combine(verdicts: list[Verdict], *, what: str, url: str = "") -> CheckResult:
    """One check result from the subjects' verdicts: worst first, systems named, counts given."""
    company = [v for v in verdicts if not v.subject.is_portal]
    if not company:
        noun = "data store holding PII" if what == "purpose of PII" else "in-scope system"
        portal_note = ""
        portal = next((v for v in verdicts if v.subject.is_portal), None)
        if portal is not None and portal.problems:
            portal_note = f"; {portal.subject.name}: " + "; ".join(p.text for p in portal.problems)
            if portal.status == NOT_MET:
                return CheckResult(NOT_MET, f"{portal.subject.name}: " + "; ".join(p.text for p in portal.problems), url, portal=True)
        return CheckResult("not_tracked", f"{what}: no {noun} besides the portal is registered yet{portal_note}", url, missing=True)
    parts: list[str] = []
    for status in (NOT_MET, AT_RISK):
        for verdict in verdicts:
            texts = [p.text for p in verdict.problems if p.status == status]
            if texts:
                parts.append(f"{verdict.subject.name}: {'; '.join(texts)}")
    missing = [v for v in verdicts if v.missing]
    if missing:
        parts.append(f"{what} not yet recorded for {listed([v.subject.name for v in missing], limit=None)}")
    statuses = {v.status for v in verdicts}
    recorded = len(verdicts) - len(missing)
    if NOT_MET in statuses:
        status = NOT_MET
    elif AT_RISK in statuses:
        status = AT_RISK
    elif missing:
        return CheckResult("not_tracked", "; ".join(parts), url, missing=True)
    else:
        status = "met"
        names = listed([v.subject.name for v in verdicts], limit=None)
        parts.append(f"{what} recorded and within the DPP for {plural(recorded, 'in-scope system')} ({names})")
    return CheckResult(status, "; ".join(parts), url, missing=bool(missing))


def account_mfa_result(subjects: list[ScopeSubject], entries: dict[tuple[str, str], Entry], url: str = "") -> CheckResult:
    """DPP 1.4 "MFA is required for all user accounts", judged on each in-scope system's accounts."""
    by_name = {s.name.lower(): s for s in subjects if s.kind == "system"}
    systems = [s for s in subjects if s.kind == "system"]
    verdicts = []
    for subject in systems:
        entry, _via = effective_identity(subject, entries, by_name)
        enforced = entry is not None and entry.values.get("mfa_enforced") == "yes"
        verdicts.append(Verdict(subject, problems=account_mfa_problems(subject, enforced)))
    without = [(s.name, s.facts["accounts_without_mfa"]) for s in systems if s.facts.get("accounts_without_mfa")]
    if not [s for s in systems if not s.is_portal]:
        return CheckResult("not_tracked", "account MFA: no in-scope system besides the portal is registered yet", url, missing=True)
    total = sum(s.facts.get("human_accounts", 0) for s in systems)
    if without:
        count = sum(n for _name, n in without)
        head = f"{plural(count, 'enabled human account')} without MFA on {plural(len(without), 'in-scope system')}: " + ", ".join(
            f"{name} ({n})" for name, n in without
        )
        others = [f"{v.subject.name}: {p.text}" for v in verdicts for p in v.problems]
        return CheckResult(NOT_MET, "; ".join([head, *others]), url)
    result = combine(verdicts, what="account MFA", url=url)
    if result.status == "met":
        return CheckResult(
            "met", f"all {plural(total, 'enabled human account')} on {plural(len(systems), 'in-scope system')} have MFA", url
        )
    return result


def review_due_at(as_of: date, period: Period) -> datetime:
    """When an entry recorded "as of" a day must be re-attested (the area's cadence in force)."""
    return period.after(day_start(as_of))

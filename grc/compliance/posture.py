"""A DPP requirement's status from plain data: its live checks and its obligation kinds.

Pure functions over dataclasses, so the rules are tested without a database; the selector
``grc.compliance.selectors.requirement_statuses`` loads the data in a fixed number of queries.

The rules (worst wins): an overdue obligation → ``not_met``; one due inside its warning window,
or one completed late in the last ``RECENT_LATE_WINDOW`` → ``at_risk``; everything open and
on time → ``met``; nothing recorded and no check registered → ``not_tracked``. Only real
completions count as done: a kind whose only closed obligations were waived (they no longer
apply) is ``not_tracked`` with that reason, never ``met``. A live check
contributes its own status; a check that says ``not_tracked`` counts as nothing recorded.

Two rules keep a wrong "met" out (DESIGN.md, "What a status means"): a finding that says a record
is *missing* for an in-scope system turns an otherwise met clause into "not yet recorded"; and
findings about the portal's own settings (``portal``) can hold a clause back but never make it
met on their own.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from grc.compliance.cadences import Cadence
from grc.compliance.registry import CheckResult, check_title
from grc.timefmt import span, time_left

logger = logging.getLogger("grc.compliance")

RECENT_LATE_WINDOW = timedelta(days=90)


class RequirementState(StrEnum):
    MET = "met"
    AT_RISK = "at_risk"
    NOT_MET = "not_met"
    NOT_TRACKED = "not_tracked"


SEVERITY = {RequirementState.NOT_TRACKED: 0, RequirementState.MET: 1, RequirementState.AT_RISK: 2, RequirementState.NOT_MET: 3}
LABELS = {
    RequirementState.MET: "met",
    RequirementState.AT_RISK: "at risk",
    RequirementState.NOT_MET: "not met",
    RequirementState.NOT_TRACKED: "not yet recorded",
}


@dataclass(frozen=True)
class KindSummary:
    """What the records say about one obligation kind of a clause (one aggregate row)."""

    kind: str
    open_count: int = 0
    overdue_count: int = 0
    next_due_at: datetime | None = None  # earliest due time of the open ones (the most overdue first)
    last_completed_at: datetime | None = None  # real completions only: a waiver is not one
    completed_count: int = 0  # real completions (met or met late), waivers not counted
    late_recently: int = 0  # completed after their due time within RECENT_LATE_WINDOW
    late_count: int = 0  # completed after their due time, at any time
    waived_count: int = 0  # closed with a reason because they no longer apply
    last_waived_at: datetime | None = None


@dataclass(frozen=True)
class Finding:
    """One contribution to a requirement's status: a live check or an obligation kind."""

    source: str  # "check" or "obligation"
    name: str
    status: RequirementState
    reason: str
    url: str = ""
    missing: bool = False  # a record is missing for an in-scope system: the clause cannot be met
    portal: bool = False  # judged on the portal's own settings only

    @property
    def title(self) -> str:
        """What a reader sees: a check's registered title (never a code name such as ``risks.register``)."""
        return check_title(self.name) if self.source == "check" else self.name


@dataclass(frozen=True)
class RequirementStatus:
    status: RequirementState
    reason: str
    findings: tuple[Finding, ...] = ()

    @property
    def label(self) -> str:
        return LABELS[self.status]

    @property
    def links(self) -> list[tuple[str, str]]:
        """Evidence links (name, url) in the order of the findings, worst first."""
        return [(finding.name, finding.url) for finding in self.findings if finding.url]


def _ago(delta: timedelta) -> str:
    """Whole days, as auditors count them ("104 days ago"); shorter spans as ``span`` words."""
    days = delta.days
    if days >= 2:
        return f"{days} days"
    return span(delta)


def _cadence_words(cadence: Cadence) -> str:
    if cadence.period is None:
        return ""
    return f"due every {cadence.period}" if cadence.recurring else f"due within {cadence.period}"


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def kind_finding(summary: KindSummary, cadence: Cadence, now: datetime, *, url: str = "") -> Finding | None:
    """The finding of one obligation kind, or None when nothing of that kind was ever recorded.

    ``cadence`` is the one in force (``effective_cadences()``), so the words name the period the
    security lead set. Only real completions count as done: a kind whose only closed rows are
    waivers, with nothing open, is "not yet recorded" and says so; a waiver never makes it met.
    """
    if summary.open_count == 0 and summary.completed_count == 0 and summary.waived_count == 0:
        return None
    title = cadence.title
    only_waived = summary.open_count == 0 and summary.completed_count == 0
    waived = ""
    if summary.waived_count:
        waived = f"waived {_times(summary.waived_count)}"
        if summary.last_waived_at is not None:
            waived += f", {'' if summary.waived_count == 1 else 'the last '}{_ago(now - summary.last_waived_at)} ago"
        if not summary.completed_count:
            waived += " (no completion recorded)"
    context = []
    if summary.last_completed_at is not None:
        ago = _ago(now - summary.last_completed_at)
        # One series (a quarterly review) is due at its last completion + the cadence, so its open
        # row is always due after that completion. A completion at or after the oldest open row's
        # due time was of another row of the kind (another person's training): saying "last
        # completed 54 s ago … overdue by 50 weeks" side by side reads as a contradiction.
        if summary.next_due_at is not None and summary.last_completed_at >= summary.next_due_at:
            context.append(f"another one was completed {ago} ago")
        else:
            context.append(f"last completed {ago} ago")
    if waived and not only_waived:
        context.append(waived)
    if words := _cadence_words(cadence):
        context.append(words)
    if only_waived:  # nothing done and nothing running: the waivers are all there is
        reason = f"{title} {waived} ({'; '.join(context)})" if context else f"{title} {waived}"
        return Finding(source="obligation", name=title, status=RequirementState.NOT_TRACKED, reason=reason, url=url)
    if summary.overdue_count:
        oldest = time_left(summary.next_due_at, now) if summary.next_due_at else "overdue"
        if summary.overdue_count == 1:
            headline, status = f"{title} {oldest}", RequirementState.NOT_MET
        else:
            headline, status = f"{title}: {summary.overdue_count} overdue, the oldest {oldest}", RequirementState.NOT_MET
    elif summary.open_count and summary.next_due_at is not None and now >= summary.next_due_at - cadence.warning:
        headline, status = f"{title} {time_left(summary.next_due_at, now)}", RequirementState.AT_RISK
    elif summary.late_recently:
        headline = f"{title} completed late {_times(summary.late_recently)} in the last {RECENT_LATE_WINDOW.days} days"
        status = RequirementState.AT_RISK
    elif summary.open_count and summary.next_due_at is not None:
        headline, status = f"{title} next {time_left(summary.next_due_at, now)}", RequirementState.MET
    elif summary.late_count:  # late, but longer ago than the window: met, and it says so
        headline = f"{title} completed {_times(summary.completed_count)}, {summary.late_count} late (none in the last {RECENT_LATE_WINDOW.days} days)"
        status = RequirementState.MET
    else:
        count = "once" if summary.completed_count == 1 else f"all {summary.completed_count}"
        headline, status = f"{title} completed on time ({count})", RequirementState.MET
    reason = f"{headline} ({'; '.join(context)})" if context else headline
    return Finding(source="obligation", name=title, status=status, reason=reason, url=url)


def check_finding(name: str, result: CheckResult) -> Finding:
    try:
        status = RequirementState(result.status)
    except ValueError:
        status = RequirementState.AT_RISK
        reason = f"the check returned an unknown status {result.status!r}"
    else:
        reason = result.reason
    return Finding(
        source="check",
        name=name,
        status=status,
        reason=reason,
        url=result.url,
        missing=getattr(result, "missing", False),
        portal=getattr(result, "portal", False),
    )


def run_check(name: str, check: Callable[[datetime], CheckResult], now: datetime) -> Finding:
    """Run one live check; a check that crashes makes the clause at risk instead of breaking the page."""
    try:
        return check_finding(name, check(now))
    except Exception as error:  # a broken check of another app must not take the dashboard down
        logger.exception("DPP check %s failed", name)
        return Finding(
            source="check", name=name, status=RequirementState.AT_RISK, reason=f"the check could not run ({type(error).__name__})"
        )


PORTAL_ONLY_REASON = "only the portal's own settings are recorded for this clause; record the company's in-scope systems"


def requirement_status(findings: Iterable[Finding]) -> RequirementStatus:
    """Combine findings: the worst status wins and its reasons are the requirement's reason.

    "Met" needs more than the absence of problems: no finding may report a missing record, and
    at least one met finding must be about the company's systems rather than the portal alone.
    """
    ordered = sorted(findings, key=lambda finding: -SEVERITY[finding.status])
    counted = [finding for finding in ordered if finding.status != RequirementState.NOT_TRACKED]
    missing = [finding for finding in ordered if finding.missing]
    if not counted:
        reasons = [finding.reason for finding in ordered if finding.reason]
        reason = "; ".join(reasons) or "Nothing records this clause yet: no obligation or live check is registered for it."
        return RequirementStatus(RequirementState.NOT_TRACKED, reason, tuple(ordered))
    worst = counted[0].status
    if worst == RequirementState.MET:
        if missing:
            return RequirementStatus(RequirementState.NOT_TRACKED, "; ".join(f.reason for f in missing), tuple(ordered))
        if all(finding.portal for finding in counted):
            reason = "; ".join(
                [PORTAL_ONLY_REASON] + [finding.reason for finding in ordered if finding.status == RequirementState.NOT_TRACKED]
            )
            return RequirementStatus(RequirementState.NOT_TRACKED, reason, tuple(ordered))
    reason = "; ".join(finding.reason for finding in counted if finding.status == worst)
    return RequirementStatus(worst, reason, tuple(ordered))


def posture_counts(statuses: Iterable[RequirementStatus]) -> dict[str, int]:
    """How many requirements are met / at risk / not met / not tracked (every key present)."""
    counts = Counter(status.status for status in statuses)
    return {state.value: counts.get(state, 0) for state in RequirementState}

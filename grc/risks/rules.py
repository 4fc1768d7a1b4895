"""Risk scoring and flagging as pure functions (DPP 1.6: "likelihood and impact in order to track
known risks"). No database, no clock: ``now`` and the appetite are arguments, so every rule is
tested on plain values; the selectors express the same rules in SQL for filtering and counting.

* Likelihood and impact are 1-5, each level with its words (``LIKELIHOOD``, ``IMPACT``).
* A score is likelihood × impact (1-25) and falls in a band: low 1-4, medium 5-9, high 10-16,
  critical 20-25.
* The appetite (``RISK_APPETITE_SCORE``, default 12) is the highest residual score the business
  tolerates without a treatment plan: an open risk *above* it needs one.
* A treatment plan is in place when the treatment is mitigate / transfer / avoid and at least one
  action is recorded, or when the treatment is accept and an approved acceptance has not expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings

from grc.timefmt import add_months

LEVELS = (1, 2, 3, 4, 5)
DEFAULT_APPETITE = 12
MAX_ACCEPTANCE_MONTHS = 12  # an acceptance is revisited at least yearly
ACCEPTANCE_WARNING = timedelta(days=30)  # "expiring" this long before the expiry (the revisit obligation's warning)


@dataclass(frozen=True)
class Level:
    value: int
    label: str
    description: str

    def __str__(self) -> str:
        return f"{self.value} · {self.label}"


LIKELIHOOD = {
    1: Level(1, "Rare", "only in exceptional circumstances (less than once in 10 years)"),
    2: Level(2, "Unlikely", "could happen at some time (once in 3-10 years)"),
    3: Level(3, "Possible", "might happen (once in 1-3 years)"),
    4: Level(4, "Likely", "will probably happen (about once a year)"),
    5: Level(5, "Almost certain", "expected to happen (several times a year)"),
}
IMPACT = {
    1: Level(1, "Negligible", "no Amazon Information or PII exposed; no disruption"),
    2: Level(2, "Minor", "little internal exposure, contained at once; nothing to report"),
    3: Level(3, "Moderate", "a few buyers' PII exposed or order processing down for hours"),
    4: Level(4, "Major", "a Security Incident reportable to Amazon; many buyers' PII or API credentials exposed"),
    5: Level(5, "Severe", "large breach of Amazon Information; SP-API access suspended; regulators involved"),
}


class Band(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


BAND_LIMITS = ((4, Band.LOW), (9, Band.MEDIUM), (16, Band.HIGH), (25, Band.CRITICAL))


def check_level(value: object, what: str = "level") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in LEVELS:
        raise ValueError(f"{what} must be a whole number from 1 to 5, not {value!r}")
    return value


def score(likelihood: int, impact: int) -> int:
    """Likelihood × impact, 1-25."""
    return check_level(likelihood, "likelihood") * check_level(impact, "impact")


def band(value: int) -> Band:
    for limit, name in BAND_LIMITS:
        if 1 <= value <= limit:
            return name
    raise ValueError(f"a score is 1-25, not {value!r}")


def score_label(value: int) -> str:
    """``12 · high``: the number and its band, as badges and reports show it."""
    return f"{value} · {band(value)}"


def appetite_from_settings() -> int:
    value = int(getattr(settings, "RISK_APPETITE_SCORE", DEFAULT_APPETITE))
    if not 1 <= value <= 25:
        raise ValueError(f"RISK_APPETITE_SCORE must be 1-25, not {value}")
    return value


def above_appetite(value: int, appetite: int) -> bool:
    return value > appetite


def residual_within_inherent(*, inherent_likelihood: int, inherent_impact: int, residual_likelihood: int, residual_impact: int) -> bool:
    """Existing controls lower a risk or leave it as it is; they never raise it."""
    return residual_likelihood <= inherent_likelihood and residual_impact <= inherent_impact


# --- treatment -----------------------------------------------------------------------------------
PLANNED_TREATMENTS = ("mitigate", "transfer", "avoid")  # carried out through actions
ACCEPT = "accept"


class AcceptanceState(StrEnum):
    NONE = "none"
    VALID = "valid"
    EXPIRING = "expiring"  # inside the warning window before the expiry
    EXPIRED = "expired"


def acceptance_state(expires_at: datetime | None, now: datetime, warning: timedelta = ACCEPTANCE_WARNING) -> AcceptanceState:
    if expires_at is None:
        return AcceptanceState.NONE
    if expires_at <= now:
        return AcceptanceState.EXPIRED
    if expires_at - warning <= now:
        return AcceptanceState.EXPIRING
    return AcceptanceState.VALID


def acceptance_expiry_allowed(expires_at: datetime, now: datetime) -> bool:
    """An acceptance ends in the future and at most ``MAX_ACCEPTANCE_MONTHS`` calendar months away."""
    return now < expires_at <= add_months(now, MAX_ACCEPTANCE_MONTHS)


def plan_in_place(*, treatment: str, action_count: int, acceptance_expires_at: datetime | None, now: datetime) -> bool:
    """Whether the risk has a treatment plan: actions for mitigate/transfer/avoid, a valid approved acceptance for accept."""
    if treatment in PLANNED_TREATMENTS:
        return action_count > 0
    if treatment == ACCEPT:
        return acceptance_expires_at is not None and acceptance_expires_at > now
    return False


class Flag(StrEnum):
    ABOVE_APPETITE = "above_appetite"
    NO_PLAN = "no_plan"  # above the appetite without a treatment plan: the dashboard flag
    ACCEPTANCE_EXPIRED = "acceptance_expired"
    ACCEPTANCE_PENDING = "acceptance_pending"
    ACTIONS_OVERDUE = "actions_overdue"

    @property
    def label(self) -> str:
        return FLAG_LABELS[self]


FLAG_LABELS = {
    Flag.ABOVE_APPETITE: "above appetite",
    Flag.NO_PLAN: "no treatment plan",
    Flag.ACCEPTANCE_EXPIRED: "acceptance expired",
    Flag.ACCEPTANCE_PENDING: "acceptance awaiting approval",
    Flag.ACTIONS_OVERDUE: "actions overdue",
}


@dataclass(frozen=True)
class RiskFacts:
    """What the flags depend on, as plain values (from a row and its annotations)."""

    is_open: bool
    residual_score: int
    treatment: str
    action_count: int = 0  # actions recorded and not cancelled (open or done)
    overdue_actions: int = 0
    acceptance_expires_at: datetime | None = None  # of the approved acceptance in force
    acceptance_pending: bool = False


def risk_flags(facts: RiskFacts, *, appetite: int, now: datetime) -> list[Flag]:
    """The flags of one risk, worst first. A closed risk has none."""
    if not facts.is_open:
        return []
    flags: list[Flag] = []
    planned = plan_in_place(
        treatment=facts.treatment, action_count=facts.action_count, acceptance_expires_at=facts.acceptance_expires_at, now=now
    )
    if above_appetite(facts.residual_score, appetite):
        if not planned:
            flags.append(Flag.NO_PLAN)
        flags.append(Flag.ABOVE_APPETITE)
    if facts.treatment == ACCEPT and acceptance_state(facts.acceptance_expires_at, now) == AcceptanceState.EXPIRED:
        flags.append(Flag.ACCEPTANCE_EXPIRED)
    if facts.acceptance_pending:
        flags.append(Flag.ACCEPTANCE_PENDING)
    if facts.overdue_actions:
        flags.append(Flag.ACTIONS_OVERDUE)
    return flags


def needs_treatment_plan(facts: RiskFacts, *, appetite: int, now: datetime) -> bool:
    """The dashboard flag of DPP 1.6: an open risk above the appetite without a treatment plan."""
    return Flag.NO_PLAN in risk_flags(facts, appetite=appetite, now=now)


def plan_summary(*, treatment: str, action_count: int, done_count: int, acceptance_expires_at: datetime | None, now: datetime) -> str:
    """A few words on the state of the treatment, for tables and reports (no names)."""
    if treatment in PLANNED_TREATMENTS:
        if not action_count:
            return "no actions yet"
        if action_count == 1:
            return "its action is done" if done_count else "1 action open"
        if done_count == action_count:
            return f"all {action_count} actions done"
        return f"{done_count} of {action_count} actions done"
    if treatment == ACCEPT:
        state = acceptance_state(acceptance_expires_at, now)
        if state == AcceptanceState.NONE:
            return "acceptance not approved"
        if state == AcceptanceState.EXPIRED:
            return f"acceptance expired {acceptance_expires_at:%d %b %Y}"
        return f"accepted until {acceptance_expires_at:%d %b %Y}"
    return "treatment not decided"

"""Adjustable cadences: the security lead tightens an obligation kind's period, never past the policy.

Amazon revises the DPP, and newer revisions are stricter in places (scans every 30 days rather
than 180, logs kept 12 months …). Every period of the cadence table is a setting here:

* ``POLICY_LIMITS`` — where the DPP text states a period, the loosest period it allows, with the
  words of the policy (tests check each quote against the policy text). Kinds the DPP gives no
  period for (yearly training, the monthly retention check …) are bounded by the table's own period.
* ``cadence_override_set`` — sets a period no looser than that limit, with a reason; re-dates the
  kind's open obligations by the new rule; writes the history row (``CadenceChange``) and the
  audit event. Setting the table's period again removes the override (a reset).
* ``effective_cadence(kind)`` (grc/compliance/cadences.py) is what the engine uses.

"No looser" must hold for every anchor: 90 days is not within "quarterly" (three calendar months
can be 89 days), so mixed units are compared by their shortest and longest lengths.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from grc.accounts.models import User
from grc.audit.services import record_event
from grc.compliance.cadence_models import CadenceChange, CadenceChangeAction, CadenceOverride
from grc.compliance.cadences import CADENCES, Cadence, Period, cadence_for, effective_cadences
from grc.compliance.models import Obligation

UNITS = ("hours", "days", "months")
UNIT_LABELS = {"hours": "hours", "days": "days", "months": "calendar months"}
REDATED_KEPT = 500  # re-dated obligations listed on the history row (all are counted)
BATCH = 500


@dataclass(frozen=True)
class PolicyLimit:
    period: Period
    clause: str
    quote: str  # the DPP's words, verbatim (checked against the policy text by the tests)


POLICY_LIMITS: dict[str, PolicyLimit] = {
    "access_reviews.quarterly_review": PolicyLimit(
        Period(months=3), "1.2", "review the list of people and services with access to Information at least quarterly"
    ),
    "access_reviews.deprovision": PolicyLimit(
        Period(hours=24), "1.2", "access is disabled and/or removed within 24 hours for terminated employees"
    ),
    "accounts.password_expiry": PolicyLimit(Period(days=365), "1.4", "a maximum 365-day password expiration for all users"),
    "risks.annual_review": PolicyLimit(Period(months=12), "1.6", "reviewed by the Developer’s senior management annually"),
    "policies.ir_plan_review": PolicyLimit(Period(months=6), "1.6", "review and verify the plan every six (6) months"),
    "incidents.amazon_notification": PolicyLimit(Period(hours=24), "1.6", "within 24 hours of detecting a Security Incident"),
    "assets.deletion_30d": PolicyLimit(Period(days=30), "1.7", "within 30 days of Amazon’s requests"),
    "assets.deletion_90d": PolicyLimit(Period(days=90), "1.7", "90 days after Amazon’s notice"),
    "assets.inventory_attestation": PolicyLimit(Period(months=3), "2.3", "and update quarterly"),
    "audit.log_review": PolicyLimit(Period(days=14), "2.6", "on a bi-weekly basis"),
    "assets.vulnerability_scan": PolicyLimit(Period(days=180), "2.7", "vulnerability scanning at least every 180 days"),
    "assets.penetration_test": PolicyLimit(Period(days=365), "2.7", "penetration test at least every 365 days"),
}


# --- periods ---------------------------------------------------------------------------------------
def period_of(number: int, unit: str) -> Period:
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    return Period(**{unit: int(number)})


def period_json(period: Period) -> dict[str, int]:
    return {"months": period.months, "days": period.days, "hours": period.hours}


def period_from_json(data: dict | None) -> Period | None:
    if not data:
        return None
    return Period(months=int(data.get("months", 0)), days=int(data.get("days", 0)), hours=int(data.get("hours", 0)))


def single_unit(period: Period) -> tuple[int, str] | None:
    """``(number, unit)`` when the period is in one unit only (every period of the table is)."""
    parts = [(value, unit) for unit, value in (("months", period.months), ("days", period.days), ("hours", period.hours)) if value]
    return parts[0] if len(parts) == 1 else None


@lru_cache(maxsize=256)
def length_bounds(period: Period) -> tuple[timedelta, timedelta]:
    """The shortest and longest the period can be, over every start day of a four-year cycle."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    lengths = [period.after(anchor) - anchor for anchor in (start + timedelta(days=n) for n in range(4 * 365 + 1))]
    return min(lengths), max(lengths)


def within(period: Period, limit: Period) -> bool:
    """True when ``period`` ends no later than ``limit`` from any anchor (it is no looser)."""
    mine, theirs = single_unit(period), single_unit(limit)
    if mine and theirs and mine[1] == theirs[1]:
        return mine[0] <= theirs[0]
    return length_bounds(period)[1] <= length_bounds(limit)[0]


def largest_within(limit: Period, unit: str) -> int:
    """The largest whole number of ``unit`` that is still within ``limit`` (0 if none)."""
    single = single_unit(limit)
    if single and single[1] == unit:
        return single[0]
    shortest = length_bounds(limit)[0]
    if unit == "hours":
        return int(shortest // timedelta(hours=1))
    if unit == "days":
        return shortest.days
    months = 0
    while within(Period(months=months + 1), limit):
        months += 1
    return months


def describe(period: Period | None) -> str:
    if period is None:
        return "set per obligation"
    single = single_unit(period)
    if single and single[1] == "months" and single[0] % 12 == 0:
        years = single[0] // 12
        return f"{single[0]} months ({years} year{'s' if years != 1 else ''})"
    return str(period)


# --- the limit of each kind ------------------------------------------------------------------------
def ceiling(kind: str) -> Period | None:
    """The loosest period allowed for ``kind``: the policy's where it states one, else the table's."""
    base = cadence_for(kind)
    if base.period is None:
        return None
    limit = POLICY_LIMITS.get(kind)
    if limit is None:
        return base.period
    return base.period if within(base.period, limit.period) else limit.period


def limit_source(kind: str) -> str:
    """Where the limit comes from, in words, for pages and evidence packs."""
    limit = POLICY_LIMITS.get(kind)
    if limit is not None:
        return f"DPP {limit.clause}: “{limit.quote}”"
    return "the portal's default (the DPP gives no period for this)"


def is_adjustable(kind: str) -> bool:
    return kind in CADENCES and cadence_for(kind).period is not None


@dataclass(frozen=True)
class CadenceRow:
    """One kind on the cadences page."""

    cadence: Cadence  # the table's
    effective: Period | None
    ceiling: Period | None
    source: str
    override: CadenceOverride | None
    open_count: int

    @property
    def kind(self) -> str:
        return self.cadence.kind

    @property
    def is_overridden(self) -> bool:
        return self.override is not None

    @property
    def adjustable(self) -> bool:
        return self.cadence.period is not None

    @property
    def warning_too_long(self) -> bool:
        """The reminder window is as long as the period: the obligation shows as due soon from the start."""
        return self.effective is not None and length_bounds(self.effective)[0] <= self.cadence.warning


def cadence_rows() -> list[CadenceRow]:
    """Every kind of the table with its period in force and its limit: three queries."""
    effective = effective_cadences()
    overrides = {row.kind: row for row in CadenceOverride.objects.select_related("changed_by")}
    open_counts = dict(
        Obligation.objects.filter(completed_at__isnull=True).values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
    )
    rows = [
        CadenceRow(
            cadence=cadence,
            effective=effective[kind].period,
            ceiling=ceiling(kind),
            source=limit_source(kind) if cadence.period is not None else "",
            override=overrides.get(kind),
            open_count=open_counts.get(kind, 0),
        )
        for kind, cadence in CADENCES.items()
    ]
    return sorted(rows, key=lambda row: ([int(part) for part in row.cadence.clause.split(".")], row.cadence.title))


# --- the service -----------------------------------------------------------------------------------
def _redate_open(kind: str, old: Period, new: Period) -> list[list]:
    """Re-date the kind's open obligations by the new rule.

    An obligation due exactly where the old rule put it moves to where the new rule puts it; one
    whose app gave a tighter date of its own keeps that date unless the new rule is tighter still.
    """
    changed: list[Obligation] = []
    log: list[list] = []
    rows = Obligation.objects.select_for_update().filter(kind=kind, completed_at__isnull=True).only("id", "anchor_at", "due_at")
    for obligation in rows.order_by("id"):
        new_rule = new.after(obligation.anchor_at)
        target = new_rule if obligation.due_at == old.after(obligation.anchor_at) else min(obligation.due_at, new_rule)
        target = max(target, obligation.anchor_at)
        if target != obligation.due_at:
            log.append([obligation.pk, obligation.due_at.isoformat(), target.isoformat()])
            obligation.due_at = target
            changed.append(obligation)
    Obligation.objects.bulk_update(changed, ["due_at"], batch_size=BATCH)
    return log


@transaction.atomic
def cadence_override_set(
    *, kind: str, period: Period, reason: str, by: User, now: datetime, request: HttpRequest | None = None
) -> CadenceChange:
    """Set the period of ``kind`` (no looser than the policy), re-date its open obligations, audit it."""
    if not is_adjustable(kind):
        raise ValidationError({"number": "This kind has no fixed period: its due time is set per obligation."})
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationError({"reason": "Say why the period changes (e.g. the DPP revision or Amazon request that asks for it)."})
    if period.months < 0 or period.days < 0 or period.hours < 0 or period == Period():
        raise ValidationError({"number": "The period must be at least one hour."})
    base = cadence_for(kind)
    limit = ceiling(kind)
    assert base.period is not None and limit is not None  # is_adjustable(kind): the kind has a fixed period
    if not within(period, limit):
        single = single_unit(period)
        unit = single[1] if single else "days"
        raise ValidationError(
            {
                "number": f"{period} is looser than the policy allows ({describe(limit)}, {limit_source(kind)}). "
                f"Choose at most {largest_within(limit, unit)} {UNIT_LABELS[unit]}."
            }
        )
    current = CadenceOverride.objects.select_for_update().filter(kind=kind).first()
    old = Period(current.months, current.days, current.hours) if current else base.period
    if period == old:
        raise ValidationError({"number": f"The period is already {period}."})
    if period == base.period:
        action = CadenceChangeAction.RESET
        if current is not None:
            current.delete()
    else:
        action = CadenceChangeAction.TIGHTENED if within(period, old) else CadenceChangeAction.RELAXED
        CadenceOverride.objects.update_or_create(
            kind=kind,
            defaults={**period_json(period), "reason": reason, "changed_by": by, "changed_at": now},
        )
    redated = _redate_open(kind, old, period)
    change = CadenceChange.objects.create(
        kind=kind,
        clause=base.clause,
        action=action,
        old_period=period_json(old),
        new_period=period_json(period),
        policy_period=period_json(limit),
        reason=reason,
        changed_by=by,
        changed_at=now,
        redated_count=len(redated),
        redated=redated[:REDATED_KEPT],
    )
    record_event(
        "compliance.cadence.changed",
        request=request,
        actor=by,
        obj=change,
        message=f"kind={kind} {action} from {old} to {period}; {len(redated)} open obligations re-dated",
        changed_fields=["period", "reason"],
        details={"kind": kind, "old": period_json(old), "new": period_json(period), "redated": len(redated)},
    )
    return change


def cadence_change_rows(
    *, kind: str = "", since: datetime | None = None, until: datetime | None = None, limit: int | None = None
) -> QuerySet[CadenceChange]:
    """The history, newest first (one query)."""
    rows = CadenceChange.objects.select_related("changed_by")
    if kind:
        rows = rows.filter(kind=kind)
    if since is not None:
        rows = rows.filter(changed_at__gte=since)
    if until is not None:
        rows = rows.filter(changed_at__lt=until)
    return rows[:limit] if limit else rows

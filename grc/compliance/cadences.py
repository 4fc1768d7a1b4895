"""The obligation table: every DPP deadline kind, its clause, period, warning and milestones.

This is the one place cadences live (DESIGN.md, "The obligation clock"). Periods in months are
calendar months. ``period=None`` means the due time is given per obligation (a release date, a
finding's severity deadline). Milestones are offsets *before* the due time at which a reminder
goes out; ``timedelta(0)`` is the breach. Apps refer to a kind by its key and never copy a period.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from grc.compliance.cadence_models import CadenceOverride
from grc.timefmt import add_months

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
STANDARD_MILESTONES = (14 * DAY, 3 * DAY, DAY, timedelta(0))
SHORT_MILESTONES = (3 * DAY, DAY, timedelta(0))
INCIDENT_MILESTONES = (24 * HOUR, 12 * HOUR, 4 * HOUR, HOUR, timedelta(0))  # at detection, 12 h, 20 h, 23 h, breach
DEPROVISION_MILESTONES = (24 * HOUR, 12 * HOUR, 4 * HOUR, HOUR, timedelta(0))


@dataclass(frozen=True)
class Period:
    months: int = 0
    days: int = 0
    hours: int = 0

    def after(self, moment: datetime) -> datetime:
        return add_months(moment, self.months) + timedelta(days=self.days, hours=self.hours)

    def __str__(self) -> str:
        parts = [(self.months, "month"), (self.days, "day"), (self.hours, "hour")]
        return " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n) or "0 days"


@dataclass(frozen=True)
class Cadence:
    kind: str
    clause: str
    title: str
    period: Period | None
    warning: timedelta
    milestones: tuple[timedelta, ...] = STANDARD_MILESTONES
    recurring: bool = False  # completing one opens the next, anchored at the completion time
    escalate_to_leads: bool = True  # at breach, every security lead is told as well as the owner
    notes: str = field(default="", compare=False)

    def due_after(self, anchor: datetime) -> datetime:
        if self.period is None:
            raise ValueError(f"{self.kind} has no fixed period: give the due time explicitly")
        return self.period.after(anchor)


CADENCES: dict[str, Cadence] = {
    c.kind: c
    for c in [
        # 1.1 training for everyone with system access: on joining, then yearly
        Cadence("access_reviews.training_initial", "1.1", "Security training on joining", Period(days=30), 7 * DAY, SHORT_MILESTONES),
        Cadence("access_reviews.training_annual", "1.1", "Yearly security training", Period(months=12), 30 * DAY, recurring=True),
        # 1.2 access management
        Cadence("access_reviews.quarterly_review", "1.2", "Quarterly access review", Period(months=3), 14 * DAY, recurring=True),
        Cadence("access_reviews.reviewer_signoff", "1.2", "Review and sign off your accounts in an access review", None, 3 * DAY),
        Cadence(
            "access_reviews.deprovision", "1.2", "Remove access of a terminated person", Period(hours=24), 12 * HOUR, DEPROVISION_MILESTONES
        ),
        # 1.4 the portal's own passwords
        Cadence("accounts.password_expiry", "1.4", "Portal password expires", Period(days=365), 14 * DAY, escalate_to_leads=False),
        # 1.6 risk management and incident response
        Cadence("risks.annual_review", "1.6", "Annual senior-management risk review", Period(months=12), 30 * DAY, recurring=True),
        Cadence("risks.treatment_action", "1.6", "Risk treatment action", None, 14 * DAY),
        Cadence("risks.acceptance_revisit", "1.6", "Revisit an accepted risk", None, 30 * DAY),
        Cadence("policies.ir_plan_review", "1.6", "IR plan six-monthly review", Period(months=6), 30 * DAY, recurring=True),
        Cadence("policies.major_change_review", "1.6", "IR plan review after a major change", Period(days=30), 7 * DAY, SHORT_MILESTONES),
        Cadence(
            "incidents.amazon_notification",
            "1.6",
            "Notify Amazon of a security incident (3p-security@amazon.com)",
            Period(hours=24),
            12 * HOUR,
            INCIDENT_MILESTONES,
        ),
        # 1.7 deletion on Amazon's notice
        Cadence("assets.deletion_30d", "1.7", "Delete Information after Amazon's notice", Period(days=30), 7 * DAY),
        Cadence("assets.deletion_90d", "1.7", "Delete all live instances after Amazon's notice", Period(days=90), 14 * DAY),
        # 2.1 PII retention per data store
        Cadence(
            "assets.retention_check",
            "2.1",
            "Confirm PII past retention was purged",
            Period(months=1),
            7 * DAY,
            SHORT_MILESTONES,
            recurring=True,
        ),
        # 2.2 data governance
        Cadence("policies.document_review", "2.2", "Governed document review", Period(months=12), 30 * DAY, recurring=True),
        Cadence(
            "policies.acknowledgement", "2.2", "Acknowledge a policy", Period(days=30), 7 * DAY, SHORT_MILESTONES, escalate_to_leads=False
        ),
        Cadence("policies.dsar_response", "2.2", "Answer a data-subject request", Period(days=30), 7 * DAY),
        # 1.2, 1.6, 2.7: further governed documents of the policy library (each type's own period is passed explicitly)
        Cadence("policies.access_policy_review", "1.2", "Access-control policy review", Period(months=12), 30 * DAY, recurring=True),
        Cadence("policies.risk_process_review", "1.6", "Risk-management process review", Period(months=12), 30 * DAY, recurring=True),
        Cadence("policies.backup_plan_review", "2.7", "Backup and restore plan review", Period(months=12), 30 * DAY, recurring=True),
        # 2.3 asset inventory
        Cadence("assets.inventory_attestation", "2.3", "Quarterly asset inventory attestation", Period(months=3), 14 * DAY, recurring=True),
        # 2.6 logging and monitoring
        Cadence("audit.log_review", "2.6", "Bi-weekly log review", Period(days=14), 3 * DAY, SHORT_MILESTONES, recurring=True),
        # 2.7 vulnerability management
        Cadence("assets.vulnerability_scan", "2.7", "Vulnerability scan", Period(days=180), 30 * DAY, recurring=True),
        Cadence("assets.penetration_test", "2.7", "Penetration test", Period(days=365), 30 * DAY, recurring=True),
        Cadence("assets.release_scan", "2.7", "Code scan before release", None, 3 * DAY, SHORT_MILESTONES),
        Cadence("assets.finding_fix", "2.7", "Fix a vulnerability finding", None, 7 * DAY),
        Cadence("policies.vuln_runbook_review", "2.7", "Vulnerability runbook review", Period(months=12), 30 * DAY, recurring=True),
        # the control register (grc/controls): each entry is re-attested on its area's cadence
        Cadence("controls.network_review", "1.1", "Re-attest a system's network protection", Period(months=3), 14 * DAY),
        Cadence("controls.identity_review", "1.4", "Re-attest a system's identity settings", Period(months=3), 14 * DAY),
        Cadence("controls.purpose_review", "2", "Re-attest the purpose of a PII data store", Period(months=3), 14 * DAY),
        Cadence("controls.dlp_review", "2.3", "Re-attest a system's data-loss prevention", Period(months=3), 14 * DAY),
        Cadence("controls.secrets_review", "2.5", "Re-attest a system's secrets and environments", Period(months=3), 14 * DAY),
        Cadence("controls.logging_review", "2.6", "Re-attest a system's logging and monitoring", Period(months=3), 14 * DAY),
        # 3 audit and assessment
        Cadence("evidence.finding_remediation", "3", "Remediate an audit finding", None, 14 * DAY),
        Cadence(
            "evidence.audit_approval",
            "3",
            "Obtain the auditor's written approval of the remediation evidence",
            Period(days=30),
            7 * DAY,
            SHORT_MILESTONES,
        ),
        Cadence(
            "compliance.kit_document_review", "3", "Review an assessment document (diagram)", Period(months=12), 30 * DAY, recurring=True
        ),
    ]
}


def cadence_for(kind: str) -> Cadence:
    """The table's cadence (the policy's period). For the period in force use ``effective_cadence``."""
    try:
        return CADENCES[kind]
    except KeyError:
        raise KeyError(f"Unknown obligation kind {kind!r}: add it to grc/compliance/cadences.py") from None


def effective_cadence(kind: str) -> Cadence:
    """The cadence in force: the table's, with the period the security lead tightened (if any).

    The one function that applies ``CadenceOverride`` (grc/compliance/cadence_overrides.py):
    whatever computes a due time from a period calls it. One query, and none for kinds without
    a fixed period. Warnings and milestones stay the table's.
    """
    base = cadence_for(kind)
    if base.period is None:
        return base
    row = CadenceOverride.objects.filter(kind=kind).values_list("months", "days", "hours").first()
    return base if row is None else replace(base, period=Period(*row))


def effective_cadences() -> dict[str, Cadence]:
    """Every kind's cadence in force, in one query (for pages listing many kinds)."""
    overrides = {
        kind: Period(months, days, hours)
        for kind, months, days, hours in CadenceOverride.objects.values_list("kind", "months", "days", "hours")
    }
    return {
        kind: replace(cadence, period=overrides[kind]) if kind in overrides and cadence.period is not None else cadence
        for kind, cadence in CADENCES.items()
    }

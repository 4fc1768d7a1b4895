"""Demo data of the obligation engine: the programme-wide recurring obligations.

These are about the programme as a whole (``subject=None``), so they exist from day one
whether or not the owning app has records yet. The owning apps' seeders run later and may
re-date or complete them through the same services (``obligation_open`` is idempotent); a kind
that already has any obligation is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from grc.compliance.models import Obligation
from grc.compliance.services import obligation_open

# kind, days since the last time it was done (the anchor): a mix of overdue, due soon and fine
PROGRAMME_OBLIGATIONS = [
    ("access_reviews.quarterly_review", 80),
    ("assets.inventory_attestation", 95),
    ("audit.log_review", 10),
    ("policies.ir_plan_review", 170),
    ("risks.annual_review", 200),
    ("assets.vulnerability_scan", 100),
    ("assets.penetration_test", 300),
    ("policies.vuln_runbook_review", 30),
]


def seed(ctx) -> None:
    lead = ctx.users.get("lead")
    made = []
    for kind, days_ago in PROGRAMME_OBLIGATIONS:
        if Obligation.objects.filter(kind=kind).exists():
            continue
        obligation = obligation_open(kind=kind, subject=None, anchor_at=ctx.now - timedelta(days=days_ago), owner=lead)
        made.append(obligation)
    ctx.made["programme_obligations"] = made
    _seed_attestation(ctx, lead)
    if made:
        ctx.say(f"Programme-wide obligations: {len(made)} (quarterly access review, inventory attestation, log review, IR plan review …)")


def _seed_attestation(ctx, lead) -> None:
    """The change-control statement (DPP 2.7), signed two months ago with a link to the change workflow."""
    from grc.compliance.attestations import attestation_sign
    from grc.compliance.kit_models import Attestation

    if lead is None or Attestation.objects.exists():
        return
    signed_at = ctx.now - timedelta(days=60)
    attestation_sign(
        statement="change_control",
        owner=lead,
        evidence_url="https://git.example.com/shop/settings/branches",
        expires_on=(signed_at + timedelta(days=365)).date(),
        by=lead,
        step_up_at=signed_at,
        now=signed_at,
    )
    ctx.say("Attestation: change control of storage (DPP 2.7), signed 60 days ago")

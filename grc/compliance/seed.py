"""Demo data of the obligation engine: the programme-wide recurring obligations.

These are about the programme as a whole (``subject=None``), so they exist from day one
whether or not the owning app has records yet. The owning apps' seeders run later and may
re-date or complete them through the same services (``obligation_open`` is idempotent); a kind
that already has any obligation is left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

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


class SeedContext(Protocol):
    """What ``grc.seeding.SeedContext`` offers a seeder (this app sits below the seeding tooling)."""

    now: datetime
    users: dict[str, Any]
    made: dict[str, Any]

    def say(self, line: str) -> None: ...


def seed(ctx: SeedContext) -> None:
    lead = ctx.users.get("lead")
    made = []
    for kind, days_ago in PROGRAMME_OBLIGATIONS:
        if Obligation.objects.filter(kind=kind).exists():
            continue
        obligation = obligation_open(kind=kind, subject=None, anchor_at=ctx.now - timedelta(days=days_ago), owner=lead)
        made.append(obligation)
    ctx.made["programme_obligations"] = made
    if made:
        ctx.say(f"Programme-wide obligations: {len(made)} (quarterly access review, inventory attestation, log review, IR plan review …)")

"""The small quarterly review both browser tests of the manager's path start from: five accounts of
two people on two systems, two of them flagged (a shared account without MFA, an unrequested admin)."""

from __future__ import annotations

from datetime import date

from access_reviews.services.campaigns import campaign_start
from tests.access_reviews.conftest import NOW, Registry


def start_review_campaign(lead, manager, other_manager, staff):
    registry = Registry(lead=lead, manager=manager, other_manager=other_manager, staff=staff)
    order_db = registry.system("Order DB")
    aws = registry.system("AWS production")
    registry.approve(registry.account(order_db, "lee.wong", registry.staff))
    registry.approve(registry.account(aws, "lee", registry.staff, privilege="ReadOnlyAccess"))
    sam = registry.person("Sam", "Ito", manager=registry.manager)
    registry.approve(registry.account(order_db, "sam.ito", sam))
    registry.account(order_db, "shared_support", registry.staff, is_shared=True, mfa="no")  # flagged
    registry.account(aws, "sam-admin", sam, privilege="AdministratorAccess", privileged=True)  # flagged
    return campaign_start(
        period="2026-Q4", period_start=date(2026, 10, 1), period_end=date(2026, 12, 31), effective_at=NOW, by=lead, now=NOW
    )


def row_id(campaign, name: str) -> str:
    return f"#row-{next(r.pk for r in campaign.rows.all() if r.account_name == name)}"

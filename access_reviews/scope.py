"""The registry's in-scope systems, told to the engine's scope registry (``register_scope``).

Readers such as the control register judge a DPP clause over these systems without importing this
app. Each subject carries its account counts for DPP 1.4 ("MFA is required for all user
accounts"): enabled human accounts present at the last import, and how many of them have no MFA
or none recorded. One aggregate query, whatever the number of systems or accounts.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q
from django.urls import reverse

from access_reviews.models import Mfa, System
from grc.compliance.registry import ScopeSubject


def in_scope_systems(now: datetime) -> list[ScopeSubject]:
    human = Q(accounts__enabled=True, accounts__removed_at__isnull=True, accounts__is_service_account=False)
    rows = (
        System.objects.filter(holds_amazon_information=True)
        .annotate(
            human_accounts=Count("accounts", filter=human),
            accounts_without_mfa=Count("accounts", filter=human & Q(accounts__mfa=Mfa.NO)),
            accounts_mfa_unknown=Count("accounts", filter=human & Q(accounts__mfa=Mfa.UNKNOWN)),
        )
        .values("pk", "name", "is_portal", "human_accounts", "accounts_without_mfa", "accounts_mfa_unknown")
        .order_by("name")
    )
    return [
        ScopeSubject(
            key=f"system:{row['pk']}",
            kind="system",
            pk=row["pk"],
            name=row["name"],
            url=reverse("access_reviews:system_detail", args=[row["pk"]]),
            is_portal=row["is_portal"],
            facts={
                "human_accounts": row["human_accounts"],
                "accounts_without_mfa": row["accounts_without_mfa"],
                "accounts_mfa_unknown": row["accounts_mfa_unknown"],
            },
        )
        for row in rows
    ]

"""The inventory's in-scope data stores, told to the engine's scope registry (``register_scope``).

A live data store that holds PII or Amazon Information is a subject of the DPP; the control
register records, per PII store, the purposes its PII is used for (DPP 2). Named by inventory tag.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.urls import reverse

from assets.models import Asset, AssetKind
from grc.compliance.registry import ScopeSubject


def in_scope_data_stores(now: datetime) -> list[ScopeSubject]:
    rows = (
        Asset.objects.filter(kind=AssetKind.DATA_STORE, retired_at__isnull=True)
        .filter(Q(holds_pii=True) | Q(holds_amazon_information=True))
        .values("pk", "tag", "holds_pii")
        .order_by("tag")
    )
    return [
        ScopeSubject(
            key=f"data_store:{row['pk']}",
            kind="data_store",
            pk=row["pk"],
            name=row["tag"],
            url=reverse("assets:detail", args=[row["pk"]]),
            holds_pii=row["holds_pii"],
        )
        for row in rows
    ]

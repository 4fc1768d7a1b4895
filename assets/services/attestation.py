"""The quarterly inventory attestation (DPP 2.3: keep the inventory and update it quarterly).

The security lead attests the whole inventory; a manager attests the assets they own. Each is a
signed record made with a fresh MFA code. The programme-wide obligation is completed by the
lead's attestation, or once every owner of an active asset has attested their own since the
obligation opened (``assets.rules.owners_attested_at``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from assets.models import Asset, AttestationScope, InventoryAttestation
from assets.services.inventory import assets_refresh_stale_flags
from assets.services.programme import attestation_obligation_sync
from grc.accounts.models import Role
from grc.audit.services import record_event


def attestation_scope_for(user) -> str | None:
    if user.role == Role.SECURITY_LEAD:
        return AttestationScope.INVENTORY
    if user.role == Role.MANAGER and Asset.objects.filter(owner=user, retired_at__isnull=True).exists():
        return AttestationScope.OWNER
    return None


def attestation_assets(user, scope: str):
    assets = Asset.objects.filter(retired_at__isnull=True)
    return assets if scope == AttestationScope.INVENTORY else assets.filter(owner=user)


def inventory_digest(rows) -> str:
    """SHA-256 over ``(pk, updated_at)`` pairs in id order: which state of the inventory was attested."""
    digest = hashlib.sha256()
    for pk, updated_at in rows:
        digest.update(f"{pk}:{updated_at.isoformat()}\n".encode())
    return digest.hexdigest()


@transaction.atomic
def attestation_sign(*, user, note: str, step_up_at: datetime, now: datetime, request=None) -> InventoryAttestation:
    """Record that ``user`` confirms the inventory (or their part of it) is current."""
    scope = attestation_scope_for(user)
    if scope is None:
        raise PermissionDenied("Only the security lead, or a manager who owns assets, can attest the inventory.")
    assets_refresh_stale_flags(now=now)  # the flagged count is as of now
    assets = attestation_assets(user, scope)
    rows = list(assets.order_by("pk").values_list("pk", "updated_at", "flag_count"))
    if not rows:
        raise ValidationError("There are no active assets to attest.")
    attestation = InventoryAttestation.objects.create(
        attested_by=user,
        attested_at=now,
        scope=scope,
        note=note,
        asset_count=len(rows),
        flagged_count=sum(1 for _pk, _updated, flags in rows if flags),
        inventory_digest=inventory_digest((pk, updated) for pk, updated, _flags in rows),
        step_up_at=step_up_at,
    )
    record_event(
        "assets.inventory.attested",
        request=request,
        actor=user,
        obj=attestation,
        details={"scope": scope, "asset_count": attestation.asset_count, "flagged_count": attestation.flagged_count},
    )
    attestation_obligation_sync(now=now, by=user)
    return attestation

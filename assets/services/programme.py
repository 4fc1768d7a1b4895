"""The programme-wide recurring obligations of this app, kept in step with the records.

The quarterly attestation (2.3), the 180-day scan and the 365-day penetration test (2.7) are
about the programme as a whole (``subject=None``). ``programme_sync`` is the one rule for all
three: when a record newer than the open obligation's anchor exists (or nothing was ever
completed), the open obligation is completed at the record's time and the next one opens from
there; otherwise the open one is left as it is (or opened from ``now`` the first time).
Idempotent, so services and the providers' ``resync`` both call it. The three syncs
(``attestation_obligation_sync``, ``scan_obligation_sync``, ``pentest_obligation_sync``) live here
with it, so that starting the clocks (``programme_obligations_ensure``) needs none of the services
that record attestations, scans and tests.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.urls import reverse

from assets.models import Asset, AttestationScope, InventoryAttestation, PenetrationTest, VulnerabilityScan
from assets.rules import latest, owners_attested_at
from grc.compliance.models import Obligation
from grc.compliance.services import PROGRAMME, obligation_complete, obligation_open, open_obligation

ATTESTATION = "assets.inventory_attestation"
SCAN = "assets.vulnerability_scan"
PENTEST = "assets.penetration_test"
RELEASE_SCAN = "assets.release_scan"
FINDING_FIX = "assets.finding_fix"
DELETION_30D = "assets.deletion_30d"
DELETION_90D = "assets.deletion_90d"
RETENTION_CHECK = "assets.retention_check"
PROGRAMME_KINDS = (ATTESTATION, SCAN, PENTEST)


def programme_url(kind: str) -> str:
    if kind == ATTESTATION:
        return reverse("assets:attestations")
    return reverse("assets:vulnerabilities")


def _ever_completed(kind: str) -> bool:
    """A waiver is not a completion: only a real one counts."""
    return Obligation.objects.filter(
        kind=kind, subject_type=PROGRAMME, subject_id=kind, completed_at__isnull=False, waived_reason=""
    ).exists()


@transaction.atomic
def programme_sync(*, kind: str, latest_at: datetime | None, now: datetime, owner=None, by=None) -> Obligation:
    """Bring the open obligation of ``kind`` in line with the latest record time ``latest_at``."""
    current = open_obligation(kind, None)
    if current is not None and latest_at is not None and (latest_at > current.anchor_at or not _ever_completed(kind)):
        obligation_complete(kind=kind, subject=None, completed_at=latest_at, completed_by=by)
        current = open_obligation(kind, None)
    if current is not None:
        anchor, owner = current.anchor_at, owner or current.owner
    else:
        anchor = latest_at or now
    return obligation_open(kind=kind, subject=None, anchor_at=anchor, owner=owner, url=programme_url(kind))


def inventory_attested_at(since: datetime | None) -> datetime | None:
    """The latest moment the inventory counts as attested: the lead's, or all owners' since ``since``."""
    lead = InventoryAttestation.objects.filter(scope=AttestationScope.INVENTORY).aggregate(at=Max("attested_at"))["at"]
    owners = set(Asset.objects.filter(retired_at__isnull=True).values_list("owner_id", flat=True).distinct())
    by_owner = dict(
        InventoryAttestation.objects.filter(scope=AttestationScope.OWNER, attested_by_id__in=owners)
        .values("attested_by_id")
        .annotate(at=Max("attested_at"))
        .values_list("attested_by_id", "at")
    )
    return latest(lead, owners_attested_at({owner: by_owner.get(owner) for owner in owners}, since))


def attestation_obligation_sync(*, now: datetime, owner=None, by=None):
    current = open_obligation(ATTESTATION, None)
    return programme_sync(
        kind=ATTESTATION, latest_at=inventory_attested_at(current.anchor_at if current else None), now=now, owner=owner, by=by
    )


def scan_obligation_sync(*, now: datetime, owner=None, by=None):
    return programme_sync(
        kind=SCAN, latest_at=VulnerabilityScan.objects.aggregate(at=Max("performed_at"))["at"], now=now, owner=owner, by=by
    )


def pentest_obligation_sync(*, now: datetime, owner=None, by=None):
    return programme_sync(
        kind=PENTEST, latest_at=PenetrationTest.objects.aggregate(at=Max("performed_at"))["at"], now=now, owner=owner, by=by
    )


def programme_obligations_ensure(*, now: datetime, owner=None) -> None:
    """Start the programme-wide clocks when the inventory gets its first asset (the first
    attestation is due 3 months later, the first scan 180 days, the first pen test 365 days)."""
    for kind, sync in ((ATTESTATION, attestation_obligation_sync), (SCAN, scan_obligation_sync), (PENTEST, pentest_obligation_sync)):
        if open_obligation(kind, None) is None:
            sync(now=now, owner=owner)

"""Deadline rules of vulnerability management and the inventory attestation, as pure functions.

* A finding is due ``ASSETS_FINDING_DUE_DAYS[severity]`` days after it was found (DPP 2.7
  "remediating appropriately"; critical 15, high 30, medium 90, low 180 by default).
* The quarterly inventory attestation (DPP 2.3) is done when the security lead attests the whole
  inventory, or when every owner of an active asset has attested their own assets since the
  current obligation started — whichever comes first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings

DEFAULT_FINDING_DUE_DAYS = {"critical": 15, "high": 30, "medium": 90, "low": 180}


def finding_due_days() -> dict[str, int]:
    configured = getattr(settings, "ASSETS_FINDING_DUE_DAYS", None) or {}
    return {**DEFAULT_FINDING_DUE_DAYS, **{str(k): int(v) for k, v in configured.items()}}


def finding_due_at(severity: str, found_at: datetime, due_days: Mapping[str, int] | None = None) -> datetime:
    """The moment a finding of ``severity`` found at ``found_at`` must be fixed."""
    days = (due_days if due_days is not None else DEFAULT_FINDING_DUE_DAYS).get(severity)
    if days is None:
        raise ValueError(f"no due period for severity {severity!r}")
    return found_at + timedelta(days=int(days))


def owners_attested_at(latest_by_owner: Mapping[int, datetime | None], since: datetime | None) -> datetime | None:
    """When every owner had attested their own assets after ``since`` (the last of them), or None.

    ``latest_by_owner`` maps each owner of an active asset to their latest own-assets attestation.
    An empty inventory is never "attested by its owners".
    """
    if not latest_by_owner:
        return None
    moments = list(latest_by_owner.values())
    if any(moment is None or (since is not None and moment <= since) for moment in moments):
        return None
    return max(moment for moment in moments if moment is not None)


def latest(*moments: datetime | None) -> datetime | None:
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None

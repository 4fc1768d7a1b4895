"""When a deletion request (DPP 1.7) is done, as pure functions of per-store facts (no database).

* The **30-day** obligation is met when every affected data store has a performed sanitisation
  (NIST SP 800-88 Clear / Purge / Destroy) or a recorded legal-retention exception; it is met at
  the latest of those times.
* The **90-day** obligation is met when, in addition, every *live* (online or network-accessible)
  store's sanitisation has been verified (or the store is under an exception).
* A request is **complete** when both are met; only then can the certificate be signed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class StoreState:
    store_id: int
    name: str
    live: bool
    performed_at: datetime | None = None
    verified_at: datetime | None = None
    exception_at: datetime | None = None  # when a legal-retention exception was recorded

    @property
    def excepted(self) -> bool:
        return self.exception_at is not None


class RequestState(StrEnum):
    NO_STORES = "no_stores"
    IN_PROGRESS = "in_progress"
    DELETED = "deleted"  # the 30-day part is done; live instances still to verify
    COMPLETE = "complete"  # both parts done: ready to certify
    CERTIFIED = "certified"


STATE_LABELS = {
    RequestState.NO_STORES: "no stores named",
    RequestState.IN_PROGRESS: "in progress",
    RequestState.DELETED: "deleted, verifying live copies",
    RequestState.COMPLETE: "complete, ready to certify",
    RequestState.CERTIFIED: "certified",
}


def thirty_day_met_at(stores: Sequence[StoreState]) -> datetime | None:
    """When the 30-day part was met, or None while a store has neither an action nor an exception."""
    if not stores:
        return None
    moments = []
    for store in stores:
        moment = store.exception_at or store.performed_at
        if moment is None:
            return None
        moments.append(moment)
    return max(moments)


def ninety_day_met_at(stores: Sequence[StoreState]) -> datetime | None:
    """When every live instance was deleted and verified (and the 30-day part met), or None."""
    thirty = thirty_day_met_at(stores)
    if thirty is None:
        return None
    moments = [thirty]
    for store in stores:
        if store.excepted or not store.live:
            continue
        if store.verified_at is None:
            return None
        moments.append(store.verified_at)
    return max(moments)


def request_state(stores: Sequence[StoreState], *, certified: bool = False) -> RequestState:
    if certified:
        return RequestState.CERTIFIED
    if not stores:
        return RequestState.NO_STORES
    if ninety_day_met_at(stores) is not None:
        return RequestState.COMPLETE
    if thirty_day_met_at(stores) is not None:
        return RequestState.DELETED
    return RequestState.IN_PROGRESS


def outstanding(stores: Sequence[StoreState]) -> list[str]:
    """What is still missing, in words, for the request page ("Orders DB: sanitisation not recorded")."""
    lines = []
    for store in stores:
        if store.excepted:
            continue
        if store.performed_at is None:
            lines.append(f"{store.name}: sanitisation not recorded")
        elif store.live and store.verified_at is None:
            lines.append(f"{store.name}: deletion of the live instance not verified")
    return lines

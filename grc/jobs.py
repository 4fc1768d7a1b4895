"""Leases for background jobs that must finish or say why (issue 21).

A job row (an evidence pack today; an import or a letter built in a task tomorrow) is *claimed*
by one worker for a short lease, which the worker renews each time it reports progress (its
heartbeat). A worker that dies — SIGKILL, out of memory, a lost machine — stops renewing, so the
lease runs out and the job can be claimed again, from the start, by the redelivered task or by
the periodic sweep; after ``max_attempts`` claims it is failed with a reason instead of showing
"62 %" for ever. Redis' visibility timeout (an hour) is no longer what decides when it resumes.

Each claim adds one to ``attempts``, which is also a fencing token: a worker whose lease was
taken over can no longer write progress or its result, because its updates filter on the attempt
it claimed and so change no row.

Pure rules first (tested under time_machine), then queryset helpers for any model with the
fields ``status``, ``attempts``, ``lease_expires_at`` and ``heartbeat_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Manager, Q, QuerySet


@dataclass(frozen=True)
class LeasePolicy:
    seconds: int  # how long a claim or a heartbeat holds the job
    max_attempts: int  # claims before the job is failed
    waiting: str  # the status of a job no worker holds ("queued")
    running: str  # the status of a job a worker holds ("building")

    def expires(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.seconds)


# --- pure rules -----------------------------------------------------------------------------
def lease_expired(expires_at: datetime | None, now: datetime) -> bool:
    """A running job without a lease (rows from before leases existed) counts as abandoned."""
    return expires_at is None or expires_at <= now


def claimable(status: str, expires_at: datetime | None, now: datetime, policy: LeasePolicy) -> bool:
    return status == policy.waiting or (status == policy.running and lease_expired(expires_at, now))


def attempts_exhausted(attempts: int, policy: LeasePolicy) -> bool:
    return attempts >= policy.max_attempts


def seconds_left(expires_at: datetime | None, now: datetime) -> float:
    return 0.0 if expires_at is None else max(0.0, (expires_at - now).total_seconds())


# --- on the database --------------------------------------------------------------------------
def expired_q(now: datetime) -> Q:
    return Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)


def claimable_q(policy: LeasePolicy, now: datetime) -> Q:
    return Q(status=policy.waiting) | (Q(status=policy.running) & expired_q(now))


def lease_claim(queryset: QuerySet[Any] | Manager[Any], pk: int, *, policy: LeasePolicy, now: datetime, **fields: Any) -> int | None:
    """Claim job ``pk``: the attempt number it now runs as (its fencing token), or None when it is
    not claimable, its attempts are used up (the caller fails it) or another worker won the race."""
    row = queryset.filter(pk=pk).values("status", "attempts", "lease_expires_at").first()
    if row is None or not claimable(row["status"], row["lease_expires_at"], now, policy):
        return None
    if attempts_exhausted(row["attempts"], policy):
        return None
    won = queryset.filter(claimable_q(policy, now), pk=pk, attempts=row["attempts"]).update(
        status=policy.running, attempts=F("attempts") + 1, lease_expires_at=policy.expires(now), heartbeat_at=now, **fields
    )
    return row["attempts"] + 1 if won == 1 else None


def lease_renew(
    queryset: QuerySet[Any] | Manager[Any], pk: int, *, attempt: int, policy: LeasePolicy, now: datetime, **fields: Any
) -> bool:
    """The heartbeat: push the lease on and write ``fields``; False when the lease was lost."""
    held = queryset.filter(pk=pk, status=policy.running, attempts=attempt)
    return held.update(lease_expires_at=policy.expires(now), heartbeat_at=now, **fields) == 1


def lease_release(
    queryset: QuerySet[Any] | Manager[Any], pk: int, *, attempt: int, now: datetime, policy: LeasePolicy, **fields: Any
) -> bool:
    """Put a job whose worker is gone back to ``waiting`` (the sweep); False when someone else moved it."""
    stale = queryset.filter(expired_q(now), pk=pk, status=policy.running, attempts=attempt)
    return stale.update(status=policy.waiting, lease_expires_at=None, **fields) == 1


def leases_expired(queryset: QuerySet[Any] | Manager[Any], *, policy: LeasePolicy, now: datetime) -> QuerySet[Any]:
    """Running jobs whose worker stopped renewing: the sweep's work list."""
    return queryset.filter(expired_q(now), status=policy.running)

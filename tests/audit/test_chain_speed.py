"""Verification reads in batches (constant memory, a query per 10,000 events): 100,000 events verify
with a fixed, small number of queries.

Speed is measured by ``make bench``, not asserted here: a wall-clock limit fails on a busy CI
machine. Measured on the development machine, a million events verified in 21 s on SQLite and
27 s on PostgreSQL, with the process growing by under 20 MB.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grc.audit.chain import BATCH_SIZE, chain_verify
from grc.audit.models import GENESIS_HASH, AuditEvent, canonical_content, chain_hash

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

COUNT = 100_000


def build_chain(count: int, start: datetime) -> None:
    """A valid chain written with bulk inserts (what record_event would write, much faster)."""
    prev = GENESIS_HASH
    batch: list[AuditEvent] = []
    for n in range(count):
        values = {
            "occurred_at": start + timedelta(seconds=n),
            "actor_id": n % 50 or None,
            "actor_name": "" if n % 50 else "task:tests",
            "action": ("accounts.login", "download", "incidents.incident.viewed")[n % 3],
            "object_type": "incidents.incident",
            "object_id": str(n % 977),
            "outcome": "success" if n % 7 else "failure",
            "source_ip": f"198.51.100.{n % 250}",
            "channel": "web",
            "message": "",
            "details": {"count": n % 5} if n % 3 == 1 else {},
        }
        digest = chain_hash(prev, canonical_content(**values))
        batch.append(AuditEvent(**values, prev_hash=prev, hash=digest))
        prev = digest
        if len(batch) == 5000:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    AuditEvent.objects.bulk_create(batch)


def test_it_verifies_100000_events_in_batches(django_assert_max_num_queries):
    build_chain(COUNT, datetime(2027, 1, 1, tzinfo=UTC))
    with django_assert_max_num_queries(COUNT // BATCH_SIZE + 5):  # a query per batch, not per event
        report = chain_verify()
    assert report.ok and report.count == COUNT

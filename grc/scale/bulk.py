"""Plumbing shared by the scale seeders: the context, timed steps, bulk inserts and obligation rows."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection

from grc.compliance.cadences import cadence_for
from grc.compliance.models import Obligation
from grc.scale.sizes import Sizes

BATCH = 2000


@dataclass
class ScaleContext:
    """What the seeders share: the sizes, the clock, one seeded random generator and what was made."""

    sizes: Sizes
    now: datetime
    rng: random.Random
    out: Callable[[str], None] = print
    made: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        """The company's history starts three years before ``now``."""
        return self.now - timedelta(days=365 * 3)

    def moment_between(self, start: datetime, end: datetime) -> datetime:
        if end <= start:
            return start
        return start + timedelta(seconds=self.rng.uniform(0, (end - start).total_seconds()))

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def count(self, name: str, value: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + value


class step:
    """``with step(ctx, "people"):`` prints and records how long a part of the seeding took."""

    def __init__(self, ctx: ScaleContext, name: str):
        self.ctx, self.name = ctx, name

    def __enter__(self):
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        elapsed = time.monotonic() - self.started
        self.ctx.seconds[self.name] = round(self.ctx.seconds.get(self.name, 0.0) + elapsed, 2)
        if exc[0] is None:
            self.ctx.out(f"  {self.name:<28} {elapsed:7.1f} s")
        return False


def insert(model, objects: Sequence, *, batch_size: int = BATCH) -> list:
    """``bulk_create`` in batches; the objects get their primary keys (PostgreSQL and SQLite 3.35+)."""
    objects = list(objects)
    for offset in range(0, len(objects), batch_size):
        model.objects.bulk_create(objects[offset : offset + batch_size])
    return objects


def insert_stream(model, objects: Iterable, *, batch_size: int = BATCH) -> int:
    """``bulk_create`` from a generator, batch by batch (constant memory); returns the count."""
    batch, total = [], 0
    for obj in objects:
        batch.append(obj)
        if len(batch) >= batch_size:
            model.objects.bulk_create(batch)
            total += len(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)
        total += len(batch)
    return total


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def obligation(
    kind: str,
    subject_type: str,
    subject_id,
    *,
    anchor_at: datetime,
    owner_id: int | None,
    due_at: datetime | None = None,
    completed_at: datetime | None = None,
    completed_by_id: int | None = None,
    waived_reason: str = "",
    title: str = "",
    url: str = "",
) -> Obligation:
    """An obligation row as ``grc.compliance.services.obligation_open/complete`` would leave it."""
    cadence = cadence_for(kind)
    due = due_at or cadence.due_after(anchor_at)
    return Obligation(
        kind=kind,
        clause=cadence.clause,
        title=(title or cadence.title)[:200],
        owner_id=owner_id,
        subject_type=subject_type,
        subject_id=str(subject_id),
        anchor_at=anchor_at,
        due_at=max(due, anchor_at),
        completed_at=completed_at,
        completed_by_id=completed_by_id,
        waived_reason=waived_reason[:300],
        url=url,
        created_at=anchor_at,
    )

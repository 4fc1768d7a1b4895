"""Where checkpoints of the audit chain are kept: a witness outside the database (DPP 2.6).

A hash chain shows that rows were altered, inserted or removed *between* other rows, but not that
its newest events — or all of them — are gone: what remains is still a whole chain. A checkpoint
(the head's id and hash, its time, the event count) written somewhere the database's users cannot
rewrite is what the table is compared with (grc.audit.chain).

``Witness`` is the interface: ``append`` one checkpoint, read the ``latest`` one (of all, of the
verified ones, or of those whose head id is at most a given id). ``FileWitness``
appends JSON lines to ``AUDIT_CHECKPOINT_DIR`` (one file per month; mount it from another host or
make it append-only with ``chattr +a``). Another store — an S3 bucket with object lock, a remote
syslog — is a class with the same two methods and a no-argument constructor, named by dotted path
in the ``AUDIT_CHECKPOINT_BACKEND`` setting; nothing else changes.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, cast

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("grc.audit")


@dataclass(frozen=True)
class Checkpoint:
    """The chain head as it was at ``at``; ``verified`` when the chain up to it verified then."""

    seq: int
    at: datetime
    head_id: int | None  # None: the trail was empty
    head_hash: str
    head_occurred_at: datetime | None
    count: int
    verified: bool
    anchor_id: int | None = None

    def as_json(self) -> str:
        values = asdict(self)
        values["at"] = self.at.isoformat()
        values["head_occurred_at"] = self.head_occurred_at.isoformat() if self.head_occurred_at else None
        return json.dumps(values, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> Checkpoint:
        values = json.loads(line)
        values["at"] = datetime.fromisoformat(values["at"])
        if values.get("head_occurred_at"):
            values["head_occurred_at"] = datetime.fromisoformat(values["head_occurred_at"])
        return cls(**values)

    def describe(self) -> str:
        return f"checkpoint #{self.seq} of {self.at:%Y-%m-%d %H:%M} UTC"


class Witness(Protocol):
    def append(self, checkpoint: Checkpoint) -> None: ...

    def latest(self, *, verified_only: bool = False, head_at_most: int | None = None) -> Checkpoint | None: ...


class FileWitness:
    """JSON lines, one file per month (``checkpoints-2026-12.jsonl``), only ever appended to."""

    def __init__(self, directory: Path | str | None = None):
        self.directory = Path(directory if directory is not None else settings.AUDIT_CHECKPOINT_DIR)

    def append(self, checkpoint: Checkpoint) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.directory / f"checkpoints-{checkpoint.at:%Y-%m}.jsonl"
        with path.open("a", encoding="utf-8") as file:
            file.write(checkpoint.as_json() + "\n")
            file.flush()
            os.fsync(file.fileno())  # on disk before the task reports success

    def latest(self, *, verified_only: bool = False, head_at_most: int | None = None) -> Checkpoint | None:
        """The newest checkpoint (highest ``seq``), or the newest verified one, or the newest whose
        head id is at most ``head_at_most``: reads the files backwards, newest month first."""
        if not self.directory.is_dir():
            return None
        for path in sorted(self.directory.glob("checkpoints-*.jsonl"), reverse=True):
            for line in reversed(path.read_text(encoding="utf-8").splitlines()):
                if not line.strip():
                    continue
                try:
                    checkpoint = Checkpoint.from_json(line)
                except (ValueError, TypeError, KeyError):
                    logger.warning("unreadable audit checkpoint line skipped", extra={"checkpoint_file": path.name})
                    continue
                if verified_only and not checkpoint.verified:
                    continue
                if head_at_most is not None and (checkpoint.head_id is None or checkpoint.head_id > head_at_most):
                    continue
                return checkpoint
        return None


def witness_configured() -> Witness | None:
    """The configured witness: ``AUDIT_CHECKPOINT_BACKEND`` if set, else a ``FileWitness`` on
    ``AUDIT_CHECKPOINT_DIR``; None when that is empty (the test settings' default)."""
    backend = getattr(settings, "AUDIT_CHECKPOINT_BACKEND", "")
    if backend:
        return cast(Witness, import_string(backend)())  # the setting names a Witness class
    directory = getattr(settings, "AUDIT_CHECKPOINT_DIR", "")
    return FileWitness(directory) if directory else None

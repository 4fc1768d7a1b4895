"""What evidence blocks work with: the pack's period and moment, bounded tables, attached files.

``PackContext.table(...)`` takes every row of a list, writes them all to a CSV attachment (cells
neutralised against spreadsheet formulas) and keeps the first ``ROW_LIMIT`` for the PDF, so a
pack for a large organisation stays a readable size (WeasyPrint is slow on long tables).
``PackContext.attach(...)`` adds an original evidence file (a scan report, a custody file, a
certificate): its SHA-256 is computed from the stored bytes now and compared with the hash the
record holds, and both go into the manifest.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import PurePosixPath
from typing import Any

from django.db.models import Q

from grc.csvio import neutralise
from grc.evidence.periods import Period

ROW_LIMIT = 25
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Mark:
    """A value shown with a status colour (``met``, ``met_late``, ``not_met``, ``at_risk`` …)."""

    text: str
    status: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: list[list[Any]]  # display values (str or Mark), at most the row limit
    total: int  # how many rows there are altogether
    attachment: str = ""  # the CSV in the pack's ZIP with every row
    empty: str = "None in this period."
    note: str = ""

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def display(value: Any) -> Any:
    """How a value reads in the PDF: UTC times to the minute, dates, yes/no, a dash for nothing."""
    if isinstance(value, Mark):
        return value
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def csv_value(value: Any) -> str:
    if isinstance(value, Mark):
        value = value.text
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "file"


def safe_name(name: str) -> str:
    stem = PurePosixPath(name.replace("\\", "/")).name
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).lstrip(".")[:100] or "file"


@dataclass
class Attachment:
    path: str  # inside the ZIP
    kind: str  # "csv" or "file"
    clause: str
    description: str
    sha256: str = ""
    size: int = 0
    recorded_sha256: str = ""  # what the record says the file's hash is ("" if it keeps none)
    storage_name: str = ""  # the file under the storage (original evidence files)
    data: bytes | None = None  # generated CSVs
    missing: bool = False
    storage: Any = None  # the storage ``storage_name`` is read from

    @property
    def matches_record(self) -> bool | None:
        if not self.recorded_sha256:
            return None
        return self.recorded_sha256 == self.sha256

    def as_manifest(self) -> dict:
        entry: dict[str, Any] = {"path": self.path, "kind": self.kind, "clause": self.clause, "description": self.description}
        entry.update({"sha256": self.sha256, "size": self.size})
        if self.recorded_sha256:
            entry["recorded_sha256"] = self.recorded_sha256
            entry["matches_record"] = self.matches_record
        if self.missing:
            entry["missing"] = True
        return entry


@dataclass
class Attachments:
    items: list[Attachment] = field(default_factory=list)
    _paths: set[str] = field(default_factory=set)

    def _unique(self, path: str) -> str:
        candidate, n = path, 1
        while candidate in self._paths:
            n += 1
            stem, dot, suffix = path.rpartition(".")
            candidate = f"{stem}-{n}.{suffix}" if dot else f"{path}-{n}"
        self._paths.add(candidate)
        return candidate

    def add_csv(self, *, clause: str, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]], description: str) -> Attachment:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_value(value) for value in row])
        data = buffer.getvalue().encode("utf-8")
        attachment = Attachment(
            path=self._unique(f"csv/{clause}-{slug(name)}.csv"),
            kind="csv",
            clause=clause,
            description=description,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            data=data,
        )
        self.items.append(attachment)
        return attachment

    def add_file(self, *, clause: str, field_file, name: str, description: str, recorded_sha256: str = "") -> Attachment | None:
        """An original evidence file from a FileField; None when the record has no file."""
        if not field_file:
            return None
        attachment = Attachment(
            path=self._unique(f"files/{clause}/{safe_name(name)}"),
            kind="file",
            clause=clause,
            description=description,
            recorded_sha256=recorded_sha256 or "",
            storage_name=field_file.name,
            storage=field_file.storage,
        )
        digest, size = hashlib.sha256(), 0
        try:
            with field_file.storage.open(field_file.name, "rb") as handle:
                for chunk in iter(lambda: handle.read(CHUNK), b""):
                    digest.update(chunk)
                    size += len(chunk)
        except (FileNotFoundError, OSError):
            attachment.missing = True
        else:
            attachment.sha256, attachment.size = digest.hexdigest(), size
        self.items.append(attachment)
        return attachment

    def for_clause(self, clause: str) -> list[Attachment]:
        return [item for item in self.items if item.clause == clause]


@dataclass
class PackContext:
    period: Period
    now: datetime
    clauses: list[str]
    attachments: Attachments = field(default_factory=Attachments)
    clause: str = ""  # the clause of the block being collected (set by the builder)
    cache: dict = field(default_factory=dict)  # what several blocks read once per pack (e.g. the readiness records)

    def between(self, field_name: str) -> Q:
        """``field_name`` falls inside the period."""
        return Q(**{f"{field_name}__gte": self.period.start_at, f"{field_name}__lt": self.period.end_at})

    def overlaps(self, start_field: str, end_field: str) -> Q:
        """A record that ran from ``start_field`` to ``end_field`` (empty = still running) overlapped the period."""
        return Q(**{f"{start_field}__lt": self.period.end_at}) & (
            Q(**{f"{end_field}__isnull": True}) | Q(**{f"{end_field}__gte": self.period.start_at})
        )

    def table(
        self,
        *,
        title: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        csv_name: str = "",
        description: str = "",
        limit: int = ROW_LIMIT,
        empty: str = "None in this period.",
        note: str = "",
    ) -> Table:
        """A table for the PDF (the first ``limit`` rows) and, with ``csv_name``, every row as a CSV."""
        every = [list(row) for row in rows]
        attachment = ""
        if csv_name and every:
            attachment = self.attachments.add_csv(
                clause=self.clause, name=csv_name, header=columns, rows=every, description=description or title
            ).path
        shown = [[display(value) for value in row] for row in every[:limit]]
        return Table(title=title, columns=tuple(columns), rows=shown, total=len(every), attachment=attachment, empty=empty, note=note)

    def attach(self, field_file, *, name: str, description: str, recorded_sha256: str = "") -> Attachment | None:
        return self.attachments.add_file(
            clause=self.clause, field_file=field_file, name=name, description=description, recorded_sha256=recorded_sha256
        )


def person_name(user) -> str:
    """A signer's name as the pack prints it (names of signers are what the clause needs)."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def on_time(done_at: datetime | None, due_at: datetime | None, now: datetime, *, waived_reason: str = "") -> Mark:
    """``met`` / ``met late`` / ``waived: <reason>`` / ``overdue`` / ``open`` for a deadline, as a
    coloured mark. A deadline closed with a waiver reason (it no longer applies) is never "met"."""
    if done_at is not None and waived_reason:
        return Mark(f"waived: {waived_reason}", "waived")
    if due_at is None:
        return Mark("no deadline", "unknown")
    if done_at is not None:
        return Mark("met", "met") if done_at <= due_at else Mark("met late", "met_late")
    return Mark("overdue", "not_met") if now >= due_at else Mark("open", "open")


def hours_between(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "—"
    hours = (end - start).total_seconds() / 3600
    return f"{hours:.1f} h"

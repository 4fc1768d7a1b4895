"""Encrypted backup and restore of the whole portal: database and evidence files (DPP 2.7).

``manage.py backup`` writes one archive: a tar stream holding

* ``meta.json`` — format, time, database engine, and the applied migrations (the schema);
* ``db/NNNN-<app.model>.jsonl`` — every row of every table, one JSON array per line, with every
  value exactly as stored (times to the microsecond, JSON as JSON), so the audit trail's hash
  chain verifies after a restore; encrypted fields are written in clear *inside* the archive and
  encrypted again with the target's ``FIELD_ENCRYPTION_KEY`` on restore;
* ``files/<path>`` — every file under ``MEDIA_ROOT`` (evidence, reports, certificates);
* ``manifest.json`` — row counts per table and the SHA-256 of each file, checked on restore.

The tar stream is encrypted with AES-256-GCM in 1 MiB chunks (the STREAM construction: a random
nonce prefix, a chunk counter and a last-chunk flag in each nonce, the header as associated
data), so a modified, reordered or truncated archive is refused before anything is written. The
key is ``BACKUP_ENCRYPTION_KEY`` (32 bytes, URL-safe base64; or ``BACKUP_ENCRYPTION_KEY_FILE``)
from the environment; development and tests make one with ``grc.envsecrets`` like the other
secrets, and production refuses to run without it. Keep the key apart from the archives.

The database is read through Django in one snapshot (``REPEATABLE READ`` on PostgreSQL), so the
same archive restores on SQLite and PostgreSQL; sessions and the task outbox are left out (users
sign in again; queued work belongs to the old system). ``manage.py restore`` loads an archive into
an *empty* database — migrated to the same migrations, with no users and no audit events —
in one transaction, then puts the files back. The audit events are inserted as they were (the
PostgreSQL append-only trigger, migration audit 0003, only refuses UPDATE and DELETE); a
``backup.restored`` event is appended afterwards, so ``verify_audit_log`` passes on the restored
trail and shows the restore. Blind indexes (``grc.crypto.blind_index``) are keyed with the field
key: restore with the same ``FIELD_ENCRYPTION_KEY``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import shutil
import struct
import tarfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, cast

import environ
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from grc.accounts.models import User
from grc.audit.models import AuditEvent, Channel
from grc.audit.services import record_event
from grc.envsecrets import dev_secret

if TYPE_CHECKING:
    from django.db.models.fields.related import RelatedField

MAGIC = b"DPPBAK1\n"
FORMAT = 1
CHUNK = 1024 * 1024
NONCE_PREFIX = 7  # + 4-byte counter + 1-byte last-chunk flag = the 12-byte GCM nonce
ITERATOR_CHUNK = 2000
PART_ROWS = 50_000  # rows per archive member: a big table is several members, never one huge buffer
EXCLUDED_MODELS = {"sessions.session", "grc.outboxmessage"}
KEY_ENV = "BACKUP_ENCRYPTION_KEY"


class BackupError(Exception):
    """The archive cannot be written or restored; the message says why (no data in it)."""


# --- the key ------------------------------------------------------------------------------------
def backup_key() -> bytes:

    value = environ.FileAwareEnv().str(KEY_ENV, default="")
    if not value:
        if settings.PRODUCTION:
            raise BackupError(f"{KEY_ENV} is not set. Production needs the backup key in the environment (32 bytes, URL-safe base64).")
        value = dev_secret(Path(settings.VAR_DIR), KEY_ENV, kind="aes256", persist=not settings.TESTING)
    try:
        key = base64.urlsafe_b64decode(value.strip().encode() + b"==")
    except (ValueError, TypeError):
        key = b""
    if len(key) != 32:
        raise BackupError(
            f"{KEY_ENV} must be 32 random bytes in URL-safe base64 (e.g. python -c 'import os,base64;print(base64.urlsafe_b64encode(os.urandom(32)).decode())')."
        )
    return key


def key_id(key: bytes) -> str:
    """Names the key in the archive header without revealing it (refuse the wrong key clearly)."""
    return hmac.new(key, b"dpp-portal-backup-key-id", hashlib.sha256).hexdigest()[:16]


# --- AES-256-GCM stream ---------------------------------------------------------------------------
def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", counter, 1 if last else 0)


class EncryptingWriter(io.RawIOBase):
    """A write-only file object: what is written comes out as authenticated, encrypted chunks."""

    def __init__(self, out, key: bytes) -> None:
        self.out, self.aead = out, AESGCM(key)
        self.prefix = secrets.token_bytes(NONCE_PREFIX)
        header = json.dumps(
            {"format": FORMAT, "cipher": "AES-256-GCM", "chunk": CHUNK, "nonce_prefix": self.prefix.hex(), "key_id": key_id(key)}
        ).encode()
        self.header = MAGIC + struct.pack(">I", len(header)) + header
        out.write(self.header)
        self.buffer, self.counter = bytearray(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.buffer += data
        while len(self.buffer) > CHUNK:  # keep at least one byte back: the last chunk is written by close()
            self._chunk(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]
        return len(data)

    def _chunk(self, plain: bytes, *, last: bool) -> None:
        if self.counter >= 2**32 - 1:
            raise BackupError("The archive is too large for one key and nonce prefix.")
        sealed = self.aead.encrypt(_nonce(self.prefix, self.counter, last), plain, self.header)
        self.out.write(struct.pack(">I", len(sealed)) + sealed)
        self.counter += 1

    def close(self) -> None:
        if not self.closed:
            self._chunk(bytes(self.buffer), last=True)
            self.buffer = bytearray()
        super().close()


class DecryptingReader(io.RawIOBase):
    """A read-only file object over an archive: every chunk is authenticated before it is read,
    and an archive that ends before its last chunk (truncated) raises BackupError."""

    def __init__(self, source, key: bytes) -> None:
        self.source, self.aead = source, AESGCM(key)
        if source.read(len(MAGIC)) != MAGIC:
            raise BackupError("This is not a portal backup archive.")
        (length,) = struct.unpack(">I", _exactly(source, 4))
        raw = _exactly(source, length)
        self.header = MAGIC + struct.pack(">I", length) + raw
        info = json.loads(raw)
        if info.get("format") != FORMAT or info.get("cipher") != "AES-256-GCM":
            raise BackupError(f"Unknown archive format {info.get('format')!r}.")
        if not hmac.compare_digest(info.get("key_id", ""), key_id(key)):
            raise BackupError(f"This archive was encrypted with another key than {KEY_ENV}.")
        self.prefix = bytes.fromhex(info["nonce_prefix"])
        self.counter, self.pending, self.done = 0, b"", False

    def readable(self) -> bool:
        return True

    def _next(self) -> bytes:
        head = self.source.read(4)
        if len(head) < 4:
            raise BackupError("The archive is truncated (its last part is missing).")
        sealed = _exactly(self.source, struct.unpack(">I", head)[0])
        for last in (False, True):
            try:
                plain = self.aead.decrypt(_nonce(self.prefix, self.counter, last), sealed, self.header)
            except InvalidTag:
                continue
            self.counter += 1
            if last:
                if self.source.read(1):
                    raise BackupError("The archive has data after its last part.")
                self.done = True
            return plain
        raise BackupError(f"The archive is damaged or was modified (part {self.counter} does not authenticate).")

    def readinto(self, buffer) -> int:
        while not self.pending and not self.done:
            self.pending = self._next()
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def _exactly(source, size: int) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise BackupError("The archive is truncated.")
    return data


# --- values ------------------------------------------------------------------------------------------
def _value_field(model_field: models.Field) -> models.Field:
    """The field whose type the stored value has (a foreign key stores its target's type)."""
    while model_field.is_relation:
        model_field = cast("RelatedField[Any, Any]", model_field).target_field
    return model_field


def _encoder(model_field: models.Field):
    model_field = _value_field(model_field)
    if isinstance(model_field, models.DateTimeField):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(model_field, models.DateField | models.TimeField):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(model_field, models.DurationField):
        return lambda v: None if v is None else (v // timedelta(microseconds=1))
    if isinstance(model_field, models.DecimalField):
        return lambda v: None if v is None else str(v)
    if isinstance(model_field, models.UUIDField):
        return lambda v: None if v is None else str(v)
    if isinstance(model_field, models.BinaryField):
        return lambda v: None if v is None else base64.b64encode(bytes(v)).decode()
    if isinstance(model_field, models.FileField):
        return lambda v: None if v is None else str(v)
    return lambda v: v


def _decoder(model_field: models.Field):
    model_field = _value_field(model_field)
    if isinstance(model_field, models.DateTimeField):
        return lambda v: None if v is None else parse_datetime(v)
    if isinstance(model_field, models.DateField):
        return lambda v: None if v is None else date.fromisoformat(v)
    if isinstance(model_field, models.TimeField):
        return lambda v: None if v is None else time.fromisoformat(v)
    if isinstance(model_field, models.DurationField):
        return lambda v: None if v is None else timedelta(microseconds=v)
    if isinstance(model_field, models.DecimalField):
        return lambda v: None if v is None else Decimal(v)
    if isinstance(model_field, models.UUIDField):
        return lambda v: None if v is None else uuid.UUID(v)
    if isinstance(model_field, models.BinaryField):
        return lambda v: None if v is None else base64.b64decode(v)
    return lambda v: v


def backed_up_models() -> list[type[models.Model]]:
    """Every table Django manages (m2m link tables too), in a stable order."""
    chosen = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model._meta.label_lower not in EXCLUDED_MODELS
    ]
    return sorted(chosen, key=lambda model: model._meta.label_lower)


def _columns(model) -> list[models.Field]:
    return list(model._meta.local_concrete_fields)


def applied_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connections[alias]).applied_migrations())


# --- writing ------------------------------------------------------------------------------------------
@dataclass
class BackupReport:
    path: str
    tables: int = 0
    rows: int = 0
    files: int = 0
    file_bytes: int = 0
    archive_bytes: int = 0
    sha256: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "counts"} | {"counts": self.counts}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), 0, 0o600
    tar.addfile(info, io.BytesIO(data))


def _table_parts(model, alias: str) -> Iterator[list[bytes]]:
    """The table's rows as JSON lines, ``PART_ROWS`` at a time (always at least one part)."""
    columns = _columns(model)
    encoders = [_encoder(column) for column in columns]
    rows = model._base_manager.using(alias).order_by("pk").values_list(*[column.attname for column in columns])
    part: list[bytes] = []
    for row in rows.iterator(chunk_size=ITERATOR_CHUNK):
        part.append(
            json.dumps([encode(value) for encode, value in zip(encoders, row, strict=True)], separators=(",", ":")).encode() + b"\n"
        )
        if len(part) >= PART_ROWS:
            yield part
            part = []
    yield part


@contextmanager
def _snapshot(alias: str):
    """A consistent read of every table: one REPEATABLE READ transaction on PostgreSQL."""
    connection = connections[alias]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=alias):
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


MEMBER = re.compile(r"^db/(\d{4})-([a-z0-9_]+\.[a-z0-9_]+)-(\d{5})\.jsonl$")


def _member_label(name: str) -> str:
    match = MEMBER.match(name)
    if match is None:
        raise BackupError(f"The archive holds an unexpected table entry: {name!r}.")
    return match.group(2)


def media_files(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file() and not path.is_symlink())


def backup_write(output: Path, *, key: bytes | None = None, alias: str = DEFAULT_DB_ALIAS) -> BackupReport:
    """Write the encrypted archive of the database and ``MEDIA_ROOT`` to ``output`` (mode 0600)."""
    key = key or backup_key()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.{secrets.token_hex(4)}.partial")
    report = BackupReport(path=str(output))
    media_root = Path(settings.MEDIA_ROOT)
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle, EncryptingWriter(handle, key) as stream:
            with tarfile.open(fileobj=stream, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                with _snapshot(alias):
                    meta = {
                        "format": FORMAT,
                        "created_at": timezone.now().isoformat(),
                        "vendor": connections[alias].vendor,
                        "migrations": applied_migrations(alias),
                        "tables": {m._meta.label_lower: [c.attname for c in _columns(m)] for m in backed_up_models()},
                    }
                    _add_bytes(tar, "meta.json", json.dumps(meta).encode())
                    for number, model in enumerate(backed_up_models()):
                        label = model._meta.label_lower
                        report.counts[label] = 0
                        for part_number, lines in enumerate(_table_parts(model, alias)):
                            _add_bytes(tar, f"db/{number:04d}-{label}-{part_number:05d}.jsonl", b"".join(lines))
                            report.counts[label] += len(lines)
                            report.rows += len(lines)
                    report.tables = len(report.counts)
                hashes = {}
                for path in media_files(media_root):
                    relative = path.relative_to(media_root).as_posix()
                    digest = hashlib.sha256()
                    with open(path, "rb") as source:
                        info = tar.gettarinfo(fileobj=source, arcname=f"files/{relative}")
                        info.uid = info.gid = 0
                        info.uname = info.gname = ""
                        tar.addfile(info, _Hashing(source, digest))
                    hashes[relative] = digest.hexdigest()
                    report.files += 1
                    report.file_bytes += info.size
                _add_bytes(tar, "manifest.json", json.dumps({"counts": report.counts, "files": hashes}).encode())
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    report.archive_bytes = output.stat().st_size
    report.sha256 = _sha256_file(output)
    return report


class _Hashing:
    def __init__(self, source, digest) -> None:
        self.source, self.digest = source, digest

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.digest.update(data)
        return data


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


# --- reading and restoring ----------------------------------------------------------------------------
@dataclass
class RestoreReport:
    path: str
    created_at: str = ""
    tables: int = 0
    rows: int = 0
    files: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _safe_member_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or any(part in ("", ".") for part in path.parts):
        raise BackupError(f"The archive holds an unsafe path: {name!r}.")
    return path


def _members(archive: Path, key: bytes) -> Iterator[tuple[tarfile.TarInfo, tarfile.TarFile]]:
    with open(archive, "rb") as handle:
        reader = io.BufferedReader(DecryptingReader(handle, key), buffer_size=CHUNK)
        try:
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for member in tar:
                    _safe_member_path(member.name)
                    if not member.isfile():
                        raise BackupError(f"The archive holds something other than a file: {member.name!r}.")
                    yield member, tar
        except tarfile.TarError as error:
            raise BackupError(f"The archive's contents cannot be read ({type(error).__name__}).") from error


def _member_file(member: tarfile.TarInfo, tar: tarfile.TarFile) -> IO[bytes]:
    source = tar.extractfile(member)
    assert source is not None  # _members lets regular files through only
    return source


def _read_json(member: tarfile.TarInfo, tar: tarfile.TarFile) -> Any:
    return json.loads(_member_file(member, tar).read())


def archive_check(archive: Path, *, key: bytes | None = None) -> dict:
    """Read the whole archive once: every chunk authenticates, every table and file matches the
    manifest. Returns its meta. Nothing is written."""
    key = key or backup_key()
    meta: dict[str, Any] | None = None
    manifest: dict[str, Any] | None = None
    counts: dict[str, int] = {}
    hashes: dict[str, str] = {}
    for member, tar in _members(Path(archive), key):
        if member.name == "meta.json":
            meta = _read_json(member, tar)
        elif member.name == "manifest.json":
            manifest = _read_json(member, tar)
        elif member.name.startswith("db/"):
            label = _member_label(member.name)
            counts[label] = counts.get(label, 0) + sum(1 for _ in _member_file(member, tar))
        elif member.name.startswith("files/"):
            digest = hashlib.sha256()
            source = _member_file(member, tar)
            for block in iter(functools.partial(source.read, CHUNK), b""):
                digest.update(block)
            hashes[member.name.removeprefix("files/")] = digest.hexdigest()
        else:
            raise BackupError(f"The archive holds an unexpected entry: {member.name!r}.")
    if meta is None or manifest is None:
        raise BackupError("The archive has no meta or no manifest: it is incomplete.")
    if counts != manifest["counts"] or hashes != manifest["files"]:
        raise BackupError("The archive's tables or files do not match its manifest.")
    return {**meta, "counts": counts, "files": len(hashes)}


def database_is_empty(alias: str = DEFAULT_DB_ALIAS) -> bool:

    return not User.objects.using(alias).exists() and not AuditEvent.objects.using(alias).exists()


def restore(archive: Path, *, key: bytes | None = None, alias: str = DEFAULT_DB_ALIAS) -> RestoreReport:
    """Restore ``archive`` into the empty database ``alias`` and ``MEDIA_ROOT``."""

    key = key or backup_key()
    archive = Path(archive)
    meta = archive_check(archive, key=key)  # the whole archive authenticates before anything is written
    if meta["migrations"] != applied_migrations(alias):
        mine, theirs = set(applied_migrations(alias)), set(meta["migrations"])
        missing, extra = sorted(theirs - mine)[:5], sorted(mine - theirs)[:5]
        raise BackupError(
            f"The database's schema differs from the archive's (archive only: {missing}; database only: {extra}). Restore with the release that made the backup, migrated the same way."
        )
    if not database_is_empty(alias):
        raise BackupError(
            "Restore needs an empty database (migrated, no users, no audit events). Create a new database, run migrate, then restore."
        )
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    report = RestoreReport(path=str(archive), created_at=meta["created_at"])
    staging = media_root / f".restore-{secrets.token_hex(6)}"
    by_label = {model._meta.label_lower: model for model in backed_up_models()}
    connection = connections[alias]
    try:
        with transaction.atomic(using=alias):
            _flush(by_label.values(), alias)
            for member, tar in _members(archive, key):
                if member.name.startswith("db/"):
                    label = _member_label(member.name)
                    model = by_label.get(label)
                    if model is None:
                        raise BackupError(f"The archive has a table this release does not know: {label}.")
                    columns = _columns(model)
                    if [c.attname for c in columns] != meta["tables"][label]:
                        raise BackupError(f"The columns of {label} differ from the archive's.")
                    count = _load_table(model, columns, _member_file(member, tar), alias)
                    report.counts[label] = report.counts.get(label, 0) + count
                    report.rows += count
                elif member.name.startswith("files/"):
                    relative = _safe_member_path(member.name.removeprefix("files/"))
                    target = staging / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with open(target, "xb") as out:
                        shutil.copyfileobj(_member_file(member, tar), out, CHUNK)
                    report.files += 1
            models_loaded = [by_label[label] for label in report.counts]
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), models_loaded):
                    cursor.execute(sql)
            connection.check_constraints(table_names=[m._meta.db_table for m in models_loaded])
            _place_files(staging, media_root)
        report.tables = len(report.counts)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    record_event(
        "backup.restored",
        system_actor="command:restore",
        channel=Channel.COMMAND,
        object_type="backup",
        message=f"restored {report.rows} rows and {report.files} files",
        details={"tables": report.tables, "rows": report.rows, "files": report.files, "archive_created_at": report.created_at},
    )
    return report


def _flush(chosen, alias: str) -> None:
    """Empty the freshly migrated tables (content types, permissions and rows data migrations made)."""
    connection = connections[alias]
    tables = [model._meta.db_table for model in chosen]
    statements = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=False)
    connection.ops.execute_sql_flush(statements)


def _load_table(model, columns, source, alias: str) -> int:
    decoders = [_decoder(column) for column in columns]
    attnames = [column.attname for column in columns]
    batch_size = min(500, max(1, connections[alias].ops.bulk_batch_size(columns, [None] * 500) or 500))
    batch, count = [], 0
    for line in source:
        values = json.loads(line)
        instance = model(**{name: decode(value) for name, decode, value in zip(attnames, decoders, values, strict=True)})
        batch.append(instance)
        if len(batch) >= batch_size:
            model._base_manager.using(alias)._insert(batch, fields=columns, raw=True, using=alias)
            count += len(batch)
            batch = []
    if batch:
        model._base_manager.using(alias)._insert(batch, fields=columns, raw=True, using=alias)
        count += len(batch)
    return count


def _place_files(staging: Path, media_root: Path) -> None:
    """Move the restored files into MEDIA_ROOT; an existing different file there is an error."""
    if not staging.exists():
        return
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        target = media_root / path.relative_to(staging)
        if target.exists():
            if _sha256_file(target) != _sha256_file(path):
                raise BackupError(
                    f"MEDIA_ROOT already holds a different {path.relative_to(staging).as_posix()}: restore into an empty MEDIA_ROOT."
                )
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)

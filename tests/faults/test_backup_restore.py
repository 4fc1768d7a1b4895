"""Backup and restore (DPP 2.7): ``manage.py backup`` writes an encrypted archive of the database
and the evidence files; ``manage.py restore`` brings it back into an empty database, and the
audit trail's hash chain verifies there.

The archive is made from this test's seeded database (the demo organisation of ``seed_demo`` plus
an evidence file); the restore runs in a subprocess into a freshly migrated database of its own
(on PostgreSQL, with the append-only trigger of audit migration 0003 in place).
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from grc.audit.models import AuditEvent
from grc.backup import BackupError, EncryptingWriter, archive_check, backup_key, backup_write, restore
from grc.seeding import SeedContext, seeders
from incidents.custody import evidence_add
from incidents.models import Incident
from tests.faults.conftest import manage, portal_env, remote

pytestmark = pytest.mark.django_db
SECRET_TEXT = "Exfiltration seen from 203.0.113.7 by the reporting token"  # made up: must never appear in clear


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def organisation(media):
    """The demo organisation, an incident whose description holds ``SECRET_TEXT``, and an evidence file."""
    ctx = SeedContext(now=timezone.now())
    for _label, seed in seeders():
        seed(ctx)
    incident = Incident.objects.order_by("pk").first()
    incident.description = SECRET_TEXT
    incident.save(update_fields=["description"])
    lead = ctx.users["lead"]
    item = evidence_add(
        incident=incident,
        by=lead,
        label="web server access log",
        upload=SimpleUploadedFile("access.log", b"GET /orders 200\n" * 1000, content_type="text/plain"),
        collected_by=lead,
        collected_at=timezone.now() - timedelta(minutes=5),
        now=timezone.now(),
    )
    return ctx, incident, item


def files_under(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


def test_a_backup_restores_into_an_empty_database_and_its_audit_trail_verifies(organisation, media, empty_db, tmp_path):
    _ctx, incident, item = organisation
    archive = tmp_path / "portal.dppbak"
    report = backup_write(archive)
    assert report.rows > 100 and report.files >= 1 and report.counts["audit.auditevent"] == AuditEvent.objects.count()
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert SECRET_TEXT.encode() not in archive.read_bytes() and b"GET /orders" not in archive.read_bytes()

    restored_media = tmp_path / "restored-media"
    env = portal_env(empty_db, var_dir=tmp_path / "var", MEDIA_ROOT=str(restored_media))
    status, answer = manage(env, "restore", str(archive))
    assert status == 0 and answer["ok"], answer
    assert answer["counts"] == report.counts
    assert files_under(restored_media) == files_under(media)

    status, verified = manage(env, "verify_audit_log")
    assert status == 0 and verified["ok"], verified
    assert verified["count"] == AuditEvent.objects.count() + 1  # every event, and the restore's own
    assert remote(env, "events", action="backup.restored")["count"] == 1
    again = remote(env, "values", model="incidents.incident", pk=incident.pk, fields=["description", "detected_at"])
    assert again == {"description": SECRET_TEXT, "detected_at": Incident.objects.get(pk=incident.pk).detected_at.isoformat()}
    assert remote(env, "values", model="incidents.evidenceitem", pk=item.pk, fields=["sha256"]) == {"sha256": item.sha256}

    status, refused = manage(env, "restore", str(archive))  # the database is no longer empty
    assert status == 1 and "empty database" in refused["error"]


def test_the_backup_command_records_itself_in_the_audit_trail(organisation, tmp_path, capsys):
    call_command("backup", "--output", str(tmp_path / "b.dppbak"), "--json")
    event = AuditEvent.objects.filter(action="backup.created").get()
    assert event.details["sha256"] == hashlib.sha256((tmp_path / "b.dppbak").read_bytes()).hexdigest()
    assert archive_check(tmp_path / "b.dppbak")["counts"]["incidents.incident"] == Incident.objects.count()


@pytest.fixture
def archive(media, lead, tmp_path) -> Path:
    """A small archive (a user and the trail so far) for the tests of refusals."""
    path = tmp_path / "portal.dppbak"
    backup_write(path)
    return path


def test_a_modified_archive_is_refused(archive):
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    archive.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="damaged or was modified"):
        archive_check(archive)


def test_a_truncated_archive_is_refused(archive):
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) - 1000])
    with pytest.raises(BackupError, match="truncated"):
        archive_check(archive)


def test_an_archive_made_with_another_key_is_refused(archive):
    with pytest.raises(BackupError, match="another key"):
        archive_check(archive, key=os.urandom(32))


def test_restore_refuses_a_database_that_is_not_empty_and_writes_nothing(archive, media):
    events = AuditEvent.objects.count()
    with pytest.raises(BackupError, match="empty database"):
        restore(archive)
    assert AuditEvent.objects.count() == events
    assert not [p for p in media.iterdir() if p.name.startswith(".restore")]


def test_an_archive_with_a_path_outside_media_root_is_refused(tmp_path):
    path = tmp_path / "evil.dppbak"
    with open(path, "wb") as handle, EncryptingWriter(handle, backup_key()) as stream, tarfile.open(fileobj=stream, mode="w|") as tar:
        info = tarfile.TarInfo("files/../../outside.txt")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    with pytest.raises(BackupError, match="unsafe path"):
        archive_check(path)


def test_production_refuses_to_back_up_without_a_key(settings, monkeypatch):
    settings.PRODUCTION = True
    monkeypatch.delenv("BACKUP_ENCRYPTION_KEY", raising=False)
    monkeypatch.delenv("BACKUP_ENCRYPTION_KEY_FILE", raising=False)
    with pytest.raises(BackupError, match="BACKUP_ENCRYPTION_KEY is not set"):
        backup_key()


def test_a_malformed_key_is_refused(monkeypatch):
    monkeypatch.setenv("BACKUP_ENCRYPTION_KEY", "too-short")
    with pytest.raises(BackupError, match="32 random bytes"):
        backup_key()

"""``manage.py backup [--output PATH] [--json]``: an encrypted archive of the database and the
evidence files (DPP 2.7; format and key in grc/backup.py). Exit status 0 when written, 1 if not."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from grc.audit.models import Channel
from grc.audit.services import record_event
from grc.backup import BackupError, backup_write


class Command(BaseCommand):
    help = (
        "Write an AES-256-GCM encrypted archive of the whole database and every file under MEDIA_ROOT, with the key "
        "from BACKUP_ENCRYPTION_KEY (32 bytes, URL-safe base64). The file is created with mode 0600; the backup is "
        "recorded in the audit trail. Restore it with `manage.py restore PATH` into an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="archive path (default var/backups/portal-<UTC time>.dppbak)")
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object")

    def handle(self, *args, **options):

        output = Path(options["output"] or Path(settings.VAR_DIR) / "backups" / f"portal-{timezone.now():%Y%m%dT%H%M%SZ}.dppbak")
        try:
            report = backup_write(output)
        except BackupError as error:
            self.stderr.write(self.style.ERROR(f"Backup failed: {error}"))
            sys.exit(1)
        record_event(
            "backup.created",
            system_actor="command:backup",
            channel=Channel.COMMAND,
            object_type="backup",
            object_id=report.sha256[:16],
            message=f"backup of {report.rows} rows and {report.files} files",
            details={
                "tables": report.tables,
                "rows": report.rows,
                "files": report.files,
                "bytes": report.archive_bytes,
                "sha256": report.sha256,
            },
        )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), sort_keys=True))
            return
        self.stdout.write(self.style.SUCCESS(f"Backup written: {report.path}"))
        self.stdout.write(
            f"{report.tables} tables, {report.rows} rows, {report.files} files ({report.file_bytes} bytes); archive {report.archive_bytes} bytes"
        )
        self.stdout.write(f"SHA-256 {report.sha256}")

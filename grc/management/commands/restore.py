"""``manage.py restore PATH [--check] [--json]``: bring an archive of ``manage.py backup`` back into
an empty database and MEDIA_ROOT (grc/backup.py). Exit status 0 when restored (or, with
``--check``, when the archive is whole and readable with the key), 1 if not."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from grc.backup import BackupError, archive_check, restore


class Command(BaseCommand):
    help = (
        "Restore an archive written by `manage.py backup` (key: BACKUP_ENCRYPTION_KEY) into an empty database — "
        "created, migrated with this release, no users yet — and MEDIA_ROOT, in one transaction. The whole archive is "
        "authenticated first: a modified, truncated or wrongly keyed archive writes nothing. --check only reads it. "
        "Run `manage.py verify_audit_log` afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="path of the .dppbak archive")
        parser.add_argument("--check", action="store_true", help="only check that the archive is whole and decrypts; write nothing")
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object")

    def handle(self, *args, **options):
        archive = Path(options["archive"])
        if not archive.is_file():
            self.stderr.write(self.style.ERROR(f"No such archive: {archive}"))
            sys.exit(1)
        try:
            if options["check"]:
                meta = archive_check(archive)
                result = {
                    "ok": True,
                    "created_at": meta["created_at"],
                    "tables": len(meta["counts"]),
                    "rows": sum(meta["counts"].values()),
                    "files": meta["files"],
                }
            else:
                result = {"ok": True, **restore(archive).as_dict()}
        except BackupError as error:
            if options["json"]:
                self.stdout.write(json.dumps({"ok": False, "error": str(error)}))
            else:
                self.stderr.write(self.style.ERROR(f"Restore refused: {error}"))
            sys.exit(1)
        if options["json"]:
            self.stdout.write(json.dumps(result, sort_keys=True))
        elif options["check"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Archive OK: made {result['created_at']}, {result['tables']} tables, {result['rows']} rows, {result['files']} files."
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Restored {result['rows']} rows in {result['tables']} tables and {result['files']} files.")
            )
            self.stdout.write("Now run: python manage.py verify_audit_log")

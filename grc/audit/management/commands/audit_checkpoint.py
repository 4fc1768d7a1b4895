"""``manage.py audit_checkpoint [--json]``: write a checkpoint of the audit chain's head now.

The hourly beat task does the same (grc.audit.tasks.write_checkpoint). Exit status 0 when the
chain since the previous checkpoint verified, 1 when it did not (the checkpoint is written anyway,
marked unverified), 2 when no witness is configured.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from grc.audit.checkpoints import audit_checkpoint_write


class Command(BaseCommand):
    help = "Verify the audit events since the last checkpoint and append the chain head to the witness (AUDIT_CHECKPOINT_DIR)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the checkpoint as one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = audit_checkpoint_write(now=timezone.now(), system_actor="command:audit_checkpoint")
        except ImproperlyConfigured as error:
            self.stderr.write(self.style.ERROR(str(error)))
            sys.exit(2)
        if options["json"]:
            self.stdout.write(checkpoint.as_json())
        elif checkpoint.verified:
            self.stdout.write(self.style.SUCCESS(f"{checkpoint.describe()}: head #{checkpoint.head_id or '-'} {checkpoint.head_hash}"))
        else:
            self.stderr.write(
                self.style.ERROR(f"{checkpoint.describe()} written UNVERIFIED: the chain did not verify (run verify_audit_log)")
            )
        if not checkpoint.verified:
            sys.exit(1)

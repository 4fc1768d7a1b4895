"""``manage.py verify_audit_log [--full] [--json] [--no-record]``: check the audit trail.

First the table is compared with the latest checkpoint of the witness outside the database (its
newest events removed, the table emptied, the checkpointed event rewritten or purged too young);
then the hash chain is walked from the last verified checkpoint (``--full``: from the latest
retention anchor or the first event). Exit status 0 when intact (prints the count and the head
hash), 1 naming the first broken event. See grc/audit/chain.py for what each verdict means.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from grc.audit.chain import BATCH_SIZE, ChainReport, chain_result_record, chain_verify
from grc.audit.models import Channel


class Command(BaseCommand):
    help = (
        "Verify the audit trail against the latest checkpoint and its SHA-256 hash chain from the last verified checkpoint "
        "(--full: from the latest retention anchor). Exits 0 and prints the event count and head hash when intact; exits 1 "
        "naming the first altered, inserted or removed event, or the missing tail. The result is recorded in the trail (and "
        "the head hash in the application log) unless --no-record is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="re-verify every event, not only those after the last checkpoint")
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
        parser.add_argument("--no-record", action="store_true", help="do not write the result to the audit trail")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help=f"events read per query (default {BATCH_SIZE})")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        report = chain_verify(now=now, full=options["full"], batch_size=options["batch_size"])
        if not options["no_record"]:
            chain_result_record(report, now=now, system_actor="command:verify_audit_log", channel=Channel.COMMAND, log=not options["json"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), sort_keys=True))
        elif report.ok:
            self._intact(report)
        else:
            self.stderr.write(self.style.ERROR(f"BROKEN at event #{report.broken_at} ({report.problem}): {report.reason}"))
            self.stderr.write(f"{report.count} events before it verified.")
        if not report.ok:
            sys.exit(1)

    def _intact(self, report: ChainReport) -> None:
        if report.mode == "incremental":
            since = f"since checkpoint #{report.start_checkpoint_seq} (event #{report.start_after_id})"
            self.stdout.write(self.style.SUCCESS(f"OK: {report.count} events verified {since} in {report.seconds:.1f} s"))
        else:
            self.stdout.write(self.style.SUCCESS(f"OK: {report.count} events verified in {report.seconds:.1f} s"))
        self.stdout.write(f"head: #{report.head_id or '-'} {report.head_hash}")
        if report.checkpoint_seq:
            self.stdout.write(
                f"matches checkpoint #{report.checkpoint_seq} of {report.checkpoint_at} (head #{report.checkpoint_head_id or '-'})"
            )
        else:
            self.stdout.write("no checkpoint to compare with: set AUDIT_CHECKPOINT_DIR and run audit_checkpoint (hourly in beat)")
        if report.anchor_id and report.mode == "full":
            self.stdout.write(f"from anchor #{report.anchor_id} (events up to #{report.start_after_id} were purged by retention)")

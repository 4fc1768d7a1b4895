"""``manage.py verify_audit_log [--json] [--no-record]``: walk the audit trail's hash chain.

Exit status 0 when intact (prints the count and the head hash), 1 naming the first broken event
(altered, inserted or removed rows). See grc/audit/chain.py for what each verdict means.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand
from django.utils import timezone

from grc.audit.chain import BATCH_SIZE, chain_verify, chain_verify_record
from grc.audit.models import Channel


class Command(BaseCommand):
    help = (
        "Verify the audit trail's SHA-256 hash chain from the latest retention anchor. Exits 0 and prints the event count "
        "and head hash when intact; exits 1 naming the first altered, inserted or removed event. The result is recorded "
        "in the trail (and the head hash in the application log) unless --no-record is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
        parser.add_argument("--no-record", action="store_true", help="do not write the result to the audit trail")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help=f"events read per query (default {BATCH_SIZE})")

    def handle(self, *args, **options):
        if options["no_record"]:
            report = chain_verify(batch_size=options["batch_size"])
        else:
            report = chain_verify_record(
                now=timezone.now(), system_actor="command:verify_audit_log", channel=Channel.COMMAND, log=not options["json"]
            )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), sort_keys=True))
        elif report.ok:
            self.stdout.write(self.style.SUCCESS(f"OK: {report.count} events verified in {report.seconds:.1f} s"))
            self.stdout.write(f"head: #{report.head_id or '-'} {report.head_hash}")
            if report.anchor_id:
                self.stdout.write(f"from anchor #{report.anchor_id} (events up to #{report.start_after_id} were purged by retention)")
        else:
            self.stderr.write(self.style.ERROR(f"BROKEN at event #{report.broken_at} ({report.problem}): {report.reason}"))
            self.stderr.write(f"{report.count} events before it verified.")
        if not report.ok:
            sys.exit(1)

"""``manage.py send_reminders [--now ISO-8601] [--dry-run]``: run one reminder sweep and say what it sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from grc.compliance.reminders import sweep


def parse_moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now must be an ISO-8601 date-time such as 2027-02-28T09:00:00+00:00, not {value!r}")
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Run one reminder sweep (what the Celery beat task does every few minutes) and print what was sent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="pretend it is this moment (ISO-8601; UTC if no offset is given)")
        parser.add_argument("--dry-run", action="store_true", help="show what would be sent; send and record nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        now = parse_moment(options["now"]) if options["now"] else timezone.now()
        report = sweep(now=now, dry_run=options["dry_run"])
        for line in report.sent:
            self.stdout.write(line)
        for line in report.failed:
            self.stderr.write(line)
        verb = "would send" if options["dry_run"] else "sent"
        self.stdout.write(f"{verb} {report.sent_count} reminder(s) (sweep at {now.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC)")
        if report.failed:  # exit code 1, so a script notices; the next sweep retries them
            raise CommandError(f"{len(report.failed)} reminder(s) failed to send; they are retried with backoff by the next sweeps")

"""``manage.py dpp_status [--json]``: every DPP clause with its status, computed from the records."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from grc.compliance.posture import LABELS, posture_counts
from grc.compliance.selectors import requirement_statuses


class Command(BaseCommand):
    help = "Print the DPP catalogue (clauses 1.1-3) with each requirement's status and the reason in words."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print a JSON list of {clause, title, status, reason, evidence}")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        rows = requirement_statuses(now)
        if options["json"]:
            payload = [
                {
                    "clause": row.requirement.clause,
                    "title": row.requirement.title,
                    "status": row.status.status.value,
                    "reason": row.status.reason,
                    "evidence": [{"name": name, "url": url} for name, url in row.status.links],
                    "findings": [
                        {"source": f.source, "name": f.name, "title": f.title, "status": f.status.value, "reason": f.reason}
                        for f in row.status.findings
                    ],
                }
                for row in rows
            ]
            self.stdout.write(json.dumps(payload, indent=2))
            return
        width = max((len(row.requirement.title) for row in rows), default=10)
        for row in rows:
            self.stdout.write(
                f"{row.requirement.clause:<4} {row.requirement.title:<{width}}  {LABELS[row.status.status]:<15} {row.status.reason}"
            )
        counts = posture_counts(row.status for row in rows)
        summary = ", ".join(f"{count} {LABELS[state]}" for state, count in ((s, counts[s.value]) for s in LABELS))
        self.stdout.write(f"\n{len(rows)} requirements: {summary} (as of {now:%Y-%m-%d %H:%M} UTC)")

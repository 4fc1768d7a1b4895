"""``manage.py seed_scale [--factor N] [--json]``: a large organisation for the benchmark (see README "Performance")."""

from __future__ import annotations

import json
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from grc.scale.seed import seed_scale
from grc.scale.sizes import Sizes


class Command(BaseCommand):
    help = (
        "Fill a fresh, migrated database with a large organisation for benchmarks: at factor 1, 2,000 people, 60 systems, "
        "25,000 accounts, 5,000 assets, 600 risks, 1,500 incidents over 3 years, 12 past quarterly reviews, 200 deletion "
        "requests and 1,000,000 audit events on a valid hash chain. Bulk inserts, one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("--factor", type=float, default=1.0, help="scale of everything (default 1; e.g. 0.05 while developing)")
        parser.add_argument("--seed", type=int, default=12, help="random seed (the same seed makes the same organisation)")
        parser.add_argument("--json", action="store_true", help="print the counts and seconds per step as one JSON object")

    def handle(self, *args, **options):
        factor = options["factor"]
        try:
            sizes = Sizes.for_factor(factor)
        except ValueError as error:
            raise CommandError(str(error))
        quiet = options["json"]
        started = time.monotonic()
        if not quiet:
            self.stdout.write(
                f"Seeding at factor {factor}: {sizes.people} people, {sizes.accounts} accounts, {sizes.audit_events} audit events …"
            )
        try:
            ctx = seed_scale(
                factor=factor, now=timezone.now(), out=(lambda line: None) if quiet else self.stdout.write, seed=options["seed"]
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages))
        elapsed = round(time.monotonic() - started, 1)
        if quiet:
            self.stdout.write(json.dumps({"factor": factor, "counts": ctx.counts, "seconds": {**ctx.seconds, "command": elapsed}}))
            return
        self.stdout.write(", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in ctx.counts.items()))
        self.stdout.write(f"Done in {elapsed:.0f} s. The audit chain verifies.")

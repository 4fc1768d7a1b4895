"""Fill a fresh database with a small, realistic demo organisation (see README)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from grc.accounts.models import User
from grc.seeding import SeedContext, seeders


class Command(BaseCommand):
    help = "Create a demo organisation: users (with one-time links), people, systems, assets, an incident, risks …"

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print what was made as JSON")

    def handle(self, *args, **options):
        if User.objects.filter(username="tbecker").exists():
            raise CommandError("The demo organisation is already there (user tbecker exists). Use a fresh database.")
        ctx = SeedContext(now=timezone.now())
        with transaction.atomic():
            for _label, seed in seeders():
                seed(ctx)
        if options["json"]:
            self.stdout.write(json.dumps({"lines": ctx.lines}))
        else:
            for line in ctx.lines:
                self.stdout.write(line)

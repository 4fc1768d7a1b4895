"""Fill a fresh database with a small, realistic demo organisation (see README)."""

from __future__ import annotations

import json
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from grc.accounts.models import User
from grc.seeding import SeedContext, seeders


def base_url_in_force() -> str:
    """Where the printed links point: PORTAL_BASE_URL when set, else the HOST:PORT that `make run`
    (runportal) serves on, as runportal itself does; the settings' default otherwise."""
    if os.environ.get("PORTAL_BASE_URL") or not os.environ.get("PORT"):
        return str(settings.PORTAL_BASE_URL)
    return f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ['PORT']}"


class Command(BaseCommand):
    help = "Create a demo organisation: users (with one-time links), people, systems, assets, an incident, risks …"

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print what was made as JSON")

    def handle(self, *args, **options):
        if User.objects.filter(username="tbecker").exists():
            raise CommandError("The demo organisation is already there (user tbecker exists). Use a fresh database.")
        ctx = SeedContext(now=timezone.now())
        configured = settings.PORTAL_BASE_URL
        settings.PORTAL_BASE_URL = base_url_in_force()  # read by every link the seeders make
        try:
            with transaction.atomic():
                for _label, seed in seeders():
                    seed(ctx)
        finally:
            settings.PORTAL_BASE_URL = configured
        if options["json"]:
            self.stdout.write(json.dumps({"lines": ctx.lines}))
        else:
            for line in ctx.lines:
                self.stdout.write(line)

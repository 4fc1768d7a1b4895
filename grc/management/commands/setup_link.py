"""Print the one-time link that creates the first security-lead account (valid 24 h, single use)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from grc.accounts.services import setup_link_create


class Command(BaseCommand):
    help = "Print a one-time link (valid 24 h) that creates the first security lead. Does nothing once any user exists."

    def handle(self, *args, **options):
        link = setup_link_create(now=timezone.now())
        if link is None:
            self.stdout.write("The portal already has users: invite new ones from the Users page.")
            return
        self.stdout.write(
            self.style.SUCCESS("No account exists yet. Open this one-time link (valid 24 h) to create the first security lead:")
        )
        self.stdout.write(f"\n    {link}\n")

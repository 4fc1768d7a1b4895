"""The 365-day password clock of every portal account as an obligation (DPP 1.4).

Each time a password is set, the previous ``accounts.password_expiry`` obligation of that user
is completed and a new one opens, anchored at ``password_changed_at`` and owned by the user, so
the reminder sweep warns them before the maximum age sends them to the change page.

The accounts app sits below the obligation engine, so it never calls these: it sends
``grc.accounts.signals.password_set``, ``account_deactivated`` and ``account_reactivated``, and
``grc.oversight.signals`` answers them with the functions below.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.urls import reverse

from grc.accounts.models import User
from grc.compliance.registry import register_provider
from grc.compliance.services import obligation_complete, obligation_open, obligation_waive

KIND = "accounts.password_expiry"


def password_expiry_restart(*, user: User, changed_at: datetime, by: User | None = None) -> None:
    """Close the clock of the old password and start the one of the new password."""
    obligation_complete(kind=KIND, subject=user, completed_at=changed_at, completed_by=by or user)
    obligation_open(kind=KIND, subject=user, anchor_at=changed_at, owner=user, url=reverse("accounts:password_change"))


def password_expiry_waive(*, user: User, when: datetime, by: User | None = None) -> None:
    """A deactivated account has no password to renew."""
    obligation_waive(kind=KIND, subject=user, when=when, reason="account deactivated", by=by)


def password_expiry_resume(*, user: User) -> None:
    """A reactivated account's clock runs again from the time its password was set."""
    if user.password_changed_at is not None and user.has_usable_password():
        obligation_open(kind=KIND, subject=user, anchor_at=user.password_changed_at, owner=user, url=reverse("accounts:password_change"))


class PasswordExpiryProvider:
    """Registered for ``accounts.password_expiry``: the owner (the user) is the only recipient."""

    def recipients(self, obligation) -> Iterable:
        return []

    def resync(self, *, now: datetime) -> int:
        """Re-date every active account's open obligation from ``password_changed_at``."""
        count = 0
        users = User.objects.filter(is_active=True, password_changed_at__isnull=False).exclude(password__startswith="!")
        for user in users.iterator():
            password_expiry_resume(user=user)
            count += 1
        return count


def register() -> None:
    """Called from ``OversightConfig.ready()``."""
    register_provider(KIND, PasswordExpiryProvider())

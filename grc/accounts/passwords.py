"""The DPP 1.4 password rules as Django password validators.

Because they are ``AUTH_PASSWORD_VALIDATORS``, the invite page, the change page, the admin and
``manage.py changepassword`` all enforce the same rules. Each rule reports its own message.
The time a password was set is recorded by ``password_changed()`` hooks (see ``PasswordHistoryValidator``),
which also send ``grc.accounts.signals.password_set``: its receiver restarts the password's
``accounts.password_expiry`` obligation (``grc.oversight``).
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from grc.accounts.models import PasswordHistory, User
from grc.accounts.signals import password_set

SPECIAL_CHARACTERS = re.compile(r"[^A-Za-z0-9]")


class CharacterClassValidator:
    """At least one upper-case letter, one lower-case letter, one digit and one special character."""

    RULES = (
        (re.compile(r"[A-Z]"), "password_no_upper", "The password must contain at least one upper-case letter (A–Z)."),
        (re.compile(r"[a-z]"), "password_no_lower", "The password must contain at least one lower-case letter (a–z)."),
        (re.compile(r"[0-9]"), "password_no_digit", "The password must contain at least one digit (0–9)."),
        (
            SPECIAL_CHARACTERS,
            "password_no_special",
            "The password must contain at least one special character, such as ! ? # % or a space.",
        ),
    )

    def validate(self, password: str, user: User | None = None) -> None:
        errors = [ValidationError(message, code=code) for pattern, code, message in self.RULES if not pattern.search(password)]
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return "Your password must mix upper-case and lower-case letters, digits and special characters."


def name_parts(user: User) -> set[str]:
    """The parts of a user's name a password must not contain: 3+ letter runs, lower-cased."""
    sources = [
        getattr(user, "username", "") or "",
        getattr(user, "first_name", "") or "",
        getattr(user, "last_name", "") or "",
        (getattr(user, "email", "") or "").split("@")[0],
    ]
    parts: set[str] = set()
    for source in sources:
        for part in re.split(r"[^a-zA-Z]+", source):
            if len(part) >= 3:
                parts.add(part.casefold())
    return parts


class NoPartOfNameValidator:
    """No part of the user's name: username, first name, last name or the email's local part."""

    def validate(self, password: str, user: User | None = None) -> None:
        if user is None:
            return
        lowered = password.casefold()
        found = sorted(part for part in name_parts(user) if part in lowered)
        if found:
            raise ValidationError(
                "The password must not contain any part of your name or username.",
                code="password_contains_name",
            )

    def get_help_text(self) -> str:
        return "Your password must not contain any part of your name, username or email address."


class MinimumAgeValidator:
    """A password cannot be changed again within 24 hours of the last change (DPP 1.4).

    An administrator's reset sets ``user._password_reset_by_admin`` and is audited instead.
    """

    def validate(self, password: str, user: User | None = None) -> None:
        if user is None or getattr(user, "_password_reset_by_admin", False):
            return
        changed = getattr(user, "password_changed_at", None)
        if changed and timezone.now() - changed < timedelta(hours=settings.PASSWORD_MIN_AGE_HOURS):
            raise ValidationError(
                "You changed your password less than a day ago. Passwords have a minimum age of 1 day.",
                code="password_too_young",
            )

    def get_help_text(self) -> str:
        return "You can change your password at most once a day."


class PasswordHistoryValidator:
    """None of the last ``PASSWORD_HISTORY_COUNT`` passwords can be reused; records each change."""

    def validate(self, password: str, user: User | None = None) -> None:
        if user is None or user.pk is None:
            return
        count = settings.PASSWORD_HISTORY_COUNT
        previous = list(user.password_history.values_list("password", flat=True)[:count])
        if user.password:
            previous.append(user.password)
        if any(check_password(password, encoded) for encoded in previous if encoded):
            raise ValidationError(
                f"You used this password recently. Choose one different from your last {count}.",
                code="password_reused",
            )

    def password_changed(self, password: str, user: User | None = None) -> None:
        """Record the set time and keep the new hash in the history (called after set_password)."""
        if user is None:
            return
        user.password_changed_at = timezone.now()
        if user.pk is None:
            return  # the caller saves the user; history starts at the next change
        type(user).objects.filter(pk=user.pk).update(password_changed_at=user.password_changed_at)
        PasswordHistory.objects.create(user=user, password=user.password)
        keep = user.password_history.values_list("pk", flat=True)[: settings.PASSWORD_HISTORY_COUNT]
        user.password_history.exclude(pk__in=list(keep)).delete()
        # Every path that sets a password (pages, admin, changepassword) passes here: the receivers
        # restart the 365-day clock on the obligation engine (DPP 1.4 maximum age, grc.oversight).
        password_set.send(sender=type(user), user=user, changed_at=user.password_changed_at, by=getattr(user, "_password_set_by", None))

    def get_help_text(self) -> str:
        return f"You cannot reuse any of your last {settings.PASSWORD_HISTORY_COUNT} passwords."

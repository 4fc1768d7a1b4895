"""The password rules the portal actually enforces (DPP 1.4), found by probing its validators.

Forum answers still quote an old 8-character rule. This module does not read a document: it runs
``AUTH_PASSWORD_VALIDATORS`` against probe passwords, so the drafted answer says what a user
would really be refused. No real password is involved; the probe user is made up. Whether the
rules meet DPP 1.4 is judged by the control register (``grc.controls.rules``) on the portal's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.password_validation import get_password_validators, validate_password
from django.core.exceptions import ValidationError

from grc.accounts.models import User

PROBE = "Kq7#mZp2vXwR9$tYb4!nLc6&hGd8@jFs3%"  # every class, no word, no repeated run
MAX_PROBED_LENGTH = 32


@dataclass(frozen=True)
class PasswordRules:
    min_length: int | None  # None: even the longest probe was refused, or none was
    needs_upper: bool
    needs_lower: bool
    needs_digit: bool
    needs_special: bool
    refuses_name: bool
    min_age_hours: int | None
    max_age_days: int | None
    history: int | None
    refuses_common: bool

    @property
    def all_classes(self) -> bool:
        return self.needs_upper and self.needs_lower and self.needs_digit and self.needs_special


def _refused(password: str, validators, user=None) -> bool:
    try:
        validate_password(password, user=user, password_validators=validators)
    except ValidationError:
        return True
    return False


def _probe_without(keep, length: int) -> str:
    """A probe of ``length`` characters made only of the characters ``keep`` accepts."""
    allowed = [c for c in PROBE if keep(c)]
    return "".join(allowed[i % len(allowed)] for i in range(length))


def enforced_password_rules() -> PasswordRules:
    validators = get_password_validators(cast(list[dict[str, Any]], settings.AUTH_PASSWORD_VALIDATORS))  # the stubs infer list[object]
    names = {type(validator).__name__ for validator in validators}
    min_length = next((n for n in range(1, MAX_PROBED_LENGTH + 1) if not _refused(PROBE[:n], validators)), None)
    long = PROBE[: max(min_length or 16, 16)]
    probe_user = User(username="qthorndyke", first_name="Quintessa", last_name="Thorndyke", email="qthorndyke@example.invalid")
    named = "Thorndyke#" + long
    min_age = int(getattr(settings, "PASSWORD_MIN_AGE_HOURS", 0) or 0) if "MinimumAgeValidator" in names else None
    history = int(getattr(settings, "PASSWORD_HISTORY_COUNT", 0) or 0) if "PasswordHistoryValidator" in names else None
    return PasswordRules(
        min_length=min_length,
        needs_upper=_refused(_probe_without(lambda c: not c.isupper(), len(long)), validators),
        needs_lower=_refused(_probe_without(lambda c: not c.islower(), len(long)), validators),
        needs_digit=_refused(_probe_without(lambda c: not c.isdigit(), len(long)), validators),
        needs_special=_refused(_probe_without(str.isalnum, len(long)), validators),
        refuses_name=_refused(named, validators, user=probe_user),
        min_age_hours=min_age,
        max_age_days=getattr(settings, "PASSWORD_MAX_AGE_DAYS", None),
        history=history,
        refuses_common="CommonPasswordValidator" in names,
    )

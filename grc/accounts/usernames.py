"""DPP 1.2: one account per named person, never a generic, shared or default login.

The rule is a model-field validator on ``User.username`` as well, so Django's admin and
``manage.py createsuperuser`` refuse ``admin`` just like the invitation page does.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError

GENERIC_USERNAME_MESSAGE = (
    "Generic, shared or default account names (admin, root, test, shared …) are not allowed: use the person's own name."
)


def is_generic_username(username: str) -> bool:
    """True for ``admin``, ``Admin2``, ``test.user``, ``shared-ops`` …: the forbidden stems and their variants."""
    lowered = (username or "").casefold()
    stem = re.sub(r"[^a-z]", "", lowered)
    forbidden = {name.casefold() for name in settings.FORBIDDEN_USERNAMES}
    return lowered in forbidden or stem in forbidden or any(lowered.startswith(f"{name}{sep}") for name in forbidden for sep in "._-")


def validate_username(username: str) -> None:
    if is_generic_username(username):
        raise ValidationError(GENERIC_USERNAME_MESSAGE, code="generic_username")

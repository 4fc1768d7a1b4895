"""Names the portal knows, for the drafts' PII guard: registry people and portal users.

Full names only ("first last", case-folded, letters only), so ordinary words in a draft never
look like a name. The values are decrypted here and never leave this module.
"""

from __future__ import annotations

import re

from access_reviews.selectors import person_name_pairs
from grc.accounts.models import User


def _normalise(first: str, last: str) -> str:
    return " ".join(re.findall(r"[^\W\d_]+", f"{first or ''} {last or ''}".casefold()))


def known_names() -> set[str]:
    pairs = person_name_pairs()
    pairs += list(User.objects.values_list("first_name", "last_name"))
    return {name for name in (_normalise(first, last) for first, last in pairs) if " " in name}

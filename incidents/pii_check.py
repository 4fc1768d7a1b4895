"""The check that keeps personal data out of the notification to Amazon (DPP 1.6, 2.6).

``find_pii(text, names=..., allowed_emails=...)`` is pure and says what it found: email
addresses (other than Amazon's security mailbox and our own security contact mailbox), phone
numbers and names of people. ``known_person_names()`` is the one hook that says which names
count: the people registry of access reviews (asked through ``grc.compliance.lookups``) plus
the portal's own users.

Dates, times, IP addresses and the incident reference are not phone numbers: they are masked
before the phone pattern runs, so a draft with "2027-03-10 09:00 UTC" passes. Names match as whole
words in any case; a name that is also a common word ("May", "Mark") is flagged too, because the
check cannot tell them apart: reword the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from grc.accounts.models import User
from grc.compliance.lookups import PERSON_NAMES, ask

AMAZON_SECURITY_EMAIL = "3p-security@amazon.com"
MIN_NAME_LENGTH = 2
PHONE_DIGITS = (7, 15)  # E.164 numbers have at most 15 digits; shorter than 7 is an id or a count

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
NOT_PHONES = [
    re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"),  # ISO date/time
    re.compile(r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b"),  # 10/03/2027, 10.03.2027
    re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b"),  # 09:00
    re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?\b"),  # IPv4 (and CIDR)
    re.compile(r"\bINC-\d+\b", re.IGNORECASE),
]
PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d \t().\-/]{4,}\d(?![\w])")


@dataclass(frozen=True)
class PiiFinding:
    kind: str  # "email" | "phone" | "name"
    value: str

    def __str__(self) -> str:
        what = {"email": "an email address", "phone": "a phone number", "name": "a name from the people registry"}[self.kind]
        return f"{what} ({self.value})"


def allowed_emails() -> set[str]:
    return {AMAZON_SECURITY_EMAIL, getattr(settings, "SECURITY_CONTACT_EMAIL", "").strip().lower()} - {""}


def known_person_names() -> set[str]:
    """Every first and last name of the people registry and of portal users.

    The hook the people registry plugs into: the engine's ``PERSON_NAMES`` lookup, which the
    registry answers with its decrypted names (``access_reviews.selectors.person_names()``).
    Portal users are added because they are people too.
    """
    names: set[str] = set(ask(PERSON_NAMES))
    for first, last in User.objects.values_list("first_name", "last_name"):
        names.update(part for part in (first, last) if part)
    return {name.strip() for name in names if len(name.strip()) >= MIN_NAME_LENGTH}


def _names_pattern(names: Iterable[str]) -> re.Pattern | None:
    words = sorted({n.strip() for n in names if len(n.strip()) >= MIN_NAME_LENGTH}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE | re.UNICODE)


def find_pii(text: str, *, names: Iterable[str] = (), allowed: Iterable[str] = ()) -> list[PiiFinding]:
    """Everything in ``text`` that looks like personal data, in order of appearance, without repeats."""
    allowed_lower = {a.lower() for a in allowed}
    found: list[tuple[int, PiiFinding]] = []
    masked = text
    for match in EMAIL.finditer(text):
        if match.group(0).lower() not in allowed_lower:
            found.append((match.start(), PiiFinding("email", match.group(0))))
        masked = masked[: match.start()] + " " * (match.end() - match.start()) + masked[match.end() :]
    for pattern in NOT_PHONES:
        masked = pattern.sub(lambda m: " " * len(m.group(0)), masked)
    for match in PHONE.finditer(masked):
        digits = sum(ch.isdigit() for ch in match.group(0))
        if PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
            found.append((match.start(), PiiFinding("phone", text[match.start() : match.end()].strip())))
    names_pattern = _names_pattern(names)
    if names_pattern is not None:
        for match in names_pattern.finditer(masked):
            found.append((match.start(), PiiFinding("name", match.group(0))))
    seen: set[tuple[str, str]] = set()
    result = []
    for _, finding in sorted(found, key=lambda item: item[0]):
        key = (finding.kind, finding.value.lower())
        if key not in seen:
            seen.add(key)
            result.append(finding)
    return result


def check_notification_text(text: str) -> list[PiiFinding]:
    """``find_pii`` with the portal's names and allowed mailboxes (reads the database)."""
    return find_pii(text, names=known_person_names(), allowed=allowed_emails())

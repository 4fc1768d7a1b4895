"""Account flags as pure functions (DPP 1.2 no generic/shared accounts, 1.3 least privilege, 1.4 MFA).

``account_flags(facts)`` takes plain values, so the rules are tested without a database; the
services store the result on ``Account``/``ReviewRow`` (``flag_*`` fields) so pages can filter
and sort flagged rows first in SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Flag(StrEnum):
    ORPHAN = "orphan"
    SHARED = "shared"
    NO_MFA = "no_mfa"
    PRIVILEGED = "privileged"
    NO_REQUEST = "no_request"
    REVOKED_PRESENT = "revoked_present"

    @property
    def label(self) -> str:
        return FLAG_LABELS[self]


FLAG_LABELS = {
    Flag.ORPHAN: "orphan",
    Flag.SHARED: "shared/generic",
    Flag.NO_MFA: "no MFA",
    Flag.PRIVILEGED: "privileged",
    Flag.NO_REQUEST: "no approved request",
    Flag.REVOKED_PRESENT: "revoked but still present",
}
FLAG_FIELDS = {flag: f"flag_{flag.value}" for flag in Flag}

# Words that make an account name generic (DPP 1.2: no generic, shared or default accounts).
GENERIC_WORDS = frozenset(
    {
        "admin",
        "administrator",
        "sysadmin",
        "superuser",
        "root",
        "shared",
        "share",
        "team",
        "test",
        "tester",
        "testing",
        "generic",
        "service",
        "svc",
        "guest",
        "default",
        "demo",
        "temp",
        "tmp",
    }
)
PRIVILEGED_WORDS = frozenset({"admin", "administrator", "owner", "root", "superuser", "sysadmin", "poweruser", "fullaccess"})


def words(text: str) -> list[str]:
    """Lower-case words of a name, digits dropped: ``Admin_01@example.com`` → ``["admin"]``."""
    local = text.strip().lower().split("@", 1)[0]
    return [w for w in (re.sub(r"\d+", "", part) for part in re.split(r"[^a-z0-9]+", local)) if w]


def is_generic_name(name: str) -> bool:
    return any(word in GENERIC_WORDS for word in words(name))


def is_privileged_role(privilege: str) -> bool:
    """A default for imports without a "privileged" column: admin/owner/root-like roles."""
    compact = re.sub(r"[^a-z]", "", privilege.lower())
    return any(word in PRIVILEGED_WORDS for word in words(privilege)) or compact in PRIVILEGED_WORDS


@dataclass(frozen=True)
class AccountFacts:
    name: str
    has_person: bool
    person_terminated: bool = False
    is_service_account: bool = False
    is_shared: bool = False
    privileged: bool = False
    mfa: str = "unknown"  # yes | no | unknown
    has_approved_request: bool = False
    revoked_present: bool = False


def account_flags(facts: AccountFacts) -> frozenset[Flag]:
    """The flags an account carries.

    * orphan: no person, or a terminated person (for a service account: its owning person);
    * shared/generic: marked as used by several people, or a generic name (admin, root, test …);
    * no MFA: MFA is not known to be on — service accounts (API keys, no interactive login) excepted;
    * privileged: elevated rights;
    * no approved request: no approved access request is linked (DPP 1.2 registration);
    * revoked but still present: a revocation was confirmed but a later import still shows it enabled.
    """
    flags = set()
    if not facts.has_person or facts.person_terminated:
        flags.add(Flag.ORPHAN)
    if facts.is_shared or is_generic_name(facts.name):
        flags.add(Flag.SHARED)
    if facts.mfa != "yes" and not facts.is_service_account:
        flags.add(Flag.NO_MFA)
    if facts.privileged:
        flags.add(Flag.PRIVILEGED)
    if not facts.has_approved_request:
        flags.add(Flag.NO_REQUEST)
    if facts.revoked_present:
        flags.add(Flag.REVOKED_PRESENT)
    return frozenset(flags)


def flag_values(flags: frozenset[Flag]) -> dict[str, object]:
    """The ``flag_*`` field values for a set of flags (for model instances and bulk updates)."""
    values: dict[str, object] = {field: flag in flags for flag, field in FLAG_FIELDS.items()}
    values["flag_count"] = len(flags)
    return values


def flags_from_fields(obj) -> list[Flag]:
    """The flags stored on a row, in a stable order (for badges)."""
    return [flag for flag, field in FLAG_FIELDS.items() if getattr(obj, field)]


# DPP 2.2: a flag of a *person*, not of an account — computed from the registry and the
# confidentiality agreements (``access_reviews.confidentiality``), never stored on accounts, so it
# is not a ``Flag`` (whose members each have a ``flag_*`` column).
NO_CONFIDENTIALITY = "no_confidentiality"
NO_CONFIDENTIALITY_LABEL = "PII access without confidentiality agreement"


def needs_confidentiality_agreement(*, has_pii_access: bool, has_current_agreement: bool) -> bool:
    """A person who processes PII must have a confidentiality agreement in force (DPP 2.2)."""
    return has_pii_access and not has_current_agreement

"""The data classification levels of the programme: the one definition every app uses (DPP 2.2).

The data classification policy of the library is written around these levels (one required
section per level, see ``grc.policies.catalogue``), and a data store's level follows from what the
inventory records about it (``level_for``): a store holding PII is Restricted, one holding other
Amazon Information Confidential. DPP 2 ("if PII is combined with non-PII, the entire data store
must comply") is why the highest level present decides.

Plain data and pure functions: no database, safe to import from any app.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClassificationLevel:
    code: str
    name: str
    rank: int  # higher = more protected
    description: str
    handling: str  # the minimum handling rules the policy starts from

    @property
    def label(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name


PUBLIC = ClassificationLevel(
    "public",
    "Public",
    0,
    "Information meant for anyone: published product listings, marketing pages, public documentation.",
    "No restrictions on reading; changes only by their owners.",
)
INTERNAL = ClassificationLevel(
    "internal",
    "Internal",
    1,
    "Our own business information that is not meant for the public and holds no Amazon Information: "
    "internal procedures, non-sensitive tickets, team documents.",
    "Staff only, on company accounts and devices; not shared outside the company without approval.",
)
CONFIDENTIAL = ClassificationLevel(
    "confidential",
    "Confidential",
    2,
    "Amazon Information that is not PII (order ids, sales and inventory data, reports), credentials and security documents (DPP 1.2-1.8).",
    "Need-to-know access through named accounts with MFA; TLS 1.2+ in transit; origin tagged or kept in a "
    "separate store; never on personal devices.",
)
RESTRICTED = ClassificationLevel(
    "restricted",
    "Restricted (PII)",
    3,
    "Personally Identifiable Information of Amazon customers or Authorized Users: names, addresses, emails, phone "
    "numbers, order contents tied to a person (DPP 2).",
    "Everything for Confidential, plus: encrypted at rest with AES-128 / RSA-2048 or stronger with keys only our "
    "services reach (2.4); kept no longer than 30 days after order delivery unless a law requires it (2.1); a "
    "record of processing (2.2); never on removable media, personal devices or public links unless encrypted (2.3); "
    "printed copies shredded; only staff with a confidentiality agreement.",
)

LEVELS: tuple[ClassificationLevel, ...] = (PUBLIC, INTERNAL, CONFIDENTIAL, RESTRICTED)
BY_CODE = {level.code: level for level in LEVELS}
CHOICES = [(level.code, level.name) for level in LEVELS]


def level_by_code(code: str) -> ClassificationLevel:
    try:
        return BY_CODE[code]
    except KeyError:
        raise KeyError(f"Unknown classification level {code!r}: the levels are {', '.join(BY_CODE)}") from None


def level_for(*, holds_pii: bool, holds_amazon_information: bool) -> ClassificationLevel:
    """A data store's (or asset's) level from what the inventory records about it."""
    if holds_pii:
        return RESTRICTED
    if holds_amazon_information:
        return CONFIDENTIAL
    return INTERNAL

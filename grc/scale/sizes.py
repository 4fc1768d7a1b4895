"""How much of everything ``seed_scale --factor N`` makes (factor 1 is the issue's organisation)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

AT_FACTOR_ONE = {
    "people": 2000,
    "systems": 60,
    "accounts": 25_000,
    "assets": 5000,
    "risks": 600,
    "incidents": 1500,
    "deletion_requests": 200,
    "audit_events": 1_000_000,
}
MINIMUM = {
    "people": 40,
    "systems": 12,  # enough systems for the accounts of a small organisation
    "accounts": 120,
    "assets": 30,
    "risks": 6,
    "incidents": 10,
    "deletion_requests": 3,
    "audit_events": 2000,
}
CAMPAIGNS = 12  # past quarterly reviews over three years, whatever the factor (the current one is added, in progress)
YEARS = 3


@dataclass(frozen=True)
class Sizes:
    factor: float
    people: int
    systems: int
    accounts: int
    assets: int
    risks: int
    incidents: int
    deletion_requests: int
    audit_events: int
    campaigns: int = CAMPAIGNS

    @classmethod
    def for_factor(cls, factor: float) -> Sizes:
        if factor <= 0:
            raise ValueError("the factor must be positive")
        counts = {name: max(MINIMUM[name], round(count * factor)) for name, count in AT_FACTOR_ONE.items()}
        return cls(factor=factor, **counts)

    def as_dict(self) -> dict:
        return asdict(self)

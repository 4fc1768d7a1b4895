"""What apps tell the engine, registered from each app's ``AppConfig.ready()``.

* ``register_provider(kind, provider)`` — per obligation kind: who gets its reminders and how to
  re-derive its open obligations from the records (after a cadence change). The engine never
  imports another app's models; it asks providers.
* ``register_check(clause, name, check)`` — a live check that contributes to a DPP clause's
  status on the catalogue/dashboard, e.g. "every portal account has MFA" for 1.4.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class ObligationProvider(Protocol):
    def recipients(self, obligation) -> Iterable:  # users to remind besides the owner
        ...

    def resync(self, *, now: datetime) -> int:  # re-open/re-date this kind's obligations from records
        ...


@dataclass(frozen=True)
class CheckResult:
    status: str  # "met" | "at_risk" | "not_met" | "not_tracked"
    reason: str  # in words, no PII: "last access review completed 104 days ago; due every 3 months"
    url: str = ""  # where the evidence is


_providers: dict[str, ObligationProvider] = {}
_checks: dict[str, list[tuple[str, Callable[[datetime], CheckResult]]]] = {}


def register_provider(kind: str, provider: ObligationProvider) -> None:
    from grc.compliance.cadences import cadence_for

    cadence_for(kind)  # fails loudly for a kind missing from the cadence table
    _providers[kind] = provider


def provider_for(kind: str) -> ObligationProvider | None:
    return _providers.get(kind)


def providers() -> dict[str, ObligationProvider]:
    return dict(_providers)


def register_check(clause: str, name: str, check: Callable[[datetime], CheckResult]) -> None:
    entries = _checks.setdefault(clause, [])
    entries[:] = [(n, c) for n, c in entries if n != name] + [(name, check)]


def checks_for(clause: str) -> list[tuple[str, Callable[[datetime], CheckResult]]]:
    return list(_checks.get(clause, []))

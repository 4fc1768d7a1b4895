"""What apps tell the engine, registered from each app's ``AppConfig.ready()``.

* ``register_provider(kind, provider)`` — per obligation kind: who gets its reminders and how to
  re-derive its open obligations from the records (after a cadence change). The engine never
  imports another app's models; it asks providers.
* ``register_check(clause, name, check)`` — a live check that contributes to a DPP clause's
  status on the catalogue/dashboard, e.g. "every portal account has MFA" for 1.4.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from grc.compliance.cadences import cadence_for

if TYPE_CHECKING:
    from grc.accounts.models import User
    from grc.compliance.models import Obligation


class ObligationProvider(Protocol):
    def recipients(self, obligation: Obligation) -> Iterable[User]:  # users to remind besides the owner
        ...

    def resync(self, *, now: datetime) -> int:  # re-open/re-date this kind's obligations from records
        ...


@dataclass(frozen=True)
class CheckResult:
    status: str  # "met" | "at_risk" | "not_met" | "not_tracked"
    reason: str  # in words, no PII: "last access review completed 104 days ago; due every 3 months"
    url: str = ""  # where the evidence is
    # A record is missing for an in-scope system ("not yet recorded"): the clause cannot be met
    # until it is recorded, whatever the other checks say (DESIGN.md, "What a status means").
    missing: bool = False
    # The result judges only the portal's own settings: one system among the company's, so it
    # can keep a clause from being met but never make it met on its own.
    portal: bool = False


@dataclass(frozen=True)
class ScopeSubject:
    """A system or data store that holds or processes Amazon Information (DPP scope).

    Domain apps register a scope provider (``register_scope``) that lists theirs; readers such as
    the control register evaluate a clause over every subject without importing the domain apps.
    ``facts`` carries per-subject counts a rule may need (e.g. accounts without MFA), never names
    of people.
    """

    key: str  # "system:3", "data_store:12": unique over every provider
    kind: str  # "system" or "data_store"
    pk: int
    name: str  # the registry name or inventory tag, shown in reasons
    url: str = ""
    is_portal: bool = False
    holds_pii: bool = False
    facts: dict = field(default_factory=dict, compare=False)


_providers: dict[str, ObligationProvider] = {}
_checks: dict[str, list[tuple[str, Callable[[datetime], CheckResult]]]] = {}
_scopes: dict[str, Callable[[datetime], list[ScopeSubject]]] = {}
T = TypeVar("T")
_evaluation: ContextVar[dict | None] = ContextVar("compliance_evaluation", default=None)


def register_provider(kind: str, provider: ObligationProvider) -> None:
    cadence_for(kind)  # fails loudly for a kind missing from the cadence table
    _providers[kind] = provider


def provider_for(kind: str) -> ObligationProvider | None:
    return _providers.get(kind)


def providers() -> dict[str, ObligationProvider]:
    return dict(_providers)


_check_titles: dict[str, str] = {}


def register_check(clause: str, name: str, check: Callable[[datetime], CheckResult], *, title: str = "") -> None:
    """``name`` identifies the check in code and tests; ``title`` is what pages and packs print
    (default: the name, which should then read as English)."""
    entries = _checks.setdefault(clause, [])
    entries[:] = [(n, c) for n, c in entries if n != name] + [(name, check)]
    if title:
        _check_titles[name] = title


def check_title(name: str) -> str:
    return _check_titles.get(name, name)


def checks_for(clause: str) -> list[tuple[str, Callable[[datetime], CheckResult]]]:
    return list(_checks.get(clause, []))


def portal_check(check: Callable[[datetime], CheckResult]) -> Callable[[datetime], CheckResult]:
    """Mark a check that reads only the portal's own settings or records (see ``CheckResult.portal``)."""

    def judged_on_the_portal(now: datetime) -> CheckResult:
        return replace(check(now), portal=True)

    judged_on_the_portal.__doc__ = check.__doc__
    judged_on_the_portal.__name__ = getattr(check, "__name__", "portal_check")
    return judged_on_the_portal


def register_scope(name: str, provider: Callable[[datetime], list[ScopeSubject]]) -> None:
    """A domain app lists its in-scope systems or data stores (called from ``AppConfig.ready()``)."""
    _scopes[name] = provider


def in_scope_subjects(now: datetime) -> list[ScopeSubject]:
    """Every registered in-scope system and data store, portal first, then by kind and name."""
    subjects = [subject for provider in _scopes.values() for subject in provider(now)]
    return sorted(subjects, key=lambda s: (not s.is_portal, s.kind, s.name.lower()))


@contextmanager
def evaluation() -> Iterator[None]:
    """One evaluation of the live checks (a page, a command, an evidence pack).

    Inside it, facts several checks read are loaded once (``shared``): the control register's
    seven clause checks then judge one ``register_facts`` load instead of seven, and the pack's
    status lines and sections read the very same object. Nested calls join the outer evaluation;
    nothing outlives it, so a later page never sees stale facts.
    """
    token = _evaluation.set({}) if _evaluation.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _evaluation.reset(token)


def shared(key: Hashable, load: Callable[[], T]) -> T:
    """``load()`` once per evaluation for ``key`` (outside an evaluation: every time)."""
    memo = _evaluation.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return cast(T, memo[key])

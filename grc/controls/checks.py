"""The control register's live checks and re-attestation clocks, registered with the engine.

Imported from ``ControlsConfig.ready()`` (models are loaded by then). Clauses 1.1, 1.2, 1.4, 2, 2.3, 2.5 and 2.6 are judged over every in-scope system (and PII data
store) from the recorded controls; 1.4 also over every enabled human account of those systems.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from grc.compliance.registry import CheckResult, register_check, register_provider
from grc.controls.areas import AREAS, CLAUSE_AREAS
from grc.controls.models import ControlEntry
from grc.controls.selectors import AWS_ONLY_CLAUSES, shared_register_facts
from grc.controls.services import reattestation_open

CHECK_NAMES = {
    "1.1": "Network protection of in-scope systems",
    "1.2": "Account lockout on in-scope systems",
    "1.4": "Identity settings of in-scope systems",
    "2": "Purpose of PII in each data store",
    "2.3": "Data-loss prevention on in-scope systems",
    "2.5": "Secrets and environments of in-scope systems",
    "2.6": "Logging and monitoring of in-scope systems",
}
ACCOUNT_MFA_CHECK = "MFA on every account of in-scope systems"
AWS_CHECK = "AWS checks of connected accounts"  # clauses with no register area (1.5, 2.4, 2.7); it only holds back


def clause_check(clause: str) -> Callable[[datetime], CheckResult]:
    def check(now: datetime) -> CheckResult:
        return shared_register_facts(now).result(clause)

    check.__name__ = f"control_register_{clause.replace('.', '_')}"
    return check


def aws_check(clause: str) -> Callable[[datetime], CheckResult]:
    def check(now: datetime) -> CheckResult:
        return shared_register_facts(now).aws_result(clause)

    check.__name__ = f"aws_checks_{clause.replace('.', '_')}"
    return check


def check_account_mfa(now: datetime) -> CheckResult:
    return shared_register_facts(now).account_mfa()


class ReattestationProvider:
    """Reminders go to the entry's owner (the engine adds the leads at breach)."""

    def __init__(self, area: str):
        self.area = area

    def recipients(self, obligation):
        return []

    def resync(self, *, now: datetime) -> int:
        entries = list(ControlEntry.objects.filter(area=self.area).select_related("system", "data_store", "owner"))
        for entry in entries:
            reattestation_open(entry)
        return len(entries)


def register() -> None:
    for clause in CLAUSE_AREAS:
        register_check(clause, CHECK_NAMES[clause], clause_check(clause))
    register_check("1.4", ACCOUNT_MFA_CHECK, check_account_mfa)
    for clause in AWS_ONLY_CLAUSES:
        register_check(clause, AWS_CHECK, aws_check(clause))
    for area in AREAS.values():
        register_provider(area.obligation_kind, ReattestationProvider(area.key))

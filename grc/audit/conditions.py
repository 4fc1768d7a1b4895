"""What the alarm rules watch, and what one alarm is about.

Shared by the rules (``grc.audit.rules``, which decide), the alarms (``grc.audit.alarms``, which
raise and close them) and ``record_event`` (``grc.audit.services``, which hands watched events to
the rules at once), so none of them needs another's module for these names.
"""

from __future__ import annotations

from dataclasses import dataclass

FAILED_LOGIN_ACTIONS = ("accounts.login_failed", "accounts.mfa_failed", "accounts.step_up_failed")
DENIAL_ACTIONS = ("accounts.permission_denied", "accounts.network_denied")
DOWNLOAD_ACTIONS = ("download",)
VIEWED_SUFFIX = ".viewed"
WATCHED_ACTIONS = frozenset(FAILED_LOGIN_ACTIONS + DENIAL_ACTIONS + DOWNLOAD_ACTIONS)
MAX_EVIDENCE = 100  # event ids kept on an alarm; the count says how many there were


@dataclass(frozen=True)
class Condition:
    """What one alarm is about: a rule and a key (an address, a user, a record)."""

    rule: str
    key: str
    actor_id: int | None = None
    source_ip: str | None = None
    subject_type: str = ""
    subject_id: str = ""

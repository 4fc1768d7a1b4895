"""Live DPP checks of the portal's own accounts, shown on the catalogue and dashboard.

Registered in ``OversightConfig.ready()`` (``register``). Reasons are counts and settings in
words, never names. The facts they judge are the accounts app's (``grc.accounts.posture``).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.urls import reverse

from grc.accounts.lockout import cool_off
from grc.accounts.posture import active_accounts, lockout_enforced
from grc.accounts.usernames import is_generic_username
from grc.compliance.registry import CheckResult, portal_check, register_check
from grc.words import plural


def _users_url() -> str:
    return reverse("accounts:users")


def lockout_check(now: datetime) -> CheckResult:
    """DPP 1.2 account lockout: django-axes enabled, counting failures per username."""
    if not lockout_enforced():
        return CheckResult(
            "not_met", "account lockout is switched off or does not count failures per username", reverse("accounts:lockouts")
        )
    minutes = round(cool_off().total_seconds() / 60)
    duration = f" for {minutes} minutes" if minutes else ""
    return CheckResult(
        "met",
        f"accounts lock after {settings.AXES_FAILURE_LIMIT} failed sign-ins or one-time codes{duration}, per username and per address",
        reverse("accounts:lockouts"),
    )


def unique_accounts_check(now: datetime) -> CheckResult:
    """DPP 1.2: no generic, shared or default accounts; each one belongs to a named person."""
    users = list(active_accounts(now).values_list("username", "first_name", "last_name"))
    generic = sum(1 for username, _first, _last in users if is_generic_username(username))
    unnamed = sum(1 for _username, first, last in users if not (first.strip() and last.strip()))
    if generic or unnamed:
        parts = []
        if generic:
            parts.append(f"{plural(generic, 'active account')} {'has' if generic == 1 else 'have'} a generic name")
        if unnamed:
            parts.append(f"{plural(unnamed, 'active account')} {'is' if unnamed == 1 else 'are'} not tied to a named person")
        return CheckResult("not_met", "; ".join(parts), _users_url())
    return CheckResult(
        "met", f"no generic names among {plural(len(users), 'active account')}; each belongs to a named person", _users_url()
    )


def register() -> None:
    """Generic names are the portal's own rule; its lockout, MFA and password settings are its row of
    the control register (grc/controls/portal.py), judged with the company's other systems."""
    register_check("1.2", "No generic or shared portal accounts", portal_check(unique_accounts_check))

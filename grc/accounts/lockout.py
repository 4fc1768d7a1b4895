"""Locked accounts as django-axes sees them, and the security lead's unlock (DPP 1.2).

django-axes counts failures per username and per IP+username (``AXES_LOCKOUT_PARAMETERS``):
``AXES_FAILURE_LIMIT`` failures for a username within ``AXES_COOLOFF_TIME`` lock it, whichever
addresses they came from, while failures spread over many usernames from one address lock none
of them. A username's own count (all addresses) is therefore the one that decides its lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, QuerySet, Sum
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from grc.accounts.models import User
from grc.audit.services import record_event


def cool_off() -> timedelta:
    return get_cool_off() or timedelta(0)


def failure_limit() -> int:
    return int(settings.AXES_FAILURE_LIMIT)


@dataclass(frozen=True)
class Lock:
    username: str
    failures: int
    addresses: int
    last_failure_at: datetime
    locked_until: datetime
    user: User | None


def _recent_attempts(now: datetime) -> QuerySet[AccessAttempt]:
    attempts: QuerySet[AccessAttempt] = AccessAttempt.objects.exclude(username__isnull=True)
    window = cool_off()
    if window:
        attempts = attempts.filter(attempt_time__gte=now - window)
    return attempts


def locked_usernames(now: datetime) -> set[str]:
    """The usernames locked right now: one aggregate query."""
    rows = _recent_attempts(now).values("username").annotate(failures=Sum("failures_since_start")).filter(failures__gte=failure_limit())
    return {row["username"] for row in rows}


def locks(now: datetime) -> list[Lock]:
    """Every locked username with its failure count and when the lock lifts, newest first."""
    rows = (
        _recent_attempts(now)
        .values("username")
        .annotate(failures=Sum("failures_since_start"), addresses=Count("ip_address", distinct=True), last=Max("attempt_time"))
        .filter(failures__gte=failure_limit())
        .order_by("-last")
    )
    rows = list(rows)
    users = {user.username: user for user in User.objects.filter(username__in=[row["username"] for row in rows])}
    return [
        Lock(
            username=row["username"],
            failures=row["failures"],
            addresses=row["addresses"],
            last_failure_at=row["last"],
            locked_until=row["last"] + cool_off(),
            user=users.get(row["username"]),
        )
        for row in rows
    ]


@transaction.atomic
def account_unlock(*, username: str, by: User, now: datetime, request: HttpRequest | None = None) -> int:
    """Forget the failed attempts for ``username`` (every address) and the MFA back-off; audited.

    Returns how many attempt records were removed. The username itself never enters the trail:
    the event names the account when one exists.
    """
    removed: int = AxesProxyHandler.reset_attempts(username=username)
    user = User.objects.filter(username=username).first()
    if user is not None:
        for model in (TOTPDevice, StaticDevice):
            model.objects.filter(user=user).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    record_event(
        "accounts.unlocked",
        request=request,
        actor=by,
        obj=user,
        message="lockout cleared by the security lead" if user else "lockout of an unknown username cleared",
        details={"attempt_records": removed},
        occurred_at=now,
    )
    return removed


def attempts_clear_after_sign_in(*, username: str) -> int:
    """A sign-in is complete only after the one-time code, so only then are earlier failures
    forgotten (``AXES_RESET_ON_SUCCESS`` is off: a right password alone must not reset the count
    of wrong codes, or a thief with the password could guess codes for ever)."""
    removed: int = AxesProxyHandler.reset_attempts(username=username)
    return removed

"""Values every page needs: organisation name, the user's role flags and the navigation."""

from __future__ import annotations

from django.conf import settings

from grc import degraded
from grc.accounts.models import Role


def portal(request) -> dict:
    user = getattr(request, "user", None)
    role = getattr(user, "role", None) if user and user.is_authenticated else None
    return {
        "organisation_name": settings.ORGANISATION_NAME,
        "current_timezone_name": getattr(request, "timezone_name", "UTC"),
        "role": role,
        "degraded_services": _degraded_services(user, role),
    }


def _degraded_services(user, role) -> list[str]:
    """The "background services degraded" banner is for the security lead, who can act on it; other
    users' pages skip the check entirely, and the lead's costs a memory read plus at most one
    indexed query every ``grc.degraded.BROKER_CHECK_SECONDS`` (never a call to Redis)."""
    verified = getattr(user, "is_verified", None)  # set by django-otp's middleware
    if role != Role.SECURITY_LEAD or verified is None or not verified():
        return []
    return [degraded.LABELS[name] for name in degraded.degraded_services()]

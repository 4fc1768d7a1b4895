"""What the portal's own account settings enforce, in plain values (DPP 1.2, 1.4).

Read by the live checks that judge them (``grc.oversight.account_checks``) and by the portal's row
of the control register (``grc.controls.portal``); no verdicts here, only facts.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet

from grc.accounts.models import User

MIN_LENGTH_VALIDATOR = "django.contrib.auth.password_validation.MinimumLengthValidator"


def active_accounts(now: datetime) -> QuerySet[User]:
    """Accounts that can sign in now: active and inside their access window."""
    users = User.objects.filter(is_active=True).exclude(access_expires_at__lte=now)
    return users.exclude(access_starts_at__gt=now)


def lockout_enforced() -> bool:
    """django-axes is on and counts failures per username (DPP 1.2 account lockout)."""
    parameters = settings.AXES_LOCKOUT_PARAMETERS or []
    by_username = "username" in parameters
    return bool(getattr(settings, "AXES_ENABLED", True) and "axes.middleware.AxesMiddleware" in settings.MIDDLEWARE and by_username)

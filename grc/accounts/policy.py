"""The account policy every signed-in request obeys, in one place (DPP 1.2, 1.4): the account is
active and inside its access window, has passed MFA (or must enrol), and its password is younger
than the maximum age. ``AccountPolicyMiddleware`` applies it to pages, ``verified_session`` to the
token pages under ``/api/`` and ``VerifiedSessionAuthentication`` to the API's session calls."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grc.accounts.models import User

OK = "ok"
ACCESS_ENDED = "access_ended"  # inactive, or an auditor's window is over: sign out
ENROL = "enrol"  # no confirmed second factor yet
VERIFY = "verify"  # a second factor exists but this session has not passed it
PASSWORD_EXPIRED = "password_expired"
ACCESS_ENDED_MESSAGE = "Your access to the portal has ended. Ask the security lead to extend it."


def account_policy_state(user: User, now: datetime) -> str:
    """What stands between ``user`` (signed in) and the portal at ``now``, or ``OK``."""
    if not user.is_active or not user.access_is_current(now):
        return ACCESS_ENDED
    verified = getattr(user, "is_verified", None)
    if not (verified and verified()):
        from django_otp import devices_for_user  # django-otp's registry needs the apps loaded

        return VERIFY if any(True for _ in devices_for_user(user, confirmed=True)) else ENROL
    if user.password_expired(now):
        return PASSWORD_EXPIRED
    return OK
